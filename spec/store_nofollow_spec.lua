-- The file store never follows a symlink planted in place of one of its files (token, .lock,
-- .budget, .budget.lock), creates every file 0600, and refuses a token directory that belongs to
-- another user.
local store = require "helpscout.store"
local H = require "store_helper"

local TOKEN = { access_token = "nofollow-access", refresh_token = "nofollow-refresh", expires_at = 1800000000 }

describe("file store: symlinks and owners", function()
  local dir, victim
  before_each(function()
    dir = H.tmpdir("nofollow")
    victim = dir .. "/victim.txt"
    H.write(victim, "precious\n")
  end)
  after_each(function() H.rmtree(dir) end)

  local function link(name) assert(os.execute(("ln -s %s %s"):format(H.shq(victim), H.shq(dir .. "/" .. name)))) end

  it("a symlinked .budget is replaced, never written through", function()
    link("tok.json.budget")
    local s = store.file(dir .. "/tok.json")
    s:spend(1, os.time())
    assert.equal("precious\n", H.read(victim))
    assert.equal("600", H.mode(dir .. "/tok.json.budget"))
  end)

  it("a symlinked lock file is refused: nil, err (store), the target untouched", function()
    link("tok.json.lock")
    local s = store.file(dir .. "/tok.json")
    local ok, err = s:lock(function() return true end)
    assert.is_nil(ok)
    assert.equal("store", err.kind)
    assert.matches("symbolic link", err.message)
    assert.equal("precious\n", H.read(victim))
  end)

  it("a symlinked .budget.lock is refused; spend still answers (0 and an error)", function()
    link("tok.json.budget.lock")
    local s = store.file(dir .. "/tok.json")
    local wait, err = s:spend(1, os.time())
    assert.equal(0, wait)
    assert.matches("symbolic link", tostring(err))
    assert.equal("precious\n", H.read(victim))
  end)

  it("a symlinked token file is not read, and save replaces the link, not the target", function()
    H.write(victim, require("cjson").encode(TOKEN))
    link("tok.json")
    local s = store.file(dir .. "/tok.json")
    local t, err = s:load()
    assert.is_nil(t)
    assert.matches("symbolic link", err.message)
    assert.is_nil((s:save(TOKEN)))
  end)

  it("creates the token, lock and budget files 0600", function()
    local s = store.file(dir .. "/sub/tok.json")
    assert.is_true(s:save(TOKEN))
    assert.is_true(s:lock(function() return true end))
    s:spend(1, os.time())
    for _, f in ipairs{ "tok.json", "tok.json.lock", "tok.json.budget", "tok.json.budget.lock" } do
      assert.equal("600", H.mode(dir .. "/sub/" .. f), f)
    end
    assert.equal("700", H.mode(dir .. "/sub"))
  end)

  it("refuses a token directory that belongs to another user", function()
    local other = dir .. "/other"
    assert(os.execute("mkdir -m 755 " .. H.shq(other)))
    if H.is_root() then
      assert(os.execute("chown nobody " .. H.shq(other)))
    else
      other = "/usr/share" -- root's, not writable by others
    end
    local s = store.file(other .. "/tok.json")
    local ok, err = s:save(TOKEN)
    assert.is_nil(ok)
    assert.equal("store", err.kind)
    assert.matches("belongs to another user", err.message)
    ok, err = s:lock(function() return true end)
    assert.is_nil(ok)
    assert.matches("belongs to another user", err.message)
  end)
end)
