-- helpscout.triage.topics.groups: stage "groups" of group_by_topic, the result people read.
--   groups, topic_of = groups.build(C, cl, key, opts)
-- groups: {topic, label, keywords, conversations, count, source = "lexicon"|"cluster"|"other",
-- languages = {code = count} (helpscout.triage.lang; "und" when too short to tell)},
-- largest first (ties by topic id); conversations sorted by id. Keywords are the phrases that
-- matched most often (lexicon groups; "tag:x" for tags) or the cluster terms in the words people
-- wrote (the shortest spelling seen for a stem). topic_of: conversation id -> topic id.
local pairs, ipairs, tonumber, tostring = pairs, ipairs, tonumber, tostring
local gsub, min = string.gsub, math.min
local sort, concat = table.sort, table.concat

local _M = {}

-- Members of each group key, how often each keyword occurs in them, and their languages
-- (langs[k], langs.other).
local function collect(C, cl, key)
  local members, counts, other, langs = {}, {}, {}, { other = {} }
  local ntop, TT, HK, HT, lang = C.ntop, C.TT, C.HK, C.HT, C.lang
  for d = 1, C.N do
    local k = key[d]
    local code = lang[d] or "und"
    if k == 0 then
      other[#other + 1] = C.conv[d]
      langs.other[code] = (langs.other[code] or 0) + 1
    else
      local g = members[k]
      if not g then g = {}; members[k] = g; counts[k] = {}; langs[k] = {} end
      g[#g + 1] = C.conv[d]
      langs[k][code] = (langs[k][code] or 0) + 1
      local h = counts[k]
      if k > ntop then
        for i = C.ts[d], C.ts[d + 1] - 1 do
          local t = TT[i]
          if cl.term[t] == k - ntop then h[t] = (h[t] or 0) + 1 end
        end
      else
        for i = C.hs[d], C.hs[d + 1] - 1 do
          if HT[i] == k then h[HK[i]] = (h[HK[i]] or 0) + 1 end
        end
      end
    end
  end
  return members, counts, other, langs
end

-- Shortest word of the run that stems to each cluster term ("integr" -> "integration").
local function surfaces(C, cl)
  local out = {}
  for w, st in pairs(C.vocab.stems) do
    if cl.term[st] then
      local cur = out[st]
      if not cur or #w < #cur or (#w == #cur and w < cur) then out[st] = w end
    end
  end
  return out
end

local function top_keywords(h, maxk, fmt)
  local ks = {}
  for k in pairs(h) do ks[#ks + 1] = k end
  sort(ks, function(a, b)
    if h[a] ~= h[b] then return h[a] > h[b] end
    return a < b
  end)
  local out = {}
  for i = 1, min(maxk, #ks) do out[i] = fmt(ks[i]) end
  return out
end

local function sort_by_id(list)
  local keyed = {}
  for i, c in ipairs(list) do keyed[i] = { tonumber(c.id) or 0, c } end
  sort(keyed, function(a, b) return a[1] < b[1] end)
  for i, k in ipairs(keyed) do list[i] = k[2] end
  return list
end

local function group(topic, label, keywords, convs, source, languages)
  return { topic = topic, label = label, keywords = keywords, conversations = sort_by_id(convs),
    count = #convs, source = source, languages = languages }
end

-- Largest first; cluster ids made unique (two clusters may share a first keyword).
local function finish(groups)
  sort(groups, function(a, b)
    if a.count ~= b.count then return a.count > b.count end
    return a.topic < b.topic
  end)
  local seen, topic_of = {}, {}
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

function _M.build(C, cl, key, opts)
  local members, counts, other, langs = collect(C, cl, key)
  local maxk, topics, groups = opts.max_keywords or 5, C.lex.topics, {}
  local function tagged(k) return (gsub(k, "^#", "tag:")) end
  for ti = 1, C.ntop do
    if members[ti] then
      groups[#groups + 1] = group(topics[ti].id, topics[ti].label or topics[ti].id,
        top_keywords(counts[ti], maxk, tagged), members[ti], "lexicon", langs[ti])
    end
  end
  local surface = #cl.list > 0 and surfaces(C, cl) or {}
  local function spelled(st) return surface[st] or st end
  for c = 1, #cl.list do
    local k = C.ntop + c
    if members[k] then
      local kw = top_keywords(counts[k], maxk, spelled)
      local label = {}
      for i = 1, min(3, #kw) do label[i] = kw[i] end
      groups[#groups + 1] = group("cluster:" .. (kw[1] or tostring(c)),
        "Unlisted theme: " .. concat(label, " / "), kw, members[k], "cluster", langs[k])
    end
  end
  if #other > 0 then
    groups[#groups + 1] = group("other", opts.other_label or "Other", {}, other, "other", langs.other)
  end
  return finish(groups)
end

return _M
