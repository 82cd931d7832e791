-- helpscout.triage.report: the triage report as plain data, the one `helpscout triage`,
-- examples/triage_active.lua and the agent tools (helpscout.tools) share. Renderers live with
-- their callers; this module only decides what the report says.
--   report(convs, opts) -> {
--     generated_at = ISO time, total = N, levels = {urgent=, high=, normal=, low=},
--     languages = {code = count},                                         -- triage.language
--     groups = { {topic, label, keywords, count, source, levels, languages, conversation_ids,
--                 top = {id, number, subject, score, level}?}, ... }      -- largest first
--     attention = { {id, number, subject, status, customer, assignee, score, level, reasons,
--                    waiting, topic, topic_label, language}, ... }         -- most urgent first
--   }
-- languages count the customers' languages ("en", "de", ..., "und" when too short to tell).
-- opts: now (epoch or ISO; default the clock), limit (attention length, default 10; 0 = none),
-- topics (options for group_by_topic), priority (options for rank: weights, vip_tags, ...).
-- Every array is tagged with helpscout.core's array metatable when the core provides one, so
-- a JSON encoder that honours it keeps `[]` for empty lists (reasons, keywords, ...).
local topics = require "helpscout.triage.topics"
local options = require "helpscout.options"
local priority = require "helpscout.triage.priority"
local text = require "helpscout.triage.text"
local lang = require "helpscout.triage.lang"

local type, pairs, ipairs, pcall, error = type, pairs, ipairs, pcall, error
local setmetatable, require = setmetatable, require

local _M = {}

_M.LEVELS = { "urgent", "high", "normal", "low" } -- most urgent first

local ARRAY_MT
do
  local ok, core = pcall(require, "helpscout.core")
  if ok and type(core) == "table" and type(core.array) == "table" then ARRAY_MT = core.array end
end

local function array(t)
  if ARRAY_MT and getmetatable(t) == nil then setmetatable(t, ARRAY_MT) end
  return t
end
_M.array = array

-- now: epoch seconds or an ISO time
local OPTS = { now = true, limit = { type = "integer", min = 0 }, topics = "table", priority = "table" }

local function check(convs, opts)
  if type(convs) ~= "table" then
    error("bad argument #1 to 'report' (table of conversations expected, got " .. type(convs) .. ")", 3)
  end
  local o = options.validate(OPTS, opts, "report", 2, 3)
  return o -- (not a tail call: the error level counts this frame)
end

local function level_counts() return { urgent = 0, high = 0, normal = 0, low = 0 } end

-- The ranked entry of a group's most urgent conversation (ties: the longer wait).
local function group_top(g, rank_of)
  local top
  for _, c in ipairs(g.conversations) do
    local r = rank_of[c]
    if not top or r.score > top.score or (r.score == top.score and (r.waiting or 0) > (top.waiting or 0)) then
      top = r
    end
  end
  if not top then return nil end
  local c = top.conversation
  return { id = c.id, number = c.number, subject = c.subject, score = top.score, level = top.level }
end

local function group_entry(g, rank_of)
  local levels, ids, langs = level_counts(), {}, {}
  for i, c in ipairs(g.conversations) do
    local lv = rank_of[c].level
    levels[lv] = levels[lv] + 1
    ids[i] = c.id
  end
  for code, n in pairs(g.languages or {}) do langs[code] = n end
  return { topic = g.topic, label = g.label, keywords = array(g.keywords), count = g.count,
    source = g.source, levels = levels, languages = langs, conversation_ids = array(ids),
    top = group_top(g, rank_of) }
end

-- (the language of the few conversations listed is read again: cheaper than keeping every
-- conversation's, make bench)
local function attention_entry(r, topic_of, label_of)
  local c = r.conversation
  local topic = c.id ~= nil and topic_of[c.id] or nil
  return { id = c.id, number = c.number, subject = c.subject or "", status = c.status,
    customer = priority.person_name(c.primaryCustomer) or "", assignee = priority.person_name(c.assignee) or "",
    score = r.score, level = r.level, reasons = array(r.reasons), waiting = r.waiting,
    topic = topic, topic_label = topic and label_of[topic] or nil,
    language = lang.language(c) }
end

function _M.report(convs, opts)
  opts = check(convs, opts)
  local popts = {}
  for k, v in pairs(opts.priority or {}) do popts[k] = v end
  popts.now = opts.now
  local ranked = priority.rank(convs, popts)
  local now = priority.resolve_now(opts.now)
  local groups, topic_of = topics.group_by_topic(convs, opts.topics)
  local rank_of, levels = {}, level_counts()
  for _, r in ipairs(ranked) do
    rank_of[r.conversation] = r
    levels[r.level] = levels[r.level] + 1
  end
  local out = { generated_at = text.format_time(now), total = #convs, levels = levels,
    languages = {}, groups = array {}, attention = array {} }
  local label_of = {}
  for i, g in ipairs(groups) do
    label_of[g.topic] = g.label
    out.groups[i] = group_entry(g, rank_of)
    for code, n in pairs(out.groups[i].languages) do out.languages[code] = (out.languages[code] or 0) + n end
  end
  local limit = opts.limit or 10
  for i = 1, limit < #ranked and limit or #ranked do
    out.attention[i] = attention_entry(ranked[i], topic_of, label_of)
  end
  return out
end

return _M
