"""make_tiny_qwen3.py OUTDIR — writes tiny random-weight Qwen3 models (HF safetensors f32/bf16, single
and sharded; GGUF F32/F16/BF16/Q8_0), broken variants, and reference outputs from qwen3_ref.py.

OUTDIR/manifest.json: {"models": [{"name", "path", "ref"}], "bad": [{"path", "code", "what"}]}
OUTDIR/<name>.ref.json: {"seqs", "hidden" (flat [T*D] per seq), "embed", "mrl_dim", "embed_mrl",
"yes", "no", "score", optional "rerank": {prefix, body, suffix, max_tokens, score}}.
Codes are sr_status values: 4 FORMAT, 5 CORRUPT, 6 UNSUPPORTED, 7 NOT_FOUND (src/util/status.h).
"""
import json, os, struct, sys
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qwen3_ref as ref

SR_ERR_FORMAT, SR_ERR_CORRUPT, SR_ERR_UNSUPPORTED, SR_ERR_NOT_FOUND = 4, 5, 6, 7


def make_weights(rng, c, untied):
    D, d, F, V = c["hidden_size"], c["head_dim"], c["intermediate_size"], c["vocab_size"]
    Hq, Hkv = c["num_attention_heads"], c["num_key_value_heads"]
    W = {}
    lin = lambda o, i: rng.standard_normal((o, i)) / np.sqrt(i)
    nrm = lambda n: 1.0 + 0.2 * rng.standard_normal(n)
    W["embed_tokens.weight"] = rng.standard_normal((V, D))
    for i in range(c["num_hidden_layers"]):
        p = "layers.%d." % i
        W[p + "input_layernorm.weight"] = nrm(D)
        W[p + "self_attn.q_proj.weight"] = lin(Hq * d, D)
        W[p + "self_attn.k_proj.weight"] = lin(Hkv * d, D)
        W[p + "self_attn.v_proj.weight"] = lin(Hkv * d, D)
        W[p + "self_attn.o_proj.weight"] = lin(D, Hq * d)
        W[p + "self_attn.q_norm.weight"] = nrm(d)
        W[p + "self_attn.k_norm.weight"] = nrm(d)
        W[p + "post_attention_layernorm.weight"] = nrm(D)
        W[p + "mlp.gate_proj.weight"] = lin(F, D)
        W[p + "mlp.up_proj.weight"] = lin(F, D)
        W[p + "mlp.down_proj.weight"] = lin(D, F)
    W["norm.weight"] = nrm(D)
    if untied:
        W["lm_head.weight"] = rng.standard_normal((V, D)) / np.sqrt(D)
    return W


# ---- storage encodings: each returns (bytes, dequantised float64 array) ----
def enc_f32(a):
    b = a.astype(np.float32)
    return b.tobytes(), b.astype(np.float64)

def enc_f16(a):
    b = a.astype(np.float16)
    return b.tobytes(), b.astype(np.float64)

def enc_bf16(a):
    u = a.astype(np.float32).view(np.uint32).astype(np.uint64)
    r = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
    return r.tobytes(), (r.astype(np.uint32) << 16).view(np.float32).astype(np.float64)

def enc_q8_0(a):
    rows = a.reshape(-1, 32).astype(np.float32)
    amax = np.abs(rows).max(axis=1)
    d = (amax / 127.0).astype(np.float16)
    df = d.astype(np.float32)
    inv = np.where(df > 0, 1.0 / np.where(df > 0, df, 1), 0)
    q = np.clip(np.round(rows * inv[:, None]), -127, 127).astype(np.int8)
    blk = np.zeros(rows.shape[0], dtype=[("d", "<f2"), ("q", "i1", 32)])
    blk["d"], blk["q"] = d, q
    deq = (df[:, None].astype(np.float64) * q.astype(np.float64)).reshape(a.shape)
    return blk.tobytes(), deq

