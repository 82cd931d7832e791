-- Every error kind, produced by asking the sandbox to misbehave; the error object's fields and
-- its one-line rendering; no secret in any error.
local H = require "client_helper"
local timing = require "support.timing" -- HS_TIME_SLACK scales every time bound
local helpscout = require "helpscout"

describe("client errors", function()
  local sb, hs

  setup(function() sb = H.start{ seed = 31 } end)
  teardown(function() if sb then sb:stop() end end)
  before_each(function()
    sb:reset()
    hs = H.client(sb, { retries = 0 })
  end)
  after_each(function() hs:close() end)

  local function no_secrets(err, extra)
    local line = tostring(err)
    assert.falsy(line:find(sb.client_secret, 1, true))
    for _, v in pairs(err) do
      if type(v) == "string" then assert.falsy(v:find(sb.client_secret, 1, true)) end
    end
    if extra then
      assert.falsy(line:find(extra, 1, true))
      for _, v in pairs(err) do
        if type(v) == "string" then assert.falsy(v:find(extra, 1, true)) end
      end
    end
    assert.falsy(line:find("\n"))
  end

  it("auth: bad client credentials", function()
    local bad = H.client(sb, { client_secret = "wrong-secret" })
    local items, err = bad:list_users()
    assert.is_nil(items)
    assert.equal("auth", err.kind)
    assert.equal(401, err.status)
    assert.equal("POST", err.method)
    assert.equal(sb.url .. "/v2/oauth2/token", err.url)
    assert.is_false(err.retryable)
    no_secrets(err, "wrong-secret")
    assert.equal(getmetatable(err), helpscout.Error)
    assert.is_true(helpscout.is_error(err))
    assert.equal(0, H.count(sb, "GET", "/v2/users"))
    bad:close()
  end)

  it("auth: a rejected token with no way to renew it", function()
    local tok = assert(hs:token())
    sb:expire_tokens()
    local only = H.client(sb, { client_id = false, client_secret = false, access_token = tok.access_token })
    local items, err = only:list_users()
    assert.is_nil(items)
    assert.equal("auth", err.kind)
    assert.equal(401, err.status)
    no_secrets(err, tok.access_token)
    only:close()
  end)

  it("forbidden, not_found, validation, server map from the status", function()
    for status, kind in pairs{ [403] = "forbidden", [404] = "not_found", [409] = "validation",
                              [413] = "validation", [500] = "server", [502] = "server" } do
      sb:fault{ method = "GET", path = "/v2/users", count = 1, action = "status", status = status }
      local items, err = hs:list_users()
      assert.is_nil(items)
      assert.equal(kind, err.kind, "status " .. status)
      assert.equal(status, err.status)
      assert.is_string(err.message)
      assert.truthy(tostring(err):find("^helpscout: " .. kind .. " %(" .. status .. "%)"))
      assert.truthy(tostring(err):find("[GET /v2/users]", 1, true))
    end
  end)

  it("vnd.error bodies fill message, log_ref and errors", function()
    sb:fault{ method = "GET", path = "/v2/users", count = 1, action = "status", status = 400,
      headers = { ["Content-Type"] = "application/vnd.error+json" },
      body = '{"logRef":"abc-123#9","message":"Validation error","_embedded":{"errors":[' ..
             '{"path":"email","message":"Malformed e-mail","source":"JSON"}]}}' }
    local _, err = hs:list_users{ email = "x" }
    assert.equal("validation", err.kind)
    assert.equal("Validation error", err.message)
    assert.equal("abc-123#9", err.log_ref)
    assert.equal("email", err.errors[1].path)
    assert.equal("helpscout: validation (400) Validation error; email: Malformed e-mail " ..
                 "[GET /v2/users?email=x] log_ref=abc-123#9", tostring(err))
  end)

  it("rate_limited: a wait beyond the budget is returned with retry_after", function()
    local r = H.client(sb, { retries = 3 })
    sb:fault{ method = "GET", path = "/v2/users", count = 1, action = "status", status = 429,
      headers = { ["X-RateLimit-Retry-After"] = "900" } }
    local t0 = H.now()
    local items, err = r:list_users()
    assert.is_nil(items)
    assert.equal("rate_limited", err.kind)
    assert.equal(429, err.status)
    assert.equal(900, err.retry_after)
    assert.is_true(err.retryable)
    assert.is_true(H.now() - t0 < timing.bound(2))
    r:close()
  end)

  it("timeout: a slow answer", function()
    local slow = H.client(sb, { timeout = 0.5, retries = 0 })
    sb:fault{ method = "GET", path = "/v2/users", count = 1, action = "delay", delay = 2 }
    local t0 = H.now()
    local items, err = slow:list_users()
    assert.is_nil(items)
    assert.equal("timeout", err.kind)
    assert.is_nil(err.status)
    assert.is_true(err.retryable)
    assert.is_true(H.now() - t0 < timing.bound(1.8)) -- the 2 s answer was not awaited
    slow:close()
  end)

  it("network: nothing listens", function()
    local nowhere = helpscout.new{ client_id = "a", client_secret = "b", base_url = "http://127.0.0.1:9",
      retries = 0, connect_timeout = 1 }
    local items, err = nowhere:list_users()
    assert.is_nil(items)
    assert.equal("network", err.kind)
    assert.is_true(err.retryable)
    nowhere:close()
  end)

  it("network: the connection is dropped", function()
    -- (on a reused connection libcurl itself resends a GET once: harmless for a GET)
    sb:fault{ method = "GET", path = "/v2/users", count = 5, action = "drop" }
    local items, err = hs:list_users()
    assert.is_nil(items)
    assert.equal("network", err.kind)
    assert.is_true(err.retryable)
  end)

  it("protocol: a non-JSON body", function()
    sb:fault{ method = "GET", path = "/v2/users", count = 1, action = "garbage" }
    local items, err = hs:list_users()
    assert.is_nil(items)
    assert.equal("protocol", err.kind)
    assert.equal(200, err.status)
    assert.is_false(err.retryable)
  end)

  it("protocol: a truncated body", function()
    sb:fault{ method = "GET", path = "/v2/users", count = 1, action = "truncate" }
    local items, err = hs:list_users()
    assert.is_nil(items)
    assert.equal("protocol", err.kind)
  end)

  it("protocol: a 201 without Resource-ID", function()
    local id = H.some_conversation(hs)
    sb:fault{ method = "POST", path = "/v2/conversations/" .. id .. "/notes", count = 1,
      action = "status", status = 201, body = "" }
    local tid, err = hs:add_note(id, "x")
    assert.is_nil(tid)
    assert.equal("protocol", err.kind)
    assert.truthy(err.message:find("Resource-ID", 1, true))
  end)

  it("created ids: Resource-ID in any case, else the trailing id of Location; junk is refused", function()
    local id = H.some_conversation(hs)
    local notes = "/v2/conversations/" .. id .. "/notes"
    local loc = sb.url .. notes:gsub("notes$", "threads/")
    local cases = {
      { { ["rESOURCE-iD"] = "4242" }, 4242 },
      { { Location = loc .. "77" }, 77 },
      { { Location = loc .. "78/" }, 78 },
      { { Location = loc .. "79?x=1#f" }, 79 },
      { { ["Resource-ID"] = "12abc" }, nil },
      { { ["Resource-ID"] = "99999999999999999999999" }, nil },
      { { Location = loc }, nil },
    }
    for _, c in ipairs(cases) do
      sb:fault{ method = "POST", path = notes, count = 1, action = "status", status = 201, body = "",
        headers = c[1] }
      local tid, err = hs:add_note(id, "x")
      if c[2] then
        assert.equal(c[2], tid)
        assert.is_true(H.is_integer(tid))
      else
        assert.is_nil(tid)
        assert.equal("protocol", err.kind)
      end
    end
  end)

  it("never puts the token in an error", function()
    local tok = assert(hs:token())
    sb:fault{ method = "GET", path = "/v2/users", count = 1, action = "status", status = 500 }
    local _, err = hs:list_users()
    no_secrets(err, tok.access_token)
  end)
end)
