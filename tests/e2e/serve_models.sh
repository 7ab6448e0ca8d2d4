#!/usr/bin/env bash
# End-to-end: `skillrouter serve --http` with a tiny random-weight embedding model and a tiny reranker
# model (real Qwen3 vocabulary) loaded. /v1/embeddings must equal `skillrouter embed` and /v1/rerank
# `skillrouter rerank` on the same inputs; every input error is a 4xx JSON error; the official `openai`
# npm client gets the same numbers for float and base64 (SKIP when npm cannot install it); the request
# time limit (--request-timeout-ms) answers 503 and frees the worker; a body still arriving at the limit
# is dropped; SIGTERM with a request in flight lets it finish and exits 0.
source "$(dirname "$0")/lib.sh"
PY=${PYTHON:-/usr/bin/python3}
TOK=${SR_SHARED:-../shared}/models/qwen3/tokenizer
if [ ! -f "$TOK/vocab.json" ] || ! $PY -c 'import numpy' 2>/dev/null; then
  t_skip "needs $TOK and python3-numpy"; t_done; exit
fi
export T=$T_DIR
EM=$T_DIR/em RR=$T_DIR/rr
$PY tests/ref/cli_model_ref.py make $EM $TOK || { t_fail "embedding model generation"; t_done; exit; }  # tokenizer inside
$PY tests/ref/make_tiny_embed_model.py $RR || { t_fail "reranker model generation"; t_done; exit; }     # needs --tokenizer
idx=$T_DIR/ex.idx
$SR index -q examples/skills examples/tools/weather.json -o $idx
pids=""
trap 'for p in $pids; do kill $p 2>/dev/null; done; rm -rf "$T_DIR"' EXIT
# start NAME SERVE-ARGS... : a server on a free loopback port; sets $base and $pid
start() {
  local name=$1; shift
  local port; port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  $SR serve --http 127.0.0.1:$port -i $idx "$@" 2> $T_DIR/$name.err &
  pid=$!; pids="$pids $pid"; base=http://127.0.0.1:$port
  for _ in $(seq 1 300); do curl -s -o /dev/null $base/healthz && return 0; kill -0 $pid 2>/dev/null || break; sleep 0.1; done
  t_fail "$name server did not start: $(cat $T_DIR/$name.err)"; t_done; exit 1
}
# req NAME WANT-STATUS PYTHON-ASSERTION-ON-d CURL-ARGS... (the body is also left in $T_DIR/last.json)
req() {
  local name=$1 want=$2 assertion=$3; shift 3
  local code
  code=$(curl -s -m 120 -o $T_DIR/last.json -w '%{http_code}' "$@")
  if [ "$code" = "$want" ] && $PY -c "import json,os,sys; import numpy as np; T=os.environ['T']; d=json.load(open(T+'/last.json'))
$assertion"; then t_ok; else t_fail "$name: status $code (want $want): $(head -c 600 $T_DIR/last.json)"; fi
}
# err NAME WANT-STATUS MESSAGE-SUBSTRING URL BODY : a JSON error with that status and message
err() {
  export SUB=$3
  req "$1" "$2" "e=d['error']; assert e['code']==$2 and os.environ['SUB'] in e['message'], e" -H "$auth" --data-binary "$5" "$4"
}
auth='Authorization: Bearer k3y'

start models --embed-model $EM --rerank-model $RR --tokenizer $TOK --api-key k3y --threads 2 --max-body 4000000 \
  --request-timeout-ms 300000

# ---- /v1/embeddings against `skillrouter embed`
T1="Compute the volume of a binary STL mesh"
T2="naïve café — ünïcödé 日本語 text"
T3="git bisect finds the commit that introduced a bug"
$SR embed --model $EM --document --json "$T1" "$T2" "$T3" > $T_DIR/cli_doc.json
$SR embed --model $EM --query --json "$T1" > $T_DIR/cli_query.json
$SR embed --model $EM --dim 8 --json "$T1" > $T_DIR/cli_dim8.json
long=$($PY -c 'print("word " * 3000)')
$SR embed --model $EM --json "$long" > $T_DIR/cli_long.json 2>/dev/null
$PY - "$T1" "$T2" "$T3" "$long" <<'PY'
import json, os, sys
T = os.environ["T"]; t1, t2, t3, long = sys.argv[1:]
def w(name, o): json.dump(o, open(os.path.join(T, name), "w"))
w("e_float.json", {"model": "anything", "input": [t1, t2, t3], "encoding_format": "float"})
w("e_b64.json", {"model": "anything", "input": [t1, t2, t3], "encoding_format": "base64"})
w("e_str.json", {"input": t1})
w("e_query.json", {"input": [t1], "input_type": "query"})
w("e_dim8.json", {"input": t1, "dimensions": 8})
w("e_long.json", {"input": long})
w("e_257.json", {"input": ["x"] * 257})
PY
# close NAME A B TOL: max |a - b| over the vectors, printed; passes when <= TOL
cat > $T_DIR/close.py <<'PY'
import numpy as np
def close(name, a, b, tol):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    assert a.shape == b.shape, (name, a.shape, b.shape)
    diff = float(np.max(np.abs(a - b)))
    print("%s: max abs diff %.3g (tolerance %g)" % (name, diff, tol))
    assert diff <= tol, (name, diff)
