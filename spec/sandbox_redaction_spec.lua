-- The request log redacts secrets by field on every path (issue 7): a token request sent to a
-- wrong path, secrets in query strings, form, JSON (nested), unparseable and text bodies, Basic
-- and Bearer Authorization, cookies and secret-named headers never reach GET /_sandbox/log in
-- clear, while the non-secret fields stay readable.
local cjson = require "cjson.safe"
local sandbox = require "support.sandbox"
local rawhttp = require "support.rawhttp"

local request = rawhttp.request

local b64 = require("mime").b64 -- LuaSocket

describe("sandbox request log redaction", function()
  local sb
  local SECRET = "s3cret-client-value-42"
  local WEBHOOK = "whsec-value-0xC0FFEE"
  local RT, CODE, AT, PW = "rt-abcdef-123456", "code-zyxwvu-987", "at-qwerty-555", "hunter2-password"

  setup(function()
    sb = sandbox.start { seed = 42, client_secret = SECRET, args = { "--webhook-secret", WEBHOOK } }
  end)
  teardown(function() if sb then sb:stop() end end)

  local form = { ["Content-Type"] = "application/x-www-form-urlencoded" }
  local secrets_form = "grant_type=refresh_token&client_id=sandbox-client-id&client_secret=" .. SECRET ..
    "&refresh_token=" .. RT .. "&code=" .. CODE .. "&password=" .. PW

  local function dump()
    local _, raw = sb:request("GET", "/_sandbox/log")
    return cjson.encode(raw), raw.requests
  end

  local function assert_clean(text)
    for _, s in ipairs { SECRET, WEBHOOK, RT, CODE, AT, PW } do
      assert.is_nil(text:find(s, 1, true), "secret " .. s .. " in the log")
    end
  end

  it("redacts a token request whatever path it goes to", function()
    sb:clear_log()
    for _, path in ipairs { "/v2/oauth2/token", "/v2/oauth2/token/", "/v2/oauth/token", "/v2//oauth2/token",
      "/v2/token", "/v2/conversations" } do
      request(sb, "POST", path, { body = secrets_form, headers = form })
      request(sb, "POST", path, { body = { grant_type = "authorization_code", client_id = "sandbox-client-id",
        client_secret = SECRET, code = CODE, nested = { refresh_token = RT, list = { { access_token = AT } } } } })
      request(sb, "POST", path .. "?client_secret=" .. SECRET .. "&refresh_token=" .. RT .. "&grant_type=x")
    end
    local text, reqs = dump()
    assert_clean(text)
    assert.equal(18, #reqs)
    -- the non-secret fields stay readable
    assert.equal("refresh_token", reqs[1].json.grant_type)
    assert.equal("sandbox-client-id", reqs[1].json.client_id)
    assert.equal("[redacted]", reqs[1].json.client_secret)
    assert.equal("[redacted]", reqs[5].json.client_secret)
    assert.equal("[redacted]", reqs[5].json.nested.refresh_token)
    assert.equal("[redacted]", reqs[5].json.nested.list[1].access_token)
    assert.equal("authorization_code", reqs[5].json.grant_type)
    assert.equal("x", reqs[9].query.grant_type)
    assert.equal("[redacted]", reqs[9].query.client_secret)
  end)

  it("redacts unparseable JSON, text bodies, camelCase names and secret values anywhere", function()
    sb:clear_log()
    request(sb, "POST", "/v2/oauth2/tokens", { body = '{"client_secret":"' .. SECRET .. '","refresh_token":"' .. RT,
      headers = { ["Content-Type"] = "application/json" } })
    request(sb, "POST", "/v2/x", { body = "clientSecret=" .. SECRET .. "\nrefreshToken=" .. RT,
      headers = { ["Content-Type"] = "text/plain" } })
    request(sb, "POST", "/v2/webhooks", { body = { url = "http://127.0.0.1:1/hook", secret = WEBHOOK,
      events = { "convo.created" }, accessToken = AT } })
    request(sb, "GET", "/v2/a/" .. SECRET .. "/b?note=" .. WEBHOOK)
    local text, reqs = dump()
    assert_clean(text)
    assert.equal("http://127.0.0.1:1/hook", reqs[3].json.url)
    assert.equal("[redacted]", reqs[3].json.secret)
  end)

  it("redacts Authorization (Basic and Bearer), cookies and secret-named headers", function()
    sb:clear_log()
    request(sb, "POST", "/v2/oauth2/token/", { body = "grant_type=client_credentials", headers = {
      ["Content-Type"] = "application/x-www-form-urlencoded",
      Authorization = "Basic " .. b64("sandbox-client-id:" .. SECRET) } })
    request(sb, "GET", "/v2/mailboxes", { token = AT, headers = { Cookie = "session=" .. PW,
      ["X-Webhook-Secret"] = WEBHOOK, ["Proxy-Authorization"] = "Basic " .. b64("u:" .. PW),
      ["X-Refresh-Token"] = RT } })
    local text, reqs = dump()
    assert_clean(text)
    assert.is_nil(text:find(b64("sandbox-client-id:" .. SECRET), 1, true))
    assert.equal("Basic [redacted]", reqs[1].headers.authorization)
    assert.equal("Bearer [redacted]", reqs[2].headers.authorization)
    assert.equal("[redacted]", reqs[2].headers["x-webhook-secret"])
    assert.equal("[redacted]", reqs[2].headers["x-refresh-token"])
  end)
end)
