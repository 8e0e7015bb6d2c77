#!/usr/bin/env python3
"""Trains Arbor's embedded default model from scratch: a small Mamba2ForCausalLM for
step-by-step arithmetic with its verifier and process reward head (docs/model_formats.md).

Runs on a GPU machine with PyTorch, transformers and tokenizers, from the repository root, with
an `arbor` binary (the `arith` generator and its step checker). Training uses fastmamba.py (the
same model as transformers' Mamba2ForCausalLM, checked against it at the start and at export);
the checkpoint is written with transformers' save_pretrained.

  python3 tools/embedded_model/recipe.py --arbor ARBOR --out DIR
      stage 1: data, tokenizer, training on gold solutions and corrupted candidates; after
      `--self-at` of the training time, the model's own solutions on training problems are
      sampled, labelled by the step checker and added (verify, critique, PRM, and the correct
      ones as solve examples); then export and evaluation.
  python3 tools/embedded_model/recipe.py --arbor ARBOR --minutes 7 --resume DIR --out DIR2
      a further stage from an exported model: fresh self-samples first, then training.

Everything is seeded; the training problems (TRAIN_SEED, split train) and the held-out ones
(EVAL_SEED, split test) differ, and the generator's split keeps held-out computations out of
training. The evaluation (greedy, majority of 16, the verifier on a balanced set of the model's
own solutions, the PRM head's step AUROC) goes to DIR/eval.json.
"""
import argparse
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data  # noqa: E402
from fastmamba import Mamba2LM  # noqa: E402
from recipe_config import EVAL_SEED, MAX_LEN, MODEL, N_EVAL, N_TRAIN, TRAIN_SEED, VOCAB  # noqa: E402

T0 = time.time()


def log(*a):
    print(f"[{time.time() - T0:6.1f}s]", *a, flush=True)


# ---- tokenizer --------------------------------------------------------------------------------

def train_tokenizer(texts, path):
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers
    from tokenizers import processors, trainers
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


# ---- examples ---------------------------------------------------------------------------------
# An example is (ids, lm, prm): lm[t] = 1 where token t is a training target; prm[t] in {0, 1}
# is the process label read by the head on the hidden state at t (-1: none).

class Examples:
    def __init__(self):
        self.items = []
        self.kinds = {}

    def add(self, kind, ids, lm, prm=None):
        if len(ids) > MAX_LEN:
            return
        self.items.append((ids, lm, prm))
        self.kinds[kind] = self.kinds.get(kind, 0) + 1

    def add_pairs(self, tok, pairs):
        """pairs: (prompt text, target text, kind)."""
        P = tok.encode_batch([p[0] for p in pairs], add_special_tokens=False)
        T = tok.encode_batch([p[1] for p in pairs], add_special_tokens=False)
        for p, t, pair in zip(P, T, pairs):
            self.add(pair[2], p.ids + t.ids, [0] * len(p.ids) + [1] * len(t.ids))


def eos_id(tok):
    return tok.token_to_id(data.EOS)


def solve_tokens_batch(tok, items):
    """For (question, candidate) items: the token ids of the solve prompt followed by the
    candidate, the prompt's length, and the index of the newline token that ends each step line
    (where the PRM head reads). Lines are encoded one by one, as the pre-tokenizer splits at
    newlines anyway."""
    prompts = tok.encode_batch([data.solve_prompt(q) for q, _ in items], add_special_tokens=False)
    pieces, spans = [], []
    for _, cand in items:
        lines = cand.split("\n")
        start = len(pieces)
        pieces += [line + ("\n" if li + 1 < len(lines) else "") for li, line in enumerate(lines)]
        spans.append((start, len(pieces)))
    enc = tok.encode_batch(pieces, add_special_tokens=False) if pieces else []
    out = []
    for p, (a, b) in zip(prompts, spans):
        ids, ends = list(p.ids), []
        for k in range(a, b):
            ids += enc[k].ids
            if pieces[k].endswith("\n") and data.STEP_RE.match(pieces[k][:-1]):
                ends.append(len(ids) - 1)
        out.append((ids, len(p.ids), ends))
    return out


