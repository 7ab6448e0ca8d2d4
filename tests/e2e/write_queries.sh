#!/usr/bin/env bash
# End-to-end: `skillrouter write-queries` against a mock OpenAI-compatible endpoint (tests/tools/mock_chat.c):
# one line per sampled skill with the right shape and the right skill, no excluded ids, resume (a second
# run makes no request; a partial run is a prefix of the full one), retry, rejected answers, cleaning,
# and the failures (endpoint down, HTTP 500, timeout, not JSON) as clear errors naming the URL; then
# `train --query-writer` end to end, counting the llm pairs.
source "$(dirname "$0")/lib.sh"
PY=${PYTHON:-/usr/bin/python3}
MOCK=${SR_MOCK_CHAT:-build/tests/mock_chat}
if [ ! -x "$MOCK" ]; then t_skip "write_queries: $MOCK not built (make test builds it)"; $SR train -i $idx -o $T_DIR/m4.srm --writer-model x 2>/dev/null; t_check "--writer-* without --query-writer is a usage error" [ $? -eq 2 ]
$SR train --help | grep -q -- "--query-writer URL"; t_check "train --help lists --query-writer" [ $? -eq 0 ]
t_done; exit; fi
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy   # the mock is on 127.0.0.1
ex=examples
idx=$T_DIR/ex.idx
$SR index -q --no-model $ex/skills $ex/tools/weather.json -o $idx
n_entries=$($SR export -i $idx | wc -l)
$SR export -i $idx > $T_DIR/entries.jsonl

MOCK_PID=
start_mock() {  # mock_chat options...; sets MOCK_PID and URL
  rm -f $T_DIR/port
  $MOCK --port-file $T_DIR/port "$@" &
  MOCK_PID=$!
  for _ in $(seq 1 200); do [ -s $T_DIR/port ] && break; sleep 0.05; done
  URL=http://127.0.0.1:$(cat $T_DIR/port)
}
stop_mock() { kill $MOCK_PID 2>/dev/null; wait $MOCK_PID 2>/dev/null; MOCK_PID=; }
trap '[ -n "$MOCK_PID" ] && kill $MOCK_PID 2>/dev/null; rm -rf "$T_DIR"' EXIT
requests() { curl -s $URL/requests; }
wq() { $SR write-queries -i $idx --endpoint $URL "$@"; }

# t_all NAME COMMAND...: passes when the command (a shell snippet, run with eval) exits 0
t_all() { local n=$1; shift; if eval "$*"; then t_ok; else t_fail "$n"; fi; }

# ---- the happy path, shape, right skill
start_mock --requests-log $T_DIR/requests.log
q=$T_DIR/q.jsonl
wq -o $q -n 100 --model mock-model 2>$T_DIR/err; rc=$?
t_check "write-queries exits 0" [ $rc -eq 0 ]
t_check "one line per entry" [ "$(wc -l <$q)" -eq "$n_entries" ]
t_check "one request per entry" [ "$(requests)" -eq "$n_entries" ]
t_check "lines are {query, skill_id, source llm, model}, one per skill, written for that skill" $PY -c '
import json,re,sys
ents={e["id"]:e for e in map(json.loads,open(sys.argv[2]))}
ls=[json.loads(l) for l in open(sys.argv[1])]
assert len({l["skill_id"] for l in ls})==len(ls)
for l in ls:
    assert set(l)=={"query","skill_id","source","model"} and l["source"]=="llm" and l["model"]=="mock-model", l
    desc=re.findall(r"[a-z]+", ents[l["skill_id"]]["description"].lower())
    name=set(re.findall(r"[a-z0-9]+", ents[l["skill_id"]]["name"].lower()))
    words=[w for w in desc if w not in name][:3]
    assert all(w in l["query"].lower() for w in words), (l, words)' $q $T_DIR/entries.jsonl
t_check "requests carry the model, temperature 0 and a seed" $PY -c '
import json,sys
for l in open(sys.argv[1]):
    r=json.loads(l); assert r["model"]=="mock-model" and r["temperature"]==0 and "seed" in r, r
    assert [m["role"] for m in r["messages"]]==["system","user"]' $T_DIR/requests.log