PY
export PYTHONPATH=$T_DIR
req "embeddings float == skillrouter embed --document" 200 '
from close import close
cli = json.load(open(T + "/cli_doc.json"))
close("float vs CLI", [x["embedding"] for x in d["data"]], [c["embedding"] for c in cli], 1e-6)
assert d["object"] == "list" and d["model"] == "em", d["model"]
assert [x["index"] for x in d["data"]] == [0, 1, 2] and all(x["object"] == "embedding" for x in d["data"])
assert all(len(x["embedding"]) == 32 for x in d["data"])
n = sum(c["tokens"] for c in cli); assert d["usage"] == {"prompt_tokens": n, "total_tokens": n}, (d["usage"], n)
json.dump(d, open(T + "/srv_float.json", "w"))' -H "$auth" --data-binary @$T_DIR/e_float.json $base/v1/embeddings
req "embeddings base64 decodes to the float output bit for bit" 200 '
f = json.load(open(T + "/srv_float.json"))
for x, y in zip(d["data"], f["data"]):
    assert isinstance(x["embedding"], str)
    v = np.frombuffer(__import__("base64").b64decode(x["embedding"]), "<f4")
    assert v.shape == (32,) and np.array_equal(v, np.array(y["embedding"], np.float32)), (v[:3], y["embedding"][:3])
assert d["usage"] == f["usage"]' -H "$auth" --data-binary @$T_DIR/e_b64.json $base/v1/embeddings
req "embeddings: a string input equals the first of the array" 200 '
f = json.load(open(T + "/srv_float.json"))
assert len(d["data"]) == 1 and d["data"][0]["embedding"] == f["data"][0]["embedding"]' \
  -H "$auth" --data-binary @$T_DIR/e_str.json $base/v1/embeddings
req "embeddings input_type=query == skillrouter embed --query" 200 '
from close import close
close("query vs CLI", d["data"][0]["embedding"], json.load(open(T + "/cli_query.json"))[0]["embedding"], 1e-6)
f = json.load(open(T + "/srv_float.json")); assert d["data"][0]["embedding"] != f["data"][0]["embedding"]' \
  -H "$auth" --data-binary @$T_DIR/e_query.json $base/v1/embeddings
req "embeddings dimensions=8 == skillrouter embed --dim 8" 200 '
from close import close
e = d["data"][0]["embedding"]; assert len(e) == 8
close("dim 8 vs CLI", e, json.load(open(T + "/cli_dim8.json"))[0]["embedding"], 1e-6)
assert abs(np.linalg.norm(e) - 1) < 1e-5' -H "$auth" --data-binary @$T_DIR/e_dim8.json $base/v1/embeddings
req "embeddings: over-long input is truncated to the model's 512 positions, as the CLI" 200 '
from close import close
cli = json.load(open(T + "/cli_long.json"))[0]
close("long vs CLI", d["data"][0]["embedding"], cli["embedding"], 1e-6)
assert d["usage"]["prompt_tokens"] == 512 == cli["tokens"], d["usage"]' \
  -H "$auth" --data-binary @$T_DIR/e_long.json $base/v1/embeddings
