#!/usr/bin/env python3
"""Times transformers' generate and Arbor's `bench` on the same random-initialised checkpoint.

One model per invocation. The checkpoint has the shapes of a published model (MODELS below) and
random weights (fixed seed), cast to bf16 and saved with save_pretrained (safetensors) to --out;
it is made once and reused when OUT/config.json exists. Then, on the GPU:
  1. Arbor, when --arbor is given. It runs first, so that PyTorch holds no GPU memory meanwhile
     and its numbers come back whatever transformers does with the time budget:
       BIN bench decode  --model OUT --backend cuda --dtype bf16 --batch 1,16,64 --tokens NEW
                         --prompt-len L
       BIN bench prefill --model OUT --backend cuda --dtype bf16 --batch 1,8 --prompt-len P
                         --repeats 3
     If a command fails (say one batch size runs out of memory) it is run again one batch size
     at a time, under "per_batch".
  2. transformers, bf16 on cuda, under torch.inference_mode():
     decode: per batch size, a random prompt of L tokens and greedy generate of exactly NEW new
       tokens (no EOS: min_new_tokens = max_new_tokens, eos_token_id None), after one short
       warm-up generate. tokens_per_s = batch*NEW / seconds of generate, the prompt's prefill
       included; decode_only_tokens_per_s = batch*NEW / (those seconds - prefill_s), prefill_s
       being the median of 3 forwards of the prompt without cache.
     prefill: batch 1 and 8 random prompts of P tokens, one forward without cache (logits of
       the last position only where the model takes logits_to_keep), one warm-up, median of 3.
     A batch size that runs out of GPU memory reports "oom"; larger ones are then skipped.
--time-budget S (from the start, checkpoint included): no measurement starts after S seconds,
and a generate still running at S + 60 s stops early (its row says so). The JSON document is
printed to stdout at the end and rewritten to --json-out after every measurement.

Needs torch and transformers, no network. Without the mamba_ssm / causal_conv1d kernels
transformers runs its PyTorch path for the Mamba layers; "fast_path" in the output says which.
On the GPU machine, from the repository root:
    python3 tools/peer_bench/peer_bench.py --model mamba2-130m --out /tmp/m2 \
        --arbor .device/arbor --json-out $OUT/m2.json
"""
import argparse
import datetime
import difflib
import gc
import inspect
import json
import os
import subprocess
import sys
import time
import traceback

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch  # noqa: E402
import transformers  # noqa: E402

SEED = 1234
GRACE_S = 60  # how long past the time budget a generate already running may go on

# Shapes of the published checkpoints; the weights are random. Each entry: (transformers config
# class, model class, config arguments). Fields that change no work (multipliers, token ids,
# initialiser ranges) are left at transformers' defaults or set to plausible values.
# state-spaces/mamba-{130m,1.4b,2.8b}-hf: Mamba-1, d_inner = 2 * hidden, dt_rank = hidden / 16.
MAMBA1 = dict(vocab_size=50280, state_size=16, expand=2, conv_kernel=4, time_step_rank="auto",
              use_bias=False, use_conv_bias=True, tie_word_embeddings=True, use_mambapy=False)
# state-spaces/mamba2-{130m,1.3b}: Mamba-2, num_heads * head_dim = 2 * hidden, one B/C group.
MAMBA2 = dict(vocab_size=50280, state_size=128, head_dim=64, n_groups=1, expand=2, conv_kernel=4,
              chunk_size=256, use_bias=False, use_conv_bias=True, tie_word_embeddings=True)
