-- A POST is sent again only when the server certainly did not process it. Proven with the
-- sandbox's process=true fault: the note is created, then the answer is a 503 with Retry-After
-- -> exactly one note, and the call returns the 503 with retryable = true and retry_after. A 429
-- before processing -> sent again once, exactly one note.
local H = require "client_helper"

describe("POST retries", function()
  local sb, hs, conv

  setup(function()
    sb = H.start{ seed = 52 }
    hs = H.client(sb, { retries = 3 })
    conv = H.some_conversation(hs)
  end)
  teardown(function() sb:stop() end)
  before_each(function() sb:clear_log() end)

  local function notes_with(text)
    local items = assert(hs:get_conversation(conv, { embed = "threads" }))._embedded.threads
    local n = 0
    for _, t in ipairs(items) do if t.type == "note" and t.body == text then n = n + 1 end end
    return n
  end
  local function path() return ("/v2/conversations/%d/notes"):format(conv) end

  it("503 + Retry-After after processing: one note, returned retryable with retry_after", function()
    sb:fault{ method = "POST", path = path(), count = 1, action = "status", status = 503,
      headers = { ["Retry-After"] = "1" }, process = true }
    local id, err = hs:add_note(conv, "processed, then 503")
    assert.is_nil(id)
    assert.equal("server", err.kind)
    assert.equal(503, err.status)
    assert.is_true(err.retryable)
    assert.equal(1, err.retry_after)
    assert.equal(1, H.count(sb, "POST", path()))
    assert.equal(1, notes_with("processed, then 503"))
  end)

  it("429 before processing: sent again once, one note", function()
    sb:fault{ method = "POST", path = path(), count = 1, action = "status", status = 429,
      headers = { ["X-RateLimit-Retry-After"] = "0" } }
    local id = assert(hs:add_note(conv, "after a 429"))
    assert.is_true(H.is_integer(id))
    assert.equal(2, H.count(sb, "POST", path()))
    assert.equal(1, notes_with("after a 429"))
  end)
end)
