"""make_tiny_embed_model.py OUTDIR — one tiny random-weight Qwen3 (HF safetensors, f32) whose vocabulary
covers the real Qwen3 tokenizer's ids (151669 rows), for index/route/eval pipeline tests with the real
tokenizer. Reuses make_tiny_qwen3.py's generator. ~20 MB."""
import os, sys
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_tiny_qwen3 as mk

if __name__ == "__main__":
    out = sys.argv[1]
    c = mk.config(32, 1, 2, 1, 16, 64, 151669, 1e6)
    W = mk.make_weights(np.random.default_rng(7), c, False)
    W = {k: v.astype(np.float32) for k, v in W.items()}
    mk.save_hf(out, c, W, "F32")