# ibm-granite/granite-4.0-h-1b: dense GraniteMoeHybrid (shared MLP only, no routed experts),
# 36 Mamba-2 layers and 4 attention layers (GQA 12/4, head_dim 128, no position embedding).
M, A = "mamba", "attention"
GRANITE_LAYERS = [M] * 5 + [A] + [M] * 9 + [A] + [M] * 9 + [A] + [M] * 9 + [A] + [M] * 4
MODELS = {
    "mamba-130m": ("MambaConfig", "MambaForCausalLM",
                   dict(MAMBA1, hidden_size=768, num_hidden_layers=24)),
    "mamba-1.4b": ("MambaConfig", "MambaForCausalLM",
                   dict(MAMBA1, hidden_size=2048, num_hidden_layers=48)),
    "mamba-2.8b": ("MambaConfig", "MambaForCausalLM",
                   dict(MAMBA1, hidden_size=2560, num_hidden_layers=64)),
    "mamba2-130m": ("Mamba2Config", "Mamba2ForCausalLM",
                    dict(MAMBA2, hidden_size=768, num_hidden_layers=24, num_heads=24)),
    "mamba2-1.3b": ("Mamba2Config", "Mamba2ForCausalLM",
                    dict(MAMBA2, hidden_size=2048, num_hidden_layers=48, num_heads=64)),
    "granite-4.0-h-1b-shape": ("GraniteMoeHybridConfig", "GraniteMoeHybridForCausalLM", dict(
        vocab_size=100352, hidden_size=1536, num_hidden_layers=len(GRANITE_LAYERS),
        layer_types=GRANITE_LAYERS, num_attention_heads=12, num_key_value_heads=4,
        position_embedding_type="nope", num_local_experts=0, num_experts_per_tok=0,
        intermediate_size=4096, shared_intermediate_size=4096, hidden_act="silu",
        mamba_n_heads=48, mamba_d_head=64, mamba_d_state=128, mamba_n_groups=1, mamba_d_conv=4,
        mamba_expand=2, mamba_chunk_size=256, mamba_conv_bias=True, mamba_proj_bias=False,
        attention_bias=False, tie_word_embeddings=True, max_position_embeddings=131072,
        rms_norm_eps=1e-5, embedding_multiplier=12.0, attention_multiplier=0.0078125,
        residual_multiplier=0.22, logits_scaling=6.0, bos_token_id=100257,
        eos_token_id=100257, pad_token_id=100256)),
}

START = time.monotonic()


def log(msg):
    print("[peer_bench %6.1fs] %s" % (time.monotonic() - START, msg), file=sys.stderr, flush=True)


def make_config(config_name, spec):
    """The config, after checking every argument name against this transformers version."""
    cls = getattr(transformers, config_name)
    known = set(inspect.signature(cls.__init__).parameters) - {"self", "kwargs"}
    known |= set(vars(cls()))  # attributes of a default config, for dataclass-style configs
    unknown = sorted(k for k in spec if k not in known)
    if unknown:
        hints = "; ".join("%s (close: %s)" % (k, difflib.get_close_matches(k, known, 3) or "none")
                          for k in unknown)
        sys.exit("peer_bench: %s of transformers %s takes no argument %s. Fix MODELS in %s."
                 % (config_name, transformers.__version__, hints, __file__))
    return cls(**spec)


def save_checkpoint(name, out):
    config_name, model_name, spec = MODELS[name]
    path = os.path.join(out, "config.json")
    if os.path.exists(path):
        with open(path) as f:
            arch = (json.load(f).get("architectures") or [None])[0]
        if arch != model_name:
            sys.exit("peer_bench: %s holds a %s, not a %s: pick another --out"
                     % (out, arch, model_name))
        log("reusing the checkpoint in %s" % out)
        return
    config = make_config(config_name, spec)
    torch.manual_seed(SEED)
    model = getattr(transformers, model_name)(config).to(torch.bfloat16)
    kw = {}
    if "safe_serialization" in inspect.signature(model.save_pretrained).parameters:
        kw["safe_serialization"] = True
    model.save_pretrained(out, **kw)
    n = sum(p.numel() for p in model.parameters())
    log("saved %s (%.0fM parameters, bf16) to %s" % (name, n / 1e6, out))
    del model
    gc.collect()


def last_json(text):
    """The last JSON document in text that starts at the beginning of a line, or None."""
    starts = [i for i, c in enumerate(text) if c == "{" and (i == 0 or text[i - 1] == "\n")]
    for i in reversed(starts):
        try:
            return json.JSONDecoder().raw_decode(text, i)[0]
        except ValueError:
            pass
    return None


