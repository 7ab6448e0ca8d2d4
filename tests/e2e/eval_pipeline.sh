#!/usr/bin/env bash
# eval_pipeline.sh — `skillrouter eval -i` through the retrieve-and-rerank pipeline with tiny random-weight
# models (real tokenizer ids): index with vectors → eval with a reranker reports both stages; stage 1
# equals a retrieval-only eval; the reranked top rerank-k is a permutation of the shortlist and the rest is
# untouched; shortlist recall equals Recall@20 of both stages and bounds the reranked Recall@10; the final
# ranking equals `skillrouter route` with the same flags; --query-vectors gives the same retrieval as
# --embed-model; usage errors.
cd "$(dirname "$0")/../.." && . tests/e2e/lib.sh
TOK=${SR_SHARED:-../shared}/models/qwen3/tokenizer
PY=${PYTHON:-/usr/bin/python3}
if [ ! -x "$SR" ]; then t_fail "eval_pipeline: $SR not built"; t_done; exit 1; fi
if [ ! -d "$TOK" ] || ! "$PY" -c 'import numpy' 2>/dev/null; then t_skip "eval_pipeline: tokenizer or numpy missing"; t_done; exit 0; fi
M=$T_DIR/model; "$PY" tests/ref/make_tiny_embed_model.py "$M" || { t_fail "model generation"; t_done; exit 1; }
D=$T_DIR
# 40 skills, 8 tasks (single and multi ground truth, one generic_only)
"$PY" - "$D" <<'PY'
import json, sys
d = sys.argv[1]
topics = ["pdf merge", "csv parse", "excel chart", "docker build", "git rebase", "http server", "image resize",
          "audio transcribe", "sql query", "email send"]
