#!/usr/bin/env python3
"""Times one training step (forward + backward + AdamW, bf16 autocast) of the embedded model's
shape in transformers' PyTorch Mamba-2 path and in fastmamba.py, on the same weights and batch,
and checks that both give the same loss. Prints one JSON line.

  python3 tools/embedded_model/speed_probe.py [--batch 256] [--length 160]
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.nn.functional as F
from transformers import Mamba2Config, Mamba2ForCausalLM

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fastmamba import Mamba2LM  # noqa: E402
from recipe_config import MODEL  # noqa: E402


def time_steps(model, forward, ids, reps=6):
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    times, losses = [], []
    for _ in range(reps):
        torch.cuda.synchronize()
        t = time.time()
        with torch.autocast("cuda", dtype=torch.bfloat16):
            logits = forward(ids)
        loss = F.cross_entropy(logits[:, :-1].float().reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        torch.cuda.synchronize()
        times.append(time.time() - t)
        losses.append(loss.item())
    return sorted(times[2:])[len(times[2:]) // 2], losses[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--length", type=int, default=160)
    args = ap.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.manual_seed(0)
    ref = Mamba2ForCausalLM(Mamba2Config(**MODEL)).cuda()
    fast = Mamba2LM(MODEL).cuda()
    fast.load_state_dict(ref.state_dict(), strict=True)
    ids = torch.randint(1, MODEL["vocab_size"], (args.batch, args.length), device="cuda")
    t_fast, loss_fast = time_steps(fast, lambda x: fast(x)[0], ids)
    t_ref, loss_ref = time_steps(ref, lambda x: ref(x).logits, ids)
    tokens = args.batch * args.length
    print(json.dumps({"batch": args.batch, "length": args.length,
                      "transformers_ms": round(t_ref * 1000, 1), "fastmamba_ms": round(t_fast * 1000, 1),
                      "transformers_tokens_per_s": round(tokens / t_ref), "fastmamba_tokens_per_s": round(tokens / t_fast),
                      "first_loss": {"transformers": loss_ref, "fastmamba": loss_fast}}), flush=True)


if __name__ == "__main__":
    main()
