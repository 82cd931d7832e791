-- helpscout.triage.topics.lexicon: the weighted lexicon compiled to a trie of stems, and the
-- score it gives one conversation's features.
--   lex = lexicon.build(opts)     the built-in lexicon (compiled once), extended or replaced by
--                                 opts.lexicon / opts.replace_lexicon
--   lexicon.score(lex, f, tokens, score?, hits?, customer_only?) -> score, best, second, bi, hits
-- lex = { topics = {{id, label, terms}}, root = trie, known = {stem = true}, by_tag = {name = ti},
--         langs = {code = L} }
-- A trie node is { h = {topic_index, weight, ...}, c = {stem = child}, d = {ti = shortest phrase} }.
-- The other languages' lexicons (helpscout.triage.lang.<code>.topics, same format, topic ids of
-- the built-in lexicon) compile once to one L = { root, prefix, suffix } each: a term "stem*"
-- matches every word that begins with it, "*stem" every word that ends with it (compounds:
-- "*rechnung" in "Jahresabrechnung", "passwort*" in "Passwortänderung"). A conversation is
-- scored on root plus its language's L (every L when its language is unknown, none for English),
-- so English text never meets another language's words; the labels stay one set.
local builtin = require "helpscout.triage.lexicon"
local vocab = require "helpscout.triage.topics.vocab"
local fold = require "helpscout.triage.lang.fold"
local langs = require "helpscout.triage.lang.list"

local type, pairs, ipairs, tonumber, error = type, pairs, ipairs, tonumber, error
local lower, gsub, gmatch, sub, find = string.lower, string.gsub, string.gmatch, string.sub, string.find
local min = math.min
local sort, concat = table.sort, table.concat

local _M = {}

-- Weights of the sources of a conversation's text (subject, customer, agent, note, tag).
local W = { subject = 2.0, customer = 1.0, agent = 0.35, note = 0.2, tag = 8.0 }
_M.W = W

-- Tag names that describe priority or workflow, not a topic.
local NON_TOPIC_TAGS = {}
for w in gmatch([[vip urgent priority high-priority escalated escalation follow-up followup
  followed-up waiting needs-reply spam test important enterprise premium key-account churn-risk
  new returning reopened]], "%S+") do NON_TOPIC_TAGS[w] = true end
_M.NON_TOPIC_TAGS = NON_TOPIC_TAGS

