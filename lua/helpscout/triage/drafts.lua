-- helpscout.triage.drafts: a suggested reply to a conversation's latest customer message.
--   draft_reply(conv, opts)   text, {html, topic, question, customer, conversation_id, language}
-- Suggestions only: nothing here sends; saving one is a reply{draft = true} call.
-- The reply is in the customer's language (triage.language, or opts.language): greeting, the
-- topic's acknowledgement and next step, sign-off from helpscout.triage.lang.<code>.reply;
-- English (these TEMPLATES) where a language has no template for the topic. meta.language is
-- the language the draft is written in.
local text = require "helpscout.triage.text"
local topics = require "helpscout.triage.topics"
local transcript = require "helpscout.triage.transcript"
local common = require "helpscout.triage.common"
local lang = require "helpscout.triage.lang"
local str, first_name, threads_of = common.str, common.first_name, common.threads_of
local check_opts, check_conv = common.check_opts, common.check_conv

local type, ipairs = type, ipairs
local lower, gsub, find, format = string.lower, string.gsub, string.find, string.format
local concat = table.concat

local _M = {}

---------------------------------------------------------------------------------------------
-- Reply drafts

local TEMPLATES = {
  billing = {
    ack = "Thanks for reaching out about your billing.",
    next = "I'm reviewing the charges and invoices on your account now and will confirm the " ..
      "details (or send a corrected invoice) as soon as that check is done.",
  },
  refunds = {
    ack = "Thanks for getting in touch about a refund.",
    next = "I'm checking the payment against our refund policy; once it is approved the refund " ..
      "usually shows on your statement within 5-10 business days, and I'll confirm when it is issued.",
  },
  login = {
    ack = "Sorry you're having trouble getting into your account.",
    next = "Could you try the \"Forgot password\" link on the sign-in page and let me know the exact " ..
      "message you see if it still fails? I can also reset the sign-in for you once I've " ..
      "verified the account.",
  },
  bugs = {
    ack = "Thanks for reporting this, and sorry for the trouble it's causing.",
    next = "To reproduce it on our side, could you send the steps you took, the browser or app " ..
      "version, and a screenshot of any error? I'll pass it to our engineers with those details.",
  },
  shipping = {
    ack = "Thanks for checking in about your order.",
    next = "I'm looking up the shipment with the carrier now and will send you the tracking " ..
      "details and the expected delivery date.",
  },
  feature_requests = {
    ack = "Thanks for the suggestion - this kind of feedback really helps us.",
    next = "I've shared it with our product team and added your vote to the request; I'll let " ..
      "you know if it makes it onto the roadmap.",
  },
  cancellations = {
    ack = "Thanks for letting us know, and sorry to see you go.",
    next = "I can take care of the cancellation for you. Before I do, is there anything we could " ..
      "have done better, or would pausing the account help instead?",
  },
  onboarding = {
    ack = "Thanks for reaching out - happy to help you get set up.",
    next = "I'll send you the steps for this along with a link to our getting-started guide; " ..
      "if it's easier, we can also walk through it together on a short call.",
  },
  default = {
    ack = "Thanks for getting in touch.",
    next = "I'm looking into this now and will get back to you with an update shortly.",
  },
}
_M.REPLY_TEMPLATES = TEMPLATES

-- Sentences end at . ? ! and at Japanese 。？！ (kept with their sentence).
local function sentences(s)
  local out = {}
  s = gsub(s, "%s+", " ")
  s = gsub(gsub(s, "[%.%?!]+", "%0\1"), "\227\128\130", "%0\1")
  s = gsub(s, "\239\188[\129\159]", "%0\1")
  for sent in s:gmatch("[^\1]+") do
    sent = gsub(sent, "^%s*(.-)%s*$", "%1")
    if sent ~= "" then out[#out + 1] = sent end
  end
  return out
end

local function is_question(s)
  return find(s, "%?$") or find(s, "\239\188\159$")
end

-- Openings that are no content: greetings and thanks, in the supported languages.
local GREETINGS = { "^hi%f[%W]", "^hello", "^hey", "^dear", "^thanks", "^thank you", "^hallo", "^guten",
  "^sehr geehrte", "^moin", "^bonjour", "^bonsoir", "^salut", "^madame", "^merci", "^hola", "^buen",
  "^estimad", "^gracias", "^ol\195\161", "^ola", "^oi%f[%W]", "^prezad", "^obrigad", "^bom dia", "^boa ",
  "^hoi", "^beste", "^geachte", "^goede", "^bedankt", "^ciao", "^buongiorno", "^salve", "^gentil",
  "^spett", "^grazie", "^danke", "^vielen dank", "^お世話", "^いつも", "^ありがと" }
local function is_greeting(l)
  for _, g in ipairs(GREETINGS) do
    if find(l, g) then return true end
  end
  return false
end

-- The customer's question: the first sentence(s) ending in "?" in their latest message, else its
-- first sentence that is not a greeting.
local function extract_question(body, questions_only)
  if not body or body == "" then return nil end
  local ss = sentences(body)
  local qs = {}
  for _, s in ipairs(ss) do
    if is_question(s) and #s > 8 then qs[#qs + 1] = s end
    if #qs == 2 then break end
  end
  if #qs > 0 then return text.cap(concat(qs, " "), 220) end
  if questions_only then return nil end
  for _, s in ipairs(ss) do
    if is_greeting(lower(s)) then
      -- "Bonjour, j'ai cliqué ...": what follows the greeting's comma is the content
      local rest = s:match("^[^,]+,%s*(.+)$")
      if rest and #rest >= 24 and not is_greeting(lower(rest)) then return text.cap(rest, 220) end
    elseif #s >= 12 then
      return text.cap(s, 220)
    end
  end
  return nil
end


local DRAFT_OPTS = { topic = true, agent_name = true, signature = true, templates = true, lexicon = true,
  language = true }

-- The topic: the given one, else the lexicon's when it is confident (an unconfident guess
-- would put a topic's template - a shipping answer to an ERP question - in front of the
-- customer), else nil (the neutral template).
local function choose_topic(conv, opts)
  local topic = opts.topic
  if not topic then
    local guess, _, _, confident = topics.classify(conv, opts.lexicon and { lexicon = opts.lexicon } or nil)
    if confident then topic = guess end
  end
  return topic
