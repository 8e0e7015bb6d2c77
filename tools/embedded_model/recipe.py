#!/usr/bin/env python3
"""Trains Arbor's embedded default model from scratch: a small Mamba2ForCausalLM for
step-by-step arithmetic with its verifier and process reward head (docs/model_formats.md).

Runs on a GPU machine with PyTorch, transformers and tokenizers, from the repository root,
with an `arbor` binary (for the `arith` generator and the step checker). Two resumable stages,
each well under nine minutes on one H200:

  stage1  generate data, train the tokenizer, train on solve + critique/verify of corrupted
          gold solutions + the PRM head; then sample the model's own solutions
  stage2  label the samples with the step checker, continue on the mix (self-samples included),
          evaluate on held-out problems, export the Hugging Face checkpoint and the head

  python3 tools/embedded_model/recipe.py stage1 --arbor ARBOR --work DIR [--minutes M]
  python3 tools/embedded_model/recipe.py stage2 --arbor ARBOR --work DIR [--minutes M] --export DIR

Everything is seeded; the seeds of the training data (TRAIN_SEEDS) and of the held-out sets
(EVAL_SEED) differ, and the generator's split keeps held-out computations out of training.
"""
import argparse
import json
import math
import os
import random
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data  # noqa: E402

from recipe_config import (EVAL_SEED, MAX_LEN, MODEL, N_EVAL, N_TRAIN, TRAIN_SEED,  # noqa: E402
                           VOCAB)


def log(*a):
    print(f"[{time.strftime('%H:%M:%S')}]", *a, flush=True)


# ---- tokenizer --------------------------------------------------------------------------------

