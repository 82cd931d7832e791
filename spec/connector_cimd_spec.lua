-- Client ID Metadata Documents at the connector (HELPSCOUT_CONNECTOR_CIMD=yes): the documents are
-- served over https by a second server block of the same nginx, with a certificate from a test CA
-- made here with the openssl command; the connector trusts only that CA
-- (lua_ssl_trusted_certificate). A document from a server the CA did not sign is refused.
local support = require "connector.support"
local proc = require "support.proc"
local cjson = require "cjson.safe"
local rawhttp = require "support.rawhttp"

local shq = proc.shq

local function sh(cmd)
  local ok = os.execute(cmd .. " >/dev/null 2>&1")
  assert(ok == true or ok == 0, "failed: " .. cmd)
end

-- A CA, a certificate it signed for 127.0.0.1, and a self-signed one (not from the CA).
local function certificates(dir)
  sh(("cd %s && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=spec-ca"
    .. " && openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj /CN=127.0.0.1"
    .. " && printf 'subjectAltName=IP:127.0.0.1' > ext.cnf"
    .. " && openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem -days 2"
    .. " -extfile ext.cnf"
    .. " && openssl req -x509 -newkey rsa:2048 -nodes -keyout self.key -out self.pem -days 2 -subj /CN=127.0.0.1"
    .. " -addext subjectAltName=IP:127.0.0.1"):format(shq(dir)))
end

describe("connector Client ID Metadata Documents", function()
  local env, dir, good, untrusted
  local docs = {}

  setup(function()
    local p = io.popen("mktemp -d /tmp/hs-cimd.XXXXXX")
    dir = p:read("*l")
    p:close()
    certificates(dir)
    good, untrusted = proc.free_port(), proc.free_port()
    local base = "https://127.0.0.1:" .. good
    docs.ok = { client_id = base .. "/client.json", client_name = "Doc client",
      redirect_uris = { "http://127.0.0.1:9/cb" }, token_endpoint_auth_method = "none" }
    docs.other = { client_id = base .. "/elsewhere.json", redirect_uris = { "http://127.0.0.1:9/cb" } }
    docs.secret = { client_id = base .. "/secret.json", redirect_uris = { "http://127.0.0.1:9/cb" },
      token_endpoint_auth_method = "client_secret_basic" }
    local function loc(name, doc)
      return ("location = /%s.json { default_type application/json; return 200 '%s'; }"):format(name, cjson.encode(doc))
    end
    env = support.start{ sandbox = { seed = 5 }, trusted = dir .. "/ca.pem", locations = [[
    location = /_strict/authorize { content_by_lua_block {
      STRICT = STRICT or require("helpscout.resty.connector").new{ url = os.getenv("HELPSCOUT_CONNECTOR_URL"),
        shdict = "helpscout", client_metadata = true }
      STRICT:authorize()
    } }
]],
      env = { HELPSCOUT_CONNECTOR_CIMD = "yes", HELPSCOUT_CONNECTOR_CIMD_PRIVATE = "yes" },
      servers = table.concat({
        ("server { listen 127.0.0.1:%d ssl; ssl_certificate %s/srv.pem; ssl_certificate_key %s/srv.key;"):format(
          good, dir, dir),
        loc("client", docs.ok), loc("wrong", docs.other), loc("secret", docs.secret),
        "location = /moved.json { return 302 /client.json; } }",
        ("server { listen 127.0.0.1:%d ssl; ssl_certificate %s/self.pem; ssl_certificate_key %s/self.key;"):format(
          untrusted, dir, dir),
        loc("client", { client_id = ("https://127.0.0.1:%d/client.json"):format(untrusted),
          redirect_uris = { "http://127.0.0.1:9/cb" } }), "}" }, "\n") }
  end)
  teardown(function()
    if env then env:stop() end
    if dir then os.execute("rm -rf " .. shq(dir)) end
  end)

  local function authorize_as(client_id)
    return env:authorize({ client_id = client_id, redirect_uris = { "http://127.0.0.1:9/cb" } })
  end

  it("says so in the authorization server metadata", function()
    local m = env:request("GET", "/.well-known/oauth-authorization-server").json
    assert.is_true(m.client_id_metadata_document_supported)
  end)

  it("runs the whole flow for an https client_id whose document it fetched with the certificate verified", function()
    local code, verifier, client = authorize_as(docs.ok.client_id)
    assert.matches("^hsc_code_", code)
    local res = env:exchange(code, verifier, client)
    assert.equal(200, res.status, res.body)
    local init = env:rpc(res.json.access_token, { jsonrpc = "2.0", id = 1, method = "initialize", params = {
      protocolVersion = "2025-11-25", capabilities = {}, clientInfo = { name = "doc", version = "1" } } })
    assert.equal(200, init.status)
  end)

  local function refused(client_id, why, path)
    local _, challenge = support.pkce()
    local res = env:request("GET", (path or "/authorize") .. "?" .. rawhttp.form{ response_type = "code",
      client_id = client_id, redirect_uri = "http://127.0.0.1:9/cb", code_challenge = challenge,
      code_challenge_method = "S256" })
    assert.equal(400, res.status)
    assert.is_nil(res.headers.location)
    assert.matches(why, res.body, 1, true)
  end

  it("refuses a document whose client_id is not its own URL", function()
    refused(("https://127.0.0.1:%d/wrong.json"):format(good), "client_id is not its own URL")
  end)

  it("refuses a document asking for client authentication", function()
    refused(docs.secret.client_id, "only public clients")
  end)

  it("does not follow redirects", function()
    refused(("https://127.0.0.1:%d/moved.json"):format(good), "HTTP 302")
  end)

  it("refuses a document from a server whose certificate it cannot verify", function()
    refused(("https://127.0.0.1:%d/client.json"):format(untrusted), "verified TLS")
  end)

  it("never fetches from a loopback or private address unless told to (SSRF)", function()
    refused(docs.ok.client_id, "loopback or private address", "/_strict/authorize")
  end)

  it("refuses client_ids that are not https URLs with a path", function()
    refused(("https://127.0.0.1:%d/"):format(good), "with a path")
    refused("https://user@127.0.0.1/x.json", "credentials")
  end)
end)
