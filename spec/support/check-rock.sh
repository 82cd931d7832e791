#!/bin/sh
# Proves that the README's LuaRocks line, exactly as printed there, installs a working module
# offline: the line is read from README.md and run as is; only LUAROCKS_CONFIG points LuaRocks at
# a throw-away tree (instead of /usr/local). Then helpscout and helpscout.core are loaded from
# that tree only, outside the checkout. Also checks that every Lua module in lua/ and every C
# file in csrc/ is listed in the rockspec.
set -eu
top=$(pwd)
rock="$top/rockspec/helpscout-scm-1.rockspec"
lua5.4 spec/support/gen-rockspec.lua --check
for f in csrc/*.c; do
  grep -q "\"$f\"" "$rock" || { echo "check-rock: $f is not listed in $rock" >&2; exit 1; }
done
line=$(grep -m1 '^luarocks .*make .*rockspec/helpscout-scm-1.rockspec' README.md) ||
  { echo "check-rock: no luarocks line in README.md" >&2; exit 1; }
tree=$(mktemp -d)
trap 'rm -rf "$tree"; rm -f "$top"/csrc/*.o' EXIT
printf 'rocks_trees = { "%s" }\n' "$tree" >"$tree/config.lua"
if ! LUAROCKS_CONFIG="$tree/config.lua" sh -c "$line" >"$tree/luarocks.log" 2>&1; then
  cat "$tree/luarocks.log" >&2; echo "check-rock: '$line' failed" >&2; exit 1
fi
cd /tmp
LUA_PATH="$tree/share/lua/5.4/?.lua;$tree/share/lua/5.4/?/init.lua;;" \
LUA_CPATH="$tree/lib/lua/5.4/?.so;;" HS_TREE="$tree" \
lua5.4 -e '
  local tree = os.getenv("HS_TREE")
  local hs = require "helpscout"
  local core = require "helpscout.core"
  local where = package.searchpath("helpscout.core", package.cpath)
  assert(where and where:sub(1, #tree) == tree, "core not loaded from the rock tree: " .. tostring(where))
  assert(type(hs.new) == "function" and type(hs.VERSION) == "string", "helpscout API missing")
  assert(#core.schema == 9, "expected nine tools")
  for _, m in ipairs { "helpscout.triage", "helpscout.sandbox" } do require(m) end
  print("check-rock: the README line installed helpscout " .. hs.VERSION .. " into a temporary tree; it loads")
'
test -x "$tree/bin/helpscout" && test -x "$tree/bin/helpscout-sandbox" || { echo "check-rock: bin scripts not installed" >&2; exit 1; }
