-- helpscout.cli.out: what the CLI writes. Tables for people (columns aligned by display width:
-- CJK wide characters and emoji take two columns, combining marks none), JSON for machines, and
-- the progress line on stderr.
--   width(s), fit(s, n), pad(s, n, right)   display width of UTF-8 text, cut to n columns ("…"),
--                                            padded to n columns
--   table(rows, cols)                        aligned text; cols = {{title, key|fn, max=, right=}}
--   json(v)                                  helpscout.core's encoder when it has one (arrays
--                                            tagged with core.array stay [], "cc":[]), else a
--                                            private cjson instance (never the process-wide one)
--   str(v)                                   a cell: integers without ".0", nil as ""
local byte, sub, format, gsub, rep = string.byte, string.sub, string.format, string.gsub, string.rep
local concat = table.concat
local type, tostring, ipairs, pcall, require, floor, max = type, tostring, ipairs, pcall, require, math.floor,
  math.max

local _M = {}

---------------------------------------------------------------------------------------------
-- Display width over UTF-8 code points (no library): East Asian Wide and Fullwidth ranges and
-- emoji are 2 columns; combining marks, zero-width joiners and variation selectors 0; the rest 1.
-- Ranges are sorted {first, last, width}; anything not listed is 1. Invalid bytes count as 1.

local RANGES = {
  { 0x0300, 0x036F, 0 }, { 0x0483, 0x0489, 0 }, { 0x0591, 0x05BD, 0 }, { 0x0610, 0x061A, 0 },
  { 0x064B, 0x065F, 0 }, { 0x0E31, 0x0E31, 0 }, { 0x0E34, 0x0E3A, 0 }, { 0x0E47, 0x0E4E, 0 },
  { 0x1100, 0x115F, 2 }, { 0x1AB0, 0x1AFF, 0 }, { 0x1DC0, 0x1DFF, 0 }, { 0x200B, 0x200F, 0 },
  { 0x2060, 0x2064, 0 }, { 0x20D0, 0x20FF, 0 }, { 0x231A, 0x231B, 2 }, { 0x2329, 0x232A, 2 },
  { 0x23E9, 0x23EC, 2 }, { 0x23F0, 0x23F0, 2 }, { 0x23F3, 0x23F3, 2 }, { 0x25FD, 0x25FE, 2 },
  { 0x2614, 0x2615, 2 }, { 0x2648, 0x2653, 2 }, { 0x267F, 0x267F, 2 }, { 0x2693, 0x2693, 2 },
  { 0x26A1, 0x26A1, 2 }, { 0x26AA, 0x26AB, 2 }, { 0x26BD, 0x26BE, 2 }, { 0x26C4, 0x26C5, 2 },
  { 0x26CE, 0x26CE, 2 }, { 0x26D4, 0x26D4, 2 }, { 0x26EA, 0x26EA, 2 }, { 0x26F2, 0x26F3, 2 },
  { 0x26F5, 0x26F5, 2 }, { 0x26FA, 0x26FA, 2 }, { 0x26FD, 0x26FD, 2 }, { 0x2705, 0x2705, 2 },
  { 0x270A, 0x270B, 2 }, { 0x2728, 0x2728, 2 }, { 0x274C, 0x274C, 2 }, { 0x274E, 0x274E, 2 },
  { 0x2753, 0x2755, 2 }, { 0x2757, 0x2757, 2 }, { 0x2795, 0x2797, 2 }, { 0x27B0, 0x27B0, 2 },
  { 0x27BF, 0x27BF, 2 }, { 0x2B1B, 0x2B1C, 2 }, { 0x2B50, 0x2B50, 2 }, { 0x2B55, 0x2B55, 2 },
  { 0x2E80, 0x303E, 2 }, { 0x3041, 0x3247, 2 }, { 0x3250, 0x4DBF, 2 }, { 0x4E00, 0xA4CF, 2 },
  { 0xA960, 0xA97F, 2 }, { 0xAC00, 0xD7A3, 2 }, { 0xF900, 0xFAFF, 2 }, { 0xFE00, 0xFE0F, 0 },
  { 0xFE10, 0xFE19, 2 }, { 0xFE20, 0xFE2F, 0 }, { 0xFE30, 0xFE6F, 2 }, { 0xFEFF, 0xFEFF, 0 },
  { 0xFF00, 0xFF60, 2 }, { 0xFFE0, 0xFFE6, 2 }, { 0x16FE0, 0x16FE4, 2 }, { 0x17000, 0x18CFF, 2 },
  { 0x1B000, 0x1B2FF, 2 }, { 0x1F004, 0x1F004, 2 }, { 0x1F0CF, 0x1F0CF, 2 }, { 0x1F18E, 0x1F18E, 2 },
  { 0x1F191, 0x1F19A, 2 }, { 0x1F1E6, 0x1F1FF, 1 }, { 0x1F200, 0x1F251, 2 }, { 0x1F260, 0x1F265, 2 },
  { 0x1F300, 0x1F320, 2 }, { 0x1F32D, 0x1F335, 2 }, { 0x1F337, 0x1F37C, 2 }, { 0x1F37E, 0x1F393, 2 },
  { 0x1F3A0, 0x1F3CA, 2 }, { 0x1F3CF, 0x1F3D3, 2 }, { 0x1F3E0, 0x1F3F0, 2 }, { 0x1F3F4, 0x1F3F4, 2 },
  { 0x1F3F8, 0x1F43E, 2 }, { 0x1F440, 0x1F440, 2 }, { 0x1F442, 0x1F4FC, 2 }, { 0x1F4FF, 0x1F53D, 2 },
  { 0x1F54B, 0x1F54E, 2 }, { 0x1F550, 0x1F567, 2 }, { 0x1F57A, 0x1F57A, 2 }, { 0x1F595, 0x1F596, 2 },
  { 0x1F5A4, 0x1F5A4, 2 }, { 0x1F5FB, 0x1F64F, 2 }, { 0x1F680, 0x1F6C5, 2 }, { 0x1F6CC, 0x1F6CC, 2 },
  { 0x1F6D0, 0x1F6D2, 2 }, { 0x1F6D5, 0x1F6D7, 2 }, { 0x1F6DC, 0x1F6DF, 2 }, { 0x1F6EB, 0x1F6EC, 2 },
  { 0x1F6F4, 0x1F6FC, 2 }, { 0x1F7E0, 0x1F7EB, 2 }, { 0x1F7F0, 0x1F7F0, 2 }, { 0x1F90C, 0x1F93A, 2 },
  { 0x1F93C, 0x1F945, 2 }, { 0x1F947, 0x1F9FF, 2 }, { 0x1FA70, 0x1FAFF, 2 }, { 0x20000, 0x3FFFD, 2 },
  { 0xE0000, 0xE0FFF, 0 },
}

