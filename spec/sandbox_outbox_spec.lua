-- The sandbox's outbox (issue 15): GET /_sandbox/outbox lists every e-mail Help Scout would have
-- sent to a customer for the API's writes — replies, new conversations with reply threads and
-- auto-replies — and nothing for drafts, imported writes or notes. DELETE and reset clear it.
local sandbox = require "support.sandbox"
local rawhttp = require "support.rawhttp"

local request, client_token = rawhttp.request, rawhttp.client_token

local function I(n) return string.format("%d", n) end

describe("sandbox outbox", function()
  local sb, tok, conv_id, conv_email

  setup(function()
    sb = sandbox.start { seed = 42, conversations = 60 }
    tok = client_token(sb)
    local res = request(sb, "GET", "/v2/conversations?status=all", { token = tok })
    local conv = res.json._embedded.conversations[1]
    conv_id = conv.id
    conv_email = conv.primaryCustomer.email
  end)
  teardown(function() if sb then sb:stop() end end)
  before_each(function() sb:clear_outbox() end)

  local function post(path, body)
    local res = assert(request(sb, "POST", path, { token = tok, body = body }))
    assert.are.equal(201, res.status, res.body)
    return tonumber(res.headers["resource-id"])
  end

  local function reply(extra)
    local body = { customer = { email = conv_email }, text = "Thanks, fixed." }
    for k, v in pairs(extra or {}) do body[k] = v end
    return post("/v2/conversations/" .. I(conv_id) .. "/reply", body)
  end

  local function create(extra, threads)
    local body = { subject = "Hello", customer = { email = "new.person@example.org" }, mailboxId = 4821,
      type = "email", status = "active", threads = threads }
    for k, v in pairs(extra or {}) do body[k] = v end
    return post("/v2/conversations", body)
  end

  it("starts empty", function()
    assert.are.same({}, sb:outbox())
  end)

  it("records a reply to the customer with its cc and bcc", function()
    local th = reply { cc = { "boss@example.org" }, bcc = { "audit@example.org" } }
    local box = sb:outbox()
    assert.are.equal(1, #box)
    local e = box[1]
    assert.are.equal(conv_email, e.to)
    assert.are.same({ "boss@example.org" }, e.cc)
    assert.are.same({ "audit@example.org" }, e.bcc)
    assert.are.equal(conv_id, e.conversation_id)
    assert.are.equal(th, e.thread_id)
    assert.are.equal("reply", e.why)
    assert.are.equal(1, e.account)
    assert.truthy(e.at:match("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%dZ$"))
  end)

  it("records nothing for a draft reply, an imported reply or a note", function()
    reply { draft = true }
    reply { imported = true }
    post("/v2/conversations/" .. I(conv_id) .. "/notes", { text = "internal only" })
    assert.are.same({}, sb:outbox())
  end)

  it("records each non-draft reply thread of a new conversation", function()
    local id = create(nil, {
      { type = "reply", text = "second", customer = { email = "other@example.org" }, cc = { "c@example.org" } },
      { type = "reply", text = "draft one", draft = true },
      { type = "note", text = "a note" },
      { type = "reply", text = "first" },
    })
    local box = sb:outbox()
    assert.are.equal(2, #box)
    for _, e in ipairs(box) do
      assert.are.equal("new_conversation", e.why)
      assert.are.equal(id, e.conversation_id)
    end
    -- threads arrive newest first and are e-mailed oldest first
    assert.are.equal("new.person@example.org", box[1].to)
    assert.are.equal("other@example.org", box[2].to)
    assert.are.same({ "c@example.org" }, box[2].cc)
    assert.is_true(box[1].thread_id < box[2].thread_id)
    -- the thread ids are the conversation's (non-draft) reply threads
    local res = request(sb, "GET", "/v2/conversations/" .. I(id) .. "/threads", { token = tok })
    local published = {}
    for _, th in ipairs(res.json._embedded.threads) do
      if th.type == "message" and th.state == "published" then published[th.id] = true end
    end
    assert.is_true(published[box[1].thread_id])
    assert.is_true(published[box[2].thread_id])
  end)

  it("records an auto-reply to the customer of a customer thread when autoReply is set", function()
    local id = create({ autoReply = true }, { { type = "customer", text = "help me" } })
    local box = sb:outbox()
    assert.are.equal(1, #box)
    assert.are.equal("auto_reply", box[1].why)
    assert.are.equal("new.person@example.org", box[1].to)
    assert.are.equal(id, box[1].conversation_id)
  end)

  it("records nothing for a new conversation with customer threads and notes only, or without autoReply", function()
    create(nil, { { type = "customer", text = "help me" }, { type = "note", text = "seen" } })
    create({ autoReply = true }, { { type = "note", text = "a note only" } })
    assert.are.same({}, sb:outbox())
  end)

  it("records nothing for an imported conversation, whatever its threads and autoReply", function()
    create({ imported = true, autoReply = true },
      { { type = "reply", text = "old answer" }, { type = "customer", text = "old question" } })
    assert.are.same({}, sb:outbox())
  end)

  it("records nothing for a refused write", function()
    local res = request(sb, "POST", "/v2/conversations/" .. I(conv_id) .. "/reply",
      { token = tok, body = { text = "no customer" } })
    assert.are.equal(400, res.status)
    assert.are.same({}, sb:outbox())
  end)

  it("is cleared by DELETE and by reset", function()
    reply()
    assert.are.equal(1, #sb:outbox())
    sb:clear_outbox()
    assert.are.same({}, sb:outbox())
    reply()
    assert.are.equal(1, #sb:outbox())
    sb:reset()
    assert.are.same({}, sb:outbox())
    tok = client_token(sb)
  end)
end)
