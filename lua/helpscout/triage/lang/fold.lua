-- helpscout.triage.lang.fold: the spelling folds every language shares, decided once here.
--   fold.accents(s)    lower-cased Latin-1/Latin Extended-A letters to ASCII (ä -> a, ß -> ss,
--                      É -> e, œ -> oe); s itself when it is plain ASCII
--   fold.elisions(s)   apostrophes removed ("can't" -> "cant"), except after a French or Italian
--                      elided article or preposition, which becomes a word of its own
--                      ("l'adresse" -> "l adresse", "dell'ordine" -> "dell ordine")
--   fold.cjk_punct(s)  CJK and full-width punctuation to spaces (。、「」！？)
--   fold.word(s)       a word or phrase as the tokenizer sees it (lower, elisions, accents)
-- The tokenizer (topics.vocab) folds accents and CJK punctuation once per distinct word, and
-- calls elisions only on text with an apostrophe.
local lower, gsub, find, byte = string.lower, string.gsub, string.find, string.byte

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

local function elide(w) return ELIDED[w] end

-- Is the apostrophe at i an elision: after one of c d j l m n s t, "qu", "un" or "ll"
-- ("dell'", "all'") that begins a word? A few byte tests per apostrophe: English text
-- ("can't", "I'm", "it's") then keeps the one plain gsub it always had (make bench).
local function is_letter(b) return b and ((b >= 97 and b <= 122) or b >= 128) end
local SINGLE = { [99] = true, [100] = true, [106] = true, [108] = true, [109] = true, [110] = true,
  [115] = true, [116] = true }
local function elision_at(s, i)
  local b1, b2 = byte(s, i - 1), byte(s, i - 2)
  if b1 and SINGLE[b1] and not is_letter(b2) then return true end
  -- qu' un' ...ll' ...st': the word itself is checked by the pass below
  return (b1 == 117 and b2 == 113) or (b1 == 110 and b2 == 117) or (b1 == 108 and b2 == 108)
    or (b1 == 116 and b2 == 115)
end

function _M.elisions(s)
  if find(s, "\226\128\153", 1, true) then s = gsub(s, "\226\128\153", "'") end -- ’
  local i = find(s, "'", 1, true)
  if not i then return s end
  while i do
    if elision_at(s, i) then
      s = gsub(s, "%f[%w](%w+)'", elide)
      return (gsub(s, "'", ""))
    end
    i = find(s, "'", i + 1, true)
  end
  return (gsub(s, "'", ""))
end

function _M.cjk_punct(s)
  s = gsub(s, "\227\128[\128-\191]", " ")
  return (gsub(s, "\239[\188\189][\128-\191]", " "))
end

function _M.word(s)
  return _M.accents(_M.elisions(lower(s)))
end

return _M
