#!/usr/bin/env bash
# eval.sh — CLI end-to-end tests of `skillrouter eval`: scoring a predictions file (text, --json,
# --report, --predictions-out, --bench), clear errors and exit codes, and `-i INDEX` when an index
# can be built. Skips when the binary has not been built.
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.sh
PY=${PYTHON:-/usr/bin/python3}
D=$T_DIR

if [ ! -x "$SR" ]; then
  t_fail "eval: $SR not built"
  t_done; exit $?
fi

cat >"$D/tasks.jsonl" <<'J'
{"task_id":"t1","instruction_text":"merge these pdf files"}
{"task_id":"t2","instruction_text":"plot a chart from the excel workbook"}
{"task_id":"t3","instruction_text":"fill the court form"}
J
cat >"$D/relevance.json" <<'J'
{"t1":{"task_type":"clean","gt_skill_ids":["s/pdf"],"core_gt_ids":["s/pdf"],"relevance":{"s/pdf":3}},
 "t2":{"task_type":"clean","gt_skill_ids":["s/chart","s/xlsx"],"core_gt_ids":["s/chart","s/xlsx"],"relevance":{"s/chart":3,"s/xlsx":3}},
 "t3":{"task_type":"generic_only","gt_skill_ids":["s/pdf"],"core_gt_ids":[],"relevance":{"s/pdf":3}}}
J
cat >"$D/pool.jsonl" <<'J'
{"skill_id":"s/pdf","name":"pdf tools","description":"read and merge pdf files","body":"pdf pdf extract text"}
{"skill_id":"s/xlsx","name":"spreadsheet","description":"excel workbook formulas","body":"xlsx cells formulas"}
{"skill_id":"s/chart","name":"charts","description":"plot charts","body":"matplotlib chart plot"}
{"skill_id":"s/other","name":"weather","description":"forecast the weather","body":"rain sun"}
{"skill_id":"c/pdf-copy","name":"pdf copy","description":"merge pdf","body":"pdf"}
J
echo '{"s/pdf":["c/pdf-copy"]}' >"$D/equivalents.json"
echo '{"t1":["c/pdf-copy","s/pdf"],"t2":["s/xlsx","s/other","s/chart"],"t3":["s/pdf"]}' >"$D/pred.json"
mkdir -p "$D/bench" && cp "$D/tasks.jsonl" "$D/relevance.json" "$D/equivalents.json" "$D/bench/"

# json_get FILE EXPR: prints the Python expression EXPR evaluated on the JSON document j
json_get() { "$PY" -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }

# Text output: a table with counts and every metric.
"$SR" eval --predictions "$D/pred.json" --tasks "$D/tasks.jsonl" --relevance "$D/relevance.json" \
  --pool "$D/pool.jsonl" >"$D/out.txt" 2>"$D/err.txt"
t_check "text exit 0" test $? -eq 0
t_check "text counts" grep -q "^2 tasks scored (1 single, 1 multi); skipped: 1 generic_only" "$D/out.txt"
t_check "text metrics" grep -qE "^FullCoverage@10 +1\.0000 +1\.0000 +1\.0000" "$D/out.txt"
t_check "text hit@1" grep -qE "^Hit@1 +0\.5000 +0\.0000 +1\.0000" "$D/out.txt"

# --json with --bench (equivalents picked up): strict and lenient.
"$SR" eval --predictions "$D/pred.json" --bench "$D/bench" --pool "$D/pool.jsonl" --json >"$D/out.json"
t_check "json exit 0" test $? -eq 0
t_check "json count" test "$(json_get "$D/out.json" 'j["count"], j["single"]["count"], j["multi"]["count"]')" = "2 1 1"
t_check "json strict MRR" test "$(json_get "$D/out.json" 'j["all"]["MRR@10"]')" = "0.75"
t_check "json lenient MRR" test "$(json_get "$D/out.json" 'j["lenient"]["all"]["MRR@10"]')" = "1"
t_check "json has every metric" test "$(json_get "$D/out.json" 'len(j["all"])')" = "13"

# --report: rank of each ground-truth skill, '-' when absent; lenient rank in parentheses.
echo '{"t1":["c/pdf-copy"],"t2":["s/xlsx"]}' >"$D/pred2.json"
"$SR" eval --predictions "$D/pred2.json" --bench "$D/bench" --pool "$D/pool.jsonl" --report >"$D/rep.txt"
t_check "report t1" grep -qE "^t1 +single s/pdf:- \(1\)$" "$D/rep.txt"
t_check "report t2" grep -qE "^t2 +multi +s/chart:- s/xlsx:1$" "$D/rep.txt"
"$SR" eval --predictions "$D/pred2.json" --bench "$D/bench" --pool "$D/pool.jsonl" --report --json >"$D/rep.json"
t_check "report json" test "$(json_get "$D/rep.json" 'j["tasks"][1]["ranks"]')" = "{'s/chart': None, 's/xlsx': 1}"

