-- core.sys.sha256, which the connector hashes its codes and tokens with and checks PKCE by:
-- FIPS 180-2 vectors, RFC 7636 Appendix B (S256 of its example verifier), binary input, and the
-- argument error.
local sys = require("helpscout.core").sys

local function hex(s) return (s:gsub(".", function(c) return ("%02x"):format(c:byte()) end)) end
local function b64url(s) return (sys.base64(s):gsub("=+$", ""):gsub("[+/]", { ["+"] = "-", ["/"] = "_" })) end

describe("core.sys.sha256", function()
  it("matches the FIPS 180-2 vectors", function()
    assert.equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", hex(sys.sha256("")))
    assert.equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", hex(sys.sha256("abc")))
    assert.equal("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
      hex(sys.sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")))
    assert.equal("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
      hex(sys.sha256(string.rep("a", 1000000))))
  end)

  it("gives RFC 7636 Appendix B's S256 code challenge", function()
    assert.equal("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
      b64url(sys.sha256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")))
  end)

  it("hashes binary input (embedded zeros) and answers 32 bytes", function()
    local a, b = sys.sha256("a\0b"), sys.sha256("a\0c")
    assert.equal(32, #a)
    assert.are_not.equal(a, b)
  end)

  it("raises an argument error for a non-string", function()
    assert.has_error(function() sys.sha256({}) end)
    local ok, e = pcall(sys.sha256)
    assert.is_false(ok)
    assert.matches("bad argument #1", e)
  end)
end)
