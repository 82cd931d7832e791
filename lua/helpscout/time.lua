-- helpscout.time: calendar arithmetic in UTC, shared by the triage layer and the sandbox.
-- Pure integer arithmetic on the proleptic Gregorian calendar (no os.time, so no local time zone
-- and no platform limits on the year range).
local floor = math.floor

local _M = {}

-- Days since 1970-01-01 of the civil date y-m-d.
function _M.days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = floor(y / 400)
  local yoe = y - era * 400
  local mp = (m + 9) % 12
  local doy = floor((153 * mp + 2) / 5) + d - 1
  local doe = yoe * 365 + floor(yoe / 4) - floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
end

-- The civil date y, m, d of a day count since 1970-01-01.
function _M.civil_from_days(z)
  z = z + 719468
  local era = floor(z / 146097)
  local doe = z - era * 146097
  local yoe = floor((doe - floor(doe / 1460) + floor(doe / 36524) - floor(doe / 146096)) / 365)
  local y = yoe + era * 400
  local doy = doe - (365 * yoe + floor(yoe / 4) - floor(yoe / 100))
  local mp = floor((5 * doy + 2) / 153)
  local d = doy - floor((153 * mp + 2) / 5) + 1
  local m = mp < 10 and mp + 3 or mp - 9
  if m <= 2 then y = y + 1 end
  return y, m, d
end

local MDAYS = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 }

-- true when y-mo-d exists (leap years included).
function _M.valid_date(y, mo, d)
  if mo < 1 or mo > 12 or d < 1 or d > MDAYS[mo] then return false end
  if mo == 2 and d == 29 and not (y % 4 == 0 and (y % 100 ~= 0 or y % 400 == 0)) then return false end
  return true
end

-- Help Scout's own date form, exactly "yyyy-MM-ddTHH:mm:ssZ", as epoch seconds; nil for anything
-- else (milliseconds, offsets, impossible dates such as February 30).
function _M.parse_api(s)
  if type(s) ~= "string" then return nil end
  local y, mo, d, h, mi, se = s:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)T(%d%d):(%d%d):(%d%d)Z$")
  if not y then return nil end
  y, mo, d, h, mi, se = tonumber(y), tonumber(mo), tonumber(d), tonumber(h), tonumber(mi), tonumber(se)
  if not _M.valid_date(y, mo, d) or h > 23 or mi > 59 or se > 60 then return nil end
  return _M.days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se
end

return _M