E=$base/v1/embeddings
err "embeddings: missing input" 400 "'input' is required" $E '{"model":"m"}'
err "embeddings: input a number" 400 "want a string or an array" $E '{"input":5}'
err "embeddings: input an object" 400 "want a string or an array" $E '{"input":{"text":"a"}}'
err "embeddings: empty array" 400 "empty array" $E '{"input":[]}'
err "embeddings: empty string" 400 "empty string" $E '{"input":""}'
err "embeddings: empty string item" 400 "item 1 is an empty string" $E '{"input":["a",""]}'
err "embeddings: object item" 400 "item 1 is not a string" $E '{"input":["a",{"text":"b"}]}'
err "embeddings: token ids" 400 "token ids" $E '{"input":[1,2,3]}'
err "embeddings: too many inputs" 400 "at most 256" $E @$T_DIR/e_257.json
err "embeddings: dimensions 0" 400 "'dimensions'" $E '{"input":"a","dimensions":0}'
err "embeddings: dimensions over D" 400 "from 1 to 32" $E '{"input":"a","dimensions":33}'
err "embeddings: dimensions a string" 400 "'dimensions'" $E '{"input":"a","dimensions":"8"}'
err "embeddings: dimensions fractional" 400 "'dimensions'" $E '{"input":"a","dimensions":2.5}'
err "embeddings: unknown encoding_format" 400 "'encoding_format'" $E '{"input":"a","encoding_format":"int8"}'
err "embeddings: model not a string" 400 "'model'" $E '{"input":"a","model":5}'
err "embeddings: bad input_type" 400 "'input_type'" $E '{"input":"a","input_type":"passage"}'
err "embeddings: malformed JSON" 400 "malformed" $E '{"input":"a"'
err "embeddings: invalid UTF-8" 400 "UTF-8" $E $'{"input":"caf\xff"}'
err "embeddings: not an object" 400 "JSON object" $E '["a"]'
req "embeddings: 401 without key" 401 'assert d["error"]["type"] == "unauthorized"' -d '{"input":"a"}' $E
req "embeddings: 401 wrong key" 401 'assert d["error"]["code"] == 401' -H 'Authorization: Bearer nope' -d '{"input":"a"}' $E
req "embeddings: 405 GET" 405 'assert d["error"]["code"] == 405' -H "$auth" $E
t_check "405 carries Allow: POST" sh -c "curl -s -D - -o /dev/null -H '$auth' $E | grep -qi '^Allow: POST'"
head -c 4100000 /dev/zero | tr '\0' ' ' > $T_DIR/big.json
req "embeddings: 413 over --max-body" 413 'assert d["error"]["type"] == "payload_too_large"' -H "$auth" --data-binary @$T_DIR/big.json $E

# ---- /v1/rerank against `skillrouter rerank`
Q="Compute the volume of a binary STL mesh"
# name | description | body: the description is cut to 500 and the body to 2000 characters (both tails dropped)
D0="stl-mesh-analysis | Parse STL meshes $($PY -c 'print("=" * 600)') desc tail | Sum the signed tetrahedra $($PY -c 'print("-" * 3000)') body tail"
D1="another document about git bisect"
D2="naïve café 日本語 volume"
D3="x"
D4="weather alerts for a US state"
$SR rerank --model $RR --tokenizer $TOK --query "$Q" --json "$D0" "$D1" "$D2" "$D3" "$D4" > $T_DIR/cli_rr.json
$PY - "$Q" "$D0" "$D1" "$D2" "$D3" "$D4" <<'PY'
import json, os, sys
T = os.environ["T"]; q, *docs = sys.argv[1:]
def w(name, o): json.dump(o, open(os.path.join(T, name), "w"))
mixed = docs[:2] + [{"text": docs[2]}] + docs[3:]
w("r_all.json", {"model": "any", "query": q, "documents": mixed, "return_documents": True})
w("r_top2.json", {"query": q, "documents": mixed, "top_n": 2})
w("r_top100.json", {"query": q, "documents": mixed, "top_n": 100, "return_documents": False})
w("r_1001.json", {"query": q, "documents": ["d"] * 1001})
# 1000 documents of ~500 tokens each: seconds of work even for the release build on a quiet machine
w("r_long.json", {"query": "mesh volume", "documents": ["%d %s" % (i, "signed tetrahedra volume " * 100) for i in range(1000)]})
PY
req "rerank scores == skillrouter rerank, best first, documents returned" 200 '
from close import close
import sys
cli = {c["index"]: c for c in json.load(open(T + "/cli_rr.json"))}
r = d["results"]; idx = [x["index"] for x in r]
assert sorted(idx) == [0, 1, 2, 3, 4], idx
close("logit vs CLI score", [x["logit"] for x in r], [cli[i]["score"] for i in idx], 1e-4)
close("relevance_score vs CLI prob", [x["relevance_score"] for x in r], [cli[i]["prob"] for i in idx], 1e-6)
assert [x["logit"] for x in r] == sorted((x["logit"] for x in r), reverse=True)
assert idx == sorted(cli, key=lambda i: cli[i]["rank"]), (idx, [cli[i]["rank"] for i in idx])
assert all(x["document"]["text"] == cli[x["index"]]["document"] for x in r)
assert d["model"] == "rr" and d["usage"]["total_tokens"] > 5 * 60, d
json.dump(d, open(T + "/srv_rr.json", "w"))' -H "$auth" --data-binary @$T_DIR/r_all.json $base/v1/rerank
req "rerank top_n=2: the best two, no documents by default" 200 '
full = json.load(open(T + "/srv_rr.json"))["results"]
assert [(x["index"], x["logit"]) for x in d["results"]] == [(x["index"], x["logit"]) for x in full[:2]]
assert all("document" not in x for x in d["results"])' -H "$auth" --data-binary @$T_DIR/r_top2.json $base/v1/rerank
req "rerank top_n over the count gives all" 200 'assert len(d["results"]) == 5 and "document" not in d["results"][0]' \
  -H "$auth" --data-binary @$T_DIR/r_top100.json $base/v1/rerank