def train_tokenizer(texts, path):
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from tokenizers import Regex, trainers
    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(r"[+\-*/=()]"), behavior="isolated"),
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
    ])
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=True)
    trainer = trainers.BpeTrainer(vocab_size=VOCAB, special_tokens=[data.EOS],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tok.train_from_iterator(texts, trainer)
    tok.save(path)
    return tok


def load_tokenizer(path):
    from tokenizers import Tokenizer
    return Tokenizer.from_file(path)


def encode_pairs(tok, pairs):
    """[(prompt, target, ...)] -> (ids, mask) lists; mask marks target tokens (the loss)."""
    prompts = tok.encode_batch([p[0] for p in pairs], add_special_tokens=False)
    targets = tok.encode_batch([p[1] for p in pairs], add_special_tokens=False)
    out = []
    for p, t in zip(prompts, targets):
        ids = p.ids + t.ids
        if len(ids) > MAX_LEN:
            continue
        out.append((ids, [0] * len(p.ids) + [1] * len(t.ids)))
    return out


# ---- examples ---------------------------------------------------------------------------------

def solve_pair(p):
    return (data.solve_prompt(p["question"]), p["solution"] + data.EOS)


def prm_example(tok, problem, cand, labels):
    """Token ids of the solve prompt + a candidate; the positions right after each step line's
    newline hold that step's label (read by the head on the hidden state there)."""
    prompt = tok.encode(data.solve_prompt(problem["question"]), add_special_tokens=False).ids
    ids, pos, labs = list(prompt), [], []
    lines = cand.split("\n")
    step_i = 0
    for li, line in enumerate(lines):
        piece = line + ("\n" if li + 1 < len(lines) else "")
        ids += tok.encode(piece, add_special_tokens=False).ids
        if data.STEP_RE.match(line) and li + 1 < len(lines) and step_i < len(labels):
            pos.append(len(ids) - 1)  # the newline token ending this step
            labs.append(labels[step_i])
            step_i += 1
    if len(ids) > MAX_LEN:
        return None
    return ids, pos, labs


def build_corruption_examples(arbor, tok, problems, rng, n):
    """Critique/verify/PRM examples from corrupted and gold candidates, labelled by the checker."""
    items = []
    for p in problems[:n]:
        if rng.random() < 0.5:
            c = data.corrupt(p, rng)
            if c is None:
                continue
        else:
            c = p["solution"]
        items.append({"problem": p, "solution": c, "numbers": p["numbers"], "answer": p["answer"]})
    verdicts = data.check(arbor, items)
    return label_items(tok, items, verdicts)


def label_items(tok, items, verdicts):
    pairs, prm = [], []
    stats = {"correct": 0, "incorrect": 0}
    for it, v in zip(items, verdicts):
        labels = data.step_labels(it["problem"], v)
        exs, correct = data.examples_for_candidate(it["problem"], it["solution"], v, labels)
        stats["correct" if correct else "incorrect"] += 1
        pairs += exs
        e = prm_example(tok, it["problem"], it["solution"], labels)
        if e is not None and e[1]:
            prm.append(e)
    log("labelled candidates:", stats)
    return pairs, prm


# ---- batches ----------------------------------------------------------------------------------

class Batches:
    """Random batches of LM examples (ids, loss mask) and PRM examples (ids, positions, labels).
    Examples are grouped by length (64-token buckets) so a batch pads little."""

    def __init__(self, lm, prm, batch, seed):
        self.batch = batch
        self.rng = random.Random(seed)
        self.lm, self.prm = {}, {}
        for ex in lm:
            self.lm.setdefault((len(ex[0]) - 1) // 64, []).append(ex)
        for ex in prm:
            self.prm.setdefault((len(ex[0]) - 1) // 64, []).append(ex)
        self.keys = sorted(self.lm)
        self.weights = [len(self.lm[k]) for k in self.keys]

    def next(self, prm_share=0.25):
        b = self.rng.choices(self.keys, self.weights)[0]
        lm_pool = self.lm[b]
        prm_pool = self.prm.get(b) or self.prm.get(b - 1) or []
        n_prm = int(self.batch * prm_share) if prm_pool else 0
        lm = [lm_pool[self.rng.randrange(len(lm_pool))] for _ in range(self.batch - n_prm)]
        prm = [prm_pool[self.rng.randrange(len(prm_pool))] for _ in range(n_prm)]
        rows = [(ids, mask, [], []) for ids, mask in lm] + \
               [(ids, [0] * len(ids), pos, labs) for ids, pos, labs in prm]
        L = max(len(r[0]) for r in rows)
        ids = torch.zeros(len(rows), L, dtype=torch.long)
        mask = torch.zeros(len(rows), L, dtype=torch.bool)
        prm_b, prm_t, prm_y = [], [], []
        for i, (x, m, pos, labs) in enumerate(rows):
            ids[i, :len(x)] = torch.tensor(x)
            mask[i, :len(m)] = torch.tensor(m, dtype=torch.bool)
            prm_b += [i] * len(pos)
            prm_t += pos
            prm_y += labs
        return ids, mask, torch.tensor(prm_b), torch.tensor(prm_t), torch.tensor(prm_y, dtype=torch.float)


# ---- model ------------------------------------------------------------------------------------

def new_model():
    from transformers import Mamba2Config, Mamba2ForCausalLM
    torch.manual_seed(0)
    return Mamba2ForCausalLM(Mamba2Config(**MODEL))


def train(model, head, batches, minutes, lr, log_every=20, sizes=(256, 1024)):
    model.train()
    params = list(model.parameters()) + list(head.parameters())
    opt = torch.optim.AdamW(params, lr=lr, betas=(0.9, 0.95), weight_decay=0.01)
    deadline = time.time() + minutes * 60
    start = time.time()
    step = 0
    # Try each batch size for a few steps and keep the one with the most examples per second.
    trial = [(b, i) for b in sizes for i in range(5)]
    rate = {}
    while time.time() < deadline:
        if trial:
            batches.batch, i = trial.pop(0)
            if i == 2:
                torch.cuda.synchronize()
                t_trial = time.time()
            if i == 4:
                torch.cuda.synchronize()
                rate[batches.batch] = 2 * batches.batch / (time.time() - t_trial)
                if not trial:
                    batches.batch = max(rate, key=rate.get)
                    log("examples/s by batch size:", {k: round(v) for k, v in rate.items()},
                        "-> batch", batches.batch)
        ids, mask, pb, pt, py = batches.next()
        ids, mask = ids.cuda(non_blocking=True), mask.cuda(non_blocking=True)
        # time-based cosine schedule with a short warm-up
        frac = (time.time() - start) / (minutes * 60)
        cur = lr * min(1.0, (step + 1) / 200) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(frac, 1))))
        for g in opt.param_groups:
            g["lr"] = cur
        with torch.autocast("cuda", dtype=torch.bfloat16):
            out = model(ids, output_hidden_states=True)
        logits = out.logits.float()
        lm_mask = mask[:, 1:]
        lm_loss = F.cross_entropy(logits[:, :-1][lm_mask], ids[:, 1:][lm_mask])
        loss = lm_loss
        prm_loss = torch.tensor(0.0)
        if len(pb):
            h = out.hidden_states[-1].float()[pb.cuda(), pt.cuda()]
            prm_loss = F.binary_cross_entropy_with_logits(head(h).squeeze(-1), py.cuda())
            loss = loss + 0.5 * prm_loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        step += 1
        if step % log_every == 0:
            log(f"step {step} lr {cur:.2e} lm {lm_loss.item():.4f} prm {prm_loss.item():.4f} "
                f"{(time.time() - start) / step * 1000:.0f} ms/step")
    log(f"trained {step} steps in {time.time() - start:.0f} s")
    model.eval()
    return step


