#!/usr/bin/env bash
# Load test of `skillrouter serve --http` (not part of make test): wrk for $LOAD_SECONDS (default 30) s
# against POST /v1/route on the 80K-skill benchmark index, posting the benchmark's real task texts.
# Reports throughput, latency percentiles, errors, server RSS before/after, and that it still answers.
#   bench/serve_load.sh [INDEX]   (default: builds /tmp/skillsbench-80k.idx from ../shared if missing)
set -eu
cd "$(dirname "$0")/.."
SR=${SR_BIN_REL:-build/skillrouter}
B=${SR_SHARED:-/work/shared}/bench/skillsbench-80k
idx=${1:-/tmp/skillsbench-80k.idx}
secs=${LOAD_SECONDS:-30}; threads=${LOAD_THREADS:-4}; conns=${LOAD_CONNS:-32}
command -v wrk >/dev/null || apt-get install -y wrk >/dev/null
[ -s "$idx" ] || $SR index -q $B/pool.jsonl.gz -o "$idx"
tmp=$(mktemp -d)
python3 - "$B/tasks.jsonl" > $tmp/post.lua <<'PY'
import json, sys
bodies = [json.dumps({"task": json.loads(l)["instruction_text"], "k": 10}) for l in open(sys.argv[1])]
print("local bodies = {")
for b in bodies: print("  %s," % json.dumps(b))
print("}\nlocal i = 0\nwrk.method = 'POST'\nwrk.headers['Content-Type'] = 'application/json'")
print("request = function() i = i % #bodies + 1; return wrk.format(nil, '/v1/route', nil, bodies[i]) end")
print("done = function(summary, latency, requests)")
print("  io.write(string.format('p50_ms %.3f\\np90_ms %.3f\\np99_ms %.3f\\n', latency:percentile(50)/1000, latency:percentile(90)/1000, latency:percentile(99)/1000))")
print("  io.write(string.format('errors connect %d read %d write %d status %d timeout %d\\n', summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status, summary.errors.timeout))")
print("end")
PY
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
$SR serve --http 127.0.0.1:$port -i "$idx" --threads $threads 2> $tmp/server.err &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf $tmp' EXIT
for i in $(seq 1 300); do curl -s -o /dev/null http://127.0.0.1:$port/healthz && break; sleep 0.1; done
rss() { awk '/VmRSS/ {print $2 " kB"}' /proc/$pid/status; }
# warm-up so that the first RSS sample includes the pages the router touches
wrk -t2 -c8 -d3s -s $tmp/post.lua http://127.0.0.1:$port >/dev/null
echo "RSS before: $(rss)"
wrk -t2 -c$conns -d${secs}s --latency -s $tmp/post.lua http://127.0.0.1:$port
echo "RSS after:  $(rss)"
code=$(curl -s -o $tmp/after.json -w '%{http_code}' -d '{"task":"parse a binary STL mesh and compute its volume","k":3}' http://127.0.0.1:$port/v1/route)
echo "after the load: HTTP $code $(head -c 160 $tmp/after.json)"
curl -s http://127.0.0.1:$port/metrics | grep -E 'requests_total|errors_total\{endpoint="/v1/route"'
