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
--   html_escape(s), to_html(plain)   the one HTML escaper; paragraphs to <p>/<br> markup.
-- Invariants: never raises on odd input (nil, numbers, broken markup); output is valid UTF-8
-- whenever the input was; no os.time/os.date (no local-time zone pitfalls).
local hstime = require "helpscout.time"
local floor, char, byte = math.floor, string.char, string.byte
local find, sub, gsub, lower, gmatch = string.find, string.sub, string.gsub, string.lower, string.gmatch
local concat = table.concat
local tostring, type, tonumber = tostring, type, tonumber

local _M = {}

---------------------------------------------------------------------------------------------
-- UTF-8 helpers

local function utf8_char(cp)
  if cp < 0 or cp > 0x10FFFF or (cp >= 0xD800 and cp <= 0xDFFF) or cp == 0 then cp = 0xFFFD end
  if cp < 0x80 then return char(cp) end
  if cp < 0x800 then return char(0xC0 + floor(cp / 64), 0x80 + cp % 64) end
  if cp < 0x10000 then
    return char(0xE0 + floor(cp / 4096), 0x80 + floor(cp / 64) % 64, 0x80 + cp % 64)
  end
  return char(0xF0 + floor(cp / 262144), 0x80 + floor(cp / 4096) % 64,
    0x80 + floor(cp / 64) % 64, 0x80 + cp % 64)
end
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

---------------------------------------------------------------------------------------------
-- Entities

local ENTITIES = {
  amp = "&", lt = "<", gt = ">", quot = '"', apos = "'", nbsp = " ", ensp = " ", emsp = " ",
  thinsp = " ", ndash = "–", mdash = "—", hellip = "…", lsquo = "‘", rsquo = "’", sbquo = "‚",
  ldquo = "“", rdquo = "”", bdquo = "„", laquo = "«", raquo = "»", bull = "•", middot = "·",
  copy = "©", reg = "®", trade = "™", euro = "€", pound = "£", yen = "¥", cent = "¢",
  sect = "§", para = "¶", deg = "°", plusmn = "±", times = "×", divide = "÷", frac12 = "½",
  frac14 = "¼", frac34 = "¾", iexcl = "¡", iquest = "¿", shy = "", zwnj = "", zwj = "",
  lrm = "", rlm = "", dagger = "†", rarr = "→", larr = "←", harr = "↔", uarr = "↑", darr = "↓",
  check = "✓", hearts = "♥", ordm = "º", ordf = "ª", micro = "µ",
  aacute = "á", eacute = "é", iacute = "í", oacute = "ó", uacute = "ú", Aacute = "Á",
  Eacute = "É", Iacute = "Í", Oacute = "Ó", Uacute = "Ú", agrave = "à", egrave = "è",
  ograve = "ò", ugrave = "ù", Agrave = "À", Egrave = "È", acirc = "â", ecirc = "ê", icirc = "î",
  ocirc = "ô", ucirc = "û", auml = "ä", euml = "ë", iuml = "ï", ouml = "ö", uuml = "ü",
  Auml = "Ä", Ouml = "Ö", Uuml = "Ü", szlig = "ß", ntilde = "ñ", Ntilde = "Ñ", ccedil = "ç",
  Ccedil = "Ç", aring = "å", Aring = "Å", aelig = "æ", AElig = "Æ", oslash = "ø", Oslash = "Ø",
  atilde = "ã", otilde = "õ", yuml = "ÿ",
}

local function entity(name)
  if byte(name, 1) == 35 then -- '#'
    local cp
    local x = sub(name, 2, 2)
    if x == "x" or x == "X" then cp = tonumber(sub(name, 3), 16) else cp = tonumber(sub(name, 2), 10) end
    if not cp then return nil end
    if cp == 160 then return " " end
    return utf8_char(cp)
  end
  return ENTITIES[name] or ENTITIES[lower(name)]
end

function _M.decode_entities(s)
  if not find(s, "&", 1, true) then return s end
  return (gsub(s, "&(#?[%w]+);?", function(name)
    local r = entity(name)
    if r == nil then return nil end
    return r
  end))
