#!/usr/bin/env bash
# End-to-end: `route --format` and `eval --scale` on a tiny generated tool catalog.
source "$(dirname "$0")/lib.sh"
PY=${PYTHON:-/usr/bin/python3}
d=$T_DIR
$PY - "$d" <<'PYEOF'
import json, sys
d = sys.argv[1]
topics = ["weather forecast rain", "stock price market", "recipe cooking food", "flight airline travel",
          "movie film cinema", "music song lyrics", "hotel booking room", "soccer football score"]
with open(d + "/pool.jsonl", "w") as f:
    for p, t in enumerate(topics):
        for j in range(2):
            f.write(json.dumps({"skill_id": "p%d/t%d" % (p, j), "name": "%s %d" % (t.split()[0], j),
                                "description": t + (" search" if j else " lookup"), "body": t, "pack": "pack%d" % p}) + "\n")
tasks, rel = [], {}
for i, (a, b) in enumerate([(0, 1), (2, 3), (4, 5), (6, 7), (1, 2), (3, 0)]):
    tid = "q%d" % i
    tasks.append({"task_id": tid, "instruction_text": topics[a] + " and " + topics[b]})
    rel[tid] = {"gt_skill_ids": ["p%d/t0" % a, "p%d/t1" % b]}
open(d + "/tasks.jsonl", "w").write("".join(json.dumps(t) + "\n" for t in tasks))
json.dump(rel, open(d + "/rel.json", "w"))
json.dump({"tools": [{"name": "get forecast", "description": "weather forecast for a city",
                      "inputSchema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}},
                     {"name": "get_alerts", "description": "weather alerts"}]}, open(d + "/weather.json", "w"))
PYEOF
$SR index -q $d/pool.jsonl $d/weather.json -o $d/t.idx; t_check "index the generated catalog" [ $? -eq 0 ]

out=$($SR route -i $d/t.idx -k 3 --format openai-tools "weather forecast")
t_check "route --format openai-tools: function definitions with the inputSchema" $PY -c '
import json,sys; a=json.loads(sys.argv[1]); assert len(a)==3 and all(x["type"]=="function" for x in a), a
f=[x["function"] for x in a]; g=[x for x in f if x["name"]=="get_forecast"][0]
assert g["parameters"]["required"]==["city"]
assert all(x["parameters"]["type"]=="object" for x in f)' "$out"
out=$($SR route -i $d/t.idx -k 4 --by pack --format anthropic-tools "weather forecast rain")
t_check "--by pack --format anthropic-tools: packs expanded to their tools" $PY -c '
import json,sys; a=json.loads(sys.argv[1]); assert len(a)==4 and all("input_schema" in x for x in a), a' "$out"
a=$($SR route -i $d/t.idx -k 6 --format mcp --shuffle --seed 5 "weather forecast movie")
b=$($SR route -i $d/t.idx -k 6 --format mcp --shuffle --seed 5 "weather forecast movie")
r=$($SR route -i $d/t.idx -k 6 --format mcp "weather forecast movie")
t_check "--shuffle is seeded and a permutation of the ranked shortlist" $PY -c '
import json,sys; a,b,r=[json.loads(x) for x in sys.argv[1:4]]
assert a==b and sorted(x["name"] for x in a)==sorted(x["name"] for x in r) and "inputSchema" in a[0]' "$a" "$b" "$r"
$SR route -i $d/t.idx --format xml "x" 2>/dev/null; t_check "unknown --format is a usage error" [ $? -eq 2 ]

run_scale() { $SR eval -i $d/t.idx --tasks $d/tasks.jsonl --relevance $d/rel.json --scale 2,4,all --folds 2 --seed 3 \
  --bootstrap 200 --always-present pack0 --calib-tasks $d/tasks.jsonl --calib-relevance $d/rel.json --no-png --out "$1"; }
run_scale $d/o1 >$d/s1.txt 2>$d/s1.err; t_check "eval --scale exits 0" [ $? -eq 0 ]
run_scale $d/o2 >/dev/null 2>&1
t_check "same seed, same results.csv" cmp -s $d/o1/results.csv $d/o2/results.csv
t_check "calibration is reported" grep -q 'calibrated relative thresholds' $d/s1.err
t_check "results.csv has the documented columns and every method" $PY -c '
import csv,sys; rows=list(csv.DictReader(open(sys.argv[1])))
assert list(rows[0].keys())==["size","packs","mean_tools","cohort","method","metric","mean","ci_lo","ci_hi","n"]
assert {r["method"] for r in rows}=={"tool","tool-shuffled","pack","pack-shuffled","oracle","random"}
assert {r["size"] for r in rows}=={"2","4","all"}
for r in rows: assert float(r["ci_lo"])<=float(r["mean"])+1e-12<=float(r["ci_hi"])+2e-12, r
o=[r for r in rows if r["method"]=="oracle" and r["metric"]=="recall@20"]; assert all(float(r["mean"])==1 for r in o)' $d/o1/results.csv
t_check "results.json: sizes with task counts and CIs" $PY -c '
import json,sys; j=json.load(open(sys.argv[1])); s=j["sizes"]
assert [x["size"] for x in s]==["2","4","all"] and s[2]["packs"]==9 and j["folds"]==2
assert s[2]["tasks"]["all"]==12 and s[0]["tasks"]["fixed"]==s[2]["tasks"]["fixed"]>0
c=s[2]["cohorts"]["all"]["tool"]["recall@10"]; assert c["ci"][0]<=c["mean"]<=c["ci"][1]' $d/o1/results.json
t_check "SVG charts parse as XML with lines and bands" $PY -c '
import xml.etree.ElementTree as E,sys,glob; fs=sorted(glob.glob(sys.argv[1]+"/*.svg")); assert len(fs)==16, fs
for f in fs:
    r=E.parse(f).getroot(); ns="{http://www.w3.org/2000/svg}"
    assert r.tag==ns+"svg" and r.findall(ns+"polyline") and r.findall(ns+"polygon")' $d/o1
$SR eval -i $d/t.idx --tasks $d/tasks.jsonl --relevance $d/rel.json --scale 2,x --out $d/o3 2>/dev/null
t_check "bad --scale list is a usage error" [ $? -eq 2 ]
t_done
