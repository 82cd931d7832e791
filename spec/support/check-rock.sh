#!/bin/sh
# Proves that `luarocks make rockspec/helpscout-scm-1.rockspec` installs a working module offline:
# installs into a throw-away tree (deps-mode none: Debian's lua-cjson is not a rock), then loads
# helpscout and helpscout.core from that tree only, outside the checkout. Also checks that every
# Lua module in lua/ is listed in the rockspec.
set -eu
top=$(pwd)
rock="$top/rockspec/helpscout-scm-1.rockspec"
for f in $(cd lua && find helpscout -name '*.lua' | sort); do
  grep -q "\"lua/$f\"" "$rock" || { echo "check-rock: lua/$f is not listed in $rock" >&2; exit 1; }
done
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
# Debian keeps curl.h under a multiarch directory LuaRocks does not search: ask pkg-config.
curl_inc=$(pkg-config --variable=includedir libcurl)
curl_lib=$(pkg-config --variable=libdir libcurl)
if ! luarocks --lua-version=5.4 --tree "$tree" make --deps-mode=none "$rock" \
     CURL_INCDIR="$curl_inc" CURL_LIBDIR="$curl_lib" >"$tree/luarocks.log" 2>&1; then
  cat "$tree/luarocks.log" >&2; echo "check-rock: luarocks make failed" >&2; exit 1
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
  assert(#core.tools == 9, "expected nine tools")
  for _, m in ipairs { "helpscout.triage", "helpscout.sandbox" } do require(m) end
  print("check-rock: luarocks make installed helpscout " .. hs.VERSION .. " into a temporary tree; it loads")
'
test -x "$tree/bin/helpscout" && test -x "$tree/bin/helpscout-sandbox" || { echo "check-rock: bin scripts not installed" >&2; exit 1; }