R=$base/v1/rerank
err "rerank: missing query" 400 "'query'" $R '{"documents":["a"]}'
err "rerank: empty query" 400 "'query'" $R '{"query":"","documents":["a"]}'
err "rerank: query not a string" 400 "'query'" $R '{"query":["q"],"documents":["a"]}'
err "rerank: missing documents" 400 "'documents' is required" $R '{"query":"q"}'
err "rerank: documents a string" 400 "'documents' must be an array" $R '{"query":"q","documents":"abc"}'
err "rerank: empty documents" 400 "empty array" $R '{"query":"q","documents":[]}'
err "rerank: too many documents" 400 "at most 1000" $R @$T_DIR/r_1001.json
err "rerank: number document" 400 "item 0 is not a string or an object" $R '{"query":"q","documents":[1]}'
err "rerank: object without text" 400 "item 1 is not a string" $R '{"query":"q","documents":["a",{"txt":"b"}]}'
err "rerank: top_n 0" 400 "'top_n'" $R '{"query":"q","documents":["a"],"top_n":0}'
err "rerank: top_n fractional" 400 "'top_n'" $R '{"query":"q","documents":["a"],"top_n":1.5}'
err "rerank: top_n a string" 400 "'top_n'" $R '{"query":"q","documents":["a"],"top_n":"2"}'
err "rerank: return_documents a string" 400 "'return_documents'" $R '{"query":"q","documents":["a"],"return_documents":"yes"}'
err "rerank: model not a string" 400 "'model'" $R '{"query":"q","documents":["a"],"model":1}'
err "rerank: malformed JSON" 400 "malformed" $R '{"query":'
req "rerank: 401 without key" 401 'assert d["error"]["code"] == 401' -d '{"query":"q","documents":["a"]}' $R

# ---- the official openai npm client (it asks for base64 by default and decodes it itself)
sdk=tests/e2e/.node
if command -v node >/dev/null && { [ -d $sdk/node_modules/openai ] || \
     { mkdir -p $sdk && timeout 180 npm install --prefix $sdk --no-audit --no-fund --silent openai@6 >/dev/null 2>&1; }; }; then
  cp tests/e2e/serve_openai_client.mjs $sdk/
  if (cd $sdk && timeout 120 node serve_openai_client.mjs $base/v1 k3y em "$T1" "$T2" "$T3") > $T_DIR/oa.json 2> $T_DIR/oa.err; then
    t_check "openai client: embeddings.create, float and base64, equal skillrouter embed" $PY -c '
import json, os, sys
sys.path.insert(0, os.environ["T"]); from close import close
T = os.environ["T"]; o = json.load(open(T + "/oa.json"))
cli = [c["embedding"] for c in json.load(open(T + "/cli_doc.json"))]
assert o["sent"][:4] == ["base64", "float", "base64", "base64"], o["sent"]
for k in ("default", "float", "base64"): close("openai " + k + " vs CLI", o[k], cli, 1e-6)
import numpy as np; f32 = lambda k: np.array(o[k], np.float32)
assert np.array_equal(f32("default"), f32("float")) and np.array_equal(f32("default"), f32("base64")) and o["base64_is_string"]
assert o["default_model"] == "em" and o["default_indices"] == [0, 1, 2] and o["default_usage"]["prompt_tokens"] > 3
cli8 = json.load(open(T + "/cli_dim8.json"))[0]["embedding"]; close("openai dimensions=8 vs CLI", o["dim8"][0], cli8, 1e-6)
assert o["wrong_key_status"] == 401 and o["wrong_key_class"] == "AuthenticationError", o'
  else
    t_fail "openai client: $(tail -n 20 $T_DIR/oa.err)"
  fi
else
  t_skip "openai npm client test (npm install openai failed or node missing)"
fi