def run_arbor(cmd, timeout):
    line = " ".join(cmd)
    log("$ " + line)
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        err = e.stderr or b""
        err = err.decode(errors="replace") if isinstance(err, bytes) else err
        sys.stderr.write(err)
        return {"command": line, "error": "timed out after %d s" % timeout,
                "stderr_tail": err[-2000:]}
    except OSError as e:
        return {"command": line, "error": str(e)}
    doc = last_json(p.stdout) if p.returncode == 0 else None
    if doc is None:
        sys.stderr.write(p.stderr)
        what = "exit code %d" % p.returncode if p.returncode else "no JSON document on stdout"
        return {"command": line, "error": what, "stderr_tail": p.stderr[-2000:]}
    doc["command"] = line
    doc["wall_s"] = round(time.monotonic() - t0, 1)
    return doc


def bench_arbor(args):
    def bench(mode, batches, extra):
        base = [args.arbor, "bench", mode, "--model", args.out, "--backend", "cuda",
                "--dtype", "bf16"]
        doc = run_arbor(base + ["--batch", ",".join(map(str, batches))] + extra, args.arbor_timeout)
        if "error" in doc and len(batches) > 1 and not doc["error"].startswith("timed out"):
            doc["per_batch"] = [run_arbor(base + ["--batch", str(b)] + extra, args.arbor_timeout)
                                for b in batches]
        return doc

    return {"decode": bench("decode", args.batch, ["--tokens", str(args.new_tokens),
                                                  "--prompt-len", str(args.prompt_len)]),
            "prefill": bench("prefill", args.prefill_batch, ["--prompt-len", str(args.prefill_len),
                                                            "--repeats", "3"])}


class Deadline(transformers.StoppingCriteria):
    """Stops generate once time.monotonic() passes `t`."""

    def __init__(self, t):
        self.t = t

    def __call__(self, input_ids, scores, **kwargs):
        return torch.full((input_ids.shape[0],), time.monotonic() > self.t, dtype=torch.bool,
                          device=input_ids.device)


def timed(fn):
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    fn()
    torch.cuda.synchronize()
    return time.perf_counter() - t0


def median3(fn):
    return sorted(timed(fn) for _ in range(3))[1]


def random_ids(batch, length, vocab, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(1, vocab, (batch, length), generator=g).cuda()


def decode_row(model, b, args, keep, stop_at):
    ids = random_ids(b, args.prompt_len, model.config.vocab_size, seed=b)
    mask = torch.ones_like(ids)
    stopper = transformers.StoppingCriteriaList([Deadline(stop_at)])
    made = []

    def generate(n):
        out = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=n,
                             min_new_tokens=n, do_sample=False, stopping_criteria=stopper)
        made.append(out.shape[1] - ids.shape[1])

    generate(min(4, args.new_tokens))  # warm-up
    t_gen = timed(lambda: generate(args.new_tokens))
    t_pre = median3(lambda: model(input_ids=ids, use_cache=False, **keep))
    n = made[-1]
    row = {"batch": b, "prompt_tokens": args.prompt_len, "new_tokens": n,
           "generate_s": round(t_gen, 4), "prefill_s": round(t_pre, 4),
           "tokens_per_s": round(b * n / t_gen, 1),
           "decode_only_tokens_per_s": round(b * n / (t_gen - t_pre), 1) if t_gen > t_pre else None}
    if n != args.new_tokens:
        row["status"] = "stopped after %d of %d new tokens (time budget)" % (n, args.new_tokens)
    return row


def prefill_row(model, b, args, keep):
    ids = random_ids(b, args.prefill_len, model.config.vocab_size, seed=1000 + b)

    def forward():
        model(input_ids=ids, use_cache=False, **keep)

    forward()  # warm-up
    t = median3(forward)
    return {"batch": b, "prompt_tokens": args.prefill_len, "seconds": round(t, 4),
            "tokens_per_s": round(b * args.prefill_len / t, 1)}


def is_oom(e):
    oom = getattr(torch, "OutOfMemoryError", torch.cuda.OutOfMemoryError)
    return isinstance(e, oom) or "out of memory" in str(e).lower()