with open(d + "/pool.jsonl", "w") as f:
    for i in range(40):
        t = topics[i % 10]
        f.write(json.dumps({"skill_id": "s%02d" % i, "name": "%s tool %d" % (t, i),
                            "description": "helps with %s tasks, variant %d" % (t, i // 10),
                            "body": "Use this to %s. Steps: read input %d, %s, write output." % (t, i, t)}) + "\n")
tasks = [("t1", "merge two pdf files into one", ["s00"]), ("t2", "parse a csv and plot an excel chart", ["s01", "s02"]),
         ("t3", "build a docker image", ["s13"]), ("t4", "rebase my git branch", ["s24", "s04"]),
         ("t5", "serve files over http", ["s05"]), ("t6", "resize an image and send it by email", ["s16", "s19"]),
         ("t7", "transcribe this audio", ["s37"]), ("t8", "write a sql query", ["s08"])]
with open(d + "/tasks.jsonl", "w") as f:
    for tid, text, _ in tasks: f.write(json.dumps({"task_id": tid, "instruction_text": text}) + "\n")
rel = {tid: {"task_type": "clean", "gt_skill_ids": gt, "core_gt_ids": gt, "relevance": {g: 3 for g in gt}} for tid, _, gt in tasks}
rel["t8"]["task_type"] = "generic_only"
json.dump(rel, open(d + "/relevance.json", "w"))
PY
json_get() { "$PY" -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }
IX=$D/ix
t_check "index --embed-model" "$SR" index -q "$D/pool.jsonl" -o "$IX" --embed-model "$M" --tokenizer "$TOK"
PIPE=(-i "$IX" --tasks "$D/tasks.jsonl" --relevance "$D/relevance.json" --embed-model "$M" --tokenizer "$TOK" -k 30)
# retrieval only, then the same retrieval with the reranker (top 20)
"$SR" eval "${PIPE[@]}" --json --predictions-out "$D/plain.json" >"$D/plain.out" 2>"$D/err"
t_check "eval retrieval-only exit 0" test $? -eq 0
"$SR" eval "${PIPE[@]}" --rerank-model "$M" --json --report --predictions-out "$D/final.json" \
  --retrieval-predictions-out "$D/ret.json" >"$D/rr.out" 2>"$D/err"
t_check "eval with reranker exit 0" test $? -eq 0
t_check "per-stage latency on stderr" grep -q "^reranking over 7 queries" "$D/err"
t_check "both stages and the shortlist" test "$(json_get "$D/rr.out" 'sorted(j["stages"]), j["pipeline"]["mode"], j["stages"]["shortlist"]["depth"], j["count"]')" = "['reranked', 'retrieval', 'shortlist'] hybrid-rrf 20 7"
t_check "stage 1 == retrieval-only eval" "$PY" -c '
import json,sys
a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2]))
assert a["stages"]["retrieval"]=={k:b[k] for k in ("all","single","multi","count")}, (a["stages"]["retrieval"]["all"], b["all"])
assert b["stages"]["retrieval"]["all"]==b["all"] and "reranked" not in b["stages"]' "$D/rr.out" "$D/plain.out"
t_check "retrieval predictions == retrieval-only eval's" cmp -s "$D/ret.json" "$D/plain.json"
t_check "top level == reranked stage" test "$(json_get "$D/rr.out" 'j["stages"]["reranked"]["all"] == j["all"]')" = "True"
t_check "consistency: shortlist recall, Recall@10/20/50, permutation" "$PY" -c '
import json,sys
j=json.load(open(sys.argv[1])); fin=json.load(open(sys.argv[2])); ret=json.load(open(sys.argv[3])); rel=json.load(open(sys.argv[4]))
R=20; s1=j["stages"]["retrieval"]["all"]; s2=j["stages"]["reranked"]["all"]; sl=j["stages"]["shortlist"]["recall"]["all"]
assert abs(sl-s1["Recall@20"])<1e-12 and abs(sl-s2["Recall@20"])<1e-12, (sl, s1["Recall@20"], s2["Recall@20"])
assert s2["Recall@10"] <= sl+1e-12 and s2["Recall@50"]==s1["Recall@50"]
# shortlist recall from the retrieval rankings themselves
tasks=[t for t in rel if rel[t]["task_type"]!="generic_only"]
want=sum(len(set(rel[t]["core_gt_ids"])&set(ret[t][:R]))/len(rel[t]["core_gt_ids"]) for t in tasks)/len(tasks)
assert abs(want-sl)<1e-12, (want, sl)
changed=0
for t in tasks:
    assert sorted(fin[t][:R])==sorted(ret[t][:R]) and fin[t][R:]==ret[t][R:] and len(fin[t])==len(ret[t])==30, t
    changed+=fin[t][:R]!=ret[t][:R]
assert changed>0, "the reranker changed no order: the test would not see a broken rerank stage"
ranks={x["task_id"]:x for x in j["tasks"]}
for t in tasks:
    for g in rel[t]["core_gt_ids"]:
        assert ranks[t]["ranks"][g]==(fin[t].index(g)+1 if g in fin[t] else None)
        assert ranks[t]["retrieval_ranks"][g]==(ret[t].index(g)+1 if g in ret[t] else None)' \
  "$D/rr.out" "$D/final.json" "$D/ret.json" "$D/relevance.json"