end

---------------------------------------------------------------------------------------------
-- HTML -> text

local BLOCK = {
  p = 2, div = 1, h1 = 2, h2 = 2, h3 = 2, h4 = 2, h5 = 2, h6 = 2, tr = 1, table = 1, pre = 1,
  section = 1, article = 1, header = 1, footer = 1, dd = 1, dt = 1, ul = 1, ol = 1, hr = 1,
  address = 1, center = 1, form = 1, fieldset = 1, dl = 1, figure = 1, main = 1, nav = 1,
  aside = 1, tbody = 0, thead = 0,
}
-- Elements whose whole content is dropped.
local SKIP = { script = true, style = true, head = true, title = true, blockquote = true,
  template = true, noscript = true, iframe = true, object = true, svg = true, xml = true }
-- class/id markers of quoted history and signatures in mail clients' HTML.
local QUOTE_MARKERS = { "gmail_quote", "gmail_signature", "yahoo_quoted", "divrplyfwdmsg",
  "moz-cite-prefix", "moz-signature", "appendonsend", "ms-outlook-signature", "signature",
  "x_gmail_quote", "protonmail_quote", "zmail_extra" }
local VOID = { br = true, hr = true, img = true, input = true, meta = true, link = true, wbr = true,
  col = true, area = true, base = true, source = true }