# ---- resume: a finished run costs nothing; a partial run continues
cp $q $T_DIR/q.before
wq -o $q -n 100 --model mock-model 2>$T_DIR/err; rc=$?
t_check "a second run exits 0" [ $rc -eq 0 ]
t_check "a second run makes no request" [ "$(requests)" -eq "$n_entries" ]
t_check "a second run leaves the file as it was" cmp -s $q $T_DIR/q.before
t_check "a second run says all were done" grep -q "$n_entries skills already done" $T_DIR/err
p=$T_DIR/partial.jsonl
wq -o $p -n 4 -q; wq -o $p -n 100 -q
t_check "a partial run then a full one: 4 + the rest requests" [ "$(requests)" -eq $((2 * n_entries)) ]
t_check "the partial run's lines come first, then the same lines as a fresh run" $PY -c '
import json,sys
a=[json.loads(l)["skill_id"] for l in open(sys.argv[1])]; b=[json.loads(l)["skill_id"] for l in open(sys.argv[2])]
assert a==b, (a,b)' $p $q

# ---- exclusions
printf 'weather/get_alerts\n' > $T_DIR/ex.txt
wq -o $T_DIR/x.jsonl -n 100 -q --exclude-bench $ex --exclude-ids $T_DIR/ex.txt
t_check "no excluded ids (benchmark ground truth, --exclude-ids)" $PY -c '
import json,sys
rel=json.load(open(sys.argv[2])); bad={i for t in rel.values() for i in t["gt_skill_ids"]}|{"weather/get_alerts"}
ids=[json.loads(l)["skill_id"] for l in open(sys.argv[1])]
assert ids and not bad & set(ids), ids
assert len(ids)==int(sys.argv[3])-len(bad), (len(ids), sys.argv[3])' $T_DIR/x.jsonl $ex/relevance.json $n_entries
stop_mock

# ---- cleaning and rejections
start_mock --mode fenced
wq -o $T_DIR/f.jsonl -n 3 -q
t_check "fences, labels and quotes are cleaned away" $PY -c '
import json,sys
ls=[json.loads(l)["query"] for l in open(sys.argv[1])]
assert len(ls)==3 and all(q.startswith("I have a folder") and q.endswith("table.") for q in ls), ls' $T_DIR/f.jsonl
stop_mock
start_mock --mode leak
wq -o $T_DIR/l.jsonl -n 3 -q; rc=$?
t_all "answers naming the skill are rejected (exit 0)" '[ $rc -eq 0 ] && [ ! -s $T_DIR/l.jsonl ]'
t_check "the rejected file gives the reason" $PY -c '
import json,sys
ls=[json.loads(l) for l in open(sys.argv[1])]
assert len(ls)==3 and all(l["reason"]=="names_skill" and l["text"] for l in ls), ls' $T_DIR/l.rejected.jsonl
wq -o $T_DIR/l.jsonl -n 3 -q
t_check "rejected skills are not asked again" [ "$(requests)" -eq 3 ]
stop_mock

# ---- retry: the first 3 requests fail; one skill fails twice (skipped), the next succeeds on retry
start_mock --fail-first 3
wq -o $T_DIR/r.jsonl -n 100 --parallel 1 2>$T_DIR/err; rc=$?
t_check "a few failures are retried and skipped (exit 0)" [ $rc -eq 0 ]
t_check "one skill skipped after two failures" [ "$(wc -l <$T_DIR/r.jsonl)" -eq $((n_entries - 1)) ]
t_check "failures are logged with URL and skill" grep -q "POST $URL/v1/chat/completions (skill .*) failed again: HTTP 500" $T_DIR/err
wq -o $T_DIR/r.jsonl -n 100 -q
t_check "the next run asks only the skipped skill" [ "$(requests)" -eq $((n_entries + 2 + 1)) ]
t_check "and completes the file" [ "$(wc -l <$T_DIR/r.jsonl)" -eq "$n_entries" ]
stop_mock

