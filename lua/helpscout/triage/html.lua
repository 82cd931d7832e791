-- helpscout.triage.html: HTML in and out, decided once here.
--   to_text(html)        HTML (or plain text) body -> plain text: entities decoded, block elements
--                        as line breaks, lists as "- "/"1. " items, table cells spaced, image alt
--                        text kept; quoted history (blockquote, gmail/outlook quote blocks),
--                        signature blocks, scripts and styles dropped, and hidden elements
--                        (hidden, aria-hidden="true", display:none, visibility:hidden,
--                        opacity/font-size/width/height 0) dropped with everything inside
--   decode_entities(s)   named and numeric character references
--   escape(s)            the one HTML escaper (element content and quoted attribute values)
--   from_text(s)         plain text -> <p> paragraphs (blank lines) with <br> (single newlines)
--   utf8_char(cp)        one code point as UTF-8 (invalid ones as U+FFFD)
-- Never raises on odd input (nil, numbers, broken markup).
local floor, char, byte = math.floor, string.char, string.byte
local find, sub, gsub, lower, gmatch, rep, match = string.find, string.sub, string.gsub, string.lower,
  string.gmatch, string.rep, string.match
local concat = table.concat
local tostring, tonumber, max = tostring, tonumber, math.max

local _M = {}

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

local function decode_entities(s)
  if not find(s, "&", 1, true) then return s end
  return (gsub(s, "&(#?[%w]+);?", function(name)
    local r = entity(name)
    if r == nil then return nil end
    return r
  end))
end

_M.decode_entities = decode_entities

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
  return decode_entities(s)
end


---------------------------------------------------------------------------------------------
-- HTML -> text: the tags walked in order; text runs and tags write to one writer W, which owes
-- line breaks (W.pending: 0, 1 or 2 newlines) until the next text is emitted.

local function new_writer()
  return { out = {}, n = 0, pending = 0, at_start = true }
end

local function brk(W, k)
  if k > W.pending then W.pending = k end
end

local function emit(W, t)
  if W.pending > 0 then
    if not W.at_start then W.n = W.n + 1; W.out[W.n] = W.pending >= 2 and "\n\n" or "\n" end
    W.pending = 0
  end
  W.n = W.n + 1; W.out[W.n] = t
  W.at_start = false
end

-- Does the output so far end in a space or a newline (or is there none)?
local function ends_blank(W)
  return W.n == 0 or find(W.out[W.n], "[ \n]$") ~= nil
end

-- A run of text between tags: whitespace collapsed (kept as is inside <pre>).
local function text_run(W, t, in_pre)
  if in_pre then
    t = decode_entities(gsub(t, "\r\n?", "\n"))
    if t ~= "" then emit(W, t) end
    return
  end
  t = decode_entities(gsub(t, "[ \t\r\n\f]+", " "))
  if t ~= "" and t ~= " " then
    if W.at_start or W.pending > 0 or (W.n > 0 and ends_blank(W)) then t = gsub(t, "^ +", "") end
    if t ~= "" then emit(W, t) end
  elseif t == " " and W.n > 0 and W.pending == 0 and not ends_blank(W) then
    emit(W, " ")
  end
end

-- The ">" that ends the tag whose name ends at i - 1, honouring quoted attribute values.
local function tag_end(html, i)
  while true do
    local j = find(html, "[>\"']", i)
    if not j then return #html end
    local c = byte(html, j)
    if c == 62 then return j end
    local q = find(html, c == 34 and '"' or "'", j + 1, true)
    if not q then return #html end
    i = q + 1
  end
end

-- What particular tags do (the rest: BLOCK line breaks). S is the walk's state.
local TAGS = {}
function TAGS.br(W)
  if W.pending > 0 then W.pending = W.pending + 1
  elseif W.at_start then W.pending = 0
  else W.n = W.n + 1; W.out[W.n] = "\n" end
  if W.pending > 2 then W.pending = 2 end
