-- helpscout.triage.topics.clusters: stage "clusters" of group_by_topic, data-driven themes.
--   clusters.find(C, opts) -> { list = {{members, weights, covered}}, term = {stem = ci},
--                               weight = {stem = evidence per occurrence} }
-- A candidate term is frequent enough (df >= min_df), not generic (df <= 20% of the
-- conversations), not owned by one lexicon topic (no topic holds 60% of its conversations) and
-- concentrated in the conversations the lexicon could not place (its share of unplaced
-- conversations is at least UNPLACED_LIFT times the overall share): words spread evenly over
-- all topics (greetings, company names, "says") otherwise seed clusters of their own and chain
-- distinct themes together when overlapping clusters are merged.
-- Candidates that co-occur far more often than chance (overlap >= 0.3 and lift >= 2.5) are
-- clustered around the most frequent ones (deterministic star clustering). A cluster is kept
-- when it covers min_df conversations and those are not mostly placed in one lexicon topic
-- (then it is a facet of that topic, not a new theme); clusters covering the same
-- conversations are merged.
local pairs, ipairs = pairs, ipairs
local ceil, min, max = math.ceil, math.min, math.max
local sort = table.sort

local _M = {}

local UNPLACED_LIFT = 1.5
local MAX_TERMS_PER_CONV = 20 -- co-occurrence counts the 20 most frequent candidates of a conversation

function _M.min_size(N, opts)
  return opts.min_cluster_size or max(3, ceil(N * 0.01))
end

-- Candidate terms, most frequent first (ties by name, so hash order never matters).
local function eligible_terms(C, min_df)
  local df, udf, TT, ts, placed, bi = C.df, C.udf, C.TT, C.ts, C.placed, C.bi
  local max_df = max(min_df, 0.2 * C.N)
  local by_topic = {} -- term -> lexicon topic index (0: unplaced) -> conversations
  for t, d in pairs(df) do
    if d >= min_df and d <= max_df then by_topic[t] = {} end
  end
  for d = 1, C.N do
    local k = placed[d] and bi[d] or 0
    for i = ts[d], ts[d + 1] - 1 do
      local c = by_topic[TT[i]]
      if c then c[k] = (c[k] or 0) + 1 end
    end
  end
  local eligible = {}
  for t, c in pairs(by_topic) do
    local top = 0
    for k, n in pairs(c) do if k ~= 0 and n > top then top = n end end
    if top / df[t] < 0.6 and (udf[t] or 0) * C.N >= UNPLACED_LIFT * C.unplaced * df[t] then
      eligible[#eligible + 1] = t
    end
  end
  sort(eligible, function(a, b)
    if df[a] ~= df[b] then return df[a] > df[b] end
    return a < b
  end)
  return eligible
end

-- co[a][b] (a < b, ranks in eligible): conversations that mention both.
local function cooccurrence(C, eligible)
  local rank, co, list = {}, {}, {}
  for i, t in ipairs(eligible) do rank[t] = i end
  local TT, ts = C.TT, C.ts
  for d = 1, C.N do
    local n = 0
    for i = ts[d], ts[d + 1] - 1 do
      local r = rank[TT[i]]
      if r then n = n + 1; list[n] = r end
    end
    if n > 1 then
      for i = #list, n + 1, -1 do list[i] = nil end
      sort(list)
      n = min(n, MAX_TERMS_PER_CONV)
      for i = 1, n - 1 do
        local a = list[i]
        local row = co[a]
        if not row then row = {}; co[a] = row end
        for j = i + 1, n do row[list[j]] = (row[list[j]] or 0) + 1 end
      end
    end
  end
  return co
end

-- Star clustering: each term not yet taken seeds a cluster of the later terms linked to it.
local function stars(C, eligible, co)
  local df, N = C.df, C.N
  local function linked(a, b) -- a < b
    local c = co[a] and co[a][b] or 0
    if c < 2 then return false end
    local da, db = df[eligible[a]], df[eligible[b]]
    return c / min(da, db) >= 0.3 and c / db >= 0.25 and c * N / (da * db) >= 2.5
  end
  local assigned, raw = {}, {}
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
  return raw
end

-- A star as a cluster when it is a theme of its own, else nil. A member's weight is the share
-- of its conversations that also mention the seed term.
local function keep(C, eligible, co, members, min_df)
  local seed, weight = members[1], {}
  weight[eligible[seed]] = 1
  for k = 2, #members do
    local j = members[k]
    weight[eligible[j]] = (co[seed] and co[seed][j] or 0) / C.df[eligible[j]]
  end
  -- conversations the cluster covers, and where the lexicon placed them
  local covered, by_topic, cover = 0, {}, {}
  local TT, ts, placed, bi = C.TT, C.ts, C.placed, C.bi
  for d = 1, C.N do
    local sc = 0
    for i = ts[d], ts[d + 1] - 1 do sc = sc + (weight[TT[i]] or 0) end
    if sc >= 1 then
      covered = covered + 1
      cover[d] = true
      local k = placed[d] and bi[d] or 0
      by_topic[k] = (by_topic[k] or 0) + 1
    end
  end
  local top = 0
  for k, n in pairs(by_topic) do if k ~= 0 and n > top then top = n end end
  local seed_t = eligible[seed]
  local single_ok = #members > 1 or (C.udf[seed_t] or 0) >= 0.5 * C.df[seed_t]
  if covered < min_df or top / covered >= 0.6 or not single_ok then return nil end
  local terms, tw = {}, {}
  for i, m in ipairs(members) do terms[i] = eligible[m]; tw[i] = weight[eligible[m]] end
  return { members = terms, weights = tw, covered = covered, cover = cover }
end

-- Clusters covering the same conversations (a quarter of the smaller) are facets of one theme:
-- merged in order, so the result does not depend on hash order.
local function merge(clusters)
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
  return merged
end

function _M.find(C, opts)
  local out = { list = {}, term = {}, weight = {} }
  if opts.clusters == false or C.N == 0 then return out end
  local min_df = _M.min_size(C.N, opts)
  local eligible = eligible_terms(C, min_df)
  local co = cooccurrence(C, eligible)
  local kept = {}
  for _, members in ipairs(stars(C, eligible, co)) do
    kept[#kept + 1] = keep(C, eligible, co, members, min_df)
  end
  out.list = merge(kept)
  for ci, c in ipairs(out.list) do
    for i, t in ipairs(c.members) do
      out.term[t] = ci
      out.weight[t] = 3 * c.weights[i]
    end
    c.cover = nil
  end
  return out
end

return _M
