#!/usr/bin/env bash
# End-to-end: `skillrouter train` makes a default model (tiny settings, example catalog); `index` stores
# its vectors and reuses them; `route` and `eval` use it automatically; --no-model is the lexical router;
# a damaged model file is a clear error.
source "$(dirname "$0")/lib.sh"
PY=${PYTHON:-/usr/bin/python3}
ex=examples
lex=$T_DIR/lex.idx
idx=$T_DIR/ex.idx
m=$T_DIR/m.srm

SKILLROUTER_MODEL=none $SR index -q --no-model $ex/skills $ex/tools/weather.json -o $lex
t_check "lexical index" [ -s $lex ]
$SR train -i $lex -o $m --queries 200 --dim 16 --buckets 4096 --epochs 2 --batch 8 --rr-list 5 --rr-epochs 3 \
  --heldout 0.2 --rr-share 0.3 -q 2>$T_DIR/train.err
t_check "train writes a model" [ -s $m ]
$SR train -i $lex -o $T_DIR/m2.srm --queries 200 --dim 16 --buckets 4096 --epochs 2 --batch 8 --rr-list 5 --rr-epochs 3 \
  --heldout 0.2 --rr-share 0.3 -q --threads 1 2>/dev/null
t_check "train is deterministic (2 threads vs 1)" cmp -s <(tail -c +65 $m | head -c 100000) <(tail -c +65 $T_DIR/m2.srm | head -c 100000)
$SR train -o $m 2>/dev/null; t_check "train without -i is a usage error" [ $? -eq 2 ]
$SR train -i $lex -o $T_DIR/x.srm --negatives 1,2 2>/dev/null; t_check "bad --negatives is a usage error" [ $? -eq 2 ]

err=$(SKILLROUTER_MODEL=$m $SR index $ex/skills $ex/tools/weather.json -o $idx 2>&1)
t_check "index embeds every entry with the model" grep -Eq 'default model: [1-9][0-9]* entries embedded, 0 reused' <<<"$err"
err=$(SKILLROUTER_MODEL=$m $SR index $ex/skills $ex/tools/weather.json -o $idx 2>&1)
t_check "re-index reuses every vector" grep -Eq 'default model: 0 entries embedded, [1-9][0-9]* reused' <<<"$err"

json=$(SKILLROUTER_MODEL=$m $SR route -i $idx -k 5 --json "slow postgres query explain analyze")
t_check "route uses the default model" $PY -c '
import json,sys; d=json.loads(sys.argv[1]); r=d["results"]
assert d["router"]=="default-model" and "rerank" in d["timing_ms"], d
assert len(r)==5 and len(set(x["skill_id"] for x in r))==5
assert all(r[i]["score"]>=r[i+1]["score"] for i in range(4))' "$json"
json=$(SKILLROUTER_MODEL=$m $SR route -i $idx -k 5 --json --no-model "slow postgres query explain analyze")
json_lex=$(SKILLROUTER_MODEL=none $SR route -i $lex -k 5 --json "slow postgres query explain analyze")
t_check "--no-model is the lexical router (same results as a lexical index)" $PY -c '
import json,sys; a=json.loads(sys.argv[1]); b=json.loads(sys.argv[2])
assert a["router"]=="lexical" and b["router"]=="lexical"
assert [(x["skill_id"],x["score"]) for x in a["results"]]==[(x["skill_id"],x["score"]) for x in b["results"]]' "$json" "$json_lex"
json=$($SR route -i $idx -k 3 --json --model $m "bisect a regression across commits")
t_check "route --model FILE" $PY -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["router"]=="default-model"' "$json"

out=$(SKILLROUTER_MODEL=$m $SR eval -i $idx --tasks $ex/tasks.jsonl --relevance $ex/relevance.json 2>&1)
t_check "eval uses the model and reports the lexical stage" grep -q 'stage 1 (lexical BM25F): Hit@1' <<<"$out"
t_check "eval prints the metrics" grep -q 'MRR@10' <<<"$out"
out=$(SKILLROUTER_MODEL=$m $SR eval -i $idx --tasks $ex/tasks.jsonl --relevance $ex/relevance.json --no-model 2>&1)
t_check "eval --no-model has no model stage" bash -c '! grep -q "stage 1" <<<"$1"' _ "$out"

head -c 1000 $m > $T_DIR/bad.srm
out=$($SR route -i $idx -k 3 --model $T_DIR/bad.srm "ocr" 2>&1); rc=$?
t_check "a truncated model file is a clear error" [ $rc -eq 1 ]
t_check "the error names the file and --no-model" grep -q 'bad.srm.*--no-model' <<<"$out"
t_done
