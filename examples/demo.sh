#!/bin/sh
# `make demo`: start the offline sandbox, run the three everyday jobs against it with the
# helpscout CLI (triage, reply drafts, a customer summary), print the report, stop the sandbox.
# LUA_PATH / LUA_CPATH point at the checkout (the Makefile sets them).
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
LUA=${LUA:-lua5.4}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/helpscout-demo.XXXXXX")
sandbox_pid=""

cleanup() {
  if [ -n "$sandbox_pid" ]; then kill "$sandbox_pid" 2>/dev/null; wait "$sandbox_pid" 2>/dev/null; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkfifo "$tmp/ready"
"$LUA" "$here/bin/helpscout-sandbox" --port 0 --languages --parent $$ >"$tmp/ready" 2>"$tmp/sandbox.log" &
sandbox_pid=$!
read -r first_line <"$tmp/ready" || first_line=""
url=${first_line##* }
case "$url" in
  http://*) ;;
  *) echo "demo: the sandbox did not start:" >&2; cat "$tmp/sandbox.log" >&2; exit 1 ;;
esac

export HELPSCOUT_BASE_URL="$url"
export HELPSCOUT_CLIENT_ID=sandbox-client-id
export HELPSCOUT_CLIENT_SECRET=sandbox-client-secret
# a token file from `helpscout auth login` (a real account) must not be used against the sandbox
export XDG_CONFIG_HOME="$tmp/config"
hs() { "$LUA" "$here/bin/helpscout" "$@"; }

rule() { printf '\n%s\n%s\n\n' "$1" "================================================================================"; }

echo "lua-helpscout demo against the offline sandbox at $url"

rule "1. List active conversations, group them by topic, and suggest which need attention first"
hs triage --limit 10 || exit 1

rule "2. Read the latest open conversations and draft suggested replies (nothing is sent)"
hs drafts --limit 3 || exit 1

# the customer behind the most pressing conversation
email=$(hs triage --json --limit 1 | "$LUA" -e '
  local r = require("cjson").decode(io.read("a"))
  local a = r.attention and r.attention[1]
  if a then io.write(tostring(a.id)) end') || exit 1
if [ -n "$email" ]; then
  email=$(hs conversation "$email" --json | "$LUA" -e '
    local c = require("cjson").decode(io.read("a"))
    io.write(c.primaryCustomer and c.primaryCustomer.email or "")') || exit 1
fi
rule "3. Find a customer by email and summarise their recent conversations ($email)"
if [ -n "$email" ]; then hs customer "$email" || exit 1; else echo "(no customer found)"; fi
echo
echo "Try it yourself: HELPSCOUT_BASE_URL=... bin/helpscout --help"
