-- helpscout.triage.topics.vocab: words to stems. A vocabulary is made per grouping run (and one
-- for the compiled lexicon), so its caches live exactly as long as the run that fills them: no
-- module-level cache, no size limit to reset at, and the surface words a run reports (cluster
-- labels) are the words of that run's conversations only.
--   v = vocab.new()
--   n = v.tokens(s, arr, n)   lower-cased stems of s appended to arr after index n; new count
--   v.term_ok(stem)           may the stem be a theme term (length, stop words, digits, symbols)
--   v.names(person, set, mark) marks the stems of a person's names and e-mail in set
--   v.stems                   word -> stem, every word seen (for surface forms)
--   vocab.stem_word(w)        the stemmer itself, uncached
local lower, gsub, sub, find, gmatch, byte = string.lower, string.gsub, string.sub, string.find, string.gmatch,
  string.byte
local type, ipairs = type, ipairs
local fold = require "helpscout.triage.lang.fold"
local langs = require "helpscout.triage.lang.list"

local _M = {}

local STOP_LIST = [[
a about above after again against all almost also am an and any anyone anything are as at be
because been before being below between both but by can cannot could did do does doing done
down during each either else even ever every few for from further get gets getting got had has
have having he her here hers herself him himself his how however i id if im in into is it its
itself ive just let lets like ll me might more most much must my myself need needs no nor not
now of off ok okay on once one only or other our ours ourselves out over own please re really
same she should since so some something still such than thank thanks that thats the their
theirs them themselves then there these they theyre this those though through to too under
until up us use used using very via want wanted was we well were weve what when where which
while who whom why will with within without would yes yet you your youre yours yourself
hi hello hey dear team support help thing things know see seems seem way ask asked asking
regards best cheers sincerely kind today yesterday tomorrow week weeks day days month months
year years time times hour hours minute minutes morning afternoon evening soon already again
able unable sure think thought tried try trying new just look looking looks around back make
made go going went come came take took give gave let tell told say said let also another
still first last next many lot lots little bit etc eg ie per hope hoping appreciate
appreciated great good fine nice happy glad sorry issue problem question questions
account customer customers user users app application product company email emails message
messages reply replied contact contacted hear heard update updated updates
]]

-- A light, deterministic suffix stripper (plural, -ing, -ed, final e). Not Porter: only needs to
-- map the spellings people write onto one key, and the lexicon is compiled with it too.
local function stem_word(w)
  local n = #w
  if n <= 3 then return w end
  if find(w, "^%d+$") then return w end
  if sub(w, -3) == "ies" and n > 4 then w = sub(w, 1, -4) .. "y"
  elseif sub(w, -4) == "sses" then w = sub(w, 1, -3)
  elseif find(w, "[sx]es$") or find(w, "[cs]hes$") then w = sub(w, 1, -3)
  elseif sub(w, -1) == "s" and not find(w, "[suiy]s$") then w = sub(w, 1, -2)
  end
  n = #w
  local stripped = false
  if n >= 6 and sub(w, -3) == "ing" then w = sub(w, 1, -4); stripped = true
  elseif n >= 5 and sub(w, -2) == "ed" and not find(w, "eed$") then w = sub(w, 1, -3); stripped = true
  end
  n = #w
  if stripped and n >= 3 then
    local a, b = sub(w, -2, -2), sub(w, -1)
    if a == b and not find(a, "[aeioulsz]") then w = sub(w, 1, -2) end
  end
  if #w >= 5 and sub(w, -1) == "e" then w = sub(w, 1, -2) end
  return w
end
_M.stem_word = stem_word

local STOP = {}
for w in gmatch(STOP_LIST, "%S+") do STOP[w] = true; STOP[stem_word(w)] = true end
-- the other languages' stop words (helpscout.triage.lang.*), folded as text is; English's
-- detection list is not this list (which says what may name a theme)
for _, code in ipairs(langs.codes) do
  for w in gmatch(code ~= "en" and langs.load(code).stop or "", "%S+") do
    w = fold.word(w)
    STOP[w] = true; STOP[stem_word(w)] = true
  end
end
_M.STOP = STOP

