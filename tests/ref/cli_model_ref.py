"""cli_model_ref.py — a tiny random Qwen3 model with the real Qwen3 vocabulary, for CLI end-to-end tests.

  cli_model_ref.py make OUT TOKENIZER_DIR   writes OUT/config.json, OUT/model.safetensors (f32),
                                            copies the tokenizer files, saves the weights as OUT/ref.npz
  cli_model_ref.py embed OUT ID...          prints the reference embedding (last token, L2-normalised)
  cli_model_ref.py yesno OUT ID...          prints logit(yes) - logit(no) at the last position
The reference maths is qwen3_ref.py (independent numpy code written from QWEN3_SPEC.md)."""
import json, os, shutil, sys
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_tiny_qwen3 as mk
import qwen3_ref as ref

V = 151669


def make(out, tokdir):
    rng = np.random.default_rng(7)
    c = mk.config(32, 2, 4, 2, 16, 64, V, 1e6)
    W = mk.make_weights(rng, c, False)
    deq = mk.save_hf(out, c, W, "F32")
    for f in os.listdir(tokdir):
        shutil.copy(os.path.join(tokdir, f), os.path.join(out, f))
    np.savez(os.path.join(out, "ref.npz"), **{k: v.astype(np.float32) for k, v in deq.items()})
    json.dump(c, open(os.path.join(out, "ref_config.json"), "w"))


def load(out):
    z = np.load(os.path.join(out, "ref.npz"))
    return {k: z[k] for k in z.files}, json.load(open(os.path.join(out, "ref_config.json")))


if __name__ == "__main__":
    cmd, out = sys.argv[1], sys.argv[2]
    if cmd == "make":
        make(out, sys.argv[3])
    else:
        W, c = load(out)
        ids = [int(x) for x in sys.argv[3:]]
        if cmd == "embed":
            print(" ".join("%.8g" % v for v in ref.embed(W, c, ids)))
        else:
            print("%.8g" % ref.yes_no(W, c, ids, 9693, 2152))