def label_candidates(arbor, ex, tok, cands, kind="prm"):
    """cands: (problem, candidate text). Labels them with the step checker and adds critique /
    refine, verify and PRM examples; right candidates also become solve examples (`kind`).
    Returns how many were right."""
    verdicts = data.check(arbor, [{"numbers": p["numbers"], "answer": p["answer"], "solution": c}
                                  for p, c in cands])
    toks = solve_tokens_batch(tok, [(p["question"], c) for p, c in cands])
    pairs, right = [], 0
    eos = eos_id(tok)
    for (p, c), v, (ids, n_prompt, ends) in zip(cands, verdicts, toks):
        labels = data.step_labels(p, v)
        exs, correct = data.examples_for_candidate(p, c, v, labels)
        pairs += exs
        prm = [-1] * len(ids)
        for pos, lab in zip(ends, labels):
            prm[pos] = lab
        if correct:
            right += 1
            ex.add(kind, ids + [eos], [0] * n_prompt + [1] * (len(ids) + 1 - n_prompt), prm + [-1])
        else:
            ex.add("prm", ids, [0] * len(ids), prm)
    ex.add_pairs(tok, pairs)
    return right


def corrupted_candidates(problems, rng):
    out = []
    for p in problems:
        if rng.random() < 0.5:
            c = data.corrupt(p, rng)
            if c is None:
                continue
        else:
            c = p["solution"]
        out.append((p, c))
    return out


class Batches:
    """Examples on the GPU in length buckets (multiples of 32 tokens); a batch holds about
    `tokens` tokens of one bucket."""

    def __init__(self, ex, tokens, seed):
        self.tokens = tokens
        self.gen = torch.Generator(device="cuda").manual_seed(seed)
        by_len = {}
        for it in ex.items:
            by_len.setdefault((len(it[0]) + 31) // 32 * 32, []).append(it)
        self.buckets = []
        for L, items in sorted(by_len.items()):
            ids = np.zeros((len(items), L), np.int32)
            lm = np.zeros((len(items), L), np.bool_)
            prm = np.full((len(items), L), -1, np.int8)
            for i, (x, m, p) in enumerate(items):
                ids[i, :len(x)] = x
                lm[i, :len(m)] = m
                if p is not None:
                    prm[i, :len(p)] = p
            self.buckets.append((L, torch.from_numpy(ids).cuda(), torch.from_numpy(lm).cuda(),
                                 torch.from_numpy(prm).cuda()))
        w = torch.tensor([float(b[1].shape[0] * b[0]) for b in self.buckets])
        self.weights = (w / w.sum()).cuda()  # buckets by tokens, so every example is as likely

    def next(self):
        k = int(torch.multinomial(self.weights, 1, generator=self.gen))
        L, ids, lm, prm = self.buckets[k]
        bs = max(8, self.tokens // L)
        idx = torch.randint(ids.shape[0], (bs,), device="cuda", generator=self.gen)
        return ids[idx].long(), lm[idx], prm[idx]


# ---- model ------------------------------------------------------------------------------------

def hf_model():
    from transformers import Mamba2Config, Mamba2ForCausalLM
    return Mamba2ForCausalLM(Mamba2Config(**MODEL))


@torch.no_grad()
def check_against_transformers(model, ids, what):
    """Max relative difference of fastmamba's logits to transformers' on the same weights (fp32,
    GPU, TF32 off); raises when they disagree."""
    tf32 = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    ref = hf_model().cuda().float()
    sd = {k: v for k, v in model.state_dict().items()}
    ref.load_state_dict(sd, strict=True)
    ref.eval()
    want = ref(ids).logits.float()
    got = model.float()(ids)[0].float()
    rel = ((got - want).abs().max() / want.abs().max()).item()
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    log(f"fastmamba vs transformers ({what}): max relative difference {rel:.2e}")
    if rel > 1e-3:
        raise SystemExit("fastmamba disagrees with transformers")
    return rel


def lr_at(frac, step, peak, warmup=300):
    return peak * min(1.0, (step + 1) / warmup) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(frac, 1.0))))