end
function TAGS.li(W, S, closing)
  brk(W, 1)
  if closing then return end
  local l = S.lists[#S.lists]
  local bullet = "- "
  if l and l.ordered then l.count = l.count + 1; bullet = l.count .. ". " end
  emit(W, (#S.lists > 1 and rep("  ", #S.lists - 1) or "") .. bullet)
end
function TAGS.ul(W, S, closing, attrs, name)
  if closing then
    S.lists[#S.lists] = nil
  else
    local start = tonumber(attrs:match("start%s*=%s*[\"']?(%d+)") or "")
    S.lists[#S.lists + 1] = { ordered = name == "ol", count = start and start - 1 or 0 }
  end
  brk(W, #S.lists == 0 and 2 or 1)
end
TAGS.ol = TAGS.ul
function TAGS.td(W, _, closing)
  if not closing and W.n > 0 and W.pending == 0 and not ends_blank(W) then emit(W, " ") end
end
TAGS.th = TAGS.td
function TAGS.pre(W, S, closing)
  S.pre = closing and max(0, S.pre - 1) or S.pre + 1
  brk(W, 1)
end
function TAGS.img(W, _, _, attrs)
  local alt = attrs:match("alt%s*=%s*\"([^\"]*)\"") or attrs:match("alt%s*=%s*'([^']*)'")
  if alt and alt ~= "" then emit(W, "[" .. decode_entities(alt) .. "]") end
end

local QUOTABLE = { div = true, span = true, table = true, section = true }

-- Hidden content (never shown to a reader, so never shown to a model either): the `hidden`
-- attribute, aria-hidden="true", and inline styles that hide or shrink to nothing.
local HIDDEN_STYLE = { "display:none", "visibility:hidden", "visibility:collapse", "opacity:0[^.%d]",
  "opacity:0$", "font%-size:0[^.%d]", "font%-size:0$", "[^%-%a]width:0[^.%d]", "[^%-%a]height:0[^.%d]",
  "max%-height:0[^.%d]", "max%-width:0[^.%d]" }

local function is_hidden_attr(attrs)
  if attrs == "" then return false end
  local a = lower(attrs)
  if find(" " .. a, "%shidden%f[^%w%-]") then return true end
  if find(a, "aria%-hidden%s*=%s*[\"']?true") then return true end
  local style = match(a, "style%s*=%s*\"([^\"]*)\"") or match(a, "style%s*=%s*'([^']*)'")
  if not style then return false end
  style = ";" .. gsub(style, "%s+", "") .. ";"
  for i = 1, #HIDDEN_STYLE do
    if find(style, HIDDEN_STYLE[i]) then return true end
  end
  return false
end
_M.is_hidden_attr = is_hidden_attr

-- One tag. Inside a skipped element only the nesting of that element's name is tracked.
local function on_tag(W, S, name, closing, attrs)
  local self_closing = find(attrs, "/%s*$") ~= nil
  if S.skip then
    if name == S.skip and not VOID[name] and not self_closing then
      S.depth = S.depth + (closing and -1 or 1)
      if S.depth <= 0 then S.skip, S.depth = nil, 0 end
    end
  elseif not closing and (SKIP[name] or (QUOTABLE[name] and is_quote_attr(attrs))) then
    if not self_closing then S.skip, S.depth = name, 1 end
    brk(W, 1)
  elseif not closing and is_hidden_attr(attrs) then
    if not self_closing and not VOID[name] then S.skip, S.depth = name, 1 end
  elseif TAGS[name] then
    TAGS[name](W, S, closing, attrs, name)
  elseif BLOCK[name] and BLOCK[name] > 0 then
    brk(W, BLOCK[name])
  end
end

-- The markup at lt ("<"): a comment, a declaration, a tag, or a literal "<". Returns the
-- position after it.
local function markup(W, S, html, lt)
  if sub(html, lt, lt + 3) == "<!--" then
    local e = find(html, "-->", lt + 4, true)
    return e and e + 3 or #html + 1
  end
  local _, name_e, slash, name = find(html, "^<(/?)([%a][%w:%-]*)", lt)
  if name then
    local gt = tag_end(html, name_e + 1)
    on_tag(W, S, lower(name), slash == "/", sub(html, name_e + 1, gt - 1))
    return gt + 1
  end
  local two = sub(html, lt, lt + 1)
  if two == "<!" or two == "<?" then
    local e = find(html, ">", lt + 2, true)
    return e and e + 1 or #html + 1
  end
  if not S.skip then emit(W, "<") end -- a literal "<" in text
  return lt + 1
end

function _M.to_text(html)
  if html == nil then return "" end
  html = tostring(html)
  if html == "" then return "" end
  if not looks_like_html(html) then return plain_to_text(html) end
  local W, S = new_writer(), { lists = {}, pre = 0, skip = nil, depth = 0 }
  local pos, len = 1, #html
  while pos <= len do
    local lt = find(html, "<", pos, true)
    local stop = (lt or len + 1) - 1
    if stop >= pos and not S.skip then text_run(W, sub(html, pos, stop), S.pre > 0) end
    if not lt then break end
    pos = markup(W, S, html, lt)
  end
  local s = concat(W.out)
  s = gsub(s, "[ \t]+\n", "\n")
  s = gsub(s, "\n\n\n+", "\n\n")
  s = gsub(s, "^%s+", "")
  s = gsub(s, "%s+$", "")
  return s
end

---------------------------------------------------------------------------------------------
-- Text -> HTML

local ESC = { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;" }
function _M.escape(s)
  return (gsub(tostring(s or ""), '[&<>"]', ESC))
end

function _M.from_text(s)
  local paras = {}
  for p in gmatch(tostring(s or "") .. "\n\n", "(.-)\n%s*\n%s*") do
    if find(p, "%S") then paras[#paras + 1] = "<p>" .. gsub(_M.escape(p), "\n", "<br>") .. "</p>" end
  end
  return concat(paras)
end

return _M
