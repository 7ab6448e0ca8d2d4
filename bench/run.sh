#!/usr/bin/env bash
# `make bench`: the foundation's benchmark on ../shared/bench/skillsbench-80k (skips when absent).
# Measures: indexing time and peak memory for the 80K pool, index load time, routing latency, and every
# official metric on the clean pool, the hard tier (strict + lenient) and name+description only.
# Results print as markdown; copy them into BENCHMARKS.md with the date.
set -uo pipefail
cd "$(dirname "$0")/.."
SR=build/skillrouter
B=${SR_SHARED:-../shared}/bench/skillsbench-80k
OUT=${BENCH_DIR:-build/bench}
mkdir -p "$OUT"
if [ ! -f "$B/pool.jsonl.gz" ]; then echo "SKIP: $B not found"; exit 0; fi
echo "## skillsbench-80k ($(date -u +%F), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
echo
/usr/bin/time -f "%e s wall, %M KB peak RSS" $SR index --full -q "$B/pool.jsonl.gz" -o "$OUT/pool.idx" 2> "$OUT/index.time"
echo "- index 80K pool: $(tail -1 "$OUT/index.time"), $(du -m "$OUT/pool.idx" | cut -f1) MB"
/usr/bin/time -f "%e s wall" $SR index -q "$B/pool.jsonl.gz" -o "$OUT/pool.idx" 2> "$OUT/reindex.time"
echo "- re-index unchanged 80K pool (incremental): $(tail -1 "$OUT/reindex.time")"
$SR index --full -q "$B/pool.jsonl.gz" "$B/hard-extra.jsonl.gz" -o "$OUT/hard.idx"
loads=$(for i in 1 2 3 4 5; do $SR route -i "$OUT/pool.idx" --json -k 1 "parse a binary STL file" | python3 -c 'import json,sys; print(json.load(sys.stdin)["timing_ms"]["load"])'; done | sort -n | tr '\n' ' ')
echo "- index open (mmap + crc32 of every section), 5 runs sorted, ms: $loads"
metrics() {  # label, eval args...
  local label=$1; shift
  $SR eval "$@" --json > "$OUT/m.json" 2> "$OUT/m.err" || { echo "eval failed: $(cat "$OUT/m.err")"; return; }
  python3 - "$label" "$OUT/m.json" <<'PY'
import json, sys
label, d = sys.argv[1], json.load(open(sys.argv[2]))
keys = ["Hit@1", "MRR@10", "nDCG@1", "nDCG@3", "nDCG@10", "Precision@3", "Recall@10", "Recall@20", "Recall@50",
        "FullCoverage@3", "FullCoverage@5", "FullCoverage@10"]
def row(name, m):
    print("| %s | %s | %d |" % (name, " | ".join("%.3f" % m.get(k, float("nan")) for k in keys), m.get("count", 0)))
for split in ["all", "single", "multi"]:
    row("%s, %s" % (label, split), d[split])
if "lenient" in d:
    for split in ["all", "single", "multi"]:
        row("%s lenient, %s" % (label, split), d["lenient"][split])
PY
  grep -h "latency" "$OUT/m.err" | sed 's/^/  - /' >&2
}
echo
echo "| run | Hit@1 | MRR@10 | nDCG@1 | nDCG@3 | nDCG@10 | P@3 | R@10 | R@20 | R@50 | FC@3 | FC@5 | FC@10 | tasks |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
metrics "clean pool" -i "$OUT/pool.idx" --tasks "$B/tasks.jsonl" --relevance "$B/relevance.json"
metrics "clean pool, lexical (--no-model)" -i "$OUT/pool.idx" --tasks "$B/tasks.jsonl" --relevance "$B/relevance.json" --no-model
metrics "hard tier" -i "$OUT/hard.idx" --bench "$B"
metrics "clean, name+description only" -i "$OUT/pool.idx" --tasks "$B/tasks.jsonl" --relevance "$B/relevance.json" --weights 3,1,0
echo
echo "clean pool, the default router vs lexical (--no-model), paired per task (95% bootstrap intervals):"
echo '```'
$SR eval -i "$OUT/pool.idx" --tasks "$B/tasks.jsonl" --relevance "$B/relevance.json" --no-model \
  --predictions-out "$OUT/lexical.json" >/dev/null 2>&1
$SR eval -i "$OUT/pool.idx" --tasks "$B/tasks.jsonl" --relevance "$B/relevance.json" --baseline "$OUT/lexical.json" 2>/dev/null |
  sed -n '/^strict: this run/,$p' | grep -E "^(metric|Hit@1|MRR@10|nDCG@3|Recall@10|Recall@50|FullCoverage@10) "
echo '```'
echo
echo "routing latency over the 75 tasks, index loaded (clean pool):"
$SR eval -i "$OUT/pool.idx" --tasks "$B/tasks.jsonl" --relevance "$B/relevance.json" --json 2>&1 >/dev/null | grep latency