@torch.no_grad()
def sample(model, tok, prompts, temperature, max_new=160, batch=512):
    """Completions of prompts (strings), batched by prompt length (no padding needed)."""
    enc = tok.encode_batch(prompts, add_special_tokens=False)
    by_len = {}
    for i, e in enumerate(enc):
        by_len.setdefault(len(e.ids), []).append(i)
    outs = [None] * len(prompts)
    for L, idx in by_len.items():
        for s in range(0, len(idx), batch):
            part = idx[s:s + batch]
            ids = torch.tensor([enc[i].ids for i in part]).cuda()
            if temperature > 0:
                gen = model.generate(ids, max_new_tokens=max_new, do_sample=True,
                                     temperature=temperature, top_k=0, top_p=1.0,
                                     eos_token_id=0, pad_token_id=0)
            else:
                gen = model.generate(ids, max_new_tokens=max_new, do_sample=False,
                                     eos_token_id=0, pad_token_id=0)
            for j, i in enumerate(part):
                new = gen[j, L:].tolist()
                if 0 in new:
                    new = new[:new.index(0)]
                outs[i] = tok.decode(new)
    return outs


def answer_of(text):
    for line in reversed(text.strip().split("\n")):
        if line.startswith("Answer: "):
            return line[len("Answer: "):].strip()
    return None


# ---- stages -----------------------------------------------------------------------------------

def load_problems(args):
    train_p = data.generate(args.arbor, TRAIN_SEED, args.n_train, "train")
    eval_p = data.generate(args.arbor, EVAL_SEED, args.n_eval, "test")
    overlap = len({p["question"] for p in eval_p} & {p["question"] for p in train_p})
    log(f"{len(train_p)} training problems, {len(eval_p)} held-out; held-out questions in training: {overlap}")
    return train_p, eval_p, overlap


def stage1(args):
    os.makedirs(args.work, exist_ok=True)
    rng = random.Random(1)
    train_p, eval_p, overlap = load_problems(args)
    tok_path = os.path.join(args.work, "tokenizer.json")
    tok = train_tokenizer([data.solve_prompt(p["question"]) + p["solution"] for p in train_p[:50000]] +
                          ["Candidate:\nCritique: Step 1 is wrong.\nAll steps are correct.\nRefined:\nVerdict: correct incorrect"] * 50,
                          tok_path)
    log("tokenizer:", tok.get_vocab_size(), "tokens")
    lm = encode_pairs(tok, [solve_pair(p) for p in train_p])
    cpairs, prm = build_corruption_examples(args.arbor, tok, train_p[-args.corrupt:], rng, args.corrupt)
    lm += encode_pairs(tok, cpairs)
    log(f"{len(lm)} LM examples, {len(prm)} PRM examples")
    model, head = new_model().cuda(), torch.nn.Linear(MODEL["hidden_size"], 1).cuda()
    log("parameters:", sum(p.numel() for p in model.parameters()))
    train(model, head, Batches(lm, prm, 256, 1), args.minutes, args.lr)
    torch.save({"model": model.state_dict(), "head": head.state_dict()}, os.path.join(args.work, "ckpt.pt"))
    # The model's own solutions on training problems, for stage 2 (labelled there).
    pool = train_p[:args.self_samples]
    t0 = time.time()
    outs = sample(model, tok, [data.solve_prompt(p["question"]) for p in pool], 1.0)
    with open(os.path.join(args.work, "self_samples.jsonl"), "w") as f:
        for p, o in zip(pool, outs):
            f.write(json.dumps({"id": p["id"], "solution": o}) + "\n")
    log(f"sampled {len(outs)} own solutions in {time.time() - t0:.0f} s; "
        f"right {sum(answer_of(o) == p['answer'] for p, o in zip(pool, outs)) / len(pool):.3f}")
    json.dump({"overlap": overlap}, open(os.path.join(args.work, "stage1.json"), "w"))


