-- helpscout.triage.common: the small facts about API objects every triage module needs, each
-- decided once here: option checks, who a person is, a conversation's threads and who wrote each,
-- a customer's e-mails, HTML escaping, "now", and the error constructor.
local text = require "helpscout.triage.text"
local options = require "helpscout.options"

local type, ipairs, error, setmetatable = type, ipairs, error, setmetatable
local gsub = string.gsub
local concat = table.concat

local _M = {}

-- Strict option tables: unknown keys raise naming the valid ones (helpscout.options, the Lua
-- layer's one checker). Returns opts or {}; level: the public function's caller by default.
function _M.check_opts(fname, argn, opts, valid, level)
  local o = options.validate(valid, opts, fname, argn, level or 3)
  return o -- (not a tail call: the error level counts this frame)
end

function _M.check_conv(fname, conv)
  if type(conv) ~= "table" then
    error(("bad argument #1 to '%s' (conversation table expected, got %s)"):format(fname, type(conv)), 3)
  end
end

local function str(v)
  if type(v) == "string" then return v end
  return nil
end
_M.str = str

-- "First Last", else the e-mail, else nil (people: customers, users, createdBy).
function _M.person_name(p)
  if type(p) ~= "table" then return nil end
  local first = str(p.first) or str(p.firstName)
  local last = str(p.last) or str(p.lastName)
  local parts = {}
  if first and first ~= "" then parts[#parts + 1] = first end
  if last and last ~= "" then parts[#parts + 1] = last end
  if #parts > 0 then return concat(parts, " ") end
  return str(p.email)
end

function _M.first_name(p)
  if type(p) ~= "table" then return nil end
  local f = str(p.first) or str(p.firstName)
  if f and f ~= "" then return (gsub(f, "^%s*(.-)%s*$", "%1")) end
  return nil
end

-- opts.now: epoch seconds or an ISO 8601 time; nil reads the clock.
function _M.resolve_now(now, level)
  if now == nil then return os.time() end
  local t = text.parse_time(now)
  if not t then error("bad option 'now' (epoch seconds or an ISO 8601 time expected)", level or 3) end
  return t
end

-- The embedded threads (embed=threads), newest first as the API lists them; {} when absent.
local NO_THREADS = setmetatable({}, { __newindex = function() error("read-only", 2) end })
function _M.threads_of(conv)
  local e = conv._embedded
  local th = type(e) == "table" and e.threads
  if type(th) ~= "table" then return NO_THREADS end
  return th
end

-- "customer" | "agent" | "note" | "event"
function _M.role_of(t)
  local ty = t.type
  if ty == "lineitem" then return "event" end
  if ty == "note" then return "note" end
  if ty == "customer" then return "customer" end
  local by = type(t.createdBy) == "table" and t.createdBy.type
  if (ty == "chat" or ty == "beaconchat" or ty == "phone") and by == "customer" then return "customer" end
  if by == "customer" and ty ~= "message" then return "customer" end
  return "agent"
end

-- Every e-mail of a customer object: _embedded.emails[].value, then a top-level `email`.
function _M.customer_emails(c)
  local out = {}
  local e = type(c._embedded) == "table" and c._embedded.emails
  if type(e) == "table" then
    for _, v in ipairs(e) do
      if type(v) == "table" and str(v.value) then out[#out + 1] = v.value end
    end
  end
  if str(c.email) then out[#out + 1] = c.email end
  return out
end

-- Does customer c have this e-mail (case-insensitive)?
function _M.has_email(c, email)
  local want = string.lower(email)
  for _, e in ipairs(_M.customer_emails(c)) do
    if string.lower(e) == want then return true end
  end
  return false
end

-- The customer search query for one e-mail (quotes and backslashes cannot be escaped: dropped).
function _M.email_query(email)
  return '(email:"' .. gsub(email, '["\\]', "") .. '")'
end

function _M.plural(n, word)
  return n .. " " .. word .. (n == 1 and "" or "s")
end

-- Errors: built here only, so switching to require("helpscout.core").error is one line.
local err_mt = { __tostring = function(e)
  return "helpscout: " .. e.kind .. ": " .. e.message
end }

function _M.err(kind, message)
  return setmetatable({ kind = kind, message = message, retryable = false }, err_mt)
end

return _M