# ---- errors
start_mock
dead=$URL
stop_mock   # nothing listens on that port now
out=$($SR write-queries -i $idx -o $T_DIR/d.jsonl --endpoint $dead -q 2>&1); rc=$?
t_check "endpoint down: exit 1" [ $rc -eq 1 ]
t_check "endpoint down: the message names the URL" grep -q "$dead/v1/chat/completions failed; is the endpoint right" <<<"$out"
t_check "endpoint down: no output file" [ ! -e $T_DIR/d.jsonl ]
start_mock --mode 500
out=$(wq -o $T_DIR/e.jsonl -q -n 30 2>&1); rc=$?
t_all "HTTP 500: exit 1 with the status and body" '[ $rc -eq 1 ] && grep -qF "HTTP 500: {\"error\":{\"message\":\"mock failure\"" <<<"$out"'
t_check "HTTP 500: each skill tried twice, stopped after the first $n_entries" [ "$(requests)" -eq $((2 * n_entries)) ]
stop_mock
start_mock --mode malformed
out=$(wq -o $T_DIR/e.jsonl -q -n 2 2>&1); rc=$?
t_all "not JSON: exit 1, says so" '[ $rc -eq 1 ] && grep -q "response is not JSON: <html>" <<<"$out"'
stop_mock
start_mock --mode shape
out=$(wq -o $T_DIR/e.jsonl -q -n 2 2>&1); rc=$?
t_all "wrong shape: exit 1, says so" '[ $rc -eq 1 ] && grep -q "no choices\[0\]" <<<"$out"'
stop_mock
start_mock --mode sleep --sleep-ms 2000
t0=$(date +%s%N)
out=$(wq -o $T_DIR/e.jsonl -q -n 2 --timeout-ms 200 2>&1); rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
t_all "timeout: exit 1, says timed out and names the URL" '[ $rc -eq 1 ] && grep -q "timed out" <<<"$out" && grep -q "$URL" <<<"$out"'
t_check "timeout: the client does not wait for the server ($ms ms)" [ $ms -lt 1800 ]
stop_mock
$SR write-queries -i $idx -o $T_DIR/e.jsonl 2>/dev/null; t_check "no --endpoint is a usage error" [ $? -eq 2 ]
$SR write-queries -i $idx -o $T_DIR/e.jsonl --endpoint ftp://x 2>/dev/null; t_check "a non-HTTP endpoint is an error" [ $? -eq 1 ]
$SR write-queries -i $idx -o $T_DIR/e.jsonl --endpoint $dead --parallel 65 2>/dev/null; t_check "bad --parallel is a usage error" [ $? -eq 2 ]
$SR write-queries --help | grep -q -- "--exclude-bench"; t_check "write-queries --help" [ $? -eq 0 ]
$SR --help | grep -q "write-queries"; t_check "write-queries is listed" [ $? -eq 0 ]

# ---- train --query-writer
start_mock
m=$T_DIR/m.srm
printf '{"query": "summarise my csv of sales by region", "skill_id": "skills/csv-report"}\n' > $T_DIR/pairs.jsonl
$SR train -i $idx -o $m --query-writer $URL --writer-model mock --writer-queries 100 --pairs $T_DIR/pairs.jsonl \
  --exclude-ids $T_DIR/ex.txt --queries 200 --dim 16 --buckets 4096 --epochs 2 --batch 8 --rr-list 5 --rr-epochs 3 \
  --heldout 0.2 --rr-share 0.3 2>$T_DIR/train.err; rc=$?
t_all "train --query-writer exits 0 and writes a model" '[ $rc -eq 0 ] && [ -s $m ]'
t_check "the writer's file is next to the model, without excluded ids" \
  bash -c '[ "$(wc -l <$1)" -eq $(($2 - 1)) ] && ! grep -q get_alerts $1' _ $m.queries.jsonl $n_entries
t_check "the training log counts labelled and llm pairs" grep -Eq "labelled 1, llm $((n_entries - 1));" $T_DIR/train.err
t_check "the model's META counts the llm pairs" $PY -c '
import sys; d=open(sys.argv[1],"rb").read(); assert b"\"llm\":%d" % (int(sys.argv[2])-1) in d' $m $n_entries
$SR train -i $idx -o $T_DIR/m2.srm --query-writer $URL --writer-out $m.queries.jsonl --writer-queries 100 \
  --exclude-ids $T_DIR/ex.txt --queries 50 --dim 16 --buckets 4096 --epochs 1 --batch 8 --rr-list 5 --rr-epochs 1 -q 2>/dev/null
t_check "train again with the same writer file: no new request" [ "$(requests)" -eq $((n_entries - 1)) ]
stop_mock
$SR train -i $idx -o $T_DIR/m3.srm --query-writer $dead --queries 50 --dim 16 --buckets 4096 -q 2>$T_DIR/err; rc=$?
t_check "train with the endpoint down: exit 1 naming the URL, no model" \
  bash -c '[ $1 -eq 1 ] && grep -q "$2" $3 && [ ! -e $4 ]' _ $rc "$dead" $T_DIR/err $T_DIR/m3.srm
$SR train -i $idx -o $T_DIR/m4.srm --writer-model x 2>/dev/null; t_check "--writer-* without --query-writer is a usage error" [ $? -eq 2 ]
$SR train --help | grep -q -- "--query-writer URL"; t_check "train --help lists --query-writer" [ $? -eq 0 ]
t_done
