# lib.sh — helpers for CLI end-to-end tests (sourced, not run). Each script calls t_ok/t_fail per
# check and ends with t_done, which prints "<script>: N passed, N failed[, N skipped]".
T_PASS=0; T_FAIL=0; T_SKIP=0
SR=${SR_BIN:-build/asan/skillrouter}
# The e2e tests of the lexical router must not depend on the bundled default model (models/default.srm):
# they run with it off unless a test sets SKILLROUTER_MODEL itself (tests/e2e/default_model.sh does).
export SKILLROUTER_MODEL=${SKILLROUTER_MODEL:-none}
T_DIR=$(mktemp -d)
trap 'rm -rf "$T_DIR"' EXIT
t_ok()   { T_PASS=$((T_PASS + 1)); }
t_fail() { T_FAIL=$((T_FAIL + 1)); echo "FAIL $*" >&2; }
t_skip() { T_SKIP=$((T_SKIP + 1)); echo "SKIP $*"; }
# t_check NAME COMMAND...: passes when the command exits 0
t_check() { local n=$1; shift; if "$@"; then t_ok; else t_fail "$n"; fi; }
t_done() { echo "$(basename "$0"): $T_PASS passed, $T_FAIL failed, $T_SKIP skipped"; [ "$T_FAIL" -eq 0 ]; }