end

-- The wording: {ack, next} for the topic and the phrases around it, in language code when it
-- has a template for the topic (opts.templates[code] first, then the built-in), else English
-- (opts.templates, then TEMPLATES). Returns template, phrases (nil: English), language.
local function choose_wording(topic, code, opts)
  local key = topic or "default"
  local user = opts.templates
  local data = code and code ~= "en" and lang.data(code)
  local reply = data and data.reply
  if reply then
    local mine = type(user) == "table" and type(user[code]) == "table" and user[code][key]
    local tpl = mine or reply.templates[key]
    if tpl or not topic then return tpl or reply.templates.default, reply, code end
  end
  local templates = user or TEMPLATES
  return templates[key] or TEMPLATES[key] or templates.default or TEMPLATES.default, nil, "en"
end

-- The customer's latest message, and the person who wrote it (a thread's customer/createdBy).
local function latest_customer(conv, msgs)
  for i = #msgs, 1, -1 do
    if msgs[i].role == "customer" then
      for _, t in ipairs(threads_of(conv)) do
        if type(t) == "table" and t.id == msgs[i].id then return msgs[i], t.customer or t.createdBy end
      end
      return msgs[i], nil
    end
  end
  return nil, nil
end

-- What to quote back: the latest question the customer asked (their messages newest first,
-- then a subject ending in "?"); failing that, what they wrote (question = nil).
local function quote_back(conv, msgs, last_customer)
  for i = #msgs, 1, -1 do
    if msgs[i].role == "customer" then
      local q = extract_question(msgs[i].text, true)
      if q then return q, nil end
    end
  end
  local subject = str(conv.subject)
  if subject and subject:find("%?%s*$") then return text.cap(subject, 220), nil end
  return nil, extract_question(last_customer and last_customer.text or str(conv.preview))
end

local ENGLISH = { greeting = "Hi %s,", greeting_anon = "Hi there,",
  about = "Thanks for getting in touch about \"%s\".", asked = "You asked: \"%s\"",
  wrote = "You wrote: \"%s\"", sign_off = "Best regards,", team = "The Support Team" }

local function paragraphs(conv, opts, topic, tpl, phrases, first, question, wrote)
  local P = phrases or ENGLISH
  local subject = str(conv.subject)
  local paras = { first and format(P.greeting, first) or P.greeting_anon }
  if subject and subject ~= "" and topic == nil then
    paras[2] = format(P.about, text.cap(subject, 80))
  else
    paras[2] = tpl.ack
  end
  if question then
    paras[#paras + 1] = format(P.asked, question)
  elseif wrote then
    paras[#paras + 1] = format(P.wrote, wrote)
  end
  paras[#paras + 1] = tpl.next
  local agent = opts.agent_name or first_name(conv.assignee)
  paras[#paras + 1] = opts.signature or (P.sign_off .. "\n" .. (agent or P.team))
  return paras
end

function _M.draft_reply(conv, opts)
  check_conv("draft_reply", conv)
  opts = check_opts("draft_reply", 2, opts, DRAFT_OPTS)
  if opts.language ~= nil and type(opts.language) ~= "string" then
    error("bad option 'language' (string expected, e.g. \"de\")", 2)
  end
  local topic = choose_topic(conv, opts)
  local code = opts.language or lang.language(conv)
  local tpl, phrases, language = choose_wording(topic, code, opts)
  local msgs = transcript.messages(conv, { drafts = "drop", max_chars = 4000 })
  local last_customer, cust_person = latest_customer(conv, msgs)
  local question, wrote = quote_back(conv, msgs, last_customer)
  local first = first_name(conv.primaryCustomer) or first_name(cust_person)
  local paras = paragraphs(conv, opts, topic, tpl, phrases, first, question, wrote)
  local html = {}
  for i, p in ipairs(paras) do html[i] = "<p>" .. gsub(text.html_escape(p), "\n", "<br>") .. "</p>" end
  local customer = nil
  if type(conv.primaryCustomer) == "table" and conv.primaryCustomer.id then
    customer = { id = conv.primaryCustomer.id }
  elseif type(cust_person) == "table" and cust_person.id then
    customer = { id = cust_person.id }
  end
  return concat(paras, "\n\n"), { html = concat(html), topic = topic, question = question, customer = customer,
    conversation_id = conv.id, language = language }
end

return _M
