#!/usr/bin/env bash
# qwen3_fullsize.sh [DIR] [N_TOKENS] [THREADS] — generates (once) a random-weight bf16 model with the
# exact Qwen3-Embedding-0.6B config under DIR (default /tmp/qwen3_full_bf16; ~1.2 GB; never commit it),
# builds tools/qwen3_fullsize against the release library and reports load time, peak RSS, tokens/s.
set -eu
cd "$(dirname "$0")/.."
dir=${1:-/tmp/qwen3_full_bf16}
cfg=${QWEN3_CONFIG:-../shared/models/qwen3/configs/Qwen3-Embedding-0.6B.config.json}
[ -f "$dir/model.safetensors" ] || /usr/bin/python3 tools/make_fullsize_qwen3.py "$dir" "$cfg"
make -s -j2 build/libskillrouter.a
mkdir -p build/tools
cc -std=c17 -D_GNU_SOURCE -O2 -g -march=x86-64-v2 -mtune=native -Wall -Wextra -Werror -pthread -Isrc \
  -o build/tools/qwen3_fullsize tools/qwen3_fullsize.c build/libskillrouter.a $(pkg-config --libs libcjson zlib) -lm -pthread
build/tools/qwen3_fullsize "$dir" "${2:-512}" ${3:-}
