-- helpscout.triage.topics.refine: stage "refine" of group_by_topic, one group key per
-- conversation. key[d]: a lexicon topic index 1..ntop, a cluster ntop + ci, or 0 (other).
--   key = refine.assign(C, cl, opts)
-- 1. claim: a cluster takes a conversation when its evidence beats the lexicon's (CLAIM times
--    the lexicon score for a placed conversation, the full score for an unplaced one); clusters
--    that won fewer than min_size conversations dissolve back into the lexicon's choice;
-- 2. self-training (opts.refine ~= false, 20 conversations or more): terms (lexicon words
--    included) strongly associated with one group vote for it; a conversation moves when the
--    votes plus half its lexicon score clearly favour another group. Two rounds; ties keep the
--    current group;
-- 3. clusters left too small after refinement dissolve as well.
local pairs = pairs
local clusters = require "helpscout.triage.topics.clusters"

local _M = {}

local CLAIM = 0.8

-- The cluster with the most evidence in conversation d (nil when none), and that evidence.
local function best_cluster(C, cl, d, cs)
  local TT, TW, term, weight = C.TT, C.TW, cl.term, cl.weight
  for i = C.ts[d], C.ts[d + 1] - 1 do
    local c = term[TT[i]]
    if c then cs[c] = (cs[c] or 0) + weight[TT[i]] * TW[i] end
  end
  local cbest, cb = 0, nil
  for c = 1, #cl.list do
    local v = cs[c]
    if v and v > cbest then cbest = v; cb = c end
    cs[c] = nil
  end
  return cb, cbest
end

local function claim(C, cl, min_size)
  local chosen, csize, cs, key = {}, {}, {}, {}
  if #cl.list > 0 then
    for d = 1, C.N do
      local cb, v = best_cluster(C, cl, d, cs)
      local lexv = C.best[d]
      if cb and v >= 1 and ((C.placed[d] and v > CLAIM * lexv) or (not C.placed[d] and v >= lexv)) then
        chosen[d] = cb
        csize[cb] = (csize[cb] or 0) + 1
      end
    end
  end
  for d = 1, C.N do
    local cb = chosen[d]
    if cb and csize[cb] >= min_size then key[d] = cb + C.ntop
    else key[d] = C.bi[d] or 0 end
  end
  return key
end

-- Terms that vote: seen in 3+ grouped conversations, 60% of them in one group (weight 2 x share).
local function associations(C, key)
  local AT, as = C.AT, C.as
  local cnt, tdf = {}, {}
  for d = 1, C.N do
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
      if bn / n >= 0.6 then assoc[t] = bg; aw[t] = 2 * bn / n end
    end
  end
  return assoc, aw
end

-- One round: every conversation's votes (sc, reused; groups 1..G) against its current group.
local function refine_round(C, key, G)
  local assoc, aw = associations(C, key)
  local AT, as, SC, ntop = C.AT, C.as, C.SC, C.ntop
  local nkey, sc = {}, {}
  for d = 1, C.N do
    for i = as[d], as[d + 1] - 1 do
      local g = assoc[AT[i]]
      if g then sc[g] = (sc[g] or 0) + aw[AT[i]] end
    end
    local base = (d - 1) * ntop
    for ti = 1, ntop do
      local v = SC[base + ti]
      if v then sc[ti] = (sc[ti] or 0) + 0.5 * v end
    end
    -- the best group (ties: the lowest index); move only when it beats the current group clearly
    local cur = key[d]
    local bg, bv = nil, -1
    for g = 1, G do
      local v = sc[g]
      if v and v > bv then bg, bv = g, v end
    end
    if bg and bg ~= cur and bv > (sc[cur] or 0) + 0.5 then nkey[d] = bg else nkey[d] = cur end
    for g = 1, G do sc[g] = nil end
  end
  return nkey
end

function _M.assign(C, cl, opts)
  local min_size = clusters.min_size(C.N, opts)
  local key = claim(C, cl, min_size)
  if opts.refine ~= false and C.N >= 20 then
    for _ = 1, 2 do key = refine_round(C, key, C.ntop + #cl.list) end
  end
  local size = {}
  for d = 1, C.N do size[key[d]] = (size[key[d]] or 0) + 1 end
  for d = 1, C.N do
    if key[d] > C.ntop and size[key[d]] < min_size then key[d] = C.bi[d] or 0 end
  end
  return key
end

return _M
