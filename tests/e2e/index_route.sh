#!/usr/bin/env bash
# End-to-end: `skillrouter index` and `route` on catalogs created here (no ../shared needed).
source "$(dirname "$0")/lib.sh"
PY=${PYTHON:-/usr/bin/python3}
ex=examples
idx=$T_DIR/ex.idx

# build from the example skills and an MCP tool file
$SR index -q $ex/skills $ex/tools/weather.json -o $idx; t_check "index examples exits 0" [ $? -eq 0 ]
t_check "index file exists" [ -s $idx ]

out=$($SR route -i $idx -k 3 "measure the volume of an STL mesh and its connected components")
t_check "route text ranks stl-mesh-analysis first" grep -q '^ 1\. stl-mesh-analysis' <<<"$out"

json=$($SR route -i $idx -k 3 --json "slow postgres query explain analyze")
t_check "route --json is valid JSON with the documented fields" $PY -c '
import json,sys; d=json.loads(sys.argv[1]); r=d["results"]
assert r[0]["name"]=="sql-query-tuning" and r[0]["rank"]==1, r[0]
assert all(set(["rank","skill_id","name","description","score"])<=set(x) for x in r)
assert r[0]["score"]>=r[-1]["score"] and "total" not in d["timing_ms"] and "route" in d["timing_ms"]' "$json"

out=$(echo "bisect a regression across commits" | $SR route -i $idx -k 1 -)
t_check "query from stdin" grep -q 'git-bisect' <<<"$out"

out=$($SR route -i $idx -k 2 --body "ocr tesseract scanned")
t_check "--body prints the body" grep -q 'image_to_string' <<<"$out"

out=$($SR route -i $idx -k 2 --packs --json "weather alerts for California")
t_check "--packs ranks the weather pack with its tools" $PY -c '
import json,sys; d=json.loads(sys.argv[1]); r=d["results"][0]
assert r["pack"]=="weather" and "weather/get_alerts" in r["tools"], r' "$out"

out=$($SR route -i $idx "zzzqqq nonexistentword")
t_check "no match is said plainly" grep -q 'no match' <<<"$out"

# incremental: unchanged catalog → nothing analysed
err=$($SR index $ex/skills $ex/tools/weather.json -o $idx 2>&1 >/dev/null)
t_check "re-index of an unchanged catalog analyses nothing" grep -q ' 0 analysed, 14 unchanged' <<<"$err"

# one edited skill → exactly one analysed
cp -r $ex/skills $T_DIR/skills
sed -i 's/Use it when a regression/Use it whenever a regression/' $T_DIR/skills/git-bisect/SKILL.md
idx2=$T_DIR/inc.idx
$SR index -q $T_DIR/skills -o $idx2
err=$($SR index $T_DIR/skills -o $idx2 2>&1 >/dev/null)
t_check "unchanged copy: 0 analysed" grep -q ' 0 analysed, 12 unchanged' <<<"$err"
sed -i 's/whenever/when/' $T_DIR/skills/git-bisect/SKILL.md
err=$($SR index $T_DIR/skills -o $idx2 2>&1 >/dev/null)
t_check "one edited skill: 1 analysed" grep -q ' 1 analysed, 11 unchanged' <<<"$err"

# --update: add a source, remove a deleted skill, --remove by id
mkdir -p $T_DIR/more/new-skill
printf -- '---\nname: kafka-consumer\ndescription: Consume Kafka topics with consumer groups\n---\nUse confluent-kafka Consumer with group.id and commit offsets.\n' > $T_DIR/more/new-skill/SKILL.md
err=$($SR index --update $idx2 $T_DIR/more 2>&1 >/dev/null)
t_check "--update adds a new source" grep -q 'indexed 13 entries' <<<"$err"
t_check "added skill is routable" grep -q kafka-consumer <<<"$($SR route -i $idx2 -k 1 'kafka consumer group offsets')"
rm -r $T_DIR/skills/ocr-images
err=$($SR index --update $idx2 $T_DIR/skills 2>&1 >/dev/null)
t_check "--update removes a deleted skill" grep -q 'indexed 12 entries.*1 removed' <<<"$err"
err=$($SR index --update $idx2 --remove more/new-skill 2>&1 >/dev/null)
t_check "--update --remove ID" grep -q 'indexed 11 entries' <<<"$err"

# bad input: malformed YAML is skipped with file:line, exit 3; --strict writes nothing
mkdir -p $T_DIR/bad/broken $T_DIR/bad/fine
printf -- '---\nname: [unclosed\ndescription: x\n---\nbody\n' > $T_DIR/bad/broken/SKILL.md
printf -- '---\nname: fine\ndescription: ok\n---\nfine body text\n' > $T_DIR/bad/fine/SKILL.md
err=$($SR index $T_DIR/bad -o $T_DIR/bad.idx 2>&1); rc=$?
t_check "a skipped entry gives exit 3" [ $rc -eq 3 ]
t_check "the skip names file and line" grep -q 'broken/SKILL.md:[0-9]' <<<"$err"
t_check "the good entry is indexed" grep -q fine <<<"$($SR route -i $T_DIR/bad.idx fine)"
cp $T_DIR/bad.idx $T_DIR/bad.before
$SR index --strict -q $T_DIR/bad -o $T_DIR/bad.idx 2>/dev/null; rc=$?
t_check "--strict fails" [ $rc -eq 1 ]
t_check "--strict left the old index untouched" cmp -s $T_DIR/bad.idx $T_DIR/bad.before

# corrupted and truncated index files: clear error, exit 1, never a crash
cp $idx $T_DIR/corrupt.idx
printf '\x00\x01\x02' | dd of=$T_DIR/corrupt.idx bs=1 seek=300 conv=notrunc 2>/dev/null
err=$($SR route -i $T_DIR/corrupt.idx test 2>&1); rc=$?
t_check "corrupted index: exit 1" [ $rc -eq 1 ]
t_check "corrupted index: message names file" grep -q "corrupt.idx: corrupt index" <<<"$err"
head -c 1000 $idx > $T_DIR/trunc.idx
err=$($SR route -i $T_DIR/trunc.idx test 2>&1); rc=$?
t_check "truncated index: exit 1 with message" [ $rc -eq 1 ]
t_check "truncated index: says truncated" grep -qi "truncated" <<<"$err"
err=$($SR route -i $T_DIR/nope.idx test 2>&1); rc=$?
t_check "missing index: exit 1" [ $rc -eq 1 ]

# usage errors
$SR route -i $idx -k zero test 2>/dev/null; t_check "bad -k is a usage error" [ $? -eq 2 ]
$SR index --bogus 2>/dev/null; t_check "unknown option is a usage error" [ $? -eq 2 ]
$SR frobnicate 2>/dev/null; t_check "unknown command is a usage error" [ $? -eq 2 ]
$SR route -i $idx $'caf\xff' 2>/dev/null; t_check "invalid UTF-8 query is an error" [ $? -eq 1 ]
$SR index $T_DIR/does-not-exist -o $T_DIR/x.idx 2>/dev/null; t_check "missing source is an error" [ $? -eq 1 ]
t_done
