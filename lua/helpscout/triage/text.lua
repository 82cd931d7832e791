-- helpscout.triage.text: the text side of triage, pure functions over plain Lua values.
--   html_to_text(html)      HTML (or plain text) body -> plain text: entities decoded, block
--                           elements as line breaks, lists as "- "/"1. " items, quoted history
--                           (blockquote, gmail/outlook quote blocks) and signature blocks dropped.
--   strip_quoted(text)      cut "On ... wrote:" / "-----Original Message-----" history, "> " lines
--                           and signatures ("-- ", "Sent from my ...", short sign-off tails).
--   clean(body)             both of the above.
--   cap(text, n)            at most n code points, cut at a word boundary, "…" appended.
--   width(s)                display width in code points (UTF-8, no utf8 library).
--   parse_time(iso)         ISO 8601 / RFC 3339 -> epoch seconds (UTC), pure arithmetic, or nil.
--   format_time(epoch)      epoch -> "2024-05-02T09:12:44Z".
--   duration(seconds)       "2d 3h", "5h 10m", "45m", "30s".
--   html_to_text, decode_entities, html_escape, to_html: re-exported from triage.html.
-- Invariants: never raises on odd input (nil, numbers, broken markup); output is valid UTF-8
-- whenever the input was; no os.time/os.date (no local-time zone pitfalls).
local hstime = require "helpscout.time"
local html = require "helpscout.triage.html"
local floor, byte = math.floor, string.byte
local find, sub, gsub, lower, gmatch = string.find, string.sub, string.gsub, string.lower, string.gmatch
local tostring, type, tonumber = tostring, type, tonumber

local _M = {}

---------------------------------------------------------------------------------------------
-- UTF-8 helpers

local utf8_char = html.utf8_char
_M.utf8_char = utf8_char

-- Number of code points (continuation bytes 0x80-0xBF are not counted).
function _M.width(s)
  s = tostring(s or "")
  local _, cont = gsub(s, "[\128-\191]", "")
  return #s - cont
end

-- Byte index of the end of the n-th code point of s (n >= 1), or #s when s is shorter.
local function cp_end(s, n)
  local count, i, len = 0, 1, #s
  while i <= len do
    local b = byte(s, i)
    local step = b < 0x80 and 1 or b >= 0xF0 and 4 or b >= 0xE0 and 3 or b >= 0xC0 and 2 or 1
    count = count + 1
    if count == n then return math.min(i + step - 1, len) end
    i = i + step
  end
  return len
end

