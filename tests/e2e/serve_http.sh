#!/usr/bin/env bash
# End-to-end: `skillrouter serve --http` on a free loopback port — curl against every endpoint and
# error status (400/401/404/405/413), metrics, and clean shutdown on SIGTERM. The model endpoints with
# models loaded are in serve_models.sh.
source "$(dirname "$0")/lib.sh"
PY=${PYTHON:-/usr/bin/python3}
idx=$T_DIR/ex.idx
$SR index -q examples/skills examples/tools/weather.json -o $idx
port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
$SR serve --http 127.0.0.1:$port -i $idx --api-key s3cret --threads 2 --max-body 65536 2> $T_DIR/server.err &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$T_DIR"' EXIT
for i in $(seq 1 100); do curl -s -o /dev/null http://127.0.0.1:$port/healthz && break; sleep 0.1; done
base=http://127.0.0.1:$port
auth='Authorization: Bearer s3cret'
# req NAME WANT-STATUS PYTHON-ASSERTION-ON-d CURL-ARGS...
req() {
  local name=$1 want=$2 assertion=$3; shift 3
  local out code
  out=$(curl -s -m 10 -w '\n%{http_code}' "$@"); code=${out##*$'\n'}; out=${out%$'\n'*}
  if [ "$code" = "$want" ] && $PY -c "import json,sys; d=json.loads(sys.argv[1])
$assertion" "$out" 2>/dev/null; then t_ok; else t_fail "$name: status $code (want $want): $out"; fi
}
req "healthz" 200 'assert d["status"]=="ok" and d["entries"]==14' $base/healthz
req "route by entry" 200 '
r=d["results"]; assert r[0]["id"]=="skills/sql-query-tuning" and r[0]["rank"]==1 and len(r)==2 and "route" in d["timing_ms"]' \
  -H "$auth" -d '{"task":"slow postgres query explain analyze","k":2}' $base/v1/route
req "route by pack" 200 'r=d["results"][0]; assert r["pack"]=="weather" and "weather/get_alerts" in r["tools"]' \
  -H "$auth" -d '{"task":"weather alerts for California","by":"pack"}' $base/v1/route
req "401 without key" 401 'assert d["error"]["code"]==401' -d '{"task":"x"}' $base/v1/route
req "401 wrong key" 401 'assert d["error"]["code"]==401' -H 'Authorization: Bearer nope' -d '{"task":"x"}' $base/v1/route
req "400 malformed JSON" 400 'assert "malformed" in d["error"]["message"]' -H "$auth" -d '{"task":' $base/v1/route
req "400 wrong type" 400 'assert "task" in d["error"]["message"]' -H "$auth" -d '{"task":["x"]}' $base/v1/route
req "400 bad k" 400 'assert "k" in d["error"]["message"]' -H "$auth" -d '{"task":"x","k":-2}' $base/v1/route
req "400 invalid UTF-8" 400 'assert "UTF-8" in d["error"]["message"]' -H "$auth" --data-binary $'{"task":"caf\xff"}' $base/v1/route
req "404 unknown path" 404 'assert d["error"]["code"]==404' -H "$auth" $base/v2/nothing
req "405 GET on route" 405 'assert d["error"]["code"]==405' -H "$auth" $base/v1/route
req "405 DELETE on healthz" 405 'assert d["error"]["code"]==405' -X DELETE $base/healthz
t_check "405 on a POST endpoint carries Allow: POST" sh -c "curl -s -D - -o /dev/null -H '$auth' $base/v1/rerank | grep -qi '^Allow: POST'"
t_check "405 on a GET endpoint carries Allow: GET" sh -c "curl -s -D - -o /dev/null -X POST $base/healthz | grep -qi '^Allow: GET'"
t_check "401 carries WWW-Authenticate: Bearer" sh -c "curl -s -D - -o /dev/null -d '{}' $base/v1/embeddings | grep -qi '^WWW-Authenticate: Bearer'"
head -c 100000 /dev/zero | tr '\0' ' ' > $T_DIR/big.json
req "413 body over the limit" 413 'assert d["error"]["code"]==413' -H "$auth" --data-binary @$T_DIR/big.json $base/v1/route
req "404 embeddings without a model" 404 'assert d["error"]["type"]=="model_not_found" and "embed-model" in d["error"]["message"]' \
  -H "$auth" -d '{"input":"x"}' $base/v1/embeddings
req "404 rerank without a model" 404 'assert d["error"]["type"]=="model_not_found" and "rerank-model" in d["error"]["message"]' \
  -H "$auth" -d '{"query":"x","documents":["a"]}' $base/v1/rerank
m=$(curl -s -H "$auth" $base/metrics)
t_check "metrics: requests by endpoint and status" grep -q 'skillrouter_http_requests_total{endpoint="/v1/route",status="200"} 2' <<<"$m"
t_check "metrics: latency histogram" grep -q 'skillrouter_http_request_duration_seconds_bucket{endpoint="/v1/route",le="+Inf"} ' <<<"$m"
t_check "metrics: errors" grep -q 'skillrouter_http_errors_total{endpoint="/v1/route"} 8' <<<"$m"
t_check "metrics: model endpoints" grep -q 'skillrouter_http_requests_total{endpoint="/v1/embeddings",status="404"} 1' <<<"$m"
t_check "metrics: time-limit counters" grep -q 'skillrouter_http_timeouts_total{endpoint="/v1/route"} 0' <<<"$m"
# still serving after all that, then a clean exit on SIGTERM
req "answers after the errors" 200 'assert d["results"]' -H "$auth" -d '{"task":"git bisect regression"}' $base/v1/route
kill -TERM $pid; wait $pid; rc=$?
t_check "SIGTERM: clean exit 0" [ $rc -eq 0 ]
t_check "SIGTERM: says shutting down" grep -q 'shutting down' $T_DIR/server.err
$SR serve --http 127.0.0.1:notaport -i $idx 2>/dev/null; t_check "bad address is a usage error" [ $? -eq 2 ]
$SR serve --http 127.0.0.1:0 -i $T_DIR/missing.idx 2>/dev/null; t_check "missing index fails" [ $? -eq 1 ]
t_done
