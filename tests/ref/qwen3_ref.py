"""qwen3_ref.py — an independent numpy (float64) reference of the Qwen3 forward pass, written from
QWEN3_SPEC.md §2, §4 and §5. Test use only (run with /usr/bin/python3 + Debian numpy).

Weights are a dict of float64 arrays with Hugging Face names *without* the "model." prefix, already
dequantised from whatever the file stores (so the C code and this reference see the same values):
embed_tokens.weight [V,D], layers.{i}.*, norm.weight [D], optional lm_head.weight [V,D].
cfg: dict with hidden_size, num_hidden_layers, num_attention_heads, num_key_value_heads, head_dim,
intermediate_size, rms_norm_eps, rope_theta.
"""
import numpy as np


def rmsnorm(x, w, eps):
    """RMSNorm over the last axis: w * x / sqrt(mean(x^2) + eps) (plain w, not 1 + w)."""
    r = 1.0 / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps)
    return w * (x * r)


def rope(x, theta):
    """Rotate-half RoPE; x: [T, H, d] at positions 0..T-1. Angles in float32 as in the spec."""
    T, _, d = x.shape
    inv = (1.0 / (np.float32(theta) ** (np.arange(0, d, 2, dtype=np.float32) / np.float32(d)))).astype(np.float32)
    f = np.arange(T, dtype=np.float32)[:, None] * inv[None, :]          # [T, d/2] float32
    emb = np.concatenate([f, f], axis=-1).astype(np.float64)            # [T, d]
    cos, sin = np.cos(emb)[:, None, :], np.sin(emb)[:, None, :]
    rot = np.concatenate([-x[..., d // 2:], x[..., :d // 2]], axis=-1)
    return x * cos + rot * sin


def forward(W, cfg, ids):
    """Final-normed hidden states [T, D] for one sequence at positions 0..T-1 (causal)."""
    D, d = cfg["hidden_size"], cfg["head_dim"]
    Hq, Hkv, eps = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["rms_norm_eps"]
    T = len(ids)
    h = W["embed_tokens.weight"][np.asarray(ids)]
    mask = np.triu(np.full((T, T), -np.inf), k=1)
    for i in range(cfg["num_hidden_layers"]):
        p = "layers.%d." % i
        a = rmsnorm(h, W[p + "input_layernorm.weight"], eps)
        q = (a @ W[p + "self_attn.q_proj.weight"].T).reshape(T, Hq, d)
        k = (a @ W[p + "self_attn.k_proj.weight"].T).reshape(T, Hkv, d)
        v = (a @ W[p + "self_attn.v_proj.weight"].T).reshape(T, Hkv, d)
        q = rope(rmsnorm(q, W[p + "self_attn.q_norm.weight"], eps), cfg["rope_theta"])
        k = rope(rmsnorm(k, W[p + "self_attn.k_norm.weight"], eps), cfg["rope_theta"])
        rep = Hq // Hkv
        k = np.repeat(k, rep, axis=1)                                    # head h uses kv h // rep
        v = np.repeat(v, rep, axis=1)
        s = np.einsum("ihd,jhd->hij", q, k) / np.sqrt(d) + mask[None]
        s = np.exp(s - s.max(axis=-1, keepdims=True))
        s /= s.sum(axis=-1, keepdims=True)
        o = np.einsum("hij,jhd->ihd", s, v).reshape(T, Hq * d)
        h = h + o @ W[p + "self_attn.o_proj.weight"].T
        m = rmsnorm(h, W[p + "post_attention_layernorm.weight"], eps)
        g = m @ W[p + "mlp.gate_proj.weight"].T
        u = m @ W[p + "mlp.up_proj.weight"].T
        h = h + ((g / (1.0 + np.exp(-g))) * u) @ W[p + "mlp.down_proj.weight"].T
    return rmsnorm(h, W["norm.weight"], eps)


def embed(W, cfg, ids, dim=None):
    """Last-token pooling, optional Matryoshka truncation to `dim`, then L2 normalisation."""
    x = forward(W, cfg, ids)[-1]
    if dim:
        x = x[:dim]
    return x / max(np.linalg.norm(x), 1e-12)


def yes_no(W, cfg, ids, yes, no):
    """logit(yes) - logit(no) at the last position (tied head = embed_tokens)."""
    E = W.get("lm_head.weight", W["embed_tokens.weight"])
    x = forward(W, cfg, ids)[-1]
    return float(x @ E[yes] - x @ E[no])
