#!/usr/bin/env bash
# Builds the libFuzzer targets of bench/fuzz_serve.c with clang 14 (-fsanitize=fuzzer,address) and runs
# each for $FUZZ_SECONDS (default 60) on an index of examples/. Prints execs and crashes per target.
# The HTTP target also fuzzes /v1/embeddings and /v1/rerank (tiny random model) when the Qwen3 tokenizer
# is at ${SR_SHARED:-../shared}/models/qwen3/tokenizer.
set -eu
cd "$(dirname "$0")/.."
CC=${FUZZ_CC:-clang-14}
secs=${FUZZ_SECONDS:-60}
out=build/fuzz; mkdir -p $out/obj
flags="-std=c17 -D_GNU_SOURCE -pthread -O1 -g -Isrc $(pkg-config --cflags yaml-0.1 libcjson libpcre2-8 libutf8proc zlib libmicrohttpd) -march=x86-64-v2"
libs="$(pkg-config --libs yaml-0.1 libcjson libpcre2-8 libutf8proc zlib libmicrohttpd) -lstemmer -lm -pthread"
objs=()
for f in src/util/*.c src/catalog/*.c src/text/*.c src/index/*.c src/route/*.c src/model/*.c src/kernels/*.c src/serve/*.c; do
  o=$out/obj/$(echo $f | tr / _).o; objs+=($o)
  [ $o -nt $f ] || $CC $flags -fsanitize=fuzzer-no-link,address -c $f -o $o
done
rm -f $out/libsr.a && ar rcs $out/libsr.a "${objs[@]}"
build/skillrouter index -q examples/skills examples/tools/weather.json -o $out/ex.idx
export SR_FUZZ_INDEX=$out/ex.idx
tok=${SR_SHARED:-../shared}/models/qwen3/tokenizer
[ -f $tok/vocab.json ] && export SR_FUZZ_TOKENIZER=$tok
for t in MCP HTTP; do
  $CC $flags -fsanitize=fuzzer,address -DFUZZ_$t bench/fuzz_serve.c $out/libsr.a $libs -o $out/fuzz_$t
  mkdir -p $out/corpus_$t
  if [ $t = MCP ]; then
    printf '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search_skills","arguments":{"task":"stl mesh volume","k":2}}}' > $out/corpus_$t/a
    printf '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"open_skill","arguments":{"name_or_id":"git-bisect"}}}' > $out/corpus_$t/b
    printf '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"route_tools","arguments":{"task":"weather"}}}' > $out/corpus_$t/c
    printf '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-03-26"}}' > $out/corpus_$t/d
  else
    printf '\x00{"task":"slow postgres query","k":3,"by":"pack"}' > $out/corpus_$t/a
    printf '\x08{"query":"x","documents":["a",{"text":"b | c | d"}],"top_n":1,"return_documents":true}' > $out/corpus_$t/b
    printf '\x06{"input":["a","b"],"encoding_format":"base64","dimensions":8}' > $out/corpus_$t/c
  fi
  $out/fuzz_$t -artifact_prefix=$out/ -max_total_time=$secs -max_len=4096 -print_final_stats=1 $out/corpus_$t 2>&1 | tee $out/fuzz_$t.log | \
    grep -E 'stat::number_of_executed_units|stat::peak_rss_mb|ERROR|crash-' || true
  echo "fuzz_$t: crashes: $(ls $out/crash-* 2>/dev/null | wc -l)"
done
