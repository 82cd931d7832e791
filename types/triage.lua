---@meta
-- LuaLS type definitions for helpscout.triage (README, *helpscout.triage*). Written by hand;
-- spec/types_spec.lua fails when the module's functions and these declarations differ.

---@class helpscout.Priority
---@field score integer  0..100
---@field level "urgent"|"high"|"normal"|"low"
---@field reasons string[]

---@class helpscout.TopicGroup
---@field topic string
---@field label string
---@field keywords string[]
---@field conversations table[]

---@class helpscout.triage
---@field FIELDS string[]           the conversation members the functions below read (for `fields`)
---@field CUSTOMER_FIELDS string[]  the customer members customer_summary reads
---@field LEVELS string[]           "urgent", "high", "normal", "low"
---@field DEFAULT_WEIGHTS table     the priority rule's weights
---@field DEFAULT_LEVELS table      the score thresholds of the levels
---@field REPLY_TEMPLATES table     draft_reply's templates per topic
---@field ROLE_LABEL table          "customer", "agent", ... -> the transcript's label
---@field lexicon table             the built-in topic lexicon
---@field LANGUAGES string[]        the languages triage reads: "en", "de", "fr", "es", "pt", "nl", "it", "ja"
---@field text table                helpscout.triage.text (cleaning, widths, times)
---@field _VERSION string
local triage = {}

-- Clean plain text of conv._embedded.threads, oldest first, each message attributed.
---@param conv table
---@param opts table?
---@return string
function triage.transcript(conv, opts) end
-- The conversation's messages as data (role, author, time, text), oldest first.
---@param conv table
---@param opts table?
---@return table[]
function triage.messages(conv, opts) end
-- Every conversation in exactly one group: the built-in lexicon, tags, keyword clusters.
---@param convs table[]
---@param opts {lexicon: table?}?
---@return helpscout.TopicGroup[]
function triage.group_by_topic(convs, opts) end
-- One conversation's topic by the lexicon: its id (nil when no topic word is found), score,
-- label, and whether the lexicon is confident.
---@param conv table
---@param opts table?
---@return string? topic, number score, string? label, boolean confident, string? language
function triage.classify(conv, opts) end
-- The language of a conversation (subject and customer messages): "en", "de", "fr", "es", "pt",
-- "nl", "it", "ja", or nil when there is too little text to tell. Deterministic, no model.
---@param conv table
---@return string?
function triage.language(conv) end
---@param conv table
---@param opts {now: number?, weights: table?, levels: table?}?
---@return helpscout.Priority
function triage.priority(conv, opts) end
-- Conversations with their priority, most pressing first.
---@param convs table[]
---@param opts table?
---@return table[]
function triage.rank(convs, opts) end
-- A suggested reply text (never sent).
---@param conv table
---@param opts table?
---@return string text, {html: string, topic: string?, question: string?, customer: table?} meta
function triage.draft_reply(conv, opts) end
-- The customer (e-mail verified), their recent conversations, counts, topics and a short text.
---@param hs helpscout.Api
---@param email string
---@param opts table?
---@return table? summary, helpscout.Error? err
function triage.customer_summary(hs, email, opts) end
-- The triage report as plain data (groups, attention, levels): helpscout triage --json.
---@param convs table[]
---@param opts {now: number?, limit: integer?, topics: table?, priority: table?}?
---@return table
function triage.report(convs, opts) end
-- HTML (a thread body) to plain text.
---@param html string
---@return string
function triage.html_to_text(html) end
-- An ISO 8601 UTC time ("2024-01-02T03:04:05Z") to epoch seconds.
---@param s string
---@return number?
function triage.parse_time(s) end
---@param t number  epoch seconds
---@param sep string?
---@return string
function triage.format_time(t, sep) end
-- A person's display name (first and last name, else the e-mail).
---@param p table?
---@return string
function triage.person_name(p) end
-- A thread's role: "customer", "agent", "note", ...
---@param thread table
---@return string
function triage.role_of(thread) end
-- A score bar for terminals.
---@param score number
---@param width integer?
---@return string
function triage.bar(score, width) end

return triage
