#!/usr/bin/python3
"""eval_ref.py — independent reference for `skillrouter eval` (SkillRouter "core" metrics), for tests.

Written from the metric definitions (src/eval/metrics.h, eval.h), not from the C code.

  eval_ref.py score --tasks T --relevance R --predictions P [--pool F ...] [--equivalents E]
      prints {"all": {...,"count": n}, "single": {...}, "multi": {...}, "count": n[, "lenient": {...}]}
  eval_ref.py gen --seed S --tasks T --relevance R --equivalents E --out-pred P
                  (--pool F ... | --out-pool F)
      writes random predictions (and, with --out-pool, a synthetic pool JSONL) for the tests.
"""
import argparse
import gzip
import json
import random
import sys

import numpy as np

METRICS = ["nDCG@1", "nDCG@3", "nDCG@10", "Hit@1", "Precision@3", "MRR@10", "Recall@10", "Recall@20",
           "Recall@50", "FullCoverage@3", "FullCoverage@5", "FullCoverage@10"]


def read_jsonl(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def pool_ids(paths):
    ids = set()
    for p in paths:
        ids.update(row["skill_id"] for row in read_jsonl(p))
    return ids


def ground_truth(entry):
    ids = entry["core_gt_ids"] if "core_gt_ids" in entry else entry.get("gt_skill_ids", [])
    return list(dict.fromkeys(ids))


def dcg(gains, k):
    return float(np.sum([g / np.log2(i + 2) for i, g in enumerate(gains[:k])]))


def task_metrics(ranking, gt, labels):
    """ranking: ids (None = matches nothing); gt: set; labels: dict id -> value (empty = binary)."""
    if labels:
        gains = [labels.get(r, 0.0) if r is not None else 0.0 for r in ranking]
        ideal = sorted(labels.values(), reverse=True)
    else:
        gains = [1.0 if r in gt else 0.0 for r in ranking]
        ideal = [1.0] * len(gt)
    out = {}
    for k in (1, 3, 10):
        idcg = dcg(ideal, k)
        out[f"nDCG@{k}"] = dcg(gains, k) / idcg if idcg > 0 else 0.0
    out["Hit@1"] = 1.0 if ranking and ranking[0] in gt else 0.0
    out["Precision@3"] = sum(1 for r in ranking[:3] if r in gt) / 3.0
    mrr = 0.0
    for i, r in enumerate(ranking[:10]):
        if r in gt:
            mrr = 1.0 / (i + 1)
            break
    out["MRR@10"] = mrr
    for k in (10, 20, 50):
        out[f"Recall@{k}"] = len(gt & set(ranking[:k])) / len(gt)
    for k in (3, 5, 10):
        out[f"FullCoverage@{k}"] = 1.0 if gt <= set(ranking[:k]) else 0.0
    return out


def lenient_ranking(ranking, copy_of):
    seen, out = set(), []
    for r in ranking:
        target = copy_of.get(r, r)
        out.append(None if target in seen else target)
        seen.add(target)
    return out


def summarize(rows):
    res = {}
    for split in ("all", "single", "multi"):
        chosen = [m for s, m in rows if split == "all" or s == split]
        obj = {name: float(np.mean([m[name] for m in chosen])) for name in METRICS} if chosen else {}
        obj["count"] = len(chosen)
        res[split] = obj
    res["count"] = res["all"]["count"]
    return res


def score(args):
    tasks = read_jsonl(args.tasks)
    relevance = json.load(open(args.relevance, encoding="utf-8"))
    predictions = json.load(open(args.predictions, encoding="utf-8"))
    pool = pool_ids(args.pool) if args.pool else None
    copy_of = {}
    if args.equivalents:
        for gt_id, copies in json.load(open(args.equivalents, encoding="utf-8")).items():
            for c in copies:
                copy_of.setdefault(c, gt_id)
    strict, lenient = [], []
    for task in tasks:
        entry = relevance.get(task["task_id"], {})
        if entry.get("task_type") == "generic_only":
            continue
        unfiltered = ground_truth(entry)
        gt = {g for g in unfiltered if pool is None or g in pool}
        if not gt or task["task_id"] not in predictions:
            continue
        labels = {k: float(v) for k, v in entry.get("relevance", {}).items() if pool is None or k in pool}
        split = "single" if len(unfiltered) == 1 else "multi"
        ranking = predictions[task["task_id"]]
        strict.append((split, task_metrics(ranking, gt, labels)))
        lenient.append((split, task_metrics(lenient_ranking(ranking, copy_of), gt, labels)))
    out = summarize(strict)
    if args.equivalents:
        out["lenient"] = summarize(lenient)
    json.dump(out, sys.stdout, indent=1)
    print()


def gen(args):
    rng = random.Random(args.seed)
    tasks = read_jsonl(args.tasks)
    relevance = json.load(open(args.relevance, encoding="utf-8"))
    equivalents = json.load(open(args.equivalents, encoding="utf-8"))
    all_gt = sorted({g for e in relevance.values() for g in e.get("gt_skill_ids", [])})
    all_labelled = sorted({k for e in relevance.values() for k in e.get("relevance", {})})
    all_copies = sorted({c for cs in equivalents.values() for c in cs})
    if args.out_pool:  # synthetic pool: most GT and labelled ids, some copies, noise
        ids = [g for g in all_gt if rng.random() < 0.85] + [k for k in all_labelled if rng.random() < 0.5]
        ids += [c for c in all_copies if rng.random() < 0.6] + [f"noise/{i}" for i in range(300)]
        with open(args.out_pool, "w", encoding="utf-8") as f:
            for i in dict.fromkeys(ids):
                f.write(json.dumps({"skill_id": i, "name": i}) + "\n")
        pool = sorted(set(ids))
    else:
        pool = sorted(pool_ids(args.pool))
    preds = {}
    for task in tasks:
        if rng.random() < 0.08:
            continue  # no prediction for this task
        entry = relevance.get(task["task_id"], {})
        own = list(entry.get("gt_skill_ids", [])) + list(entry.get("relevance", {}))
        own_copies = [c for g in entry.get("gt_skill_ids", []) for c in equivalents.get(g, [])]
        n = rng.choice([0, 1, 3, 5, 10, 20, 30, 50, 60])
        ranking = []
        for _ in range(n):
            u = rng.random()
            if u < 0.25 and own:
                ranking.append(rng.choice(own))
            elif u < 0.40 and own_copies:
                ranking.append(rng.choice(own_copies))
            elif u < 0.45 and ranking:
                ranking.append(rng.choice(ranking))  # a repeat
            elif u < 0.50:
                ranking.append(rng.choice(all_gt))
            else:
                ranking.append(rng.choice(pool))
        preds[task["task_id"]] = ranking
    with open(args.out_pred, "w", encoding="utf-8") as f:
        json.dump(preds, f)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("score")
    s.add_argument("--tasks", required=True)
    s.add_argument("--relevance", required=True)
    s.add_argument("--predictions", required=True)
    s.add_argument("--pool", action="append")
    s.add_argument("--equivalents")
    g = sub.add_parser("gen")
    g.add_argument("--seed", type=int, required=True)
    g.add_argument("--tasks", required=True)
    g.add_argument("--relevance", required=True)
    g.add_argument("--equivalents", required=True)
    g.add_argument("--pool", action="append")
    g.add_argument("--out-pool")
    g.add_argument("--out-pred", required=True)
    args = ap.parse_args()
    score(args) if args.cmd == "score" else gen(args)


if __name__ == "__main__":
    main()