class Trainer:
    def __init__(self, model, head, peak_lr, total_seconds):
        self.model, self.head = model, head
        self.params = list(model.parameters()) + list(head.parameters())
        self.opt = torch.optim.AdamW(self.params, lr=peak_lr, betas=(0.9, 0.95), weight_decay=0.01)
        self.peak, self.total = peak_lr, total_seconds
        self.spent, self.step, self.tokens = 0.0, 0, 0

    def run(self, batches, seconds):
        self.model.train()
        start = time.time()
        last_log = start
        while time.time() - start < seconds:
            ids, lm, prm = batches.next()
            cur = lr_at((self.spent + time.time() - start) / self.total, self.step, self.peak)
            for g in self.opt.param_groups:
                g["lr"] = cur
            with torch.autocast("cuda", dtype=torch.bfloat16):
                logits, hidden = self.model(ids)
            m = lm[:, 1:]
            lm_loss = F.cross_entropy(logits[:, :-1][m].float(), ids[:, 1:][m])
            loss = lm_loss
            sel = prm >= 0
            prm_loss = torch.zeros((), device="cuda")
            if bool(sel.any()):
                z = self.head(hidden[sel].float()).squeeze(-1)
                prm_loss = F.binary_cross_entropy_with_logits(z, prm[sel].float())
                loss = loss + 0.5 * prm_loss
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.params, 1.0)
            self.opt.step()
            self.step += 1
            self.tokens += ids.numel()
            if time.time() - last_log > 30:
                last_log = time.time()
                el = self.spent + last_log - start
                log(f"step {self.step} lr {cur:.2e} lm {lm_loss.item():.4f} prm {prm_loss.item():.4f} "
                    f"{self.tokens / max(el, 1e-9):,.0f} tokens/s (padded)")
        self.spent += time.time() - start
        self.model.eval()


# ---- sampling, scoring, evaluation ------------------------------------------------------------

def sample_solutions(model, tok, problems, n, temperature, seed, max_new=160):
    prompts = [tok.encode(data.solve_prompt(p["question"]), add_special_tokens=False).ids
               for p in problems for _ in range(n)]
    outs = model.generate(prompts, max_new, temperature, eos_id(tok), seed=seed, batch=8192)
    texts = tok.decode_batch(outs)
    return [texts[i * n:(i + 1) * n] for i in range(len(problems))]


@torch.no_grad()
def forward_rows(model, rows, batch=1024):
    """Runs right-padded rows of token ids; yields (row index, log-softmax logits, hidden)."""
    order = sorted(range(len(rows)), key=lambda i: len(rows[i]))
    for s in range(0, len(order), batch):
        part = order[s:s + batch]
        L = max(len(rows[i]) for i in part)
        ids = torch.zeros(len(part), L, dtype=torch.long)
        for j, i in enumerate(part):
            ids[j, :len(rows[i])] = torch.tensor(rows[i])
        logits, hidden = model(ids.cuda())
        lp = torch.log_softmax(logits.float(), -1)
        for j, i in enumerate(part):
            yield i, lp[j], hidden[j]


def verdict_probs(model, tok, pairs):
    """p(correct) = P(" correct") / (P(" correct") + P(" incorrect")) after `Verdict:`."""
    yes = tok.encode(" correct", add_special_tokens=False).ids
    no = tok.encode(" incorrect", add_special_tokens=False).ids
    rows, meta = [], []
    for q, cand in pairs:
        pre = tok.encode(data.candidate_prompt(q, cand) + "Verdict:", add_special_tokens=False).ids
        rows += [pre + yes, pre + no]
        meta += [(len(pre), yes), (len(pre), no)]
    lps = [0.0] * len(rows)
    for i, lp, _ in forward_rows(model, rows):
        n_pre, cont = meta[i]
        lps[i] = sum(lp[n_pre - 1 + k, t].item() for k, t in enumerate(cont))
    out = []
    for k in range(len(pairs)):
        a, b = lps[2 * k], lps[2 * k + 1]
        m = max(a, b)
        out.append(math.exp(a - m) / (math.exp(a - m) + math.exp(b - m)))
    return out


def prm_scores(model, head, tok, items):
    """items: (question, candidate) -> the head's sigmoid at each step end."""
    toks = solve_tokens_batch(tok, items)
    rows = [t[0] for t in toks]
    ends = [t[2] for t in toks]
    out = [None] * len(rows)
    with torch.no_grad():
        for i, _, hidden in forward_rows(model, rows):
            out[i] = torch.sigmoid(head(hidden[ends[i]].float()).squeeze(-1)).tolist() if ends[i] else []
    return out