def stage2(args):
    rng = random.Random(2)
    train_p, eval_p, overlap = load_problems(args)
    by_id = {p["id"]: p for p in train_p}
    tok = load_tokenizer(os.path.join(args.work, "tokenizer.json"))
    lm = encode_pairs(tok, [solve_pair(p) for p in train_p])
    cpairs, prm = build_corruption_examples(args.arbor, tok, train_p[-args.corrupt:], rng, args.corrupt)
    samples = [json.loads(l) for l in open(os.path.join(args.work, "self_samples.jsonl"))]
    items = [{"problem": by_id[s["id"]], "solution": s["solution"], "numbers": by_id[s["id"]]["numbers"],
              "answer": by_id[s["id"]]["answer"]} for s in samples if s["solution"]]
    spairs, sprm = label_items(tok, items, data.check(args.arbor, items))
    lm += encode_pairs(tok, cpairs + spairs)
    prm += sprm
    log(f"{len(lm)} LM examples, {len(prm)} PRM examples")
    model, head = new_model().cuda(), torch.nn.Linear(MODEL["hidden_size"], 1).cuda()
    ck = torch.load(os.path.join(args.work, "ckpt.pt"))
    model.load_state_dict(ck["model"])
    head.load_state_dict(ck["head"])
    train(model, head, Batches(lm, prm, 256, 2), args.minutes, args.lr)
    export(args, model, head, tok, eval_p, overlap)


@torch.no_grad()
def export(args, model, head, tok, eval_p, overlap):
    from safetensors.torch import save_file
    os.makedirs(args.export, exist_ok=True)
    model.float().save_pretrained(args.export, safe_serialization=True)
    tok.save(os.path.join(args.export, "tokenizer.json"))
    save_file({"weight": head.weight.detach().float().cpu().contiguous(),
               "bias": head.bias.detach().float().cpu().contiguous()},
              os.path.join(args.export, "prm.head.safetensors"))
    json.dump({"name": "prm", "weights": "prm.head.safetensors", "weight": "weight", "bias": "bias",
               "activation": "sigmoid", "labels": ["steps_so_far_correct"]},
              open(os.path.join(args.export, "prm.head.json"), "w"), indent=1)
    summary = {"heldout_question_overlap": overlap}
    if args.gpu_eval > 0:  # a quick check for the log; the model card's figures come from Arbor
        probs = eval_p[:args.gpu_eval]
        outs = sample(model, tok, [data.solve_prompt(p["question"]) for p in probs], 0.0)
        right = [answer_of(o) == p["answer"] for p, o in zip(probs, outs)]
        summary["gpu_greedy_accuracy"] = sum(right) / len(right)
    # Reference logits for the parity test with Arbor's CPU engine.
    ids = tok.encode(data.solve_prompt(eval_p[0]["question"]), add_special_tokens=False).ids
    m32 = model.float().cpu()
    out = m32(torch.tensor([ids]), output_hidden_states=True)
    h = out.hidden_states[-1][0]
    summary["parity"] = {"input_ids": ids, "last_logits": out.logits[0, -1].tolist(),
                         "prm_last": torch.sigmoid(head.cpu()(h[-1])).item()}
    json.dump(summary, open(os.path.join(args.export, "training_summary.json"), "w"))
    log("summary:", json.dumps({k: v for k, v in summary.items() if k != "parity"}))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("stage", choices=["stage1", "stage2"])
    ap.add_argument("--arbor", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--minutes", type=float, default=6.0)
    ap.add_argument("--self-samples", type=int, default=12000)
    ap.add_argument("--export", default="")
    ap.add_argument("--n-train", type=int, default=N_TRAIN)
    ap.add_argument("--n-eval", type=int, default=N_EVAL)
    ap.add_argument("--corrupt", type=int, default=60000, help="gold solutions to corrupt or keep")
    ap.add_argument("--gpu-eval", type=int, default=0, help="held-out problems to solve on the GPU")
    ap.add_argument("--lr", type=float, default=2e-3)
    args = ap.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = True
    {"stage1": stage1, "stage2": stage2}[args.stage](args)


if __name__ == "__main__":
    main()
