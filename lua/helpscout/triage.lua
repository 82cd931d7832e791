-- helpscout.triage: pure functions over Help Scout API data (conversations as returned by
-- list_conversations/get_conversation with embed=threads), plus customer_summary which takes a
-- client. Deterministic: every sort has a stable tie-break; "now" is an input, never read from a
-- clock unless the caller leaves it out. This file only gathers the parts:
--   transcript(conv, opts)        clean plain-text conversation, oldest first     (triage.transcript)
--   messages(conv, opts)          the same as an array of {role, author, text, time, ...}
--   group_by_topic(convs, opts)   groups {topic, label, keywords, conversations, count, source}
--                                                                                (triage.topics)
--   language(conv)              "en", "de", "fr", "es", "pt", "nl", "it", "ja" or nil      (triage.lang)
--   priority(conv, opts)          {score 0..100, level, reasons, waiting}        (triage.priority)
--   rank(convs, opts)             array of {conversation, score, level, reasons, ...}, most urgent first
--   draft_reply(conv, opts)       text, {html, topic, question, customer}        (triage.drafts)
--   customer_summary(hs, email, opts)   summary table, or nil, err              (triage.summary)
--   report(convs, opts)           the triage report the CLI, examples and agents share (triage.report)
--   FIELDS, CUSTOMER_FIELDS       the members all of these read: the client's `fields` option
--                                 for conversations (threads embedded) and customers (triage.fields)
local text = require "helpscout.triage.text"
local common = require "helpscout.triage.common"
local topics = require "helpscout.triage.topics"
local transcript = require "helpscout.triage.transcript"
local priority = require "helpscout.triage.priority"
local drafts = require "helpscout.triage.drafts"
local summary = require "helpscout.triage.summary"
local report = require "helpscout.triage.report"
local fields = require "helpscout.triage.fields"
local lang = require "helpscout.triage.lang"

local floor, rep = math.floor, string.rep

local _M = { _VERSION = "0.1.0" }

_M.text = text
_M.parse_time = text.parse_time
_M.format_time = text.format_time
_M.html_to_text = text.html_to_text
_M.group_by_topic = topics.group_by_topic
_M.classify = topics.classify
_M.lexicon = topics.builtin_lexicon
_M.language = lang.language
_M.LANGUAGES = lang.CODES
_M.person_name = common.person_name
_M.role_of = common.role_of
_M.messages = transcript.messages
_M.transcript = transcript.transcript
_M.ROLE_LABEL = transcript.ROLE_LABEL
_M.priority = priority.priority
_M.rank = priority.rank
_M.DEFAULT_WEIGHTS = priority.DEFAULT_WEIGHTS
_M.DEFAULT_LEVELS = priority.DEFAULT_LEVELS
_M.draft_reply = drafts.draft_reply
_M.REPLY_TEMPLATES = drafts.REPLY_TEMPLATES
_M.customer_summary = summary.customer_summary
_M.report = report.report
_M.LEVELS = report.LEVELS
_M.FIELDS = fields.conversation
_M.CUSTOMER_FIELDS = fields.customer

-- Helper shared by the CLI and examples: a bar of width w for a 0..100 score.
function _M.bar(score, w)
  w = w or 10
  local n = floor((score or 0) / 100 * w + 0.5)
  return rep("#", n) .. rep(".", w - n)
end

return _M
