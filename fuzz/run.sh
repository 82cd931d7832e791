#!/bin/sh
# make fuzz: builds the libFuzzer target (fuzz/fuzz_json.c + csrc/*.c + static liblua5.4, under
# ASan+UBSan) and runs it on the committed seed corpus fuzz/corpus; new inputs go to
# .tmp/fuzz/corpus, crashes to .tmp/fuzz/artifacts. Fails on any sanitizer report, contract break
# (an abort from the target), leak or timeout. Then the HTTP response rules of helpscout.resty
# (fuzz/http_fuzz.lua, under LuaJIT). FUZZ_TIME seconds in all: a quarter (at least 2 s) for the
# HTTP target, the rest for the JSON one.
set -eu
cd "$(dirname "$0")/.."
CC=${FUZZ_CC:-clang}
TOTAL=${FUZZ_TIME:-60}
HTTP_TIME=$((TOTAL / 4)); [ "$HTTP_TIME" -ge 2 ] || HTTP_TIME=2
TIME=$((TOTAL - HTTP_TIME)); [ "$TIME" -ge 1 ] || TIME=1
INC=${LUA_INCDIR:-/usr/include/lua5.4}
LIBLUA=${LIBLUA:-/usr/lib/$(gcc -print-multiarch)/liblua5.4.a}
OUT=.tmp/fuzz
mkdir -p "$OUT/corpus" "$OUT/artifacts"
# shellcheck disable=SC2086
$CC -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
  -std=c99 -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L -I"$INC" ${CURL_CFLAGS:-} -o "$OUT/fuzz_json" \
  fuzz/fuzz_json.c csrc/*.c "$LIBLUA" ${CURL_LIBS:--lcurl} -lm -ldl
echo "make fuzz: ${TIME}s on $(ls fuzz/corpus | wc -l) seeds"
"$OUT/fuzz_json" -max_total_time="$TIME" -timeout=10 -rss_limit_mb=2048 -dict=fuzz/json.dict \
  -artifact_prefix="$OUT/artifacts/" -print_final_stats=1 "$OUT/corpus" fuzz/corpus 2>&1 |
  grep -v '^#[0-9]*.*\(NEW\|REDUCE\|pulse\)' || true
# The pipe hides the fuzzer's status: a crash leaves an artifact.
if ls "$OUT/artifacts/" | grep -q .; then
  echo "make fuzz: FAILED, inputs in $OUT/artifacts/"; exit 1
fi
${LUAJIT:-luajit} fuzz/http_fuzz.lua "$HTTP_TIME"
