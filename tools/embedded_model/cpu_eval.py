#!/usr/bin/env python3
"""Evaluates a model folder with Arbor's CPU engine (no PyTorch): greedy accuracy, majority of
K samples and pass@K on the held-out arithmetic problems, overall and per difficulty. The
answers are read from the `Answer: N` line and compared exactly with the gold answer.

  python3 tools/embedded_model/cpu_eval.py --arbor build/release/apps/arbor \
      --model assets/arith-mamba2 [--count 500] [--k 16] [--temperature 0.8]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data  # noqa: E402
from recipe_config import EVAL_SEED  # noqa: E402


def sample(arbor, model, prompts_path, n, temperature, seed, max_tokens):
    cmd = [arbor, "sample", "--model", model, "--prompts", prompts_path, "--n", str(n),
           "--temperature", str(temperature), "--max-tokens", str(max_tokens), "--seed", str(seed)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    by_id = {}
    for line in out.splitlines():
        r = json.loads(line)
        by_id.setdefault(r["id"], []).append(r["text"])
    return by_id


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arbor", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--count", type=int, default=500)
    ap.add_argument("--k", type=int, default=16)
    ap.add_argument("--temperature", type=float, default=0.8)
    ap.add_argument("--max-tokens", type=int, default=200)
    args = ap.parse_args()
    problems = data.generate(args.arbor, EVAL_SEED, args.count, "test")
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
        for p in problems:
            f.write(json.dumps({"id": p["id"], "prompt": data.solve_prompt(p["question"])}) + "\n")
        path = f.name
    t = time.time()
    greedy = sample(args.arbor, args.model, path, 1, 0.0, 0, args.max_tokens)
    t_greedy = time.time() - t
    t = time.time()
    samples = sample(args.arbor, args.model, path, args.k, args.temperature, 7, args.max_tokens) if args.k else {}
    t_samples = time.time() - t
    os.unlink(path)
    rows, by_d = [], {}
    for p in problems:
        g = data.answer_of(greedy[p["id"]][0]) == p["answer"]
        ans = [data.answer_of(x) for x in samples.get(p["id"], [])]
        m = data.majority(ans) == p["answer"]
        k = p["answer"] in ans
        rows.append((g, m, k))
        d = by_d.setdefault(str(p["difficulty"]), [0, 0, 0, 0])
        d[0] += 1
        d[1] += g
        d[2] += m
        d[3] += k
    n = len(rows)
    print(json.dumps({
        "model": args.model, "problems": n, "seed": EVAL_SEED, "split": "test", "k": args.k,
        "temperature": args.temperature,
        "greedy": sum(r[0] for r in rows) / n, f"maj{args.k}": sum(r[1] for r in rows) / n,
        f"pass{args.k}": sum(r[2] for r in rows) / n,
        "by_difficulty": {k: {"n": v[0], "greedy": v[1] / v[0], f"maj{args.k}": v[2] / v[0],
                              f"pass{args.k}": v[3] / v[0]} for k, v in sorted(by_d.items())},
        "seconds": {"greedy": round(t_greedy, 1), "samples": round(t_samples, 1)}}, indent=1))


if __name__ == "__main__":
    main()