m=$(curl -s -H "$auth" $base/metrics)
t_check "metrics: embeddings 200s counted" grep -q 'skillrouter_http_requests_total{endpoint="/v1/embeddings",status="200"} ' <<<"$m"
t_check "metrics: rerank 400s counted" grep -q 'skillrouter_http_requests_total{endpoint="/v1/rerank",status="400"} 15' <<<"$m"
t_check "metrics: rerank latency histogram" grep -q 'skillrouter_http_request_duration_seconds_count{endpoint="/v1/rerank"} ' <<<"$m"
t_check "metrics: no timeouts yet" grep -q 'skillrouter_http_timeouts_total{endpoint="/v1/rerank"} 0' <<<"$m"

# ---- SIGTERM while a rerank is running: it finishes and is sent, then the server exits 0
curl -s -m 300 -o $T_DIR/inflight.json -w '%{http_code}' -H "$auth" --data-binary @$T_DIR/r_long.json $base/v1/rerank > $T_DIR/inflight.code &
cpid=$!
busy=0
for _ in $(seq 1 200); do
  seen=$(curl -s -m 10 -H "$auth" $base/metrics | grep '^skillrouter_http_requests_in_flight')
  [ "$seen" = "skillrouter_http_requests_in_flight 2" ] && { busy=1; break; }
  sleep 0.05
done
t_check "the rerank is in flight when SIGTERM is sent (last seen: $seen)" [ $busy -eq 1 ]
t0=$(date +%s.%N)
kill -TERM $pid; wait $pid; rc=$?
echo "server exit after SIGTERM: $($PY -c "import time; print('%.2f s' % (time.time() - $t0))")"
wait $cpid
t_check "SIGTERM: exit 0" [ $rc -eq 0 ]
t_check "SIGTERM: the in-flight rerank got its full answer" $PY -c '
import json, os; T = os.environ["T"]
assert open(T + "/inflight.code").read() == "200"
assert len(json.load(open(T + "/inflight.json"))["results"]) == 1000'
t_check "SIGTERM: says shutting down" grep -q 'shutting down' $T_DIR/models.err

# ---- request time limit: a 1000-document rerank stops at 0.5 s with 503 and the (only) worker is free again
start limits --rerank-model $RR --tokenizer $TOK --request-timeout-ms 500 --threads 1 --max-body 4000000
req "rerank over the time limit: 503 timeout, stopped early" 503 '
e = d["error"]; assert e["type"] == "timeout" and e["code"] == 503 and "500 ms" in e["message"], e
import re; m = re.search(r"after (\d+) of 1000 documents", e["message"]); assert m and int(m.group(1)) < 1000, e
print("time limit:", e["message"])' --data-binary @$T_DIR/r_long.json $base/v1/rerank
t_check "the worker is free after the timeout" curl -sf -m 5 -o /dev/null $base/healthz
req "a small rerank within the limit still works" 200 'assert len(d["results"]) == 2' \
  -d '{"query":"stl volume","documents":["mesh volume","git"]}' $base/v1/rerank
req "embeddings without an embedding model: 404 model_not_found" 404 '
assert d["error"]["type"] == "model_not_found" and "--embed-model" in d["error"]["message"], d' -d '{"input":"a"}' $base/v1/embeddings
head -c 40000 $T_DIR/r_long.json > $T_DIR/part.json
curl -s -m 60 --limit-rate 4k -o /dev/null -w '%{http_code}' --data-binary @$T_DIR/part.json $base/v1/rerank > $T_DIR/slow.code
t_check "a body still arriving at the limit is dropped (no answer)" [ "$(cat $T_DIR/slow.code)" = "000" ]
m=$(curl -s $base/metrics)
t_check "metrics: the timeout is counted" grep -q 'skillrouter_http_timeouts_total{endpoint="/v1/rerank"} 1' <<<"$m"
t_check "metrics: the dropped upload is counted" grep -q '^skillrouter_http_aborted_uploads_total 1' <<<"$m"
t_check "metrics: 404 for the missing model" grep -q 'skillrouter_http_requests_total{endpoint="/v1/embeddings",status="404"} 1' <<<"$m"
kill -TERM $pid; wait $pid; t_check "time-limit server: exit 0" [ $? -eq 0 ]
$SR serve --http 127.0.0.1:0 -i $idx --request-timeout-ms 0 2>/dev/null; t_check "--request-timeout-ms 0 is a usage error" [ $? -eq 2 ]
$SR serve --http 127.0.0.1:0 -i $idx --embed-model $T_DIR/nope 2>/dev/null; t_check "a missing model dir fails at start" [ $? -eq 1 ]
$SR serve --http 127.0.0.1:0 -i $idx --rerank-model $RR 2>/dev/null; t_check "a model without a tokenizer fails at start" [ $? -eq 1 ]
t_done
