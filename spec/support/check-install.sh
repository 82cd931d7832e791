#!/bin/sh
# Proves `make install` (make check and make test run this): installs into throw-away DESTDIRs,
# then loads the module under lua5.4 and under LuaJIT from that tree only, outside the checkout,
# with the default search paths' layout (PREFIX/lib/lua/<5.4|5.1>, PREFIX/share/lua/<5.4|5.1>).
# Without WITH_SANDBOX no sandbox file is installed; with WITH_SANDBOX=1 the sandbox loads and
# bin/helpscout-sandbox is there.
#   sh spec/support/check-install.sh
set -eu
top=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "check-install: $*" >&2; exit 1; }

# $1: DESTDIR, $2: lua version directory (5.4 or 5.1), $3: interpreter, $4: Lua code to run
load() {
  root="$1/usr/local"
  (cd /tmp && LUA_PATH="$root/share/lua/$2/?.lua;$root/share/lua/$2/?/init.lua;;" \
    LUA_CPATH="$root/lib/lua/$2/?.so;;" HS_TREE="$root" "$3" -e "$4")
}
# the core and the library come from the tree, not from the checkout or the system
PROBE='
  local tree = os.getenv("HS_TREE")
  local hs = require "helpscout"
  local core = require "helpscout.core"
  local where = package.searchpath("helpscout.core", package.cpath)
  assert(where and where:sub(1, #tree) == tree, "core not loaded from the tree: " .. tostring(where))
  local lib = package.searchpath("helpscout.triage", package.path)
  assert(lib and lib:sub(1, #tree) == tree, "helpscout.triage not loaded from the tree")
  assert(#core.schema == 9 and type(hs.new) == "function", "helpscout API missing")
  require "helpscout.triage"
  require "helpscout.tools"
  io.write(_VERSION, (rawget(_G, "jit") and " (" .. jit.version .. ")" or ""), " loads helpscout ",
    hs.VERSION, " from the tree; ")'

make --no-print-directory -s install DESTDIR="$tmp/lib" >"$tmp/lib.log" 2>&1 ||
  { cat "$tmp/lib.log" >&2; fail "make install failed"; }
load "$tmp/lib" 5.4 lua5.4 "$PROBE"
load "$tmp/lib" 5.1 luajit "$PROBE"
echo
left=$(cd "$tmp/lib" && find . -path '*sandbox*')
[ -z "$left" ] || fail "make install without WITH_SANDBOX installed: $left"
for b in helpscout helpscout-mcp; do
  [ -x "$tmp/lib/usr/local/bin/$b" ] || fail "bin/$b not installed"
done

make --no-print-directory -s install DESTDIR="$tmp/all" WITH_SANDBOX=1 >"$tmp/all.log" 2>&1 ||
  { cat "$tmp/all.log" >&2; fail "make install WITH_SANDBOX=1 failed"; }
SB='
  local sb = require "helpscout.sandbox"
  local where = package.searchpath("helpscout.sandbox", package.path)
  assert(where:sub(1, #os.getenv("HS_TREE")) == os.getenv("HS_TREE"), "sandbox not from the tree")
  assert(type(sb) == "table", "helpscout.sandbox is not a module table")'
load "$tmp/all" 5.4 lua5.4 "$SB"
load "$tmp/all" 5.1 luajit "$SB"
[ -x "$tmp/all/usr/local/bin/helpscout-sandbox" ] || fail "WITH_SANDBOX=1 did not install helpscout-sandbox"
n_lib=$(cd "$top/lua" && find helpscout -name '*.lua' -not -path 'helpscout/sandbox/*' | wc -l)
n_jit=$(cd "$tmp/lib/usr/local/share/lua/5.1" && find helpscout -name '*.lua' | wc -l)
[ "$n_lib" -eq "$n_jit" ] || fail "$n_jit of $n_lib library modules installed for LuaJIT"
echo "check-install: make install put both cores and $n_lib modules per interpreter in a DESTDIR" \
  "and no sandbox file; WITH_SANDBOX=1 adds the sandbox, which loads"
