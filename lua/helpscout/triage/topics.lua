-- helpscout.triage.topics: topic grouping of conversations.
--   group_by_topic(convs, opts) -> groups, topic_of
-- Two stages, both deterministic:
--   1. a weighted lexicon (words and phrases, stemmed) scores subject, customer text, agent text
--      and tags; a conversation whose best topic wins clearly is "placed";
--   2. terms that the lexicon does not know and that are concentrated in the conversations it
--      could not place become "theme" terms; themes that co-occur are clustered, and a
--      conversation joins a cluster when the cluster's evidence beats the lexicon's.
-- Everything else lands in the lexicon's best guess or in "other", so each conversation is in
-- exactly one group. Text is tokenised once per conversation (cached by table identity).
local text = require "helpscout.triage.text"
local builtin = require "helpscout.triage.lexicon"

local type, pairs, ipairs, tostring, tonumber = type, pairs, ipairs, tostring, tonumber
local lower, gsub, sub, find, gmatch = string.lower, string.gsub, string.sub, string.find, string.gmatch
local byte = string.byte
local ceil, min, max = math.ceil, math.min, math.max
local sort, concat = table.sort, table.concat

local _M = {}

---------------------------------------------------------------------------------------------
-- Tokens

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

local STOP = {}
local STEM = {}
local TERM_OK = {} -- stem -> may be a theme/association term (bounded like STEM)
local stem_count = 0

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

local function stem(w)
  local s = STEM[w]
  if s then return s end
  s = stem_word(w)
  if stem_count > 100000 then STEM = {}; TERM_OK = {}; stem_count = 0 end
  STEM[w] = s
  stem_count = stem_count + 1
  return s
end
_M.stem = stem

for w in gmatch(STOP_LIST, "%S+") do STOP[w] = true; STOP[stem_word(w)] = true end

-- Lower-cased word stems of s appended to arr (from index n+1); returns the new count.
local function tokens(s, arr, n)
  s = lower(s)
  if find(s, "'", 1, true) then s = gsub(s, "'", "") end
  if find(s, "\226\128\153", 1, true) then s = gsub(s, "\226\128\153", "") end -- ’
  for w in gmatch(s, "[%w\128-\255]+") do
    n = n + 1
    arr[n] = STEM[w] or stem(w)
  end
  return n
end
_M.tokens = function(s)
  local arr = {}
  tokens(s, arr, 0)
  return arr
end

---------------------------------------------------------------------------------------------
-- Lexicon compilation: a trie of stems. node = { h = {topic_index, weight, ...}, c = children }