# the eval's final ranking is what `skillrouter route` returns with the same flags
"$SR" route -i "$IX" --embed-model "$M" --tokenizer "$TOK" --rerank-model "$M" -k 30 --json "rebase my git branch" >"$D/route.json"
t_check "eval ranking == route ranking" test "$(json_get "$D/route.json" '[r["skill_id"] for r in j["results"]]')" = "$(json_get "$D/final.json" 'j["t4"]')"
# text report: both stages, the shortlist line, the gain table, retrieval ranks
"$SR" eval "${PIPE[@]}" --rerank-model "$M" --report >"$D/rr.txt" 2>/dev/null
t_check "text: stage tables" sh -c "grep -q '^stage 1, retrieval only: strict' '$D/rr.txt' && grep -q '^stage 2, reranked: strict' '$D/rr.txt'"
t_check "text: shortlist and gain" sh -c "grep -q '^shortlist: the retrieval top 20 holds' '$D/rr.txt' && grep -qE '^Recall@20 +[0-9.]+ +[0-9.]+ +[+-]0\.0000$' '$D/rr.txt'"
t_check "text: pipeline line" grep -q "^pipeline: hybrid-rrf retrieval, top 30; the first 20 reranked by" "$D/rr.txt"
# --query-vectors: the tasks' embeddings given instead of a model → the same retrieval
"$PY" - "$D/tasks.jsonl" "$D/qv.jsonl" "$SR" "$M" "$TOK" <<'PY'
import json, subprocess, sys
tasks, out, sr, m, tok = sys.argv[1:]
with open(out, "w") as f:
    for l in open(tasks):
        t = json.loads(l)
        v = subprocess.run([sr, "embed", "--model", m, "--tokenizer", tok, "--query", t["instruction_text"]],
                           capture_output=True, text=True, check=True).stdout.split()
        f.write(json.dumps({"task_id": t["task_id"], "vector": [float(x) for x in v]}) + "\n")
PY
"$SR" eval -i "$IX" --tasks "$D/tasks.jsonl" --relevance "$D/relevance.json" --query-vectors "$D/qv.jsonl" -k 30 \
  --predictions-out "$D/qvp.json" --json >"$D/qv.out" 2>"$D/err"
t_check "query vectors exit 0" test $? -eq 0
t_check "query vectors == embed model" "$PY" -c '
import json,sys
a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2]))
assert a.keys()==b.keys() and all(a[t][:10]==b[t][:10] for t in a), [(a[t][:5],b[t][:5]) for t in a if a[t][:10]!=b[t][:10]]' \
  "$D/qvp.json" "$D/plain.json"
# dense only over int8 vectors: the candidates are rescored on the f16 refine rows, so the ranking equals
# the f16 index's (near-ties of the tiny model's vectors differ from f32 already at f16 precision)
"$SR" export -i "$IX" >"$D/vec.jsonl"
t_check "int8 index" "$SR" index -q "$D/pool.jsonl" -o "$D/ix8" --full --vectors "$D/vec.jsonl" --vec-dtype int8
t_check "f16 index" "$SR" index -q "$D/pool.jsonl" -o "$D/ix16" --full --vectors "$D/vec.jsonl" --vec-dtype f16
for x in ix8 ix16; do
  "$SR" eval -i "$D/$x" --tasks "$D/tasks.jsonl" --relevance "$D/relevance.json" --query-vectors "$D/qv.jsonl" --mode dense \
    -k 10 --predictions-out "$D/$x.json" >/dev/null 2>&1
done
t_check "int8+refine dense == f16 dense" cmp -s "$D/ix8.json" "$D/ix16.json"
# errors
"$SR" eval --predictions "$D/plain.json" --tasks "$D/tasks.jsonl" --relevance "$D/relevance.json" --rerank-model "$M" >/dev/null 2>&1
t_check "pipeline flags without -i: exit 2" test $? -eq 2
"$SR" index -q "$D/pool.jsonl" -o "$D/lex.idx" --full --no-vectors
"$SR" eval -i "$D/lex.idx" --tasks "$D/tasks.jsonl" --relevance "$D/relevance.json" --mode dense --embed-model "$M" >/dev/null 2>"$D/err"
t_check "dense eval on an index without vectors: exit 1" test $? -eq 1
t_check "... with a clear message" grep -q "holds no vectors" "$D/err"
"$SR" eval -i "$IX" --tasks "$D/tasks.jsonl" --relevance "$D/relevance.json" --mode dense >/dev/null 2>&1
t_check "dense mode without a query vector source: exit 2" test $? -eq 2
t_done
