#!/bin/sh
# Proves that the README's LuaRocks lines, exactly as printed there, install working rocks
# offline: every line starting with `luarocks ` in README.md is run as is, the library rock
# first; only LUAROCKS_CONFIG points LuaRocks at a throw-away tree per Lua version (instead of
# /usr/local). Then, outside the checkout and from that tree only: the library rock loads
# helpscout and helpscout.core under lua5.4 (--lua-version=5.4) or LuaJIT (--lua-version=5.1) and
# installed no sandbox file; the sandbox rock adds helpscout.sandbox and bin/helpscout-sandbox.
# Every luarocks line of doc/resty.md must be one of the README's (so it is proven here too).
#   sh spec/support/check-rock.sh          (make check-rock, part of make test)
#   sh spec/support/check-rock.sh --list   (make check-list: the generated lists only)
set -eu
top=$(pwd)
fail() { echo "check-rock: $*" >&2; exit 1; }
lua5.4 spec/support/gen-rockspec.lua --check
if grep -q 'helpscout[./]sandbox' rockspec/helpscout-scm-1.rockspec; then
  fail "the library rockspec lists a sandbox file"
fi
[ "${1:-}" = "--list" ] && { echo "check-list: both rockspecs list exactly the tree's files"; exit 0; }

grep '^luarocks ' README.md >/dev/null || fail "no luarocks line in README.md"
grep '^luarocks ' doc/resty.md 2>/dev/null | while IFS= read -r l; do
  grep -qxF "$l" README.md || fail "doc/resty.md prints a luarocks line the README does not: $l"
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# the lines run as from a shell, not with the make variables of a `make check-rock`
unset MAKEFLAGS MFLAGS MAKELEVEL

# $1: the tree, $2: interpreter, $3: Lua version directory, $4: Lua code (HS_TREE: the tree)
load() {
  (cd /tmp && LUA_PATH="$1/share/lua/$3/?.lua;$1/share/lua/$3/?/init.lua;;" \
    LUA_CPATH="$1/lib/lua/$3/?.so;;" HS_TREE="$1" "$2" -e "$4")
}
LIB='
  local tree = os.getenv("HS_TREE")
  local hs = require "helpscout"
  local core = require "helpscout.core"
  local where = package.searchpath("helpscout.core", package.cpath)
  assert(where and where:sub(1, #tree) == tree, "core not loaded from the rock tree: " .. tostring(where))
  assert(type(hs.new) == "function" and type(hs.VERSION) == "string", "helpscout API missing")
  assert(#core.schema == 9, "expected nine tools")
  require "helpscout.triage"
  local sb = package.searchpath("helpscout.sandbox", package.path)
  assert(not (sb and sb:sub(1, #tree) == tree), "the library rock installed helpscout.sandbox")
  io.write(_VERSION, " ", hs.VERSION, "; ")'
SANDBOX='
  local tree = os.getenv("HS_TREE")
  require "helpscout.sandbox"
  local where = package.searchpath("helpscout.sandbox", package.path)
  assert(where and where:sub(1, #tree) == tree, "helpscout.sandbox not loaded from the rock tree")'

# run one README line into the tree of its Lua version
run_line() {
  case "$1" in
    *--lua-version=5.1*) v=5.1 lua=luajit ;;
    *--lua-version=5.4*) v=5.4 lua=lua5.4 ;;
    *) fail "a luarocks line without --lua-version: $1" ;;
  esac
  tree="$tmp/tree-$v"
  mkdir -p "$tree"
  printf 'rocks_trees = { "%s" }\n' "$tree" >"$tmp/config-$v.lua"
  if ! LUAROCKS_CONFIG="$tmp/config-$v.lua" sh -c "$1" >"$tmp/luarocks.log" 2>&1; then
    cat "$tmp/luarocks.log" >&2; fail "'$1' failed"
  fi
  case "$1" in
    *helpscout-sandbox-*)
      load "$tree" "$lua" "$v" "$SANDBOX"
      test -x "$tree/bin/helpscout-sandbox" || fail "the sandbox rock installed no bin/helpscout-sandbox" ;;
    *)
      load "$tree" "$lua" "$v" "$LIB"
      left=$(cd "$tree" && find . -path '*sandbox*' ! -name '*.rockspec' ! -path './lib/luarocks/*')
      [ -z "$left" ] || fail "the library rock installed sandbox files: $left"
      test -x "$tree/bin/helpscout" && test -x "$tree/bin/helpscout-mcp" || fail "bin scripts not installed" ;;
  esac
  done_lines="$done_lines
$1"
}

done_lines=""
# the library lines first (the sandbox rock goes into a tree that has the library)
grep '^luarocks ' README.md | grep -v 'helpscout-sandbox-' >"$tmp/lib-lines"
grep '^luarocks ' README.md | grep 'helpscout-sandbox-' >"$tmp/sandbox-lines" || true
while IFS= read -r line; do run_line "$line"; done <"$tmp/lib-lines"
while IFS= read -r line; do run_line "$line"; done <"$tmp/sandbox-lines"
for want in "--lua-version=5.4 .*rockspec/helpscout-scm-1" "--lua-version=5.1 .*rockspec/helpscout-scm-1" \
            "rockspec/helpscout-sandbox-scm-1"; do
  printf '%s\n' "$done_lines" | grep -q -- "$want" || fail "README.md has no luarocks line for $want"
done
echo
echo "check-rock: the README's $(grep -c '^luarocks ' README.md) luarocks lines installed the library rock" \
  "(no sandbox file) under Lua 5.4 and LuaJIT and the sandbox rock into temporary trees; they load"