-- The one HTML escaper: text for an element's content or a quoted attribute value.
local ESC = { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;" }
function _M.html_escape(s)
  return (gsub(tostring(s or ""), '[&<>"]', ESC))
end

-- Plain text -> HTML body: blank lines separate <p> paragraphs, single newlines become <br>.
function _M.to_html(s)
  local paras = {}
  for p in gmatch(tostring(s or "") .. "\n\n", "(.-)\n%s*\n%s*") do
    if find(p, "%S") then paras[#paras + 1] = "<p>" .. gsub(_M.html_escape(p), "\n", "<br>") .. "</p>" end
  end
  return concat(paras)
end

local function is_quote_attr(attrs)
  if attrs == "" then return false end
  local a = lower(attrs)
  if not (find(a, "class", 1, true) or find(a, "id", 1, true)) then return false end
  for i = 1, #QUOTE_MARKERS do
    if find(a, QUOTE_MARKERS[i], 1, true) then
      return true
    end
  end
  return false
end

local KNOWN = { p = true, div = true, br = true, span = true, a = true, b = true, i = true, u = true,
  ul = true, ol = true, li = true, table = true, tr = true, td = true, th = true, html = true,
  body = true, blockquote = true, strong = true, em = true, font = true, img = true, h1 = true,
  h2 = true, h3 = true, h4 = true, pre = true, code = true, hr = true, head = true, style = true,
  small = true, center = true, tbody = true, section = true }

local function looks_like_html(s)
  if find(s, "<!--", 1, true) then return true end
  for name in s:gmatch("</?([%a][%w]*)") do
    if KNOWN[lower(name)] then return true end
  end
  return false
end

-- Plain text: keep line structure, decode entities (bodies from the API are HTML-escaped often).
local function plain_to_text(s)
  s = gsub(s, "\r\n?", "\n")
  return _M.decode_entities(s)
end

function _M.html_to_text(html)
  if html == nil then return "" end
  html = tostring(html)
  if html == "" then return "" end
  if not looks_like_html(html) then return plain_to_text(html) end
  local out, n = {}, 0
  local pending_break = 0 -- newlines owed before the next text
  local at_start = true
  local function brk(k)
    if k > pending_break then pending_break = k end
  end
  local function emit(t)
    if pending_break > 0 then
      if not at_start then n = n + 1; out[n] = pending_break >= 2 and "\n\n" or "\n" end
      pending_break = 0
    end
    n = n + 1; out[n] = t
    at_start = false
  end
  local lists = {}   -- stack of {ordered=bool, count=int}
  local skip_name, skip_depth = nil, 0
  local pre = 0
  local pos, len = 1, #html
  while pos <= len do
    local lt = find(html, "<", pos, true)
    local stop = (lt or len + 1) - 1
    if stop >= pos and not skip_name then
      local t = sub(html, pos, stop)
      if pre > 0 then
        t = _M.decode_entities(gsub(t, "\r\n?", "\n"))
        if t ~= "" then emit(t) end
      else
        t = gsub(t, "[ \t\r\n\f]+", " ")
        t = _M.decode_entities(t)
        if t ~= "" and t ~= " " then
          if (at_start or pending_break > 0 or (n > 0 and find(out[n], "[ \n]$"))) then
            t = gsub(t, "^ +", "")
          end
          if t ~= "" then emit(t) end
        elseif t == " " and n > 0 and pending_break == 0 and not find(out[n], "[ \n]$") then
          emit(" ")
        end
      end
    end
    if not lt then break end
    if sub(html, lt, lt + 3) == "<!--" then
      local e = find(html, "-->", lt + 4, true)
      pos = e and e + 3 or len + 1
    else
      local name_s, name_e, slash, name = find(html, "^<(/?)([%a][%w:%-]*)", lt)
      if not name_s then
        if sub(html, lt, lt + 1) == "<!" or sub(html, lt, lt + 1) == "<?" then
          local e = find(html, ">", lt + 2, true)
          pos = e and e + 1 or len + 1
        else
          -- a literal "<" in text
          if not skip_name then emit("<") end
          pos = lt + 1
        end
      else
        -- find the end of the tag, honouring quoted attribute values
        local i = name_e + 1
        local gt
        while true do
          local j = find(html, "[>\"']", i)
          if not j then break end
          local c = byte(html, j)
          if c == 62 then gt = j; break end
          local q = find(html, c == 34 and '"' or "'", j + 1, true)
          if not q then break end
          i = q + 1
        end
        if not gt then gt = len end
        local attrs = sub(html, name_e + 1, gt - 1)
        pos = gt + 1
        name = lower(name)
        local closing = slash == "/"
        local self_closing = find(attrs, "/%s*$") ~= nil
        if skip_name then
          if name == skip_name and not VOID[name] and not self_closing then
            skip_depth = skip_depth + (closing and -1 or 1)
            if skip_depth <= 0 then skip_name = nil; skip_depth = 0 end
          end
        elseif not closing and (SKIP[name] or ((name == "div" or name == "span" or name == "table"
            or name == "section") and is_quote_attr(attrs))) then
          if not self_closing then skip_name, skip_depth = name, 1 end
          brk(1)
        elseif name == "br" then
          if pending_break > 0 then pending_break = pending_break + 1
          elseif at_start then pending_break = 0
          else n = n + 1; out[n] = "\n" end
          if pending_break > 2 then pending_break = 2 end
        elseif name == "li" then
          if not closing then
            brk(1)
            local l = lists[#lists]
            local bullet = "- "
            if l and l.ordered then l.count = l.count + 1; bullet = l.count .. ". " end
            local indent = #lists > 1 and string.rep("  ", #lists - 1) or ""
            emit(indent .. bullet)
          else
            brk(1)
          end
        elseif name == "ul" or name == "ol" then
          if closing then
            lists[#lists] = nil
          else
            local start = tonumber(attrs:match("start%s*=%s*[\"']?(%d+)") or "")
            lists[#lists + 1] = { ordered = name == "ol", count = start and start - 1 or 0 }
          end
          brk(#lists == 0 and 2 or 1)
        elseif name == "td" or name == "th" then
          if not closing and n > 0 and pending_break == 0 and not find(out[n], "[ \n]$") then
            emit(" ")
          end
        elseif name == "pre" then
          pre = closing and math.max(0, pre - 1) or pre + 1
          brk(1)
        elseif name == "img" then
          local alt = attrs:match("alt%s*=%s*\"([^\"]*)\"") or attrs:match("alt%s*=%s*'([^']*)'")
          if alt and alt ~= "" then emit("[" .. _M.decode_entities(alt) .. "]") end
        elseif BLOCK[name] then
          if BLOCK[name] > 0 then brk(BLOCK[name]) end
        end
      end
    end
  end
  local s = concat(out)
  s = gsub(s, "[ \t]+\n", "\n")
  s = gsub(s, "\n\n\n+", "\n\n")
  s = gsub(s, "^%s+", "")
  s = gsub(s, "%s+$", "")
  return s
end

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

-- light = true: for classification, skips the sign-off tail and blank-line tidying.
function _M.strip_quoted(text, light)
  text = tostring(text or "")
  if text == "" then return "" end
  local s = text
  local any = false
  for i = 1, #CUT_KEYS do
    if find(s, CUT_KEYS[i].key, 1, true) then any = true; break end
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

-- ISO 8601 / RFC 3339 date-time -> integer epoch seconds (UTC), or nil. Accepts "Z", "+hh:mm",
-- "+hhmm", fractional seconds (dropped), a space instead of "T", and a bare date.
function _M.parse_time(s)
  if type(s) == "number" then return floor(s) end
  if type(s) ~= "string" then return nil end
  if #s == 20 then
    -- fast path for the API's own form, yyyy-MM-ddTHH:mm:ssZ
    local y1, y2, y3, y4, d1, m1, m2, d2, a1, a2, t, h1, h2, c1, i1, i2, c2, s1, s2, z = byte(s, 1, 20)
    if d1 == 45 and d2 == 45 and t == 84 and c1 == 58 and c2 == 58 and z == 90 then
      local y = (y1 - 48) * 1000 + (y2 - 48) * 100 + (y3 - 48) * 10 + (y4 - 48)
      local mo = (m1 - 48) * 10 + (m2 - 48)
      local d = (a1 - 48) * 10 + (a2 - 48)
      local h = (h1 - 48) * 10 + (h2 - 48)
      local mi = (i1 - 48) * 10 + (i2 - 48)
      local sec = (s1 - 48) * 10 + (s2 - 48)
      -- every other byte a digit: (b - 48) % 256 < 10 holds for "0".."9" only
      if valid_date(y, mo, d) and h <= 24 and mi <= 59 and sec <= 60
          and (y1 - 48) % 256 < 10 and (y2 - 48) % 256 < 10 and (y3 - 48) % 256 < 10
          and (y4 - 48) % 256 < 10 and (m1 - 48) % 256 < 10 and (m2 - 48) % 256 < 10
          and (a1 - 48) % 256 < 10 and (a2 - 48) % 256 < 10 and (h1 - 48) % 256 < 10
          and (h2 - 48) % 256 < 10 and (i1 - 48) % 256 < 10 and (i2 - 48) % 256 < 10
          and (s1 - 48) % 256 < 10 and (s2 - 48) % 256 < 10 then
        return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec
      end
    end
  end
  local y, mo, d, rest = s:match("^%s*(%d%d%d%d)%-(%d%d)%-(%d%d)(.*)$")
  if not y then return nil end
  y, mo, d = tonumber(y), tonumber(mo), tonumber(d)
  if not valid_date(y, mo, d) then return nil end
  local h, mi, sec, off = 0, 0, 0, 0
  rest = rest:gsub("%s+$", "")
  if rest ~= "" then
    local hh, mm, tail = rest:match("^[Tt ](%d%d):(%d%d)(.*)$")
    if not hh then return nil end
    h, mi = tonumber(hh), tonumber(mm)
    local ss, tail2 = tail:match("^:(%d%d)(.*)$")
    if ss then sec = tonumber(ss); tail = tail2 end
    tail = tail:gsub("^[%.,]%d+", "")
    if tail == "" or tail == "Z" or tail == "z" then
      off = 0
    else
      local sign, oh, om = tail:match("^([%+%-])(%d%d):?(%d%d)$")
      if not sign then
        sign, oh = tail:match("^([%+%-])(%d%d)$"); om = "00"
      end
      if not sign then return nil end
      off = (tonumber(oh) * 60 + tonumber(om)) * 60
      if sign == "-" then off = -off end
    end
    if h > 24 or mi > 59 or sec > 60 then return nil end
  end
  local days = days_from_civil(y, mo, d)
  local t = days * 86400 + h * 3600 + mi * 60 + sec - off
  return floor(t)
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