ENC = {"F32": enc_f32, "F16": enc_f16, "BF16": enc_bf16, "Q8_0": enc_q8_0}


def write_safetensors(path, tensors):
    """tensors: list of (name, dtype_name, shape, bytes)."""
    hdr, off = {}, 0
    for name, dt, shape, b in tensors:
        hdr[name] = {"dtype": dt, "shape": list(shape), "data_offsets": [off, off + len(b)]}
        off += len(b)
    hdr["__metadata__"] = {"format": "pt"}
    h = json.dumps(hdr).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h)
        for t in tensors:
            f.write(t[3])


def save_hf(outdir, c, W, dtype, prefix=True, shards=1, config_edit=None, tensor_edit=None):
    """Writes config.json + safetensors; returns the dequantised weights the C code will see."""
    os.makedirs(outdir, exist_ok=True)
    cfg = {"architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", "hidden_act": "silu",
           "attention_bias": False, "rope_scaling": None, "max_position_embeddings": 512,
           "tie_word_embeddings": "lm_head.weight" not in W, "torch_dtype": dtype.lower()}
    cfg.update(c)
    if config_edit:
        config_edit(cfg)
    with open(os.path.join(outdir, "config.json"), "w") as f:
        json.dump(cfg, f, indent=1)
    deq, items = {}, []
    for name, a in W.items():
        b, deq[name] = ENC[dtype](a)
        full = name if (name == "lm_head.weight" or not prefix) else "model." + name
        items.append([full, dtype, a.shape, b])
    if tensor_edit:
        items = tensor_edit(items)
    if shards == 1:
        write_safetensors(os.path.join(outdir, "model.safetensors"), items)
    else:
        per = (len(items) + shards - 1) // shards
        wm = {}
        for s in range(shards):
            fn = "model-%05d-of-%05d.safetensors" % (s + 1, shards)
            part = items[s * per:(s + 1) * per]
            write_safetensors(os.path.join(outdir, fn), part)
            wm.update({t[0]: fn for t in part})
        with open(os.path.join(outdir, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {}, "weight_map": wm}, f)
    return deq


GGUF_NAMES = {"input_layernorm": "attn_norm", "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k",
              "self_attn.v_proj": "attn_v", "self_attn.o_proj": "attn_output", "self_attn.q_norm": "attn_q_norm",
              "self_attn.k_norm": "attn_k_norm", "post_attention_layernorm": "ffn_norm",
              "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up", "mlp.down_proj": "ffn_down"}
GGML_TYPE = {"F32": 0, "F16": 1, "Q8_0": 8, "BF16": 30}


def gguf_name(n):
    if n == "embed_tokens.weight": return "token_embd.weight"
    if n == "norm.weight": return "output_norm.weight"
    if n == "lm_head.weight": return "output.weight"
    _, i, rest = n.split(".", 2)
    return "blk.%s.%s.weight" % (i, GGUF_NAMES[rest[:-len(".weight")]])


