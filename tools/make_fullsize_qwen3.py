"""make_fullsize_qwen3.py OUTDIR [CONFIG] — writes a random-weight bf16 model with the exact
Qwen3-Embedding-0.6B shapes (config.json + model.safetensors, ~1.2 GB) for timing runs. Weights are
generated and written in chunks (never the whole model in memory). Never commit the output.
Run with /usr/bin/python3 (numpy)."""
import json, os, struct, sys
import numpy as np

def main(outdir, cfg_path):
    c = json.load(open(cfg_path))
    D, L, F, V = c["hidden_size"], c["num_hidden_layers"], c["intermediate_size"], c["vocab_size"]
    Hq, Hkv, d = c["num_attention_heads"], c["num_key_value_heads"], c["head_dim"]
    shapes = [("model.embed_tokens.weight", (V, D))]
    for i in range(L):
        p = "model.layers.%d." % i
        shapes += [(p + "input_layernorm.weight", (D,)), (p + "self_attn.q_proj.weight", (Hq * d, D)),
                   (p + "self_attn.k_proj.weight", (Hkv * d, D)), (p + "self_attn.v_proj.weight", (Hkv * d, D)),
                   (p + "self_attn.o_proj.weight", (D, Hq * d)), (p + "self_attn.q_norm.weight", (d,)),
                   (p + "self_attn.k_norm.weight", (d,)), (p + "post_attention_layernorm.weight", (D,)),
                   (p + "mlp.gate_proj.weight", (F, D)), (p + "mlp.up_proj.weight", (F, D)),
                   (p + "mlp.down_proj.weight", (D, F))]
    shapes.append(("model.norm.weight", (D,)))
    hdr, off = {"__metadata__": {"format": "pt"}}, 0
    for n, s in shapes:
        nb = int(np.prod(s)) * 2
        hdr[n] = {"dtype": "BF16", "shape": list(s), "data_offsets": [off, off + nb]}
        off += nb
    h = json.dumps(hdr).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    os.makedirs(outdir, exist_ok=True)
    c = dict(c, torch_dtype="bfloat16")
    json.dump(c, open(os.path.join(outdir, "config.json"), "w"), indent=1)
    rng = np.random.default_rng(0)
    with open(os.path.join(outdir, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h)
        for n, s in shapes:
            total = int(np.prod(s))
            scale = 1.0 if len(s) == 1 else (1.0 if "embed" in n else 1.0 / np.sqrt(s[1]))
            for at in range(0, total, 1 << 24):
                k = min(1 << 24, total - at)
                x = rng.standard_normal(k, dtype=np.float32) * np.float32(scale)
                if len(s) == 1:
                    x = 1.0 + 0.1 * x
                u = x.astype(np.float32).view(np.uint32)
                f.write(((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16).tobytes())

if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "/work/shared/models/qwen3/configs/Qwen3-Embedding-0.6B.config.json")
