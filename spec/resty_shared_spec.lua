-- The libcurl client's behaviour specs, run unchanged against helpscout.resty inside a real
-- nginx: spec/client_{tools,errors,retry,iter,oauth,args}_spec.lua are loaded with a
-- client_helper whose client(sb, opts) is a remote resty client (support.nginx: every call runs
-- in the nginx worker over cosockets and comes back as data). One spec table, two drivers.
--
-- Left out, each for a reason that belongs to the libcurl driver or to the remote harness, never
-- to the behaviour: see SKIP.
local nginx = require "support.nginx"
local H = require "client_helper"

local SKIP = {
  -- userdata life cycle of the libcurl client (resty clients are plain tables)
  ["closes at the end of a <close> scope"] = "libcurl userdata (a Lua 5.4 only test)",
  ["close is idempotent and a closed client raises"] = "libcurl userdata",
  -- re-entering the client from on_token: the remote harness calls on_token after the call
  -- returns (tokens recorded in nginx), so there is no call in flight to re-enter
  ["on_token can neither close nor re-enter the client whose request is in flight"] = "harness",
  ["re-raises an on_token failure but keeps the new token"] = "harness (resty_driver_spec: in nginx)",
  -- premise of the libcurl multi handle (one new connection per slot after the first page): the
  -- cosocket pool hands the first page's keep-alive connection to the next pages, which never
  -- connect again (resty_driver_spec covers fetch_all's transport errors)
  ["fetch_all (parallel driver) classifies a connect timeout the same way"] = "keep-alive pool",
}

local FILES = { "client_tools_spec", "client_errors_spec", "client_retry_spec", "client_iter_spec",
  "client_oauth_spec", "client_args_spec" }

local ng
local skipped = {}

-- client_helper with client() building remote resty clients (same defaults as H.client).
local RH = setmetatable({}, { __index = H })
function RH.client(sb, o)
  local opts = { client_id = sb.client_id, client_secret = sb.client_secret, base_url = sb.url,
                 timeout = 5, connect_timeout = 2, retries = 2 }
  for k, v in pairs(o or {}) do
    if v == false and k ~= "read_only" then opts[k] = nil else opts[k] = v end
  end
  return ng:client(opts)
end

local function load_spec(name, env)
  local path = "spec/" .. name .. ".lua"
  local chunk
  if setfenv then -- luacheck: ignore 113 (LuaJIT)
    chunk = assert(loadfile(path))
    setfenv(chunk, env) -- luacheck: ignore 113
  else
    chunk = assert(loadfile(path, "t", env))
  end
  return chunk()
end

describe("resty driver under the client specs", function()
  setup(function() ng = nginx.start{ workers = 1 } end)
  teardown(function()
    if ng then ng:stop() end
    for name, why in pairs(SKIP) do
      assert.is_true(skipped[name] or (why:find("5.4 only", 1, true) and _VERSION ~= "Lua 5.4"),
        "SKIP names no test any more: " .. name)
    end
  end)

  local env = setmetatable({
    require = function(m) if m == "client_helper" then return RH end return require(m) end,
    it = function(name, fn)
      if SKIP[name] then skipped[name] = true; return end
      return it(name, function()
        local ok, err = pcall(fn)
        if not ok then
          if type(err) == "string" then err = err .. "\nnginx error_log:\n" .. ng:log_tail(15) end
          error(err, 0)
        end
      end)
    end,
  }, { __index = _ENV or getfenv(1) }) -- luacheck: ignore 113 (busted's DSL lives in this file's env)

  for _, name in ipairs(FILES) do load_spec(name, env) end
end)