def gstr(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def save_gguf(path, c, W, dtype, arch="qwen3", tokens=True):
    kv = [("general.architecture", 8, gstr(arch)), ("general.alignment", 4, struct.pack("<I", 32))]
    u32 = lambda k, v: (arch + "." + k, 4, struct.pack("<I", v))
    f32 = lambda k, v: (arch + "." + k, 6, struct.pack("<f", v))
    kv += [u32("block_count", c["num_hidden_layers"]), u32("context_length", 512),
           u32("embedding_length", c["hidden_size"]), u32("feed_forward_length", c["intermediate_size"]),
           u32("attention.head_count", c["num_attention_heads"]),
           u32("attention.head_count_kv", c["num_key_value_heads"]),
           u32("attention.key_length", c["head_dim"]), u32("attention.value_length", c["head_dim"]),
           f32("rope.freq_base", c["rope_theta"]), f32("attention.layer_norm_rms_epsilon", c["rms_norm_eps"])]
    if tokens:
        toks = [("t%d" % i) for i in range(c["vocab_size"])]
        kv.append(("tokenizer.ggml.tokens", 9, struct.pack("<IQ", 8, len(toks)) + b"".join(gstr(t) for t in toks)))
    deq, infos, blobs, off = {}, b"", [], 0
    for name, a in W.items():
        dt = dtype if a.ndim == 2 else "F32"          # norms stay F32, as llama.cpp writes them
        b, deq[name] = ENC[dt](a)
        dims = list(reversed(a.shape))
        infos += gstr(gguf_name(name)) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", x) for x in dims)
        infos += struct.pack("<IQ", GGML_TYPE[dt], off)
        blobs.append(b + b"\0" * ((32 - len(b) % 32) % 32))
        off += len(blobs[-1])
    head = b"GGUF" + struct.pack("<IQQ", 3, len(W), len(kv))
    for k, t, v in kv:
        head += gstr(k) + struct.pack("<I", t) + v
    head += infos
    head += b"\0" * ((32 - len(head) % 32) % 32)
    with open(path, "wb") as f:
        f.write(head)
        for b in blobs:
            f.write(b)
    return deq


def config(D, L, Hq, Hkv, d, F, V, theta):
    return {"hidden_size": D, "num_hidden_layers": L, "num_attention_heads": Hq, "num_key_value_heads": Hkv,
            "head_dim": d, "intermediate_size": F, "vocab_size": V, "rope_theta": theta, "rms_norm_eps": 1e-6}


def write_ref(path, c, deq, rng, rerank=False):
    V = c["vocab_size"]
    seqs = [rng.integers(0, V, n).tolist() for n in (1, 6, 19)]
    out = {"seqs": seqs, "hidden": [], "embed": [], "embed_mrl": [], "score": [], "mrl_dim": 16, "yes": 7, "no": 3}
    for s in seqs:
        out["hidden"].append(ref.forward(deq, c, s).reshape(-1).tolist())
        out["embed"].append(ref.embed(deq, c, s).tolist())
        out["embed_mrl"].append(ref.embed(deq, c, s, 16).tolist())
        out["score"].append(ref.yes_no(deq, c, s, 7, 3))
    if rerank:
        pre, body, suf = [rng.integers(0, V, n).tolist() for n in (5, 30, 4)]
        mt = 24
        ids = pre + body[:mt - len(pre) - len(suf)] + suf
        out["rerank"] = {"prefix": pre, "body": body, "suffix": suf, "max_tokens": mt,
                         "score": ref.yes_no(deq, c, ids, 9693, 2152)}
    with open(path, "w") as f:
        json.dump(out, f)


def main(outdir):
    rng = np.random.default_rng(1234)
    os.makedirs(outdir, exist_ok=True)
    man = {"models": [], "bad": []}

    def add(name, path, c, deq, rerank=False):
        write_ref(os.path.join(outdir, name + ".ref.json"), c, deq, rng, rerank)
        man["models"].append({"name": name, "path": path, "ref": os.path.join(outdir, name + ".ref.json")})

    cA = config(64, 2, 4, 4, 32, 96, 300, 10000.0)       # GQA 1, head_dim 32, Hq*d = 128 != 64, tied
    WA = make_weights(rng, cA, False)
    p = os.path.join(outdir, "st_f32_tied")
    add("st_f32_tied", p, cA, save_hf(p, cA, WA, "F32"))
    cB = config(64, 2, 8, 4, 16, 128, 300, 1e6)          # GQA 2, head_dim 16, untied, bf16, 2 shards
    WB = make_weights(rng, cB, True)
    p = os.path.join(outdir, "st_bf16_untied_sharded")
    add("st_bf16_untied_sharded", p, cB, save_hf(p, cB, WB, "BF16", prefix=False, shards=2))
    cC = config(96, 2, 8, 2, 16, 160, 288, 1e6)          # GQA 4, Hq*d = 128 != 96
    WC = make_weights(rng, cC, False)
    WCu = dict(WC, **{"lm_head.weight": rng.standard_normal((288, 96)) / np.sqrt(96)})
    for dt, W in (("F32", WC), ("F16", WC), ("BF16", WCu), ("Q8_0", WCu)):
        name = "gguf_%s_%s" % (dt.lower(), "tied" if W is WC else "untied")
        p = os.path.join(outdir, name + ".gguf")
        add(name, p, cC, save_gguf(p, cC, W, dt))
    cD = config(32, 1, 2, 1, 16, 64, 9700, 1e6)          # covers the real yes/no ids for rerank()
    WD = make_weights(rng, cD, False)
    p = os.path.join(outdir, "st_rerank")
    add("st_rerank", p, cD, save_hf(p, cD, WD, "F32"), rerank=True)

    bad = os.path.join(outdir, "bad")
    def badcase(name, code, what):
        man["bad"].append({"path": os.path.join(bad, name), "code": code, "what": what})
        return os.path.join(bad, name)
    def truncate(src, dst, frac):
        data = open(src, "rb").read()
        open(dst, "wb").write(data[:int(len(data) * frac)])
    q = badcase("truncated_st", SR_ERR_CORRUPT, "truncated safetensors")
    save_hf(q, cA, WA, "F32")
    truncate(os.path.join(q, "model.safetensors"), os.path.join(q, "model.safetensors"), 0.6)
    os.makedirs(bad, exist_ok=True)
    truncate(os.path.join(outdir, "gguf_f32_tied.gguf"), badcase("truncated.gguf", SR_ERR_CORRUPT, "truncated GGUF"), 0.7)
    truncate(os.path.join(outdir, "gguf_f32_tied.gguf"), badcase("truncated_header.gguf", SR_ERR_CORRUPT, "GGUF cut in its header"), 0.004)
    save_hf(badcase("missing_tensor", SR_ERR_NOT_FOUND, "missing tensor"), cA, WA, "F32",
            tensor_edit=lambda it: [t for t in it if t[0] != "model.layers.1.mlp.up_proj.weight"])
    def transpose_q(it):
        for t in it:
            if t[0] == "model.layers.0.self_attn.q_proj.weight":
                t[2] = tuple(reversed(t[2]))
        return it
    save_hf(badcase("wrong_shape", SR_ERR_CORRUPT, "wrong shape"), cA, WA, "F32", tensor_edit=transpose_q)
    save_hf(badcase("unknown_arch", SR_ERR_UNSUPPORTED, "unknown architecture"), cA, WA, "F32",
            config_edit=lambda c: c.update(model_type="llama", architectures=["LlamaForCausalLM"]))
    def to_f64(it):
        for t in it:
            if t[0] == "model.norm.weight":
                t[1], t[3] = "F64", np.frombuffer(t[3], np.float32).astype(np.float64).tobytes()
        return it
    save_hf(badcase("unsupported_dtype", SR_ERR_UNSUPPORTED, "F64 tensor"), cA, WA, "F32", tensor_edit=to_f64)
    save_hf(badcase("vocab_mismatch", SR_ERR_FORMAT, "config vocab_size != embedding rows"), cA, WA, "F32",
            config_edit=lambda c: c.update(vocab_size=301))
    save_gguf(badcase("llama_arch.gguf", SR_ERR_UNSUPPORTED, "GGUF architecture llama"), cC, WC, "F32", arch="llama")
    os.makedirs(badcase("empty_dir", SR_ERR_NOT_FOUND, "no model files"), exist_ok=True)
    with open(badcase("not_gguf.gguf", SR_ERR_FORMAT, "not a GGUF file"), "w") as f:
        f.write("hello, this is not a model\n")
    with open(os.path.join(outdir, "manifest.json"), "w") as f:
        json.dump(man, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1])