local function compile(topics)
  local root = {}
  local known = {} -- stems used by the lexicon (never theme terms)
  local by_tag = {}
  for ti, t in ipairs(topics) do
    by_tag[lower(t.id)] = ti
    by_tag[gsub(lower(t.id), "_", " ")] = ti
    if t.label then by_tag[lower(t.label)] = ti end
    local keys = {}
    for k in pairs(t.terms) do keys[#keys + 1] = k end
    sort(keys)
    for _, phrase in ipairs(keys) do
      local w = t.terms[phrase]
      local toks = _M.tokens(phrase)
      if #toks > 0 and w and w ~= 0 then
        local node = root[toks[1]]
        if not node then node = {}; root[toks[1]] = node end
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
        for k = 1, #toks do known[toks[k]] = true end
        if #toks == 1 then
          if w >= 2 then by_tag[toks[1]] = by_tag[toks[1]] or ti end
        end
        if w >= 3 then by_tag[concat(toks, " ")] = by_tag[concat(toks, " ")] or ti end
      end
    end
  end
  return { topics = topics, root = root, known = known, by_tag = by_tag }
end

local builtin_compiled

-- Tag names that describe priority or workflow, not a topic.
local NON_TOPIC_TAGS = {}
for w in gmatch([[vip urgent priority high-priority escalated escalation follow-up followup
  followed-up waiting needs-reply spam test important enterprise premium key-account churn-risk
  new returning reopened]], "%S+") do NON_TOPIC_TAGS[w] = true end

local function build_lexicon(opts)
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
  local user = opts.lexicon or {}
  -- accept an array of {id=, label=, terms=} or a map id -> {label=, terms=}
  local list = {}
  if user[1] then
    for _, t in ipairs(user) do list[#list + 1] = t end
  else
    local ids = {}
    for id in pairs(user) do ids[#ids + 1] = id end
    sort(ids)
    for _, id in ipairs(ids) do
      local t = user[id]
      list[#list + 1] = { id = id, label = t.label, terms = t.terms or t }
    end
  end
  for _, t in ipairs(list) do
    if type(t.id) ~= "string" then error("lexicon topic without a string id", 3) end
    local dest = index[t.id]
    if not dest then
      dest = { id = t.id, label = t.label or t.id, terms = {} }
      topics[#topics + 1] = dest
      index[t.id] = dest
    elseif t.label then
      dest.label = t.label
    end
    local terms = t.terms or {}
    for k, v in pairs(terms) do
      if type(k) == "number" then dest.terms[v] = 2 else dest.terms[k] = tonumber(v) or 0 end
    end
  end
  return compile(topics)
end

---------------------------------------------------------------------------------------------
-- Per-conversation features

local threads_of = function(conv)
  local e = conv._embedded
  local th = type(e) == "table" and e.threads
  if type(th) ~= "table" then return {} end
  return th
end

local CUSTOMER_CAP, AGENT_CAP = 2400, 600
local W_SUBJECT, W_CUSTOMER, W_AGENT, W_NOTE, W_TAG = 2.0, 1.0, 0.35, 0.2, 8.0

local NAME_CACHE, name_cache_n = {}, 0

local function name_stems(v, names, mark)
  local list = NAME_CACHE[v]
  if not list then
    list = {}
    for w in gmatch(lower(v), "[%w\128-\255]+") do list[#list + 1] = stem(w) end
    if name_cache_n > 50000 then NAME_CACHE = {}; name_cache_n = 0 end
    NAME_CACHE[v] = list
    name_cache_n = name_cache_n + 1
  end
  for i = 1, #list do names[list[i]] = mark end
end

local function person_names(p, names, mark)
  if type(p) ~= "table" then return end
  local v = p.first or p.firstName
  if type(v) == "string" and v ~= "" then name_stems(v, names, mark) end
  v = p.last or p.lastName
  if type(v) == "string" and v ~= "" then name_stems(v, names, mark) end
  v = p.email
  if type(v) == "string" and v ~= "" then name_stems(v, names, mark) end
end

local function capped(body, n)
  if #body > n then return sub(body, 1, n) end
  return body
end

-- Tokens of one conversation split by source (subject, customer, agent, note), each capped; the
-- text is cleaned like the transcript's (quoted history removed) and tokenised directly.
-- f holds the result: token arrays with their counts (f.subject_n, f.cust_n, ...; entries past
-- a count are stale), f.tags, and f.names, where names[stem] == f.mark marks people's names.
-- A caller that handles many conversations passes the same f each time with a new f.mark, so
-- the arrays are reused instead of allocated per conversation.
local function sources(conv, f)
  local subject = type(conv.subject) == "string" and conv.subject or ""
  local mark = f.mark or true
  local names = f.names or {}
  person_names(conv.primaryCustomer, names, mark)
  person_names(conv.assignee, names, mark)
  person_names(conv.createdBy, names, mark)
  local cust, agent, note = f.cust or {}, f.agent or {}, f.note or {}
  local cn, an, nn = 0, 0, 0
  local clen, alen = 0, 0
  local th = threads_of(conv)
  for i = 1, #th do
    local t = th[i]
    if type(t) == "table" and t.type ~= "lineitem" and t.state ~= "draft" then
      local by = t.createdBy
      -- agents' names appear in customers' text ("Hi Dana"); customers are the conversation's
      if type(by) == "table" and by.type == "user" and by ~= conv.assignee then person_names(by, names, mark) end
      local body = t.body
      if type(body) == "string" and body ~= "" then
        local bytype = type(by) == "table" and by.type
        local is_customer = t.type == "customer" or (bytype == "customer" and t.type ~= "note")
        if is_customer then
          if clen < CUSTOMER_CAP then
            local s = text.quick_clean(capped(body, CUSTOMER_CAP * 2))
            clen = clen + #s
            cn = tokens(s, cust, cn)
          end
        elseif t.type == "note" then
          if nn == 0 then nn = tokens(text.quick_clean(capped(body, AGENT_CAP * 2)), note, nn) end
        elseif alen < AGENT_CAP then
          local s = text.quick_clean(capped(body, AGENT_CAP * 2))
          alen = alen + #s
          an = tokens(s, agent, an)
        end
      end
    end
  end
  if cn == 0 and #th == 0 and type(conv.preview) == "string" then cn = tokens(conv.preview, cust, cn) end
  local tags = f.tags or {}
  local ntags = 0
  if type(conv.tags) == "table" then
    for _, tg in ipairs(conv.tags) do
      local name = type(tg) == "table" and (tg.tag or tg.name) or tg
      if type(name) == "string" and name ~= "" then ntags = ntags + 1; tags[ntags] = lower(name) end
    end
  end
  for k = #tags, ntags + 1, -1 do tags[k] = nil end
  local st = f.subject_tokens or {}
  f.subject_n = tokens(subject, st, 0); f.subject_tokens = st
  f.cust, f.cust_n = cust, cn
  f.agent, f.agent_n = agent, an
  f.note, f.note_n = note, nn
  f.tags, f.names, f.mark = tags, names, mark
  return f
end

_M._sources = sources

-- Tokenised features of one conversation. Not cached: holding token arrays for thousands of
-- conversations costs more in garbage-collector work than recomputing them.
local function features(conv)
  return sources(conv, {})
end
_M.features = features

-- Adds lexicon hits of a token array to score (topic index -> score) and hits (stem -> topic).
local function score_tokens(lex, toks, n, weight, score, hits)
  local root = lex.root
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

-- Lexicon scores of one conversation: score table, best, second, best topic index, hits.
-- score and hits may be given (empty tables, reused by the caller).
-- customer_only: the customer's side alone (subject, customer text, tags), without the agents'.
local function lexicon_score(lex, f, want_hits, score, hits, customer_only)
  score = score or {}
  if want_hits then hits = hits or {} else hits = nil end
  score_tokens(lex, f.subject_tokens, f.subject_n, W_SUBJECT, score, hits)
  score_tokens(lex, f.cust, f.cust_n, W_CUSTOMER, score, hits)
  if not customer_only then
    score_tokens(lex, f.agent, f.agent_n, W_AGENT, score, hits)
    score_tokens(lex, f.note, f.note_n, W_NOTE, score, hits)
  end
  local tags = f.tags
  for i = 1, #tags do
    local tg = tags[i]
    if not NON_TOPIC_TAGS[tg] then
      local norm = gsub(gsub(tg, "[%-_/]+", " "), "^%s*(.-)%s*$", "%1")
      local ti = lex.by_tag[norm]
      if not ti then
        local toks = _M.tokens(norm)
        ti = lex.by_tag[concat(toks, " ")]
      end
      if ti then
        score[ti] = (score[ti] or 0) + W_TAG
        if hits then hits["#" .. tg] = ti end
      end
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

-- The lexicon's verdict for one conversation (used by draft_reply and customer_summary):
--   topic id (nil: no lexicon word at all), score, label, confident
-- The id is the lexicon's best guess. confident is true only when group_by_topic would place
-- the conversation in that topic on the lexicon alone (score >= opts.min_score, default 3, and
-- >= opts.margin, default 1.5, times the runner-up) and the customer's own words (subject,
-- their messages, tags) favour the same topic over every other: a topic that only the agents'
-- replies mention is not what the customer wrote about. Callers label unconfident guesses
-- "other" rather than show a wrong topic.
function _M.classify(conv, opts)
  opts = opts or {}
  local lex = build_lexicon(opts)
  local f = features(conv)
  local _, best, second, bi = lexicon_score(lex, f, false)
  if not bi then return nil, 0, nil, false end
  local confident = best >= (opts.min_score or 3) and best >= second * (opts.margin or 1.5)
  if confident then
    local _, cbest, csecond, cbi = lexicon_score(lex, f, false, nil, nil, true)
    confident = cbi == bi and cbest > csecond
  end
  return lex.topics[bi].id, best, lex.topics[bi].label, confident
end

---------------------------------------------------------------------------------------------
-- Grouping

local OPTS = { lexicon = true, replace_lexicon = true, clusters = true, min_cluster_size = true, refine = true,
  min_score = true, margin = true, max_keywords = true, other_label = true }

local function check_opts(opts)
  if opts == nil then return {} end
  if type(opts) ~= "table" then error("bad argument #2 to 'group_by_topic' (table expected)", 3) end
  for k in pairs(opts) do
    if not OPTS[k] then
      local valid = {}
      for name in pairs(OPTS) do valid[#valid + 1] = name end
      sort(valid)
      error(("bad argument #2 to 'group_by_topic' (unknown option '%s'; valid: %s)")
        :format(tostring(k), concat(valid, ", ")), 3)
    end
  end
  return opts
end

local function conv_key(c)
  local id = tonumber(c.id)
  return id or 0
end

-- Shortest known surface form of a stem, for labels ("integr" -> "integration").
local function surface(st, surfaces)
  return surfaces[st] or st
end

-- Data-driven themes. A candidate term is frequent enough (df >= min_df), not generic
-- (df <= 20% of the conversations), not owned by one lexicon topic (no topic holds 60% of
-- its conversations) and concentrated in the conversations the lexicon could not place (its
-- share of unplaced conversations is at least UNPLACED_LIFT times the overall share): words
-- spread evenly over all topics (greetings, company names, "says") otherwise seed clusters of
-- their own and chain distinct themes together when overlapping clusters are merged.
-- Candidates that co-occur far more often than chance (overlap >= 0.3 and lift >= 2.5) are
-- clustered around the most frequent ones (deterministic star clustering).
-- A cluster is kept when it covers min_df conversations and those are not mostly placed in one
-- lexicon topic (then it is a facet of that topic, not a new theme).
local UNPLACED_LIFT = 1.5

-- Cluster evidence that claims a conversation the lexicon placed, relative to its lexicon score.
local CLAIM = 0.8

local function find_clusters(D, N, df, udf, opts)
  local TT, ts, placed, dbi = D.TT, D.ts, D.placed, D.bi
  local min_df = opts.min_cluster_size or max(3, ceil(N * 0.01))
  local max_df = max(min_df, 0.2 * N)
  local cand = {}
  for t, d in pairs(df) do
    if d >= min_df and d <= max_df then cand[t] = {} end
  end
  for d = 1, N do
    local k = placed[d] and dbi[d] or 0
    for i = ts[d], ts[d + 1] - 1 do
      local c = cand[TT[i]]
      if c then c[k] = (c[k] or 0) + 1 end
    end
  end
  local unplaced = 0
  for d = 1, N do if not placed[d] then unplaced = unplaced + 1 end end
  local eligible = {}
  for t, c in pairs(cand) do
    local top = 0
    for k, n in pairs(c) do if k ~= 0 and n > top then top = n end end
    if top / df[t] < 0.6 and (udf[t] or 0) * N >= UNPLACED_LIFT * unplaced * df[t] then
      eligible[#eligible + 1] = t
    end
  end
  sort(eligible, function(a, b)
    if df[a] ~= df[b] then return df[a] > df[b] end
    return a < b
  end)
  local rank = {}
  for i, t in ipairs(eligible) do rank[t] = i end
  local co = {}
  for d = 1, N do
    local list = {}
    for i = ts[d], ts[d + 1] - 1 do
      local r = rank[TT[i]]
      if r then list[#list + 1] = r end
    end
    if #list > 1 then
      sort(list)
      for i = #list, 21, -1 do list[i] = nil end
      for i = 1, #list - 1 do
        local a = list[i]
        local row = co[a]
        if not row then row = {}; co[a] = row end
        for j = i + 1, #list do
          local b = list[j]
          row[b] = (row[b] or 0) + 1
        end
      end
    end
  end
  local function linked(i, j)
    local a, b = i, j
    if a > b then a, b = b, a end
    local c = co[a] and co[a][b] or 0
    if c < 2 then return false end
    local da, db = df[eligible[a]], df[eligible[b]]
    return c / min(da, db) >= 0.3 and c / db >= 0.25 and c * N / (da * db) >= 2.5
  end
  local assigned = {}
  local raw = {}
  for i = 1, #eligible do
    if not assigned[i] then
      local members = { i }
      assigned[i] = true
      for j = i + 1, #eligible do
        if not assigned[j] and linked(i, j) then
          assigned[j] = true
          members[#members + 1] = j
        end
      end
      raw[#raw + 1] = members
    end
  end
  local clusters, term_cluster, term_weight = {}, {}, {}
  for _, members in ipairs(raw) do
    -- weight of a member: share of its conversations that also mention the seed term
    local seed = members[1]
    local weight = {}
    weight[eligible[seed]] = 1
    for k = 2, #members do
      local j = members[k]
      local c = co[seed] and co[seed][j] or 0
      weight[eligible[j]] = c / df[eligible[j]]
    end
    -- conversations the cluster covers, and where the lexicon placed them
    local covered, by_topic, cover = 0, {}, {}
    for d = 1, N do
      local sc = 0
      for i = ts[d], ts[d + 1] - 1 do
        local w = weight[TT[i]]
        if w then sc = sc + w end
      end
      if sc >= 1 then
        covered = covered + 1
        cover[d] = true
        local k = placed[d] and dbi[d] or 0
        by_topic[k] = (by_topic[k] or 0) + 1
      end
    end
    local top = 0
    for k, n in pairs(by_topic) do if k ~= 0 and n > top then top = n end end
    local single_ok = #members > 1 or (udf[eligible[seed]] or 0) >= 0.5 * df[eligible[seed]]
    if covered >= min_df and top / covered < 0.6 and single_ok then
      local terms, tw = {}, {}
      for _, i in ipairs(members) do
        terms[#terms + 1] = eligible[i]
        tw[#tw + 1] = weight[eligible[i]]
      end
      clusters[#clusters + 1] = { members = terms, weights = tw, covered = covered, cover = cover }
    end
  end
  -- clusters covering the same conversations are facets of one theme: merge them (in order, so
  -- the result does not depend on hash order)
  local merged = {}
  for _, c in ipairs(clusters) do
    local into
    for _, m in ipairs(merged) do
      local both = 0
      for d in pairs(c.cover) do if m.cover[d] then both = both + 1 end end
      if both / min(c.covered, m.covered) >= 0.25 then into = m; break end
    end
    if into then
      for i, t in ipairs(c.members) do
        into.members[#into.members + 1] = t
        into.weights[#into.weights + 1] = c.weights[i]
      end
      for d in pairs(c.cover) do
        if not into.cover[d] then into.cover[d] = true; into.covered = into.covered + 1 end
      end
    else
      merged[#merged + 1] = c
    end
  end
  clusters = merged
  for ci, c in ipairs(clusters) do
    for i, t in ipairs(c.members) do
      term_cluster[t] = ci
      term_weight[t] = 3 * c.weights[i]
    end
    c.cover = nil
  end
  return clusters, term_cluster, term_weight
end

function _M.group_by_topic(convs, opts)
  opts = check_opts(opts)
  if type(convs) ~= "table" then error("bad argument #1 to 'group_by_topic' (table expected)", 2) end
  local lex = build_lexicon(opts)
  local ntop = #lex.topics
  local min_score = opts.min_score or 3
  local margin = opts.margin or 1.5
  local N = #convs
  -- Per-conversation results, kept as flat arrays (few large tables instead of several small
  -- ones per conversation): D.conv[d], D.best[d], D.bi[d] (best lexicon topic), D.placed[d];
  -- lexicon scores SC[(d-1)*ntop + ti] (false: none); theme terms TT/TW[D.ts[d] .. D.ts[d+1]-1]
  -- with their weights; all usable terms AT[D.as[d] ..]; lexicon keyword hits HK/HT[D.hs[d] ..].
  local TT, TW, AT, HK, HT, SC = {}, {}, {}, {}, {}, {}
  local D = { conv = {}, best = {}, bi = {}, placed = {}, ts = {}, as = {}, hs = {}, TT = TT }
  local tn, an, hn = 0, 0, 0
  local tseen, aseen = {}, {} -- term -> its index in TT / the doc that last added it to AT
  local tstart = 1
  local placed_n = 0
  local df, udf = {}, {}
  local surfaces = {}
  local known = lex.known
  local f = { names = {} }
  local score, hits = {}, {}
  local cur_doc = 0 -- the conversation being read
  -- candidate theme terms: subject, customer text and tags; not lexicon words, stop words,
  -- numbers or people's names
  local function add(arr, n, w)
    local names = f.names
    for i = 1, n do
      local t = arr[i]
      local ok = TERM_OK[t]
      if ok == nil then
        local b = byte(t, 1)
        ok = #t >= 3 and not STOP[t] and not (b >= 48 and b <= 57) and b ~= 226 and b < 240
        TERM_OK[t] = ok
      end
      if ok and names[t] ~= cur_doc then
        if aseen[t] ~= cur_doc then aseen[t] = cur_doc; an = an + 1; AT[an] = t end
        if not known[t] then
          local k = tseen[t]
          if k and k >= tstart then
            if TW[k] < w then TW[k] = w end
          else
            tn = tn + 1; TT[tn] = t; TW[tn] = w; tseen[t] = tn
          end
        end
      end
    end
  end
  for d = 1, N do
    cur_doc = d
    local conv = convs[d]
    if type(conv) ~= "table" then
      error(("bad argument #1 to 'group_by_topic' (conversation #%d is a %s)"):format(d, type(conv)), 2)
    end
    f.mark = d
    sources(conv, f)
    for ti = 1, ntop do score[ti] = nil end
    local _, best, second, bi = lexicon_score(lex, f, true, score, hits)
    local placed = bi and best >= min_score and best >= second * margin
    if placed then placed_n = placed_n + 1 end
    local base = (d - 1) * ntop
    for ti = 1, ntop do SC[base + ti] = score[ti] or false end
    D.hs[d] = hn + 1
    for kw, ti in pairs(hits) do hn = hn + 1; HK[hn] = kw; HT[hn] = ti; hits[kw] = nil end
    tstart = tn + 1
    D.ts[d], D.as[d] = tn + 1, an + 1
    add(f.subject_tokens, f.subject_n, 1)
    add(f.cust, f.cust_n, 1)
    local tags = f.tags
    for i = 1, #tags do
      local tg = tags[i]
      if not NON_TOPIC_TAGS[tg] then
        local toks = _M.tokens(tg)
        add(toks, #toks, 3)
      end
    end
    for i = tstart, tn do
      local t = TT[i]
      df[t] = (df[t] or 0) + 1
      if not placed then udf[t] = (udf[t] or 0) + 1 end
    end
    D.conv[d], D.best[d], D.bi[d], D.placed[d] = conv, best, bi, placed or false
  end
  D.ts[N + 1], D.as[N + 1], D.hs[N + 1] = tn + 1, an + 1, hn + 1
  local ts, as, hs = D.ts, D.as, D.hs
  local dconv, dbest, dbi, dplaced = D.conv, D.best, D.bi, D.placed

  -- Stage 2: theme terms and their clusters.
  local clusters, term_cluster, term_weight = {}, {}, {}
  if opts.clusters ~= false and N > 0 then
    clusters, term_cluster, term_weight = find_clusters(D, N, df, udf, opts)
  end

  -- Assignment.
  local topic_of = {}
  local lex_groups, cl_groups, other = {}, {}, {}
  local lex_hits, cl_hits = {}, {}
  local chosen = {}
  local csize = {}
  local cs = {}
  for d = 1, N do
    local cbest, cb = 0, nil
    if #clusters > 0 then
      for i = ts[d], ts[d + 1] - 1 do
        local t = TT[i]
        local c = term_cluster[t]
        if c then
          local v = (cs[c] or 0) + term_weight[t] * TW[i]
          cs[c] = v
        end
      end
      for c = 1, #clusters do
        local v = cs[c]
        if v and (v > cbest) then cbest = v; cb = c end
        cs[c] = nil
      end
    end
    local best = dbest[d]
    -- a cluster claims a placed conversation when its evidence exceeds CLAIM times the lexicon's
    if cb and cbest >= 1 and ((dplaced[d] and cbest > CLAIM * best) or (not dplaced[d] and cbest >= best)) then
      chosen[d] = cb
      csize[cb] = (csize[cb] or 0) + 1
    end
  end
  -- clusters that won too few conversations dissolve back into the lexicon's choice
  local min_size = opts.min_cluster_size or max(3, ceil(N * 0.01))
  local key = {}
  for d = 1, N do
    local cb = chosen[d]
    if cb and csize[cb] >= min_size then key[d] = cb + ntop
    elseif dbi[d] then key[d] = dbi[d]
    else key[d] = 0 end
  end

  -- Stage 3: self-training. Terms (lexicon words included) strongly associated with one group
  -- vote for it; a conversation moves when the votes plus half its lexicon score clearly favour
  -- another group. Two rounds; ties keep the current group.
  if opts.refine ~= false and N >= 20 then
    for _ = 1, 2 do
      local cnt, tdf = {}, {}
      for d = 1, N do
        local g = key[d]
        if g ~= 0 then
          for i = as[d], as[d + 1] - 1 do
            local t = AT[i]
            local row = cnt[t]
            if not row then row = {}; cnt[t] = row end
            row[g] = (row[g] or 0) + 1
            tdf[t] = (tdf[t] or 0) + 1
          end
        end
      end
      local assoc, aw = {}, {}
      for t, row in pairs(cnt) do
        local n = tdf[t]
        if n >= 3 then
          local bg, bn = nil, 0
          for g, c in pairs(row) do
            if c > bn or (c == bn and g < bg) then bg, bn = g, c end
          end
          local share = bn / n
          if share >= 0.6 then assoc[t] = bg; aw[t] = 2 * share end
        end
      end
      local nkey = {}
      local sc = {}
      for d = 1, N do
        for i = as[d], as[d + 1] - 1 do
          local t = AT[i]
          local g = assoc[t]
          if g then sc[g] = (sc[g] or 0) + aw[t] end
        end
        local base = (d - 1) * ntop
        for ti = 1, ntop do
          local v = SC[base + ti]
          if v then sc[ti] = (sc[ti] or 0) + 0.5 * v end
        end
        -- the best group (ties: lowest index, so hash order never matters); move only when it
        -- beats the current group clearly
        local cur = key[d]
        local bg, bv = nil, -1
        for g, v in pairs(sc) do
          if v > bv or (v == bv and g < bg) then bg, bv = g, v end
        end
        if bg and bg ~= cur and bv > (sc[cur] or 0) + 0.5 then nkey[d] = bg else nkey[d] = cur end
        for g in pairs(sc) do sc[g] = nil end
      end
      key = nkey
    end
  end

  -- clusters left too small after refinement dissolve as well
  local final = {}
  for d = 1, N do final[key[d]] = (final[key[d]] or 0) + 1 end
  for d = 1, N do
    if key[d] > ntop and final[key[d]] < min_size then key[d] = dbi[d] or 0 end
  end
  for d = 1, N do
    local conv = dconv[d]
    local k = key[d]
    if k > ntop then
      local cb = k - ntop
      local g = cl_groups[cb]
      if not g then g = {}; cl_groups[cb] = g; cl_hits[cb] = {} end
      g[#g + 1] = conv
      local h = cl_hits[cb]
      for i = ts[d], ts[d + 1] - 1 do
        local t = TT[i]
        if term_cluster[t] == cb then h[t] = (h[t] or 0) + 1 end
      end
    elseif k > 0 then
      local g = lex_groups[k]
      if not g then g = {}; lex_groups[k] = g; lex_hits[k] = {} end
      g[#g + 1] = conv
      local h = lex_hits[k]
      for i = hs[d], hs[d + 1] - 1 do
        if HT[i] == k then local kw = HK[i]; h[kw] = (h[kw] or 0) + 1 end
      end
    else
      other[#other + 1] = conv
    end
  end

  -- Labels of cluster terms from the words people wrote.
  if #clusters > 0 then
    for w, st in pairs(STEM) do
      if term_cluster[st] then
        local cur = surfaces[st]
        if not cur or #w < #cur or (#w == #cur and w < cur) then surfaces[st] = w end
      end
    end
  end

  local maxk = opts.max_keywords or 5
  local function top_keywords(h, fmt)
    local ks = {}
    for k in pairs(h) do ks[#ks + 1] = k end
    sort(ks, function(a, b)
      if h[a] ~= h[b] then return h[a] > h[b] end
      return a < b
    end)
    local out = {}
    for i = 1, min(maxk, #ks) do out[i] = fmt and fmt(ks[i]) or ks[i] end
    return out
  end
  local function sort_by_id(list)
    local keyed = {}
    for i, c in ipairs(list) do keyed[i] = { conv_key(c), c } end
    sort(keyed, function(a, b) return a[1] < b[1] end)
    for i, k in ipairs(keyed) do list[i] = k[2] end
  end

  local groups = {}
  for ti = 1, ntop do
    local g = lex_groups[ti]
    if g then
      sort_by_id(g)
      local kw = top_keywords(lex_hits[ti], function(k) return (gsub(k, "^#", "tag:")) end)
      groups[#groups + 1] = { topic = lex.topics[ti].id, label = lex.topics[ti].label or lex.topics[ti].id,
        keywords = kw, conversations = g, count = #g, source = "lexicon" }
    end
  end
  for c = 1, #clusters do
    local g = cl_groups[c]
    if g then
      sort_by_id(g)
      local kw = top_keywords(cl_hits[c], function(k) return surface(k, surfaces) end)
      local label = {}
      for i = 1, min(3, #kw) do label[i] = kw[i] end
      groups[#groups + 1] = { topic = "cluster:" .. (kw[1] or tostring(c)),
        label = "Unlisted theme: " .. concat(label, " / "), keywords = kw, conversations = g,
        count = #g, source = "cluster" }
    end
  end
  if #other > 0 then
    sort_by_id(other)
    groups[#groups + 1] = { topic = "other", label = opts.other_label or "Other", keywords = {},
      conversations = other, count = #other, source = "other" }
  end
  sort(groups, function(a, b)
    if a.count ~= b.count then return a.count > b.count end
    return a.topic < b.topic
  end)
  -- de-duplicate cluster topic ids (two clusters may share a first keyword)
  local seen = {}
  for _, g in ipairs(groups) do
    if seen[g.topic] then
      local k = 2
      while seen[g.topic .. "-" .. k] do k = k + 1 end
      g.topic = g.topic .. "-" .. k
    end
    seen[g.topic] = true
    for _, conv in ipairs(g.conversations) do
      if conv.id ~= nil then topic_of[conv.id] = g.topic end
    end
  end
  return groups, topic_of
end

_M.builtin_lexicon = builtin
return _M