# --predictions-out writes what was scored.
"$SR" eval --predictions "$D/pred.json" --bench "$D/bench" --predictions-out "$D/copy.json" >/dev/null
t_check "predictions-out" test "$(json_get "$D/copy.json" 'j["t2"]')" = "['s/xlsx', 's/other', 's/chart']"

# --baseline: paired differences per metric (t1 MRR 0.5 vs 0, t2 the same) with intervals and counts.
"$SR" eval --predictions "$D/pred.json" --bench "$D/bench" --pool "$D/pool.jsonl" --baseline "$D/pred2.json" --json >"$D/pair.json"
t_check "baseline json: MRR diff, better/worse, pairs" test "$(json_get "$D/pair.json" \
  'j["paired"]["metrics"]["MRR@10"]["diff"], j["paired"]["metrics"]["MRR@10"]["better"], j["paired"]["metrics"]["MRR@10"]["worse"], j["paired"]["count"]')" = "0.25 1 0 2"
t_check "baseline json: interval around the difference" test "$(json_get "$D/pair.json" \
  'j["paired"]["metrics"]["MRR@10"]["lo"] <= 0.25 <= j["paired"]["metrics"]["MRR@10"]["hi"]')" = "True"
t_check "baseline json: lenient (the copy counts for both)" test "$(json_get "$D/pair.json" 'j["paired_lenient"]["metrics"]["MRR@10"]["diff"] == 0')" = "True"
"$SR" eval --predictions "$D/pred.json" --bench "$D/bench" --pool "$D/pool.jsonl" --baseline "$D/pred.json" >"$D/pair.txt"
t_check "baseline text: against itself, no difference" grep -qE "^Hit@1 +0\.5000 +0\.5000 +\+0\.0000  \[\+0\.0000, \+0\.0000\] +0 +0$" "$D/pair.txt"
"$SR" eval --predictions "$D/pred.json" --bench "$D/bench" --baseline "$D/none.json" >/dev/null 2>"$D/err.txt"
t_check "baseline missing: exit 1 naming it" test $? -eq 1 -a -n "$(grep none.json "$D/err.txt")"

# Errors: exit 1 with file and line; usage errors exit 2.
printf '{"t1": ["a",\n "b",, "c"]}' >"$D/bad.json"
"$SR" eval --predictions "$D/bad.json" --bench "$D/bench" >/dev/null 2>"$D/err.txt"
t_check "bad json exit 1" test $? -eq 1
t_check "bad json message" grep -q "bad.json:2:" "$D/err.txt"
echo '{"t1": "s/pdf"}' >"$D/bad2.json"
"$SR" eval --predictions "$D/bad2.json" --bench "$D/bench" >/dev/null 2>"$D/err.txt"
t_check "wrong type" grep -q "task 't1': ranking is not an array" "$D/err.txt"
"$SR" eval --predictions "$D/pred.json" --bench "$D/nope" >/dev/null 2>"$D/err.txt"
t_check "missing file exit 1" test $? -eq 1
"$SR" eval --bench "$D/bench" >/dev/null 2>&1
t_check "no mode exit 2" test $? -eq 2
"$SR" eval --predictions "$D/pred.json" --bench "$D/bench" -k 0 >/dev/null 2>&1
t_check "bad -k exit 2" test $? -eq 2
"$SR" eval --help >"$D/help.txt"
t_check "help" grep -q -- "--equivalents" "$D/help.txt"

# -i INDEX: routes the tasks; the pool is the index. Needs `skillrouter index` to build one.
if "$SR" index -o "$D/x.idx" "$D/pool.jsonl" >/dev/null 2>&1 && [ -f "$D/x.idx" ]; then
  "$SR" eval -i "$D/x.idx" --bench "$D/bench" --json --predictions-out "$D/routed.json" >"$D/idx.json"
  t_check "index exit 0" test $? -eq 0
  t_check "index count" test "$(json_get "$D/idx.json" 'j["count"]')" = "2"
  t_check "index routed t1" test "$(json_get "$D/routed.json" 'j["t1"][0] in ("s/pdf", "c/pdf-copy")')" = "True"
else
  t_fail "eval -i: could not build an index with '$SR index -o X.idx pool.jsonl'"
fi
t_done
