#!/usr/bin/env bash
# pipeline.sh — index with a tiny random-weight embedding model (real tokenizer ids) → route (dense,
# hybrid, rerank) → export; vectors equal `embed --document`; only changed entries are re-embedded;
# an interrupted run resumes; a corrupted VECS section is detected; --vectors import round-trips.
cd "$(dirname "$0")/../.." && . tests/e2e/lib.sh
TOK=${SR_SHARED:-../shared}/models/qwen3/tokenizer
PY=${PYTHON:-/usr/bin/python3}
if [ ! -d "$TOK" ] || ! "$PY" -c 'import numpy' 2>/dev/null; then t_skip "pipeline: tokenizer or numpy missing"; t_done; exit 0; fi
M=$T_DIR/model; "$PY" tests/ref/make_tiny_embed_model.py "$M" || { t_fail "model generation"; t_done; exit 1; }
C=$T_DIR/c.jsonl
for i in 1 2 3 4 5 6; do printf '{"skill_id":"s%d","name":"skill %d","description":"handles pdf %d and csv","body":"Body %d: convert files."}\n' $i $i $i $i; done >"$C"
IX=$T_DIR/ix
stats() { grep -o 'embed-stats.*' "$T_DIR/err" | tail -n 1; }
export SKILLROUTER_EMBED_STATS=1
t_check "index --embed-model" "$SR" index -q "$C" -o "$IX" --embed-model "$M" --tokenizer "$TOK" 2>"$T_DIR/err"
t_check "all embedded" [ "$(stats)" = "embed-stats embedded=6 reused=0 resumed=0" ]
# vectors equal `embed --document`
"$SR" export -i "$IX" >"$T_DIR/exp.jsonl" && "$SR" embed --model "$M" --tokenizer "$TOK" --document "skill 2 | handles pdf 2 and csv | Body 2: convert files." >"$T_DIR/e2"
t_check "index vector == embed --document" "$PY" -c '
import json,sys
v=[json.loads(l) for l in open(sys.argv[1])][1]["vector"]; e=[float(x) for x in open(sys.argv[2]).read().split()]
assert len(v)==len(e) and max(abs(a-b) for a,b in zip(v,e))<1e-5, (v[:3],e[:3])' "$T_DIR/exp.jsonl" "$T_DIR/e2"
# a changed entry is re-embedded, the others reused
sed -i 's/Body 3: convert files./Body 3: changed./' "$C"
t_check "re-index" "$SR" index -q "$C" -o "$IX" --embed-model "$M" --tokenizer "$TOK" 2>"$T_DIR/err"
t_check "only the change embedded" [ "$(stats)" = "embed-stats embedded=1 reused=5 resumed=0" ]
# interrupted run resumes without redoing finished entries
IX2=$T_DIR/ix2
SKILLROUTER_EMBED_STOP_AFTER=4 "$SR" index -q "$C" -o "$IX2" --embed-model "$M" --tokenizer "$TOK" 2>"$T_DIR/err"
t_check "interrupt exits 130" [ $? -eq 130 ]
t_check "partial file kept" [ -s "$IX2.vecs.partial" ] && t_check "no index written" [ ! -e "$IX2" ]
t_check "resume" "$SR" index -q "$C" -o "$IX2" --embed-model "$M" --tokenizer "$TOK" 2>"$T_DIR/err"
t_check "resumed 4, embedded 2" [ "$(stats)" = "embed-stats embedded=2 reused=0 resumed=4" ]
t_check "partial removed" [ ! -e "$IX2.vecs.partial" ]
# routing: dense, hybrid, rerank, query vector
t_check "dense route" sh -c "'$SR' route -i '$IX' --mode dense --embed-model '$M' --tokenizer '$TOK' -k 3 --json 'pdf 3' | grep -q '\"mode\":\"dense\"'"
t_check "hybrid+rerank" sh -c "'$SR' route -i '$IX' --embed-model '$M' --tokenizer '$TOK' --rerank-model '$M' -k 3 --json 'pdf 3' | grep -q '\"rerank\":'"
"$PY" -c 'import json,sys; print(" ".join(map(str,json.loads(open(sys.argv[1]).readline())["vector"])))' "$T_DIR/exp.jsonl" >"$T_DIR/qv"
t_check "query vector finds its entry" sh -c "'$SR' route -i '$IX' --query-vector '$T_DIR/qv' --mode dense -k 1 | grep -q ' s1\$'"
t_check "weighted fusion" sh -c "'$SR' route -i '$IX' --query-vector '$T_DIR/qv' --fusion weighted -k 2 --json pdf | grep -q hybrid-weighted"
# import: JSONL of {id, vector}, int8 storage
t_check "import --vectors" "$SR" index -q "$C" -o "$T_DIR/ix3" --full --vectors "$T_DIR/exp.jsonl" --vec-dtype int8
t_check "imported int8 route" sh -c "'$SR' route -i '$T_DIR/ix3' --query-vector '$T_DIR/qv' --mode dense -k 1 | grep -q ' s1\$'"
# int8 stores f16 refine rows (VECR) unless --no-vec-refine; a lexical re-index keeps what was there
secs() { "$PY" -c '
import struct,sys
d=open(sys.argv[1],"rb").read(); n,=struct.unpack_from("<I",d,12); t,=struct.unpack_from("<Q",d,16)
print(" ".join(sorted(struct.pack("<I",struct.unpack_from("<I",d,t+24*i)[0]).decode() for i in range(n))))' "$1"; }
# flip_byte INDEX TAG N: flips a bit of the N-th last byte of section TAG
flip_byte() { "$PY" - "$@" <<'PY'
import struct,sys
p,tag,back=sys.argv[1],sys.argv[2].encode(),int(sys.argv[3]); d=bytearray(open(p,'rb').read())
n,=struct.unpack_from('<I',d,12); t,=struct.unpack_from('<Q',d,16)
for i in range(n):
    tg,crc,off,size=struct.unpack_from('<IIQQ',d,t+24*i)
    if tg==struct.unpack('<I',tag)[0]: d[off+size-back]^=0x40
open(p,'wb').write(d)
PY
}
t_check "int8 index has VECR" sh -c "echo '$(secs "$T_DIR/ix3")' | grep -q VECR"
t_check "--no-vec-refine" "$SR" index -q "$C" -o "$T_DIR/ix4" --full --vectors "$T_DIR/exp.jsonl" --vec-dtype int8 --no-vec-refine
t_check "... no VECR" sh -c "! echo '$(secs "$T_DIR/ix4")' | grep -q VECR"
t_check "int8 without VECR routes" sh -c "'$SR' route -i '$T_DIR/ix4' --query-vector '$T_DIR/qv' --mode dense -k 1 | grep -q ' s1\$'"
"$SR" index -q "$C" -o "$T_DIR/ix3" && "$SR" index -q "$C" -o "$T_DIR/ix4"
t_check "lexical re-index keeps VECR / its absence" test "$(secs "$T_DIR/ix3") | $(secs "$T_DIR/ix4")" = "ENTR IDTB PACK POST STAT STRS TERM THSH VECR VECS | ENTR IDTB PACK POST STAT STRS TERM THSH VECS"
flip_byte "$T_DIR/ix3" VECR 5
"$SR" route -i "$T_DIR/ix3" pdf 2>"$T_DIR/err" >/dev/null
t_check "corrupt VECR detected" grep -q "checksum mismatch in section VECR" "$T_DIR/err"
# lexical re-index keeps vectors; corrupted VECS detected
t_check "lexical re-index keeps vectors" sh -c "'$SR' index -q '$C' -o '$IX' && '$SR' export -i '$IX' | head -n 1 | grep -q vector"
flip_byte "$IX" VECS 3
"$SR" route -i "$IX" pdf 2>"$T_DIR/err" >/dev/null
t_check "corrupt VECS detected" grep -q "checksum mismatch in section VECS" "$T_DIR/err"
t_done
