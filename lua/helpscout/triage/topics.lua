-- helpscout.triage.topics: topic grouping of conversations.
--   group_by_topic(convs, opts) -> groups, topic_of
--   classify(conv, opts) -> topic id, score, label, confident, language
-- topic_of maps conversation ids to topic ids; each group counts its languages (triage.language).
-- group_by_topic is a pipeline of named stages, each in its own module, all deterministic:
--   features  (topics.corpus.read)   every conversation tokenised once by source (subject,
--             customer, agent, note, tags) and scored against the weighted, stemmed lexicon;
--   place     (topics.corpus.place)  a conversation whose best lexicon topic wins clearly is
--             "placed"; document frequencies of the terms the lexicon does not know;
--   clusters  (topics.clusters)      those terms, when concentrated in the unplaced
--             conversations and co-occurring, form the themes the lexicon does not name;
--   refine    (topics.refine)        clusters claim conversations where their evidence beats
--             the lexicon's, then two rounds of self-training move conversations whose words
--             clearly belong to another group;
--   groups    (topics.groups)        groups with labels and keywords, largest first.
-- Everything else lands in the lexicon's best guess or in "other", so each conversation is in
-- exactly one group.
local vocab = require "helpscout.triage.topics.vocab"
local lexicon = require "helpscout.triage.topics.lexicon"
local features = require "helpscout.triage.topics.features"
local corpus = require "helpscout.triage.topics.corpus"
local clusters = require "helpscout.triage.topics.clusters"
local refine = require "helpscout.triage.topics.refine"
local groups = require "helpscout.triage.topics.groups"
local common = require "helpscout.triage.common"

local type, error = type, error

local _M = {}

_M.builtin_lexicon = lexicon.builtin

-- Lower-cased word stems of s (a fresh vocabulary: for tests and one-off use).
function _M.tokens(s)
  local arr = {}
  vocab.new().tokens(s, arr, 0)
  return arr
end
_M.stem = vocab.stem_word

-- Tokenised features of one conversation (see topics.features).
function _M.features(conv, v)
  return features.read(conv, {}, v or vocab.new())
end

-- The lexicon's verdict for one conversation (used by draft_reply and customer_summary):
--   topic id (nil: no lexicon word at all), score, label, confident, language (triage.language)
-- The id is the lexicon's best guess. confident is true only when group_by_topic would place
-- the conversation in that topic on the lexicon alone (score >= opts.min_score, default 3, and
-- >= opts.margin, default 1.5, times the runner-up) and the customer's own words (subject,
-- their messages, tags) favour the same topic over every other: a topic that only the agents'
-- replies mention is not what the customer wrote about. Callers label unconfident guesses
-- "other" rather than show a wrong topic.
function _M.classify(conv, opts)
  opts = opts or {}
  local lex, v = lexicon.build(opts), vocab.new()
  local f = _M.features(conv, v)
  local _, best, second, bi = lexicon.score(lex, f, v.tokens)
  if not bi then return nil, 0, nil, false, f.lang end
  local confident = best >= (opts.min_score or 3) and best >= second * (opts.margin or 1.5)
  if confident then
    local _, cbest, csecond, cbi = lexicon.score(lex, f, v.tokens, nil, nil, true)
    confident = cbi == bi and cbest > csecond
  end
  return lex.topics[bi].id, best, lex.topics[bi].label, confident, f.lang
end

local OPTS = { lexicon = true, replace_lexicon = true, clusters = true, min_cluster_size = true, refine = true,
  min_score = true, margin = true, max_keywords = true, other_label = true }

function _M.group_by_topic(convs, opts)
  opts = common.check_opts("group_by_topic", 2, opts, OPTS)
  if type(convs) ~= "table" then error("bad argument #1 to 'group_by_topic' (table expected)", 2) end
  local C = corpus.read(convs, lexicon.build(opts), vocab.new())
  corpus.place(C, opts.min_score or 3, opts.margin or 1.5)
  local cl = clusters.find(C, opts)
  local key = refine.assign(C, cl, opts)
  return groups.build(C, cl, key, opts)
end

return _M