-- Columns of one code point (binary search over RANGES).
local function cp_width(cp)
  if cp < 0x300 then return 1 end
  local lo, hi = 1, #RANGES
  while lo <= hi do
    local mid = floor((lo + hi) / 2)
    local r = RANGES[mid]
    if cp < r[1] then hi = mid - 1
    elseif cp > r[2] then lo = mid + 1
    else return r[3] end
  end
  return 1
end
_M.cp_width = cp_width

-- The code point starting at byte i of s and the index after it; a stray byte is itself.
local function next_cp(s, i)
  local c = byte(s, i)
  local n, cp
  if c < 0x80 then return c, i + 1
  elseif c >= 0xF0 and c < 0xF8 then n, cp = 3, c - 0xF0
  elseif c >= 0xE0 then n, cp = 2, c - 0xE0
  elseif c >= 0xC2 then n, cp = 1, c - 0xC0
  else return 0xFFFD, i + 1 end
  for k = 1, n do
    local b = byte(s, i + k)
    if not b or b < 0x80 or b > 0xBF then return 0xFFFD, i + 1 end
    cp = cp * 64 + (b - 0x80)
  end
  return cp, i + n + 1
end

function _M.width(s)
  s = tostring(s or "")
  local w, i, n = 0, 1, #s
  while i <= n do
    local cp
    cp, i = next_cp(s, i)
    w = w + cp_width(cp)
  end
  return w
end

-- s cut to at most n columns, "…" (one column) marking the cut.
function _M.fit(s, n)
  s = tostring(s or "")
  if _M.width(s) <= n then return s end
  local w, i = 0, 1
  while i <= #s do
    local cp, j = next_cp(s, i)
    local cw = cp_width(cp)
    if w + cw > n - 1 then break end
    w, i = w + cw, j
  end
  return sub(s, 1, i - 1) .. "…"
end

function _M.pad(s, n, right)
  s = tostring(s or "")
  local fill = rep(" ", max(0, n - _M.width(s)))
  if right then return fill .. s end
  return s .. fill
end

---------------------------------------------------------------------------------------------
-- Cells and tables

function _M.str(v)
  if v == nil then return "" end
  if type(v) == "number" and v == floor(v) and v > -1e15 and v < 1e15 then return format("%d", v) end
  return tostring(v)
end

-- Aligned rows under a header; trailing blanks trimmed. cols = { {title, key|fn, max=, right=} }
function _M.table(rows, cols)
  local widths, cells = {}, {}
  for c, col in ipairs(cols) do widths[c] = _M.width(col[1]) end
  for r, row in ipairs(rows) do
    cells[r] = {}
    for c, col in ipairs(cols) do
      local v = col[2]
      if type(v) == "function" then v = v(row) else v = row[v] end
      v = gsub(_M.str(v), "[\r\n\t]+", " ")
      if col.max then v = _M.fit(v, col.max) end
      cells[r][c] = v
      widths[c] = max(widths[c], _M.width(v))
    end
  end
  local function line(get)
    local parts = {}
    for c, col in ipairs(cols) do parts[c] = _M.pad(get(c, col), widths[c], col.right) end
    return (gsub(concat(parts, "  "), "%s+$", ""))
  end
  local out = { line(function(_, col) return col[1] end) }
  for r = 1, #rows do out[r + 1] = line(function(c) return cells[r][c] end) end
  return concat(out, "\n")
end

-- The lines of t, each indented by two spaces.
function _M.indent(t)
  return "  " .. gsub(t, "\n", "\n  ")
end

---------------------------------------------------------------------------------------------
-- JSON

local core_encode, core_array
do
  local ok, core = pcall(require, "helpscout.core")
  if ok and type(core) == "table" then core_encode, core_array = core.json_encode, core.array end
end

local private_cjson
local function cjson_encode(v)
  if not private_cjson then private_cjson = require("cjson").new() end
  return private_cjson.encode(v)
end

-- A list for JSON output: tagged as an array when the core provides the tag, so [] stays [].
function _M.array(t)
  if core_array and getmetatable(t) == nil then setmetatable(t, core_array) end
  return t
end

function _M.json(v)
  if core_encode then
    local ok, s = pcall(core_encode, v)
    if ok then return s end
  end
  return cjson_encode(v)
end

return _M
