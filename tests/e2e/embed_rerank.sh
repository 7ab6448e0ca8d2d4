#!/usr/bin/env bash
# End-to-end: `tokenize`, `embed` and `rerank` on a tiny random-weight Qwen3 model with the real Qwen3
# vocabulary, checked against the independent numpy reference (tests/ref/qwen3_ref.py). The prompt text
# is built here from PROTOCOL.md, so this also checks the CLI's prompt construction.
source "$(dirname "$0")/lib.sh"
PY=${PYTHON:-/usr/bin/python3}
TOK=${SR_SHARED:-../shared}/models/qwen3/tokenizer
if [ ! -f "$TOK/vocab.json" ] || ! $PY -c 'import numpy' 2>/dev/null; then
  t_skip "needs $TOK and python3-numpy"; t_done; exit
fi
M=$T_DIR/model
$PY tests/ref/cli_model_ref.py make $M $TOK || { t_fail "model generation"; t_done; exit; }

# compare two whitespace-separated vectors: max abs diff <= tol
close() { $PY -c '
import sys, numpy as np
a = np.array(sys.argv[1].split(), float); b = np.array(sys.argv[2].split(), float); tol = float(sys.argv[3])
d = float(np.max(np.abs(a - b))) if a.shape == b.shape else float("inf")
print("max abs diff %.3g, cosine %.9f" % (d, a @ b / np.linalg.norm(a) / np.linalg.norm(b)) if a.shape == b.shape else "shape %s vs %s" % (a.shape, b.shape))
sys.exit(0 if d <= tol else 1)' "$1" "$2" "$3"; }

INSTR="Given a coding task description, retrieve the most relevant skill document that would help an agent complete the task"
Q="Compute the volume of a binary STL mesh"
ids=$($SR tokenize --model $M --add-eos -- "Instruct: $INSTR
Query:$Q")
t_check "tokenize gives ids" [ -n "$ids" ]
want=$($PY tests/ref/cli_model_ref.py embed $M $ids)
got=$($SR embed --model $M --query "$Q")
t_check "embed --query equals the reference on the protocol's query prompt" close "$got" "$want" 1e-4

DOC="stl-mesh-analysis | Parse STL meshes | Volume is the sum of signed tetrahedra."
ids=$($SR tokenize --model $M --add-eos -- "$DOC")
want=$($PY tests/ref/cli_model_ref.py embed $M $ids)
got=$($SR embed --model $M --document "$DOC")
t_check "embed --document equals the reference" close "$got" "$want" 1e-4
json=$($SR embed --model $M --document "$DOC" --json)
t_check "embed --json holds the same vector" close "$($PY -c 'import json,sys; print(" ".join(map(str, json.loads(sys.argv[1])[0]["embedding"])))' "$json")" "$want" 1e-4

RI="Given a coding task description, judge whether the skill document is relevant and useful for completing the task"
PRE='<|im_start|>system
Judge whether the Document meets the requirements based on the Query and the Instruct provided. Note that the answer can only be "yes" or "no".<|im_end|>
<|im_start|>user
'
SUF='<|im_end|>
<|im_start|>assistant
<think>

</think>

'
D1="plain document about tetrahedra"
D2="another document about git bisect"
want1=$($PY tests/ref/cli_model_ref.py yesno $M $($SR tokenize --model $M -- "$PRE<Instruct>: $RI

<Query>: $Q

<Document>: $D1$SUF"))
want2=$($PY tests/ref/cli_model_ref.py yesno $M $($SR tokenize --model $M -- "$PRE<Instruct>: $RI

<Query>: $Q

<Document>: $D2$SUF"))
out=$($SR rerank --model $M --query "$Q" --json "$D1" "$D2")
got=$($PY -c 'import json,sys; print(" ".join(str(r["score"]) for r in json.loads(sys.argv[1])))' "$out")
t_check "rerank scores (input order) equal the reference" close "$got" "$want1 $want2" 1e-4
t_check "rerank output is in input order with ranks" $PY -c '
import json,sys; r=json.loads(sys.argv[1]); assert [x["index"] for x in r]==[0,1]; assert sorted(x["rank"] for x in r)==[1,2]' "$out"

# bad input: clear errors, no crash
$SR embed --model $T_DIR/nope --query x 2>/dev/null; t_check "missing model dir is an error" [ $? -eq 1 ]
$SR embed --model $M --query $'bad\xff' 2>/dev/null; t_check "invalid UTF-8 text is an error" [ $? -eq 1 ]
# over-long text: truncated with a warning (the tiny model has 512 positions), not an error
long=$($PY -c 'print("word " * 3000)')
err=$($SR embed --model $M --document "$long" 2>&1 >/dev/null); rc=$?
t_check "over-long document embeds (exit 0)" [ $rc -eq 0 ]
t_check "over-long document warns about truncation" grep -q "truncated to 512" <<<"$err"
err=$($SR rerank --model $M --query q "$long" 2>&1 >/dev/null); rc=$?
t_check "over-long rerank document scores with a warning" [ $rc -eq 0 ]
t_check "rerank truncation warning" grep -q "truncated" <<<"$err"
# several documents share the prompt prefix (K/V cache, sr_qwen3_rerank_batch): the scores must equal
# scoring each document alone (one document takes the plain path), the truncated one included
D3="stl-mesh-analysis | Parse STL meshes | Volume is the sum of signed tetrahedra."
out=$($SR rerank --model $M --query "$Q" --json "$D1" "$D2" "$D3" "$long" 2>/dev/null)
got=$($PY -c 'import json,sys; print(" ".join(str(r["score"]) for r in json.loads(sys.argv[1])))' "$out")
alone=""
for d in "$D1" "$D2" "$D3" "$long"; do
  alone="$alone $($SR rerank --model $M --query "$Q" --json "$d" 2>/dev/null | $PY -c 'import json,sys; print(json.load(sys.stdin)[0]["score"])')"
done
t_check "rerank of 4 documents (prefix cache) equals each document alone" close "$got" "$alone" 1e-5
t_done
