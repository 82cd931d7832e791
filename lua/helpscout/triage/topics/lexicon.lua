-- helpscout.triage.topics.lexicon: the weighted lexicon compiled to a trie of stems, and the
-- score it gives one conversation's features.
--   lex = lexicon.build(opts)     the built-in lexicon (compiled once), extended or replaced by
--                                 opts.lexicon / opts.replace_lexicon
--   lexicon.score(lex, f, tokens, score?, hits?, customer_only?) -> score, best, second, bi, hits
-- lex = { topics = {{id, label, terms}}, root = trie, known = {stem = true}, by_tag = {name = ti} }
-- A trie node is { h = {topic_index, weight, ...}, c = {stem = child}, d = {ti = shortest phrase} }.
local builtin = require "helpscout.triage.lexicon"
local vocab = require "helpscout.triage.topics.vocab"

local type, pairs, ipairs, tonumber, error = type, pairs, ipairs, tonumber, error
local lower, gsub, gmatch = string.lower, string.gsub, string.gmatch
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

-- Adds one phrase of topic ti with weight w to the trie.
local function add_phrase(lex, ti, phrase, w, toks)
  local node = lex.root[toks[1]]
  if not node then node = {}; lex.root[toks[1]] = node end
  for i = 2, #toks do
    node.c = node.c or {}
    local nx = node.c[toks[i]]
    if not nx then nx = {}; node.c[toks[i]] = nx end
    node = nx
  end
  -- spellings that stem alike ("fail", "fails", "failed") count once, at their highest weight
  local h = node.h or {}
  node.h = h
  local dup = false
  for k = 1, #h, 2 do
    if h[k] == ti then dup = true; if w > h[k + 1] then h[k + 1] = w end end
  end
  if not dup then h[#h + 1] = ti; h[#h + 1] = w end
  -- shown in keywords: the shortest spelling that reached this node
  node.d = node.d or {}
  local cur = node.d[ti]
  if not cur or #phrase < #cur or (#phrase == #cur and phrase < cur) then node.d[ti] = phrase end
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
    builtin_compiled = builtin_compiled or compile(builtin)
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
  return compile(topics)
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
