-- helpscout.triage.lang.fold: the spelling folds every language shares, decided once here.
--   fold.accents(s)    lower-cased Latin-1/Latin Extended-A letters to ASCII (ä -> a, ß -> ss,
--                      É -> e, œ -> oe); s itself when it is plain ASCII
--   fold.elisions(s)   apostrophes removed ("can't" -> "cant"), except after a French or Italian
--                      elided article or preposition, which becomes a word of its own
--                      ("l'adresse" -> "l adresse", "dell'ordine" -> "dell ordine")
--   fold.cjk_punct(s)  CJK and full-width punctuation to spaces (。、「」！？)
--   fold.word(s)       a word or phrase as the tokenizer sees it (lower, elisions, accents)
-- Callers test for the bytes first (find "[\128-\255]", find "'"): plain English pays one find.
local lower, gsub, find = string.lower, string.gsub, string.find

local _M = {}

-- Two-byte UTF-8 letters (lead byte C3 = U+00C0..U+00FF, C5 = U+0140..U+017F) -> ASCII.
local MAP = {}
local function map(lead, from, to)
  local i = 0
  for ch in to:gmatch("%S+") do
    MAP[string.char(lead, from + i)] = ch ~= "-" and ch or nil
    i = i + 1
  end
end
-- U+00C0..U+00FF (C3 80..C3 BF); "-" keeps the character (× ÷)
map(0xC3, 0x80, "a a a a a a ae c e e e e i i i i d n o o o o o - o u u u u y th ss " ..
  "a a a a a a ae c e e e e i i i i d n o o o o o - o u u u u y th y")
-- U+0152, U+0153 (Œ œ), U+0160/0161 (Š š), U+017D/017E (Ž ž), U+0178 (Ÿ)
MAP["\197\146"], MAP["\197\147"] = "oe", "oe"
MAP["\197\160"], MAP["\197\161"] = "s", "s"
MAP["\197\189"], MAP["\197\190"] = "z", "z"
MAP["\197\184"] = "y"

function _M.accents(s)
  if not find(s, "[\195\197]") then return s end
  return (gsub(s, "[\195\197][\128-\191]", MAP))
end

-- French (l' d' j' n' m' s' t' c' qu' jusqu' lorsqu' puisqu') and Italian (dell' all' nell'
-- dall' sull' un' quest' quell' c') elisions: the article or preposition is a word of its own.
local ELIDED = {}
for w in ([[l d j n m s t c qu jusqu lorsqu puisqu dell all nell dall sull un quest quell
  dev anch]]):gmatch("%S+") do ELIDED[w] = w .. " " end

local function elide(w) return ELIDED[w] or w end

function _M.elisions(s)
  if find(s, "\226\128\153", 1, true) then s = gsub(s, "\226\128\153", "'") end -- ’
  if not find(s, "'", 1, true) then return s end
  return (gsub(s, "(%w*)'", elide))
end

function _M.cjk_punct(s)
  s = gsub(s, "\227\128[\128-\191]", " ")
  return (gsub(s, "\239[\188\189][\128-\191]", " "))
end

function _M.word(s)
  return _M.accents(_M.elisions(lower(s)))
end

return _M
