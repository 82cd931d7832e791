-- helpscout.webhook: signature check and event parsing (helpscout-api.md §14).
local webhook = require "helpscout.webhook"
local helpscout = require "helpscout"

-- A known vector computed outside this library (Python's hmac/hashlib/base64).
local SECRET = "HelpScoutWebhookSecret-2026"
local BODY = '{"id":2391938111,"number":349,"subject":"Refund for order 1042","status":"active"}'
local SIG = "nf71FIeAZdkLI91V3/TFy8YxBgs="
local EMPTY_SIG = "WRR67kWgDUqJyL+aXCseyOI/j3g=" -- the same secret over an empty body

describe("webhook.verify", function()
  it("accepts the known vector", function()
    assert.is_true(webhook.verify(BODY, SIG, SECRET))
    assert.is_true(webhook.verify("", EMPTY_SIG, SECRET))
  end)

  it("refuses a body changed by one byte, anywhere", function()
    for i = 1, #BODY, 7 do
      local c = BODY:byte(i)
      local changed = BODY:sub(1, i - 1) .. string.char((c + 1) % 256) .. BODY:sub(i + 1)
      assert.is_false(webhook.verify(changed, SIG, SECRET))
    end
    assert.is_false(webhook.verify(BODY .. "\n", SIG, SECRET))
    assert.is_false(webhook.verify(BODY:sub(1, -2), SIG, SECRET))
  end)

  it("refuses the wrong secret and a changed signature", function()
    assert.is_false(webhook.verify(BODY, SIG, SECRET .. "x"))
    assert.is_false(webhook.verify(BODY, SIG, SECRET:sub(1, -2)))
    assert.is_false(webhook.verify(BODY, "of71FIeAZdkLI91V3/TFy8YxBgs=", SECRET))
  end)

  it("answers false, never raising, for missing, empty or malformed input", function()
    local cases = {
      { BODY, nil, SECRET }, { BODY, "", SECRET }, { BODY, SIG, "" }, { BODY, SIG, nil },
      { nil, SIG, SECRET }, { BODY, 42, SECRET }, { BODY, { SIG }, SECRET },
      { BODY, "not base64!", SECRET }, { BODY, SIG:sub(1, -2), SECRET }, { BODY, SIG .. SIG, SECRET },
      { BODY, " " .. SIG, SECRET }, { BODY, "AAAA", SECRET }, { BODY, SIG, { SECRET } },
    }
    for i, c in ipairs(cases) do
      local ok, res = pcall(webhook.verify, c[1], c[2], c[3])
      assert.is_true(ok, "case " .. i .. " raised")
      assert.is_false(res, "case " .. i)
    end
  end)
end)

describe("webhook.parse", function()
  local function headers(sig, event, case)
    local h = {}
    h[case == "lower" and "x-helpscout-signature" or case == "upper" and "X-HELPSCOUT-SIGNATURE"
      or "X-HelpScout-Signature"] = sig
    h[case == "lower" and "x-helpscout-event" or "X-HelpScout-Event"] = event
    h["Content-Type"] = "application/json"
    return h
  end

  it("returns the event and the decoded body, header names in any case", function()
    for _, case in ipairs { "canonical", "lower", "upper" } do
      local ev = assert(webhook.parse(headers(SIG, "convo.created", case), BODY, SECRET))
      assert.equal("convo.created", ev.event)
      assert.equal(2391938111, ev.data.id)
      assert.equal("Refund for order 1042", ev.data.subject)
      if math.type then assert.equal("integer", math.type(ev.data.number)) end
    end
  end)

  it("accepts header values given as one-element lists (ngx.req.get_headers)", function()
    local ev = assert(webhook.parse({ ["x-helpscout-signature"] = { SIG }, ["x-helpscout-event"] = "convo.tags" },
      BODY, SECRET))
    assert.equal("convo.tags", ev.event)
  end)

  it("refuses a bad or missing signature with kind auth, without echoing secrets", function()
    for _, h in ipairs {
      headers(SIG, "convo.created"), headers(nil, "convo.created"), headers("", "convo.created"),
      { ["X-HelpScout-Signature"] = SIG, ["x-helpscout-signature"] = EMPTY_SIG, ["X-HelpScout-Event"] = "e" },
      { ["x-helpscout-signature"] = { SIG, SIG .. "x" }, ["x-helpscout-event"] = "e" },
    } do
      local ev, err = webhook.parse(h, BODY .. " ", SECRET)
      assert.is_nil(ev)
      assert.equal("auth", err.kind)
      assert.is_true(helpscout.is_error(err))
      local s = tostring(err)
      assert.not_matches(SECRET, s, 1, true)
      assert.is_nil(s:find(SIG, 1, true))
    end
  end)

  it("refuses a missing event, a non-object body and bad arguments with kind invalid", function()
    local sig = require("helpscout.core").sys.base64(require("helpscout.core").sys.hmac_sha1(SECRET, "[1,2]"))
    local cases = {
      { headers(SIG, nil), BODY, SECRET }, { headers(SIG, ""), BODY, SECRET },
      { headers(sig, "convo.created"), "[1,2]", SECRET }, { "headers", BODY, SECRET },
      { headers(SIG, "convo.created"), nil, SECRET }, { headers(SIG, "convo.created"), BODY, "" },
    }
    for i, c in ipairs(cases) do
      local ok, ev, err = pcall(webhook.parse, c[1], c[2], c[3])
      assert.is_true(ok, "case " .. i .. " raised")
      assert.is_nil(ev, "case " .. i)
      assert.equal("invalid", err.kind, "case " .. i)
    end
  end)

  it("refuses a signed body that is not JSON", function()
    local sys = require("helpscout.core").sys
    local body = '{"id": 1,'
    local ev, err = webhook.parse(headers(sys.base64(sys.hmac_sha1(SECRET, body)), "convo.created"), body, SECRET)
    assert.is_nil(ev)
    assert.equal("invalid", err.kind)
  end)
end)