def likelihoods(model, tok, items):
    """items: (question, candidate) -> exp(log p(candidate | solve prompt) / step lines), the
    score of Arbor's `likelihood` evaluator."""
    toks = solve_tokens_batch(tok, items)
    out = [0.0] * len(items)
    with torch.no_grad():
        for i, lp, _ in forward_rows(model, [t[0] for t in toks]):
            ids, n_pre = toks[i][0], toks[i][1]
            total = sum(lp[k - 1, ids[k]].item() for k in range(n_pre, len(ids)))
            out[i] = math.exp(total / max(1, len(items[i][1].strip().split("\n"))))
    return out


def within_problems(scores, right, k):
    """What a search needs from a scorer: among each problem's k samples, does it rank the right
    ones first? Mean AUROC over problems with both right and wrong samples, and the accuracy of
    the top-scored sample (best-of-k)."""
    aucs, best = [], 0
    for s in range(0, len(scores), k):
        sc, r = scores[s:s + k], right[s:s + k]
        a = auroc(sc, r)
        if a is not None:
            aucs.append(a)
        best += r[max(range(len(sc)), key=sc.__getitem__)]
    return {"mixed_problems": len(aucs), "mean_auroc": sum(aucs) / len(aucs) if aucs else None,
            "best_of_k_accuracy": best / (len(scores) // k)}


def auroc(scores, labels):
    pos = [s for s, l in zip(scores, labels) if l]
    neg = [s for s, l in zip(scores, labels) if not l]
    if not pos or not neg:
        return None
    allv = sorted([(s, 1) for s in pos] + [(s, 0) for s in neg])
    rank_sum, i = 0.0, 0
    while i < len(allv):  # average ranks over ties
        j = i
        while j < len(allv) and allv[j][0] == allv[i][0]:
            j += 1
        r = (i + 1 + j) / 2
        rank_sum += r * sum(1 for k in range(i, j) if allv[k][1])
        i = j
    return (rank_sum - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg))


def evaluate(args, model, head, tok, eval_p):
    t = time.time()
    res = {"problems": len(eval_p)}
    greedy = sample_solutions(model, tok, eval_p, 1, 0.0, 0)
    samples = sample_solutions(model, tok, eval_p, 16, 0.8, 7)
    by_d = {}
    g_right = m_right = p_right = 0
    for p, g, s in zip(eval_p, greedy, samples):
        gr = data.answer_of(g[0]) == p["answer"]
        ans = [data.answer_of(x) for x in s]
        mr = data.majority(ans) == p["answer"]
        pr = p["answer"] in ans
        g_right += gr
        m_right += mr
        p_right += pr
        d = by_d.setdefault(str(p["difficulty"]), [0, 0, 0])
        d[0] += 1
        d[1] += gr
        d[2] += mr
    n = len(eval_p)
    res.update(greedy=g_right / n, maj16=m_right / n, pass16=p_right / n,
               by_difficulty={k: {"n": v[0], "greedy": v[1] / v[0], "maj16": v[2] / v[0]}
                              for k, v in sorted(by_d.items())})
    # The verifier and the PRM head on the model's own samples of held-out problems.
    flat = [(p, x) for p, s in zip(eval_p, samples) for x in s]
    right = [data.answer_of(x) == p["answer"] for p, x in flat]
    rng = random.Random(5)
    pos = [i for i, r in enumerate(right) if r]
    neg = [i for i, r in enumerate(right) if not r]
    k = min(len(pos), len(neg), 1000)
    bal = rng.sample(pos, k) + rng.sample(neg, k)
    if k > 0:
        probs = verdict_probs(model, tok, [(flat[i][0]["question"], flat[i][1]) for i in bal])
        labels = [right[i] for i in bal]
        res["verifier"] = {"n": 2 * k, "accuracy": sum((pr > 0.5) == l for pr, l in zip(probs, labels)) / (2 * k),
                           "auroc": auroc(probs, labels)}
    # Pooled over problems, the AUROC above also rewards telling easy problems from hard ones;
    # best-of-N and beam search need the ranking among one problem's samples.
    pairs = [(p["question"], x) for p, x in flat]
    res["verifier_within"] = within_problems(verdict_probs(model, tok, pairs), right, 16)
    res["likelihood_within"] = within_problems(likelihoods(model, tok, pairs), right, 16)
    res["prm_within"] = within_problems([min(x) if x else 0.0 for x in prm_scores(model, head, tok, pairs)],
                                        right, 16)
    verdicts = data.check(args.arbor, [{"numbers": p["numbers"], "answer": p["answer"], "solution": x}
                                       for p, x in flat])
    step_lab = [data.step_labels(p, v) for (p, _), v in zip(flat, verdicts)]
    sub = rng.sample(range(len(flat)), min(len(flat), 3000))
    sc = prm_scores(model, head, tok, [(flat[i][0]["question"], flat[i][1]) for i in sub])
    s_all, l_all = [], []
    for j, i in enumerate(sub):
        for s, l in zip(sc[j], step_lab[i]):
            s_all.append(s)
            l_all.append(l)
    res["prm"] = {"steps": len(s_all), "positive": sum(l_all), "auroc": auroc(s_all, l_all)}
    log(f"evaluation in {time.time() - t:.0f} s:", json.dumps(res))
    return res


# ---- stages -----------------------------------------------------------------------------------

def load_problems(args):
    train_p = data.generate(args.arbor, TRAIN_SEED, args.n_train, "train")
    eval_p = data.generate(args.arbor, EVAL_SEED, N_EVAL, "test")
    overlap = len({p["question"] for p in eval_p} & {p["question"] for p in train_p})
    log(f"{len(train_p)} training problems, {len(eval_p)} held-out; held-out questions in training: {overlap}")
    return train_p, eval_p, overlap


def self_sample(args, model, tok, ex, problems, seed):
    t = time.time()
    sols = sample_solutions(model, tok, problems, args.self_n, args.self_temperature, seed)
    cands = [(p, s) for p, ss in zip(problems, sols) for s in ss if s.strip()]
    first = len(ex.items)
    right = label_candidates(args.arbor, ex, tok, cands, "solve_self")
    added = ex.items[first:]
    for _ in range(args.self_repeat - 1):  # weight the model's own solutions up
        ex.items += added
    if args.self_repeat > 1:
        ex.kinds["self_repeats"] = len(added) * (args.self_repeat - 1)
    log(f"self-samples: {len(cands)} on {len(problems)} problems, {right} right, in {time.time() - t:.0f} s")
    return {"samples": len(cands), "right": right}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arbor", required=True)
    ap.add_argument("--out", required=True, help="folder for the exported model and logs")
    ap.add_argument("--resume", default="", help="an exported model folder to continue from")
    ap.add_argument("--minutes", type=float, default=5.0, help="training time")
    ap.add_argument("--self-at", type=float, default=0.6, help="fraction of training before self-samples")
    ap.add_argument("--self-problems", type=int, default=12000)
    ap.add_argument("--self-n", type=int, default=2)
    ap.add_argument("--self-temperature", type=float, default=0.8)
    ap.add_argument("--self-repeat", type=int, default=1,
                    help="how many times each example made from own samples is trained on")
    ap.add_argument("--n-train", type=int, default=N_TRAIN)
    ap.add_argument("--corrupt", type=int, default=100000, help="gold solutions to corrupt or keep")
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--tokens", type=int, default=65536, help="tokens per batch")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    os.makedirs(args.out, exist_ok=True)
    stage = 2 if args.resume else 1
    rng = random.Random(stage)
    train_p, eval_p, overlap = load_problems(args)

    tok_path = os.path.join(args.out, "tokenizer.json")
    if args.resume:
        from tokenizers import Tokenizer
        tok = Tokenizer.from_file(os.path.join(args.resume, "tokenizer.json"))
        tok.save(tok_path)
    else:
        tok = train_tokenizer([data.solve_prompt(p["question"]) + p["solution"] for p in train_p[:50000]] +
                              ["Candidate:\nCritique: Step 1 is wrong.\nAll steps are correct.\nRefined:\n"
                               "Verdict: correct incorrect"] * 50, tok_path)
    log("tokenizer:", tok.get_vocab_size(), "tokens")

    ex = Examples()
    ex.add_pairs(tok, [(data.solve_prompt(p["question"]), p["solution"] + data.EOS, "solve") for p in train_p])
    # Corrupted and gold candidates come from the end of the training problems; self-samples
    # from the start (stage 1) or the next block (stage 2).
    right = label_candidates(args.arbor, ex, tok, corrupted_candidates(train_p[-args.corrupt:], rng))
    log(f"examples: {ex.kinds} (gold or corrupted candidates right: {right})")

    torch.manual_seed(args.seed)
    model = Mamba2LM(MODEL).cuda()
    head = torch.nn.Linear(MODEL["hidden_size"], 1).cuda()
    probe = [tok.encode(data.solve_prompt(p["question"]) + p["solution"], add_special_tokens=False).ids
             for p in eval_p[:16]]
    probe = torch.tensor([x[:40] for x in probe if len(x) >= 40][:8]).cuda()
    summary = {"stage": stage, "heldout_question_overlap": overlap, "parameters": sum(p.numel() for p in model.parameters())}
    if args.resume:
        from safetensors.torch import load_file
        sd = load_file(os.path.join(args.resume, "model.safetensors"))
        sd["lm_head.weight"] = sd["backbone.embeddings.weight"]
        model.load_state_dict(sd, strict=True)
        head.load_state_dict(load_file(os.path.join(args.resume, "prm.head.safetensors")))
        summary["self_samples_before"] = self_sample(args, model, tok, ex, train_p[args.self_problems:2 * args.self_problems], 12)
    else:
        torch.manual_seed(args.seed)
        init = hf_model()  # transformers' initialisation, seeded
        sd = init.state_dict()
        model.load_state_dict(sd, strict=True)
    summary["parity_start"] = check_against_transformers(model, probe, "start")
    log("parameters:", summary["parameters"])

    total = args.minutes * 60
    trainer = Trainer(model, head, args.lr if not args.resume else args.lr / 2, total)
    batches = Batches(ex, args.tokens, args.seed + stage)
    if not args.resume:
        trainer.run(batches, total * args.self_at)
        summary["self_samples"] = self_sample(args, model, tok, ex, train_p[:args.self_problems], 11)
        batches = Batches(ex, args.tokens, args.seed + 10)
        trainer.run(batches, total * (1 - args.self_at))
    else:
        trainer.run(batches, total)
    summary.update(steps=trainer.step, train_seconds=trainer.spent, tokens_padded=trainer.tokens,
                   examples=ex.kinds)
    log(f"trained {trainer.step} steps in {trainer.spent:.0f} s")
    summary["parity_end"] = check_against_transformers(model, probe, "end")
    export(args, model, head, tok, eval_p, summary)
    summary["eval"] = evaluate(args, model, head, tok, eval_p)
    json.dump(summary, open(os.path.join(args.out, "training_summary.json"), "w"), indent=1)
    log("done")


@torch.no_grad()
def export(args, model, head, tok, eval_p, summary):
    from safetensors.torch import save_file
    ref = hf_model()
    ref.load_state_dict({k: v.float().cpu() for k, v in model.state_dict().items()}, strict=True)
    ref.save_pretrained(args.out, safe_serialization=True)
    save_file({"weight": head.weight.detach().float().cpu().contiguous(),
               "bias": head.bias.detach().float().cpu().contiguous()},
              os.path.join(args.out, "prm.head.safetensors"))
    json.dump({"name": "prm", "weights": "prm.head.safetensors", "weight": "weight", "bias": "bias",
               "activation": "sigmoid", "labels": ["steps_so_far_correct"]},
              open(os.path.join(args.out, "prm.head.json"), "w"), indent=1)
    # Reference logits for the parity test with Arbor's CPU engine: transformers, fp32, CPU.
    ids = tok.encode(data.solve_prompt(eval_p[0]["question"]), add_special_tokens=False).ids
    ref.eval()
    out = ref(torch.tensor([ids]), output_hidden_states=True)
    h = out.hidden_states[-1][0]
    import transformers
    json.dump({"source": f"transformers {transformers.__version__}, PyTorch {torch.__version__.split('+')[0]}, "
                         "fp32 on the CPU, at the end of training",
               "input_ids": ids, "last_logits": out.logits[0, -1].tolist(),
               "prm_last": torch.sigmoid(head.cpu()(h[-1])).item()},
              open(os.path.join(args.out, "parity_reference.json"), "w"))
    head.cuda()
    model.cuda()
    log("exported to", args.out)


if __name__ == "__main__":
    main()
