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
# same encoder and reranker sections (META holds the training time, so it differs)
sections() { $PY -c '
import struct,sys; d=open(sys.argv[1],"rb").read(); n,=struct.unpack_from("<I",d,12); t,=struct.unpack_from("<Q",d,16)
print(sorted((d[t+24*i:t+24*i+4], struct.unpack_from("<I",d,t+24*i+4)[0]) for i in range(n) if d[t+24*i:t+24*i+4]!=b"META"))' "$1"; }
t_check "train is deterministic (2 threads vs 1)" [ "$(sections $m)" = "$(sections $T_DIR/m2.srm)" ]
$SR train -o $m 2>/dev/null; t_check "train without -i is a usage error" [ $? -eq 2 ]
# a 1-epoch run's checkpoint resumed with --epochs 2 = the 2-epoch run ($m)
$SR train -i $lex -o $T_DIR/e1.srm --queries 200 --dim 16 --buckets 4096 --epochs 1 --batch 8 --rr-list 5 --rr-epochs 3 \
  --heldout 0.2 --rr-share 0.3 -q --checkpoint $T_DIR/ck.srm 2>/dev/null
$SR train -i $lex -o $T_DIR/r2.srm --queries 200 --dim 16 --buckets 4096 --epochs 2 --batch 8 --rr-list 5 --rr-epochs 3 \
  --heldout 0.2 --rr-share 0.3 --resume $T_DIR/ck.srm 2>$T_DIR/resume.err
t_check "train --resume: exit 0, says so" grep -q "resumed from .*ck.srm after encoder epoch 1 of 2" $T_DIR/resume.err
t_check "train --resume: the model of the run never stopped" [ "$(sections $m)" = "$(sections $T_DIR/r2.srm)" ]
$SR train -i $lex -o $T_DIR/x.srm --seed 7 --queries 200 --dim 16 --buckets 4096 --epochs 2 --batch 8 --rr-list 5 --rr-epochs 3 \
  --heldout 0.2 --rr-share 0.3 -q --resume $T_DIR/ck.srm 2>$T_DIR/resume2.err; rc=$?
t_check "train --resume with another seed: exit 1" [ $rc -eq 1 ]
t_check "train --resume with another seed: the message names the checkpoint" grep -q "ck.srm: a checkpoint of another run" $T_DIR/resume2.err
$SR train -i $lex -o $T_DIR/x.srm --resume $T_DIR/ck.srm --encoder-from $m 2>/dev/null
t_check "train --resume with --encoder-from is a usage error" [ $? -eq 2 ]
$SR train -i $lex -o $T_DIR/x.srm --resume $m 2>$T_DIR/resume3.err
t_check "train --resume of a finished model: exit 1" [ $? -eq 1 ]
t_check "train --resume of a finished model: explains" grep -q "without training state" $T_DIR/resume3.err
meta() { $PY -c '
import struct,sys,json; d=open(sys.argv[1],"rb").read(); n,=struct.unpack_from("<I",d,12); t,=struct.unpack_from("<Q",d,16)
for i in range(n):
    if d[t+24*i:t+24*i+4]==b"META":
        o,l=struct.unpack_from("<QQ",d,t+24*i+8); m=json.loads(d[o:o+l])
        print(m["encoder"]["init"], m["reranker"]["features"])' "$1"; }
t_check "META records the random start and 24 reranker inputs (defaults)" [ "$(meta $m)" = "random 24" ]
$SR train -i $lex -o $T_DIR/m3.srm --queries 200 --dim 16 --buckets 4096 --epochs 1 --batch 8 --rr-list 5 --rr-epochs 3 \
  --heldout 0.2 --rr-share 0.3 -q --cooc-init --rr-features 20 2>/dev/null
t_check "train --cooc-init --rr-features 20 (ablations)" [ "$(meta $T_DIR/m3.srm)" = "cooccurrence 20" ]
$SR train -i $lex -o $T_DIR/x.srm --rr-features 19 2>/dev/null; t_check "--rr-features 19 is an error" [ $? -ne 0 ]
# reranker members: META says how many, the network holds members x hidden units
rrshape() { $PY -c '
import struct,sys,json; d=open(sys.argv[1],"rb").read(); n,=struct.unpack_from("<I",d,12); t,=struct.unpack_from("<Q",d,16)
s={d[t+24*i:t+24*i+4]: struct.unpack_from("<QQ",d,t+24*i+8) for i in range(n)}
o,l=s[b"META"]; m=json.loads(d[o:o+l]); o,l=s[b"LTRN"]
print(m["reranker"]["members"], m["reranker"]["hidden"], struct.unpack_from("<I",d,o+4)[0])' "$1"; }
t_check "default: 8 reranker members of 32 units, one network of 256" [ "$(rrshape $m)" = "8 32 256" ]
$SR train -i $lex -o $T_DIR/m5.srm --queries 200 --dim 16 --buckets 4096 --epochs 1 --batch 8 --rr-list 5 --rr-epochs 3 \
  --heldout 0.2 --rr-share 0.3 -q --rr-members 3 --rr-hidden 4 2>/dev/null
t_check "train --rr-members 3 --rr-hidden 4: a network of 12 units" [ "$(rrshape $T_DIR/m5.srm)" = "3 4 12" ]
$SR train -i $lex -o $T_DIR/m6.srm --queries 200 --dim 16 --buckets 4096 --epochs 1 --batch 8 --heldout 0.2 \
  --rr-share 0.3 --no-reranker 2>$T_DIR/norr.err
t_check "train --no-reranker: no reranker section, and the summary says so" \
  [ -z "$(sections $T_DIR/m6.srm | grep LTRN)" -a -n "$(grep 'm6.srm (no reranker)' $T_DIR/norr.err)" ]
initstd() { $PY -c '
import struct,sys,json; d=open(sys.argv[1],"rb").read(); n,=struct.unpack_from("<I",d,12); t,=struct.unpack_from("<Q",d,16)
s={d[t+24*i:t+24*i+4]: struct.unpack_from("<QQ",d,t+24*i+8) for i in range(n)}
o,l=s[b"META"]; print(json.loads(d[o:o+l])["encoder"]["init_std"])' "$1"; }
t_check "META records the starting rows' std (default 0.1)" [ "$(initstd $m)" = "0.1" ]
$SR train -i $lex -o $T_DIR/m7.srm --queries 200 --dim 16 --buckets 4096 --epochs 1 --batch 8 --heldout 0.2 \
  --rr-share 0.3 --no-reranker --init-std 0.02 -q 2>/dev/null
t_check "train --init-std 0.02: recorded, and the rows are that small (default 0.1)" [ "$(initstd $T_DIR/m7.srm)" = "0.02" -a \
  "$($PY -c '
import struct,sys,math; d=open(sys.argv[1],"rb").read(); n,=struct.unpack_from("<I",d,12); t,=struct.unpack_from("<Q",d,16)
s={d[t+24*i:t+24*i+4]: struct.unpack_from("<QQ",d,t+24*i+8) for i in range(n)}
o,l=s[b"SENC"]; nb,dim=struct.unpack_from("<II",d,o); a=struct.unpack_from("<%de" % (nb*dim),d,o+32)
sd=math.sqrt(sum(x*x for x in a)/len(a)); print(0.015 < sd < 0.05)' $T_DIR/m7.srm)" = "True" ]
$SR train -i $lex -o $T_DIR/x.srm --rr-members 9 2>$T_DIR/members.err; rc=$?
t_check "--rr-members 9 (x 32 units > 256) is an error naming the limit" [ $rc -ne 0 -a -n "$(grep 256 $T_DIR/members.err)" ]
# the reranker alone on another model's encoder: the encoder section is that model's, byte for byte
senc() { sections "$1" | tr ')' '\n' | grep SENC; }
$SR train -i $lex -o $T_DIR/m4.srm --queries 200 --rr-list 5 --rr-epochs 3 --heldout 0.2 --rr-share 0.3 -q \
  --encoder-from $m --rr-last-weights 2>/dev/null
t_check "train --encoder-from keeps that model's encoder" [ -n "$(senc $m)" -a "$(senc $m)" = "$(senc $T_DIR/m4.srm)" ]
t_check "train --encoder-from: META says so" [ "$(meta $T_DIR/m4.srm)" = "from another model 24" ]
$SR train -i $lex -o $T_DIR/x.srm --encoder-from $T_DIR/bad-none.srm 2>/dev/null
t_check "train --encoder-from a missing file is an error" [ $? -eq 1 ]
# labelled pairs from a benchmark-format set (tasks + relevance), several answers per task as one group
out=$($SR train -i $lex -o $T_DIR/tp.srm --queries 50 --dim 16 --buckets 4096 --epochs 1 --batch 8 --rr-list 5 --rr-epochs 2 \
  --heldout 0.2 --rr-share 0.3 --pairs-tasks $ex/tasks.jsonl --pairs-relevance $ex/relevance.json 2>&1); rc=$?
t_check "train --pairs-tasks/--pairs-relevance: exit 0" [ $rc -eq 0 ]
np=$($PY -c '
import json,sys; r=json.load(open(sys.argv[2])); t=[json.loads(l)["task_id"] for l in open(sys.argv[1]) if l.strip()]
print(sum(len(r[k].get("core_gt_ids", r[k].get("gt_skill_ids", []))) for k in t if k in r))' $ex/tasks.jsonl $ex/relevance.json)
t_check "train --pairs-tasks: one pair per (task, answer) ($np)" grep -q "labelled pairs from .*: $np\$" <<<"$out"
t_check "train --pairs-tasks: the pairs are counted as labelled" grep -Eq "labelled [1-9]" <<<"$out"
t_check "train --pairs-tasks: no temporary file left" bash -c '! ls ${TMPDIR:-/tmp}/skillrouter-pairs-* 2>/dev/null | grep -q .'
$SR train -i $lex -o $T_DIR/x.srm --pairs-tasks $ex/tasks.jsonl 2>/dev/null
t_check "--pairs-tasks without --pairs-relevance is a usage error" [ $? -eq 2 ]
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
out=$(SKILLROUTER_MODEL=$m $SR eval -i $idx --tasks $ex/tasks.jsonl --relevance $ex/relevance.json --dense-only 2>&1)
t_check "eval --dense-only (the encoder alone) prints the metrics" grep -q 'MRR@10' <<<"$out"
out=$(SKILLROUTER_MODEL=$m $SR eval -i $idx --tasks $ex/tasks.jsonl --relevance $ex/relevance.json --model $T_DIR/m3.srm 2>&1)
t_check "eval with a 20-input reranker model" grep -q 'MRR@10' <<<"$out"
out=$(SKILLROUTER_MODEL=$m $SR eval -i $idx --tasks $ex/tasks.jsonl --relevance $ex/relevance.json --no-model 2>&1)
t_check "eval --no-model has no model stage" bash -c '! grep -q "stage 1" <<<"$1"' _ "$out"

# serve: /v1/route and MCP search_skills go through the model; the confidence rule still applies
port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
SKILLROUTER_MODEL=$m $SR serve --http 127.0.0.1:$port -i $idx --threads 2 2> $T_DIR/server.err &
pid=$!
for i in $(seq 1 100); do curl -s -o /dev/null http://127.0.0.1:$port/healthz && break; sleep 0.1; done
out=$(curl -s -d '{"task":"slow postgres query explain analyze","k":3}' http://127.0.0.1:$port/v1/route)
t_check "serve --http routes with the default model" $PY -c '
import json,sys; d=json.loads(sys.argv[1]); assert d["router"]=="default-model" and len(d["results"])==3, d' "$out"
out=$(curl -s -d '{"task":"weather alerts","by":"pack"}' http://127.0.0.1:$port/v1/route)
t_check "serve --http by pack stays lexical" $PY -c '
import json,sys; d=json.loads(sys.argv[1]); assert d["router"]=="lexical" and d["results"][0]["pack"]=="weather", d' "$out"
kill $pid; wait $pid 2>/dev/null
mcp_out=$(printf '%s\n' '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}' \
  '{"jsonrpc":"2.0","method":"notifications/initialized"}' \
  '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"search_skills","arguments":{"task":"bisect a regression across git commits","k":2}}}' \
  '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"search_skills","arguments":{"task":"zzqx unknownword","k":2}}}' \
  | SKILLROUTER_MODEL=$m $SR serve --mcp -i $idx 2>/dev/null)
t_check "serve --mcp search_skills with the model" $PY -c '
import json,sys; ls=[json.loads(l) for l in sys.argv[1].splitlines() if l.strip()]
r={x["id"]:x for x in ls}; a=r[2]["result"]["structuredContent"]; b=r[3]["result"]["structuredContent"]
assert len(a["results"])==2 and a["no_confident_match"] is False, a
assert b["no_confident_match"] is True, b' "$mcp_out"

head -c 1000 $m > $T_DIR/bad.srm
out=$($SR route -i $idx -k 3 --model $T_DIR/bad.srm "ocr" 2>&1); rc=$?
t_check "a truncated model file is a clear error" [ $rc -eq 1 ]
t_check "the error names the file and --no-model" grep -q 'bad.srm.*--no-model' <<<"$out"
t_done
