#!/bin/sh
# train_default_model.sh — `make model`: trains models/default.srm from the skillsbench-80k pool with the
# benchmark's ground-truth skills (and their copies and same-name skills) excluded, then scores it.
# Reproducible: same pool file + same seed = the same model bytes (training is deterministic).
# Usage: scripts/train_default_model.sh [SHARED_DIR]   (default ../shared)
set -eu
cd "$(dirname "$0")/.."
SHARED=${1:-../shared}
BENCH=$SHARED/bench/skillsbench-80k
SEED=${SEED:-20261121}
OUT=${OUT:-models/default.srm}
if [ ! -f "$BENCH/pool.jsonl.gz" ]; then
  echo "train_default_model: $BENCH/pool.jsonl.gz not found (pass the shared directory)" >&2
  exit 1
fi
mkdir -p build/model models
echo "== index the training catalog (lexical only)"
build/skillrouter index --no-model -q -o build/model/pool.idx "$BENCH/pool.jsonl.gz"
echo "== train (seed $SEED)"
/usr/bin/time -f "train: %e s wall, %M KB peak" \
  build/skillrouter train -i build/model/pool.idx -o "$OUT" --exclude-bench "$BENCH" --seed "$SEED" ${TRAIN_FLAGS:-}
ls -l "$OUT"
sha256sum "$OUT"
