-- helpscout.triage.lang: which language a conversation is written in.
--   language(conv)       "en", "de", "fr", "es", "pt", "nl", "it", "ja" or nil (too little text)
--   detect(f)            the same from a conversation's features (topics.features), read once
--   CODES                the supported codes, in tie-break order
--   data(code)           a language's data (helpscout.triage.lang.<code>), nil when unsupported
--   NAMES                code -> the language's English name
-- Detection counts the customer's words (subject and their messages) that are stop words of
-- each language (articles, pronouns, particles, greetings: each language's `stop` list, folded
-- and stemmed like the text; Japanese by kana bigrams such as です, ます, ください). The
-- language with most hits wins when it has at least MIN_HITS and beats the runner-up by
-- MARGIN; otherwise nil. Deterministic, one table lookup per word read (see WORDS).
local list = require "helpscout.triage.lang.list"
local fold = require "helpscout.triage.lang.fold"

local gmatch = string.gmatch

local _M = { CODES = list.codes,
  -- in English, for text such as customer_summary's
  NAMES = { en = "English", de = "German", fr = "French", es = "Spanish", pt = "Portuguese", nl = "Dutch",
    it = "Italian", ja = "Japanese" } }

local MIN_HITS, MARGIN = 2, 1.25
-- words read: the subject and at most the customer's first WORDS, in steps of STEP, stopping
-- once a language leads clearly (SURE hits and twice the runner-up): English text is decided
-- in its first sentence (make bench: reading every word made group_by_topic 6% slower; 20
-- words were too few for Japanese, whose words are character bigrams)
local WORDS, STEP, SURE = 60, 8, 4

local HITS -- stem -> array of language indices (built on first use)
local function hits_table()
  local vocab = require "helpscout.triage.topics.vocab"
  local t, v = {}, vocab.new()
  for li, code in ipairs(list.codes) do
    for w in gmatch(list.load(code).stop or "", "%S+") do
      local toks = {}
      v.tokens(fold.word(w), toks, 0)
      if #toks == 1 then
        local l = t[toks[1]]
        if not l then l = {}; t[toks[1]] = l end
        if l[#l] ~= li then l[#l + 1] = li end
      end
    end
  end
  return t
end

local counts = {}

local function count(arr, from, to)
  local H = HITS
  for i = from, to do
    local l = H[arr[i]]
    if l then
      local share = 1 / #l
      for k = 1, #l do local li = l[k]; counts[li] = counts[li] + share end
    end
  end
end

-- The leading language index, its hits and the runner-up's.
local function leader(nl)
  local best, second, bi = 0, 0, nil
  for li = 1, nl do
    local c = counts[li]
    if c > best then second = best; best = c; bi = li
    elseif c > second then second = c end
  end
  return bi, best, second
end

function _M.detect(f)
  HITS = HITS or hits_table()
  local nl = #list.codes
  for li = 1, nl do counts[li] = 0 end
  count(f.subject_tokens, 1, f.subject_n)
  local n = f.cust_n < WORDS and f.cust_n or WORDS
  for from = 1, n, STEP do
    count(f.cust, from, from + STEP - 1 < n and from + STEP - 1 or n)
    local _, best, second = leader(nl)
    if best >= SURE and best >= 2 * second then break end
  end
  local bi, best, second = leader(nl)
  if best < MIN_HITS or best < second * MARGIN then return nil end
  return list.codes[bi]
end

function _M.data(code)
  for _, c in ipairs(list.codes) do
    if c == code then return list.load(code) end
  end
  return nil
end

function _M.language(conv)
  if type(conv) ~= "table" then
    error(("bad argument #1 to 'language' (conversation table expected, got %s)"):format(type(conv)), 2)
  end
  local features = require "helpscout.triage.topics.features"
  local vocab = require "helpscout.triage.topics.vocab"
  return features.read(conv, {}, vocab.new()).lang
end

return _M
