#!/usr/bin/env bash
# Runs every unit test program (build/asan/tests/*) and every CLI end-to-end script (tests/e2e/*.sh),
# adds up their "N passed, N failed" lines and ends with the total on the last line.
# A program that crashes or prints no summary counts as one failure.
set -u
cd "$(dirname "$0")/.."
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export SR_BIN=${SR_BIN:-$PWD/build/asan/skillrouter}
export SR_BIN_REL=${SR_BIN_REL:-$PWD/build/skillrouter}
export SR_SHARED=${SR_SHARED:-$PWD/../shared}
export PYTHON=${PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export TMPDIR=$tmp
passed=0 failed=0 skipped=0
run_one() {  # name, command...
  local name=$1; shift
  local log="$tmp/log.$(basename "$name")"
  "$@" >"$log" 2>&1
  local rc=$?
  local line
  line=$(grep -E '^[^ ]*:? ?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
  if [ -z "$line" ]; then
    echo "FAIL $name: exit $rc, no summary line"; tail -n 30 "$log"; failed=$((failed + 1)); return
  fi
  local p f s
  p=$(echo "$line" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+')
  f=$(echo "$line" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+')
  s=$(echo "$line" | grep -oE '[0-9]+ skipped' | grep -oE '[0-9]+' || true)
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + ${s:-0}))
  if [ "$f" -ne 0 ] || [ "$rc" -ne 0 ]; then
    [ "$f" -eq 0 ] && failed=$((failed + 1))
    echo "FAIL $name (exit $rc): $line"; grep -E 'FAIL|ERROR|runtime error|AddressSanitizer' "$log" | head -n 40
  else
    echo "ok   $name: $line"
  fi
  grep -E '^SKIP' "$log" | sed 's/^/     /'
}
for t in build/asan/tests/test_*; do
  [ -x "$t" ] || continue
  run_one "$t" "$t"
done
for t in tests/e2e/*.sh; do
  [ "$(basename "$t")" = lib.sh ] && continue
  [ -f "$t" ] || continue
  run_one "$t" bash "$t"
done
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
[ "$failed" -eq 0 ]