def sweep(rows, batches, measure, deadline, emit):
    """Appends one row per batch size: measure(b), or why it was not measured."""
    skip = None
    for b in batches:
        if skip is None and time.monotonic() > deadline:
            skip = "skipped: time budget"
        if skip:
            rows.append({"batch": b, "status": skip})
            continue
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
        try:
            row = measure(b)
            row["peak_gib"] = round(torch.cuda.max_memory_allocated() / 2**30, 2)
        except Exception as e:  # torch.OutOfMemoryError, or an allocation failing in a library
            if is_oom(e):
                row = {"batch": b, "status": "oom"}
                skip = "skipped: a smaller batch ran out of memory"
            else:
                row = {"batch": b, "status": "error: %s: %s" % (type(e).__name__, str(e)[:500])}
                traceback.print_exc()
        gc.collect()
        torch.cuda.empty_cache()
        log(json.dumps(row))
        rows.append(row)
        emit()


def bench_transformers(args, result, emit):
    _, model_name, _ = MODELS[args.model]
    model = getattr(transformers, model_name).from_pretrained(args.out, dtype=torch.bfloat16)
    model = model.to("cuda").eval()
    model.generation_config.eos_token_id = None  # never stop early: exactly --new-tokens each
    model.generation_config.pad_token_id = 0
    takes_keep = "logits_to_keep" in inspect.signature(model.forward).parameters
    keep = {"logits_to_keep": 1} if takes_keep else {}
    fast = getattr(sys.modules[type(model).__module__], "is_fast_path_available", None)
    result.update({"fast_path": fast if isinstance(fast, bool) else repr(fast),
                   "logits_to_keep": bool(keep), "decode": [], "prefill": []})
    deadline = START + args.time_budget
    with torch.inference_mode():
        sweep(result["decode"], args.batch,
              lambda b: decode_row(model, b, args, keep, deadline + GRACE_S), deadline, emit)
        sweep(result["prefill"], args.prefill_batch,
              lambda b: prefill_row(model, b, args, keep), deadline, emit)
    del model
    gc.collect()
    torch.cuda.empty_cache()


def int_list(s):
    return [int(x) for x in s.split(",") if x.strip()]


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, choices=sorted(MODELS))
    p.add_argument("--out", required=True,
                   help="checkpoint folder (made unless it has config.json)")
    p.add_argument("--arbor", help="the arbor binary; without it only transformers is timed")
    p.add_argument("--json-out", help="also write the JSON document here")
    p.add_argument("--batch", type=int_list, default=[1, 16, 64], help="decode batch sizes")
    p.add_argument("--prompt-len", type=int, default=256)
    p.add_argument("--new-tokens", type=int, default=128)
    p.add_argument("--prefill-len", type=int, default=2048)
    p.add_argument("--prefill-batch", type=int_list, default=[1, 8])
    p.add_argument("--time-budget", type=float, default=400, help="seconds; see above")
    p.add_argument("--arbor-timeout", type=int, default=180, help="seconds per arbor command")
    args = p.parse_args()
    if not torch.cuda.is_available():
        sys.exit("peer_bench: no CUDA device visible to PyTorch")
    args.out = os.path.abspath(args.out)

    doc = {"model": args.model, "checkpoint": args.out,
           "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
           "torch_version": torch.__version__, "transformers_version": transformers.__version__,
           "shape": {k: v for k, v in MODELS[args.model][2].items() if k != "layer_types"},
           "settings": {"batch": args.batch, "prompt_len": args.prompt_len,
                        "new_tokens": args.new_tokens, "prefill_len": args.prefill_len,
                        "prefill_batch": args.prefill_batch, "time_budget_s": args.time_budget,
                        "dtype": "bf16"},
           "transformers": {}}

    def emit():
        if args.json_out:
            tmp = args.json_out + ".tmp"
            with open(tmp, "w") as f:
                json.dump(doc, f, indent=1)
            os.replace(tmp, args.json_out)

    save_checkpoint(args.model, args.out)
    if args.arbor:
        doc["arbor"] = bench_arbor(args)
        emit()
    doc["device"] = torch.cuda.get_device_name(0)
    try:
        bench_transformers(args, doc["transformers"], emit)
    except Exception as e:  # still print what Arbor and the finished measurements gave
        doc["transformers"]["error"] = "%s: %s" % (type(e).__name__, str(e)[:1000])
        traceback.print_exc()
    doc["wall_s"] = round(time.monotonic() - START, 1)
    emit()
    print(json.dumps(doc, indent=1))


if __name__ == "__main__":
    main()