-- The lower-cased stems of s's words appended to arr after n; returns the new count. Words are
-- visited with gsub and a callback rather than gmatch: Lua 5.4's gmatch allocates a ~600-byte
-- match state per call (20 MB of garbage for bench/triage_bench.lua's 35,000 texts), gsub keeps
-- it on the C stack and returns s itself when the callback changes nothing; find with an init
-- position allocates as little but costs a second C call (sub) per word. make bench:
-- group_by_topic + rank ~10% faster under Lua 5.4, all of it less collector work. The callback
-- appends to (out, nout), set for the duration of one call (stem_word never re-enters).
local function stemmer(stems)
  local out, nout
  local multi = {} -- word -> its tokens, for the words that are several (CJK, "l’adresse")
  local function push(w)
    local st = stems[w]
    if not st then st = stem_word(w); stems[w] = st end
    nout = nout + 1
    out[nout] = st
  end
  -- A run of CJK characters (3-byte UTF-8, lead E3..E9: kana and ideographs) has no spaces:
  -- its overlapping character bigrams are its tokens (a lone character is one); CJK and
  -- full-width punctuation (E3 80 xx, EF BC/BD xx) separates; the rest is words as usual.
  local function segment(w, list)
    local i, n, prev, single, from = 1, #w, nil, false, 1
    local function flush(to)
      if from <= to then
        local part = sub(w, from, to)
        if find(part, "[%w\128-\255]") then list[#list + 1] = stem_word(part) end
      end
    end
    while i <= n do
      local b, b2 = byte(w, i), byte(w, i + 1)
      local punct = (b == 227 and b2 == 128) or (b == 239 and (b2 == 188 or b2 == 189))
      if b >= 227 and b <= 233 and i + 2 <= n and not punct then
        flush(i - 1)
        local ch = sub(w, i, i + 2)
        if prev then list[#list + 1] = prev .. ch; single = false else single = true end
        prev, i, from = ch, i + 3, i + 3
      else
        if prev and single then list[#list + 1] = prev end
        prev = nil
        if punct then flush(i - 1); i = i + 3; from = i else i = i + 1 end
      end
    end
    if prev and single then list[#list + 1] = prev end
    if not prev then flush(n) end
  end
  -- The tokens of a word with bytes >= 128, decided once per distinct word: accents folded,
  -- ’ elisions split, CJK segmented. One token: a stem like any; several: kept in multi.
  local function fold_word(w)
    local f = fold.accents(fold.elisions(w))
    local list = {}
    if find(f, "[\227-\239]") then
      segment(f, list)
    else
      gsub(f, "[%w\128-\255]+", function(x) list[#list + 1] = stem_word(x) end)
    end
    if #list == 1 then stems[w] = list[1]; return end
    stems[w], multi[w] = false, list
  end
  local function add(w)
    local st = stems[w]
    if not st then
      if st == nil then
        if not find(w, "[\128-\255]") then return push(w) end
        fold_word(w)
        st = stems[w]
      end
      if not st then
        local list = multi[w]
        for k = 1, #list do nout = nout + 1; out[nout] = list[k] end
        return
      end
    end
    nout = nout + 1
    out[nout] = st
  end
  return function(s, arr, n)
    out, nout = arr, n
    gsub(s, "[%w\128-\255]+", add)
    return nout
  end
end

-- Lower-cased, apostrophes dropped (French and Italian elisions split: lang.fold), then each
-- word's stem; a word with bytes >= 128 is folded and segmented once per run (fold_word), so
-- plain English text pays nothing for the other languages.
local function tokenizer(stem_words)
  return function(s, arr, n)
    s = lower(s)
    if find(s, "'", 1, true) then s = fold.elisions(s) end
    return stem_words(s, arr, n)
  end
end

-- theme terms: at least 3 bytes, no stop word, no number, no symbol or emoji (U+2000.., 4-byte),
-- no kana grammar
local function term_checker()
  local cache = {}
  return function(t)
    local ok = cache[t]
    if ok == nil then
      local b = byte(t, 1)
      ok = #t >= 3 and not STOP[t] and not (b >= 48 and b <= 57) and b ~= 226 and b < 240
      -- a CJK bigram with hiragana in it is grammar (の払, して), not a theme
      if ok and b == 227 and (find(t, "\227\129") or find(t, "\227\130[\128-\159]")) then ok = false end
      cache[t] = ok
    end
    return ok
  end
end

-- People's names split on anything but letters and digits (apostrophes included, unlike text).
local function name_marker(stem_words)
  local cache = {}
  local function mark_name(s, set, mark)
    local list = cache[s]
    if not list then
      list = {}
      stem_words(lower(s), list, 0)
      cache[s] = list
    end
    for i = 1, #list do set[list[i]] = mark end
  end
  local function one(s, set, mark)
    if type(s) == "string" and s ~= "" then mark_name(s, set, mark) end
  end
  return function(p, set, mark)
    if type(p) ~= "table" then return end
    one(p.first or p.firstName, set, mark)
    one(p.last or p.lastName, set, mark)
    one(p.email, set, mark)
  end
end

function _M.new()
  local stems = {}
  local stem_words = stemmer(stems)
  return { stems = stems, tokens = tokenizer(stem_words), term_ok = term_checker(),
    names = name_marker(stem_words) }
end

return _M