-- At most n code points; prefers to cut at a space in the last fifth; appends "…" when cut.
function _M.cap(s, n)
  s = tostring(s or "")
  if n == nil or #s <= n then return s end   -- bytes >= code points: short strings are done
  if _M.width(s) <= n then return s end
  local e = cp_end(s, n - 1)
  local cut = sub(s, 1, e)
  local lo = floor(#cut * 0.8)
  local sp
  local i = #cut
  while i > lo do
    local c = byte(cut, i)
    if c == 32 or c == 10 then sp = i; break end
    i = i - 1
  end
  if sp then cut = sub(cut, 1, sp - 1) end
  cut = gsub(cut, "[%s%p]+$", function(p) return p:find("[%.%?!]") and p:match("^%S*") or "" end)
  return cut .. "…"
end

-- Pads (or leaves) s to w code points; long cells are capped.
function _M.pad(s, w, right)
  s = tostring(s == nil and "" or s)
  local n = _M.width(s)
  if n > w then s = _M.cap(s, w); n = _M.width(s) end
  local fill = string.rep(" ", w - n)
  if right then return fill .. s end
  return s .. fill
end

_M.decode_entities = html.decode_entities
_M.html_to_text = html.to_text
_M.html_escape = html.escape
_M.to_html = html.from_text

---------------------------------------------------------------------------------------------
-- Quoted history and signatures

local SIGNOFF = {
  ["thanks"] = true, ["thank you"] = true, ["thanks!"] = true, ["thanks in advance"] = true,
  ["many thanks"] = true, ["best"] = true, ["best regards"] = true, ["kind regards"] = true,
  ["regards"] = true, ["cheers"] = true, ["warm regards"] = true, ["all the best"] = true,
  ["sincerely"] = true, ["thx"] = true, ["best wishes"] = true,
  ["thank you!"] = true, ["thanks again"] = true, ["cordialement"] = true, ["grüße"] = true,
  ["viele grüße"] = true, ["saludos"] = true, ["mit freundlichen grüßen"] = true,
}

-- Start of quoted history or a signature block, as patterns over "\n" .. text .. "\n"; each is
-- tried only when its plain-text key occurs (the common message has none of them).
local CUTS = {
  { "wrote", "\n[ \t]*On[ \t][^\n]*wrote:[ \t]*\n" },
  { "wrote", "\n[ \t]*On[ \t][^\n]*%d[^\n]*\n[^\n]*wrote:[ \t]*\n" },
  { "riginal", "\n[ \t]*%-%-%-%-*[ \t]*[Oo]riginal [Mm]essage" },
  { "orwarded", "\n[ \t]*%-%-%-%-*[ \t]*[Ff]orwarded message" },
  { "crit", "\n[ \t]*Le[ \t][^\n]*a écrit[ \t]?:[ \t]*\n" },
  { "schrieb", "\n[ \t]*Am[ \t][^\n]*schrieb[^\n]*:[ \t]*\n" },
  { "escribi", "\n[ \t]*El[ \t][^\n]*escribió:[ \t]*\n" },
  { "From:", "\n[ \t]*From:[ \t][^\n]*\n[ \t]*Sent:[ \t]" },
  { "From:", "\n[ \t]*From:[ \t][^\n]*\n[ \t]*Date:[ \t]" },
  { "--", "\n[ \t]*%-%-[ \t]*\n" },
  { "_____", "\n[ \t]*__________*[ \t]*\n" },
  { "Sent from", "\n[ \t]*Sent from my " },
  { "Sent from", "\n[ \t]*Sent from Mail for" },
  { "Outlook", "\n[ \t]*Get Outlook for " },
}

-- Both ends trimmed without a "%s+$" scan (quadratic on long runs of spaces).
local function trim(s)
  local a = find(s, "%S")
  if not a then return "" end
  local e = #s
  local c = byte(s, e)
  while c == 32 or c == 10 or c == 9 or c == 13 or c == 12 do e = e - 1; c = byte(s, e) end
  if a == 1 and e == #s then return s end
  return sub(s, a, e)
end
_M.trim = trim

local SIGNOFF_KEYS = { "thank", "regard", "best", "cheers", "sincerely", "thx", "grüße", "cordialement",
  "saludos", "wishes" }

local function drop_signoff(s)
  local tail = lower(sub(s, -300))
  local any = false
  for i = 1, #SIGNOFF_KEYS do
    if find(tail, SIGNOFF_KEYS[i], 1, true) then any = true; break end
  end
  if not any then return s end
  -- a short sign-off tail ("Thanks,\nPat Lee\nAcme Inc") is dropped: look at the last 5 lines
  local starts = {}
  local pos = #s
  for _ = 1, 5 do
    local nl
    local i = pos
    while i > 0 and byte(s, i) ~= 10 do i = i - 1 end
    nl = i
    starts[#starts + 1] = nl + 1
    if nl == 0 then break end
    pos = nl - 1
  end
  for k = #starts, 1, -1 do
    local a = starts[k]
    local e = find(s, "\n", a, true)
    local line = sub(s, a, (e or #s + 1) - 1)
    local l = gsub(gsub(lower(line), "^%s+", ""), "[%s,%.!]+$", "")
    if #l <= 40 and (SIGNOFF[l] or SIGNOFF[l .. "!"]) and a > 1 then
      local rest = sub(s, e or #s + 1)
      local short = true
      for tl in gmatch(rest, "[^\n]+") do if #tl > 60 then short = false end end
      if short then return sub(s, 1, a - 1) end
      return s
    end
  end
  return s
end

-- Distinct plain-text keys of CUTS, each with the indexes of its patterns.
local CUT_KEYS = {}
do
  local index = {}
  for _, c in ipairs(CUTS) do
    local k = index[c[1]]
    if not k then k = { key = c[1] }; index[c[1]] = k; CUT_KEYS[#CUT_KEYS + 1] = k end
    k[#k + 1] = c[2]
  end
end
local CUT_KEY = {} -- the keys alone, for the scan every text goes through
for i, k in ipairs(CUT_KEYS) do CUT_KEY[i] = k.key end

-- light = true: for classification, skips the sign-off tail and blank-line tidying.
function _M.strip_quoted(text, light)
  text = tostring(text or "")
  if text == "" then return "" end
  local s = text
  local any = false
  for i = 1, #CUT_KEY do
    if find(s, CUT_KEY[i], 1, true) then any = true; break end
  end
  if any then
    s = "\n" .. text .. "\n"
    local cut = #s + 1
    for i = 1, #CUT_KEYS do
      local k = CUT_KEYS[i]
      if find(s, k.key, 1, true) then
        for j = 1, #k do
          local a = find(s, k[j])
          if a and a < cut then cut = a end
        end
      end
    end
    s = sub(s, 2, cut - 1)
  end
  if find(s, ">", 1, true) and (find(s, "\n[ \t]*>") or find(s, "^[ \t]*>")) then
    s = gsub("\n" .. s, "\n[ \t]*>[^\n]*", "")
  end
  if light then return s end
  if find(s, " \n", 1, true) or find(s, "\t\n", 1, true) then s = gsub(s, "[ \t]+\n", "\n") end
  s = trim(s)
  s = drop_signoff(s)
  if find(s, "\n\n\n", 1, true) then s = gsub(s, "\n\n\n+", "\n\n") end
  return trim(s)
end

-- The part of a body before any quoted history or signature, markup left in place: enough for
-- looking up words (urgency words in priority) and much cheaper than clean().
local QUOTE_STARTS = { "<blockquote", "<BLOCKQUOTE", "gmail_quote", "\n>", "wrote:", "-----Original",
  "\n-- \n", "divRplyFwdMsg", "Sent from my " }
function _M.unquoted(body)
  if type(body) ~= "string" then return "" end
  local cut
  for i = 1, #QUOTE_STARTS do
    local a = find(body, QUOTE_STARTS[i], 1, true)
    if a and (not cut or a < cut) then cut = a end
  end
  if cut then return sub(body, 1, cut - 1) end
  return body
end

-- A fast approximation of clean() for classification: quoted blocks and tags are removed with a
-- few gsubs instead of the element-by-element walk.
function _M.quick_clean(body)
  if type(body) ~= "string" or body == "" then return "" end
  local s = body
  if find(s, "<", 1, true) then
    local q = find(s, "<blockquote", 1, true) or find(s, "<BLOCKQUOTE", 1, true)
    local g = find(s, "gmail_quote", 1, true) or find(s, "gmail_signature", 1, true)
    if g then
      local lt = g
      while lt > 1 and byte(s, lt) ~= 60 do lt = lt - 1 end
      if not q or lt < q then q = lt end
    end
    if q then
      local rest = sub(s, q)
      local e = find(rest, "</blockquote>", 1, true)
      -- keep text after a short inline quote, drop a trailing quoted history
      if e and find(rest, "%S", e + 13) and not g then
        s = sub(s, 1, q - 1) .. " " .. sub(rest, e + 13)
      else
        s = sub(s, 1, q - 1)
      end
    end
    if find(s, "<script", 1, true) or find(s, "<style", 1, true) then
      s = gsub(s, "<script.-</script>", " ")
      s = gsub(s, "<style.-</style>", " ")
    end
    -- every tag becomes a line break: words never need inline tags, and line-based history
    -- markers ("On ... wrote:") then start a line
    s = gsub(s, "<[^>]*>", "\n")
  end
  if find(s, "&", 1, true) then s = _M.decode_entities(s) end
  return _M.strip_quoted(s, true)
end

function _M.clean(body)
  return _M.strip_quoted(_M.html_to_text(body))
end

---------------------------------------------------------------------------------------------
-- Time

local days_from_civil, civil_from_days, valid_date = hstime.days_from_civil, hstime.civil_from_days,
  hstime.valid_date

-- Help Scout's own form, exactly yyyy-MM-ddTHH:mm:ssZ (20 bytes), read byte by byte: the fast
-- path for the thousands of timestamps triage reads. nil when s is not exactly that form.
local function parse_api_form(s)
  local y1, y2, y3, y4, d1, m1, m2, d2, a1, a2, t, h1, h2, c1, i1, i2, c2, s1, s2, z = byte(s, 1, 20)
  if not (d1 == 45 and d2 == 45 and t == 84 and c1 == 58 and c2 == 58 and z == 90) then return nil end
  -- every other byte a digit: (b - 48) % 256 < 10 holds for "0".."9" only
  if not ((y1 - 48) % 256 < 10 and (y2 - 48) % 256 < 10 and (y3 - 48) % 256 < 10
      and (y4 - 48) % 256 < 10 and (m1 - 48) % 256 < 10 and (m2 - 48) % 256 < 10
      and (a1 - 48) % 256 < 10 and (a2 - 48) % 256 < 10 and (h1 - 48) % 256 < 10
      and (h2 - 48) % 256 < 10 and (i1 - 48) % 256 < 10 and (i2 - 48) % 256 < 10
      and (s1 - 48) % 256 < 10 and (s2 - 48) % 256 < 10) then
    return nil
  end
  local y = (y1 - 48) * 1000 + (y2 - 48) * 100 + (y3 - 48) * 10 + (y4 - 48)
  local mo, d = (m1 - 48) * 10 + (m2 - 48), (a1 - 48) * 10 + (a2 - 48)
  local h, mi, sec = (h1 - 48) * 10 + (h2 - 48), (i1 - 48) * 10 + (i2 - 48), (s1 - 48) * 10 + (s2 - 48)
  if not valid_date(y, mo, d) or h > 24 or mi > 59 or sec > 60 then return nil end
  return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec
end

-- The part after the date: "" or [T ]HH:mm[:ss][.fff][Z|+hh:mm|+hhmm|+hh] -> seconds of the day
-- minus the offset, or nil.
local function time_of_day(rest)
  rest = rest:gsub("%s+$", "")
  if rest == "" then return 0 end
  local hh, mm, tail = rest:match("^[Tt ](%d%d):(%d%d)(.*)$")
  if not hh then return nil end
  local h, mi, sec = tonumber(hh), tonumber(mm), 0
  local ss, tail2 = tail:match("^:(%d%d)(.*)$")
  if ss then sec = tonumber(ss); tail = tail2 end
  tail = tail:gsub("^[%.,]%d+", "")
  local off = 0
  if tail ~= "" and tail ~= "Z" and tail ~= "z" then
    local sign, oh, om = tail:match("^([%+%-])(%d%d):?(%d%d)$")
    if not sign then
      sign, oh = tail:match("^([%+%-])(%d%d)$"); om = "00"
    end
    if not sign then return nil end
    off = (tonumber(oh) * 60 + tonumber(om)) * 60
    if sign == "-" then off = -off end
  end
  if h > 24 or mi > 59 or sec > 60 then return nil end
  return h * 3600 + mi * 60 + sec - off
end

-- ISO 8601 / RFC 3339 date-time -> integer epoch seconds (UTC), or nil. Accepts "Z", "+hh:mm",
-- "+hhmm", fractional seconds (dropped), a space instead of "T", and a bare date.
function _M.parse_time(s)
  if type(s) == "number" then return floor(s) end
  if type(s) ~= "string" then return nil end
  if #s == 20 then
    local t = parse_api_form(s)
    if t then return t end
  end
  local y, mo, d, rest = s:match("^%s*(%d%d%d%d)%-(%d%d)%-(%d%d)(.*)$")
  if not y then return nil end
  y, mo, d = tonumber(y), tonumber(mo), tonumber(d)
  if not valid_date(y, mo, d) then return nil end
  local secs = time_of_day(rest)
  if not secs then return nil end
  return floor(days_from_civil(y, mo, d) * 86400 + secs)
end

function _M.format_time(t, sep)
  t = floor(tonumber(t) or 0)
  local days = floor(t / 86400)
  local rem = t - days * 86400
  local y, m, d = civil_from_days(days)
  local h = floor(rem / 3600)
  local mi = floor(rem % 3600 / 60)
  local s = rem % 60
  if sep then
    return string.format("%04d-%02d-%02d%s%02d:%02d", y, m, d, sep, h, mi)
  end
  return string.format("%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, h, mi, s)
end

function _M.duration(secs)
  secs = floor(tonumber(secs) or 0)
  if secs < 0 then secs = 0 end
  local d = floor(secs / 86400)
  local h = floor(secs % 86400 / 3600)
  local m = floor(secs % 3600 / 60)
  if d > 0 then return h > 0 and (d .. "d " .. h .. "h") or (d .. "d") end
  if h > 0 then return m > 0 and (h .. "h " .. m .. "m") or (h .. "h") end
  if m > 0 then return m .. "m" end
  return secs .. "s"
end

return _M
