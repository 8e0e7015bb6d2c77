#!/usr/bin/env python3
"""Times one training step (forward + backward, bf16 autocast) of the embedded model's shape in
transformers' PyTorch Mamba-2 path, for several SSD chunk sizes, batch sizes and lengths. The
chunk size changes only how the scan is computed, not the model; this picks the fastest."""
import json
import sys
import time

import torch
from transformers import Mamba2Config, Mamba2ForCausalLM

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from recipe_config import MODEL  # noqa: E402


def step_ms(chunk, batch, length, reps=6):
    cfg = dict(MODEL, chunk_size=chunk)
    model = Mamba2ForCausalLM(Mamba2Config(**cfg)).cuda()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    ids = torch.randint(1, 500, (batch, length), device="cuda")
    times = []
    for i in range(reps + 3):
        torch.cuda.synchronize()
        t0 = time.time()
        with torch.autocast("cuda", dtype=torch.bfloat16):
            out = model(ids, labels=ids, output_hidden_states=True)
        out.loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        torch.cuda.synchronize()
        if i >= 3:
            times.append((time.time() - t0) * 1000)
    times.sort()
    return times[len(times) // 2]


results = []
for chunk in (8, 16, 32, 64):
    for batch, length in ((256, 160), (1024, 160), (256, 320)):
        ms = step_ms(chunk, batch, length)
        r = {"chunk": chunk, "batch": batch, "length": length, "ms_per_step": round(ms, 1),
             "tokens_per_s": round(batch * length / ms * 1000)}
        results.append(r)
        print(json.dumps(r), flush=True)