-- Adds topic ti's weight w to a node (spellings that stem alike count once, at their highest
-- weight) and the spelling shown in keywords: the shortest that reached the node.
local function add_hit(node, ti, w, phrase)
  local h = node.h or {}
  node.h = h
  local dup = false
  for k = 1, #h, 2 do
    if h[k] == ti then dup = true; if w > h[k + 1] then h[k + 1] = w end end
  end
  if not dup then h[#h + 1] = ti; h[#h + 1] = w end
  node.d = node.d or {}
  local cur = node.d[ti]
  if not cur or #phrase < #cur or (#phrase == #cur and phrase < cur) then node.d[ti] = phrase end
end

-- Adds one phrase of topic ti with weight w to the trie (lex.root, or root when given).
local function add_phrase(lex, ti, phrase, w, toks, root)
  root = root or lex.root
  local node = root[toks[1]]
  if not node then node = {}; root[toks[1]] = node end
  for i = 2, #toks do
    node.c = node.c or {}
    local nx = node.c[toks[i]]
    if not nx then nx = {}; node.c[toks[i]] = nx end
    node = nx
  end
  add_hit(node, ti, w, phrase)
  for k = 1, #toks do lex.known[toks[k]] = true end
  local by_tag, joined = lex.by_tag, concat(toks, " ")
  if #toks == 1 and w >= 2 then by_tag[toks[1]] = by_tag[toks[1]] or ti end
  if w >= 3 then by_tag[joined] = by_tag[joined] or ti end
end

local function compile(topics)
  local lex = { topics = topics, root = {}, known = {}, by_tag = {} }
  local v = vocab.new()
  for ti, t in ipairs(topics) do
    lex.by_tag[lower(t.id)] = ti
    lex.by_tag[gsub(lower(t.id), "_", " ")] = ti
    if t.label then lex.by_tag[lower(t.label)] = ti end
    local keys = {}
    for k in pairs(t.terms) do keys[#keys + 1] = k end
    sort(keys)
    for _, phrase in ipairs(keys) do
      local w = t.terms[phrase]
      local toks = {}
      v.tokens(phrase, toks, 0)
      if #toks > 0 and w and w ~= 0 then add_phrase(lex, ti, phrase, w, toks) end
    end
  end
  return lex
end

local PREFIX_MIN, SUFFIX_MIN = 3, 4 -- shortest patterns (bytes)

-- One term of a language lexicon into L: a prefix pattern, a suffix pattern, else a word or
-- phrase for L's trie.
local UMLAUT_E = { ["\195\164"] = "ae", ["\195\182"] = "oe", ["\195\188"] = "ue",
  ["\195\132"] = "Ae", ["\195\150"] = "Oe", ["\195\156"] = "Ue" }
local function add_lang_term(lex, L, ti, phrase, w, v)
  local word = fold.word(phrase)
  local shown = gsub(phrase, "%*", "") -- keywords show "rechnung", not "*rechnung*"
  if find(word, "%*$") then -- prefix: stemmed too ("restitutie*" -> "restituti", as the word is)
    word = vocab.stem_word(sub(word, 1, -2))
    if #word < PREFIX_MIN then error(("lexicon of '%s': prefix '%s' too short"):format(L.code, phrase)) end
    L.prefix[word] = L.prefix[word] or {}
    add_hit(L.prefix[word], ti, w, shown)
    if #word > L.pmax then L.pmax = #word end
  elseif find(word, "^%*") then -- suffix: stemmed, as the word's end is
    word = vocab.stem_word(sub(word, 2))
    if #word < SUFFIX_MIN then error(("lexicon of '%s': suffix '%s' too short"):format(L.code, phrase)) end
    L.suffix[word] = L.suffix[word] or {}
    add_hit(L.suffix[word], ti, w, shown)
  else
    local toks = {}
    v.tokens(phrase, toks, 0)
    if #toks > 0 and w ~= 0 then add_phrase(lex, ti, phrase, w, toks, L.root) end
  end
end

-- One language's topics (id -> terms) into L; known stems and tag names into lex (S).
local function compile_lang(lex, code, index, v)
  local L = { code = code, root = {}, prefix = {}, suffix = {}, pmax = 0 }
  local data = langs.load(code).topics or {}
  local ids = {}
  for id in pairs(data) do ids[#ids + 1] = id end
  sort(ids)
  for _, id in ipairs(ids) do
    local ti = index[id]
    if not ti then error(("lexicon of language '%s': unknown topic '%s'"):format(code, id)) end
    local keys = {}
    for k in pairs(data[id]) do keys[#keys + 1] = k end
    sort(keys)
    for _, phrase in ipairs(keys) do
      local w = data[id][phrase]
      add_lang_term(lex, L, ti, phrase, w, v)
      -- umlauts are also written ae, oe, ue ("Rueckerstattung"): both spellings
      local alt = gsub(phrase, "\195[\164\182\188\132\150\156]", UMLAUT_E)
      if alt ~= phrase then add_lang_term(lex, L, ti, alt, w, v) end
    end
  end
  return L
end

-- The languages' tries, compiled once for every lexicon built on the built-in one (their topic
-- indices are the built-in lexicon's, which a user's lexicon extends in order): { langs,
-- lang_list, known, by_tag }.
local shared_langs
local function compile_langs()
  local S = { langs = {}, lang_list = {}, known = {}, by_tag = {} }
  local index, v = {}, vocab.new()
  for ti, t in ipairs(builtin) do index[t.id] = ti end
  for _, code in ipairs(langs.codes) do
    if code ~= "en" then
      local L = compile_lang(S, code, index, v)
      S.langs[code] = L
      S.lang_list[#S.lang_list + 1] = L
    end
  end
  return S
end

-- lex gets the languages: their stems are known, their words name topics as tags (after the
-- lexicon's own, which win).
local function attach_langs(lex)
  shared_langs = shared_langs or compile_langs()
  local S = shared_langs
  lex.langs, lex.lang_list = S.langs, S.lang_list
  for k in pairs(S.known) do lex.known[k] = true end
  for k, ti in pairs(S.by_tag) do
    if lex.by_tag[k] == nil then lex.by_tag[k] = ti end
  end
  return lex
end

-- A user lexicon as a list: an array of {id=, label=, terms=} or a map id -> {label=, terms=}.
local function user_topics(user)
  local list = {}
  if user[1] then
    for _, t in ipairs(user) do list[#list + 1] = t end
    return list
  end
  local ids = {}
  for id in pairs(user) do ids[#ids + 1] = id end
  sort(ids)
  for _, id in ipairs(ids) do
    local t = user[id]
    list[#list + 1] = { id = id, label = t.label, terms = t.terms or t }
  end
  return list
end

local builtin_compiled

function _M.build(opts)
  if not opts.lexicon and not opts.replace_lexicon then
    builtin_compiled = builtin_compiled or attach_langs(compile(builtin))
    return builtin_compiled
  end
  local topics, index = {}, {}
  if not opts.replace_lexicon then
    for _, t in ipairs(builtin) do
      local copy = { id = t.id, label = t.label, terms = {} }
      for k, v in pairs(t.terms) do copy.terms[k] = v end
      topics[#topics + 1] = copy
      index[t.id] = copy
    end
  end
  for _, t in ipairs(user_topics(opts.lexicon or {})) do
    if type(t.id) ~= "string" then error("lexicon topic without a string id", 3) end
    local dest = index[t.id]
    if not dest then
      dest = { id = t.id, label = t.label or t.id, terms = {} }
      topics[#topics + 1] = dest
      index[t.id] = dest
    elseif t.label then
      dest.label = t.label
    end
    for k, v in pairs(t.terms or {}) do
      if type(k) == "number" then dest.terms[v] = 2 else dest.terms[k] = tonumber(v) or 0 end
    end
  end
  local lex = compile(topics)
  if opts.replace_lexicon then return lex end
  return attach_langs(lex)
end

-- Adds lexicon hits of a token array to score (topic index -> score) and hits (phrase -> topic).
local function score_tokens(root, toks, n, weight, score, hits)
  for i = 1, n do
    local node = root[toks[i]]
    local j = i
    while node do
      local h = node.h
      if h then
        for k = 1, #h, 2 do
          local ti = h[k]
          score[ti] = (score[ti] or 0) + h[k + 1] * weight
          if hits then hits[node.d[ti]] = ti end
        end
      end
      j = j + 1
      local c = node.c
      node = c and j <= n and c[toks[j]]
    end
  end
end

-- The node of L's longest prefix and longest suffix pattern in stem t (both merged when they
-- differ), or false; cached per run in cache (the features' f.affix[code]).
local function affix_node(L, t, cache)
  local node = cache[t]
  if node ~= nil then return node end
  local n = #t
  local p, s = nil, nil
  for len = min(n, L.pmax), PREFIX_MIN, -1 do
    p = L.prefix[sub(t, 1, len)]
    if p then break end
  end
  for start = 1, n - SUFFIX_MIN + 1 do
    s = L.suffix[sub(t, start)]
    if s then break end
  end
  node = p or s or false
  if p and s and p ~= s then
    node = { h = {}, d = {} }
    for _, x in ipairs { p, s } do
      for k = 1, #x.h, 2 do add_hit(node, x.h[k], x.h[k + 1], x.d[x.h[k]]) end
    end
  end
  cache[t] = node
  return node
end

local function add_node(node, weight, score, hits)
  local h = node.h
  for k = 1, #h, 2 do
    local ti = h[k]
    score[ti] = (score[ti] or 0) + h[k + 1] * weight
    if hits then hits[node.d[ti]] = ti end
  end
end

-- score_tokens over one language's lexicon: its trie, and its affix patterns for a word that
-- is no term of its own (it may begin a phrase).
local function score_lang(L, toks, n, weight, score, hits, cache)
  local root = L.root
  for i = 1, n do
    local t = toks[i]
    local node = root[t]
    if not (node and node.h) then
      local a = affix_node(L, t, cache)
      if a then add_node(a, weight, score, hits) end
    end
    local j = i
    while node do
      local h = node.h
      if h then
        for k = 1, #h, 2 do
          local ti = h[k]
          score[ti] = (score[ti] or 0) + h[k + 1] * weight
          if hits then hits[node.d[ti]] = ti end
        end
      end
      j = j + 1
      local c = node.c
      node = c and j <= n and c[toks[j]]
    end
  end
end

local function score_one(L, f, score, hits, customer_only)
  f.affix = f.affix or {}
  local cache = f.affix[L.code]
  if not cache then cache = {}; f.affix[L.code] = cache end
  score_lang(L, f.subject_tokens, f.subject_n, W.subject, score, hits, cache)
  score_lang(L, f.cust, f.cust_n, W.customer, score, hits, cache)
  if not customer_only then
    score_lang(L, f.agent, f.agent_n, W.agent, score, hits, cache)
    score_lang(L, f.note, f.note_n, W.note, score, hits, cache)
  end
end

-- The conversation's language's lexicon; when the language is unknown (too few words to
-- tell), the one language lexicon that finds the most (summing them would count a word
-- several languages share, "version", once per language).
local function score_langs(lex, f, score, hits, customer_only)
  if f.lang then
    local L = lex.langs[f.lang]
    if L then score_one(L, f, score, hits, customer_only) end
    return
  end
  local best, bestL = 0, nil
  for _, L in ipairs(lex.lang_list) do
    local s, top = {}, 0
    score_one(L, f, s, nil, customer_only)
    for _, x in pairs(s) do if x > top then top = x end end
    if top > best then best, bestL = top, L end
  end
  if bestL then score_one(bestL, f, score, hits, customer_only) end
end

-- Was stem t matched by a language's prefix or suffix pattern in this run (f.affix)?
function _M.affix_known(f, t)
  local a = f.affix
  if not a then return false end
  for _, cache in pairs(a) do
    if cache[t] then return true end
  end
  return false
end

-- The topic a tag names ("billing", "Feature-Request"), or nil.
local function tag_topic(lex, tg, tokens)
  if NON_TOPIC_TAGS[tg] then return nil end
  local norm = gsub(gsub(tg, "[%-_/]+", " "), "^%s*(.-)%s*$", "%1")
  local ti = lex.by_tag[norm]
  if ti then return ti end
  local toks = {}
  tokens(norm, toks, 0)
  return lex.by_tag[concat(toks, " ")]
end

-- Lexicon scores of one conversation's features f: score table, best, second, best topic
-- index, hits. score and hits may be given (empty tables, reused by the caller); hits is filled
-- only when given. customer_only: the customer's side alone (subject, customer text, tags).
function _M.score(lex, f, tokens, score, hits, customer_only)
  score = score or {}
  local root = lex.root
  score_tokens(root, f.subject_tokens, f.subject_n, W.subject, score, hits)
  score_tokens(root, f.cust, f.cust_n, W.customer, score, hits)
  if not customer_only then
    score_tokens(root, f.agent, f.agent_n, W.agent, score, hits)
    score_tokens(root, f.note, f.note_n, W.note, score, hits)
  end
  if lex.langs and f.lang ~= "en" then score_langs(lex, f, score, hits, customer_only) end
  local tags = f.tags
  for i = 1, #tags do
    local ti = tag_topic(lex, tags[i], tokens)
    if ti then
      score[ti] = (score[ti] or 0) + W.tag
      if hits then hits["#" .. tags[i]] = ti end
    end
  end
  local best, second, bi = 0, 0, nil
  for ti = 1, #lex.topics do
    local s = score[ti]
    if s then
      if s > best then second = best; best = s; bi = ti
      elseif s > second then second = s end
    end
  end
  return score, best, second, bi, hits
end

_M.builtin = builtin
return _M
