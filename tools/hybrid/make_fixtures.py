#!/usr/bin/env python3
"""Makes the parity fixtures for Arbor's Granite-4.0-H (GraniteMoeHybrid, dense) CPU engine and
for its Granite-style byte-level BPE tokenizer.

Models. For each config below: a random-initialised GraniteMoeHybridForCausalLM (model_type
"granitemoehybrid", num_local_experts 0 = the dense shared-MLP variant, position_embedding_type
"nope") with odd shapes, perturbed so that no parameter keeps its structured init, saved with
save_pretrained (fp32 safetensors), plus reference.json holding, computed with PyTorch on the CPU
in fp32 (eager attention, the torch_forward Mamba path):
  - input_ids and the logits at every position of one forward pass (no cache);
  - the final hidden state (after the final norm) at every position;
  - a greedy continuation whose top-1/top-2 logit margin exceeds 10x the test tolerance at every
    step and which has at least 3 distinct tokens (seeds are tried until one qualifies; if none
    of a few dozen does, the mixers' output projections are perturbed more strongly and the
    seeds are tried again; the perturbation used is recorded);
  - the logits of transformers' own cached decode (prefill of the first `split` tokens, then one
    token at a time), as a check of the reference itself. transformers 5.x builds the hybrid
    cache itself (a DynamicCache with Mamba layers); older versions needed
    HybridMambaAttentionDynamicCache. Each way is tried; none working is logged, not fatal.

Tokenizer. A byte-level BPE trained here with the components of Granite-4.0-H's tokenizer.json
(no normalizer; pre-tokenizer Sequence[Split(cl100k-style regex, Removed, invert), ByteLevel
without prefix space and without its own regex]; BPE without unk/dropout/byte_fallback; ByteLevel
decoder and post-processor; Granite's special tokens appended after the learned vocabulary) on
text of this repository (README.md and docs/*.md), plus the ids, decodes and pre-tokenized words
of test strings (unicode, whitespace runs, digits, contractions, special tokens, random strings).
A second variant of the same file with an NFC normalizer is written too.

Runs where transformers (5.x) and tokenizers are installed; no network needed; under two
minutes on the CPU (each model's seed search is time-bounded, --seconds-per-model):
    python3 tools/hybrid/make_fixtures.py --out tests/data/parity_hybrid
Writes OUT/hybrid_a, OUT/hybrid_b, OUT/hybrid_c (model folders), OUT/tokenizer/ and
OUT/summary.json. A part that fails (a model no seed qualifies for, the tokenizer) is reported
in summary.json's "failures" and on stderr, the other parts are still written, and the exit
status is 1.
"""
import argparse
import glob
import hashlib
import json
import math
import os
import random
import shutil
import sys
import time
import traceback

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch  # noqa: E402
import tokenizers  # noqa: E402
import transformers  # noqa: E402
from tokenizers import Tokenizer, trainers  # noqa: E402
from transformers import GraniteMoeHybridConfig, GraniteMoeHybridForCausalLM  # noqa: E402

TOLERANCE = 1e-4  # the C++ test's relative tolerance (to the largest logit magnitude)
PROMPT_LEN = 23
CONTINUATION_LEN = 10

M, A = "mamba", "attention"

CONFIGS = {
    # Two attention layers among Mamba-2 layers, GQA 6/2 (head_dim 8), n_groups 2, several SSD
    # chunks, tied embeddings, all four multipliers away from 1.
    "hybrid_a": dict(vocab_size=259, hidden_size=48, layer_types=[M, A, M, M, A],
                     num_attention_heads=6, num_key_value_heads=2, shared_intermediate_size=40,
                     mamba_n_heads=6, mamba_d_head=16, mamba_n_groups=2, mamba_d_state=16,
                     mamba_d_conv=4, mamba_expand=2, mamba_chunk_size=8, mamba_conv_bias=True,
                     mamba_proj_bias=False, attention_bias=False, tie_word_embeddings=True,
                     embedding_multiplier=3.0, attention_multiplier=0.21,
                     residual_multiplier=0.6, logits_scaling=2.5, rms_norm_eps=1e-5),
    # Attention first, multi-query attention (1 KV head, head_dim 10), biases on the attention
    # and Mamba projections, no conv bias, untied, conv kernel 3.
    "hybrid_b": dict(vocab_size=211, hidden_size=40, layer_types=[A, M, A, M],
                     num_attention_heads=4, num_key_value_heads=1, shared_intermediate_size=24,
                     mamba_n_heads=5, mamba_d_head=16, mamba_n_groups=1, mamba_d_state=8,
                     mamba_d_conv=3, mamba_expand=2, mamba_chunk_size=16, mamba_conv_bias=False,
                     mamba_proj_bias=True, attention_bias=True, tie_word_embeddings=False,
                     embedding_multiplier=1.7, attention_multiplier=0.4,
                     residual_multiplier=0.35, logits_scaling=0.8, rms_norm_eps=1e-6),
    # Full multi-head attention (KV heads = heads), mamba_expand 1 with d_head "auto",
    # three attention layers in a row, tied.
    "hybrid_c": dict(vocab_size=197, hidden_size=36, layer_types=[M, A, A, A, M, M],
                     num_attention_heads=3, num_key_value_heads=3, shared_intermediate_size=20,
                     mamba_n_heads=4, mamba_d_head="auto", mamba_n_groups=2, mamba_d_state=12,
                     mamba_d_conv=4, mamba_expand=1, mamba_chunk_size=5, mamba_conv_bias=True,
                     mamba_proj_bias=False, attention_bias=False, tie_word_embeddings=True,
                     embedding_multiplier=12.0, attention_multiplier=1.0 / 12.0,
                     residual_multiplier=0.22, logits_scaling=6.0, rms_norm_eps=1e-5),
}


# How strongly build() perturbs each kind of parameter (standard deviations; "offset" is added to
# the "other" parameters). hybrid_c (tied embeddings, embedding_multiplier 12, residual_multiplier
# 0.22: Granite-like multipliers) is otherwise dominated by the current token's own scaled
# embedding: with the default 0.3 its greedy continuation repeats the last prompt token for every
# seed (tied embeddings: a token's logit is largest for its own embedding). Stronger output
# projections make the mixers decide the next token.
PERTURB = {"a_log": 0.3, "dt_bias": 0.5, "d": 0.3, "norm": 0.2, "qk": 0.4, "out": 0.3,
           "other": 0.05, "offset": 0.02}
PERTURB_OVERRIDES = {"hybrid_c": {"out": 1.0}}
# When no seed qualifies, the "out" perturbation is multiplied by these factors in turn.
OUT_ESCALATION = (1.0, 1.5, 2.0)
SEEDS_PER_STAGE = 24


def build(spec, seed, perturb):
    spec = dict(spec)
    torch.manual_seed(seed)
    common = dict(num_hidden_layers=len(spec["layer_types"]), num_local_experts=0,
                  num_experts_per_tok=0, hidden_act="silu",
                  intermediate_size=spec["shared_intermediate_size"],
                  max_position_embeddings=512, pad_token_id=None, bos_token_id=0,
                  eos_token_id=0, **spec)
    try:  # Granite-4.0-H's own configs say "nope"; older validation may only allow None
        config = GraniteMoeHybridConfig(position_embedding_type="nope", **common)
    except ValueError:
        config = GraniteMoeHybridConfig(position_embedding_type=None, **common)
    try:
        config._attn_implementation = "eager"
    except Exception as e:  # the default (sdpa) computes the same attention in fp32
        print("eager attention not selected: %r" % (e,), file=sys.stderr)
    model = GraniteMoeHybridForCausalLM(config)
    # Perturb every parameter so the test sees no zeros, ones or repeated structure.
    with torch.no_grad():
        for pname, p in model.named_parameters():
            if pname.endswith("A_log"):
                p.add_(perturb["a_log"] * torch.randn_like(p))
            elif pname.endswith("dt_bias"):
                p.add_(perturb["dt_bias"] * torch.randn_like(p))
            elif pname.endswith(".D"):
                p.add_(perturb["d"] * torch.randn_like(p))
            elif "norm" in pname or "layernorm" in pname:
                p.copy_(1.0 + perturb["norm"] * torch.randn_like(p))
            elif "q_proj" in pname or "k_proj" in pname:
                # Make attention far from uniform so that masking and scaling errors show.
                p.add_(perturb["qk"] * torch.randn_like(p))
            elif "out_proj" in pname or "o_proj" in pname or "output_linear" in pname:
                # Make the mixers matter against the residual stream.
                p.add_(perturb["out"] * torch.randn_like(p))
            else:
                p.add_(perturb["other"] * torch.randn_like(p) + perturb["offset"])
    model.eval()
    return model


def prompt_ids(vocab, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, vocab, (1, PROMPT_LEN), generator=g)


@torch.no_grad()
def greedy(model, ids):
    """The greedy continuation of ids (full forward passes, no cache) and its smallest top-1/top-2
    margin over the test tolerance (relative to the step's largest logit magnitude)."""
    seq = ids.clone()
    cont, margins = [], []
    for _ in range(CONTINUATION_LEN):
        step_logits = model(seq, use_cache=False).logits[0, -1].float()
        top2 = torch.topk(step_logits, 2)
        margin = (top2.values[0] - top2.values[1]).item()
        scale = step_logits.abs().max().item()
        margins.append(margin / (TOLERANCE * scale))
        nxt = top2.indices[0].item()
        cont.append(nxt)
        seq = torch.cat([seq, torch.tensor([[nxt]])], dim=1)
    return cont, min(margins)


@torch.no_grad()
def reference(model, ids):
    logits = model(ids, use_cache=False).logits[0].float()
    hidden = model.model(ids, use_cache=False).last_hidden_state[0].float()
    return logits, hidden


def cache_makers(model):
    """The ways to get a cache for GraniteMoeHybrid's cached decoding, newest first, each as
    (name, function returning the past_key_values to pass on the first call)."""
    def model_made():
        return None  # transformers 5.x: the model builds its own cache when use_cache is set

    def dynamic_cache():
        from transformers import DynamicCache  # 5.x: Mamba layers are DynamicCache layers
        return DynamicCache(config=model.config)

    def legacy(module):
        def make():
            mod = __import__("transformers.models.%s.modeling_%s" % (module, module),
                             fromlist=["HybridMambaAttentionDynamicCache"])
            return mod.HybridMambaAttentionDynamicCache(model.config, 1, torch.float32,
                                                        device="cpu")
        return make

    return [("cache made by the model", model_made),
            ("DynamicCache(config=...)", dynamic_cache),
            ("granitemoehybrid HybridMambaAttentionDynamicCache", legacy("granitemoehybrid")),
            ("bamba HybridMambaAttentionDynamicCache", legacy("bamba"))]


@torch.no_grad()
def cached_decode_error(model, ids, logits, split):
    """(max relative error of transformers' own cached decode against its full forward pass, the
    way its cache was made, notes on every way tried); (None, None, notes) when no way works in
    this transformers version. The first way within the test tolerance wins, else the smallest
    error."""
    t = torch.tensor([ids])
    scale = logits.abs().max()
    best, notes = None, []
    for name, make in cache_makers(model):
        try:
            cache = make()
            out = model(t[:, :split], past_key_values=cache, use_cache=True)
            past = out.past_key_values if out.past_key_values is not None else cache
            if past is None:
                raise RuntimeError("the model returned no cache")
            rows = [out.logits[0]]
            for pos in range(split, len(ids)):
                out = model(t[:, pos:pos + 1], past_key_values=past, use_cache=True)
                if out.past_key_values is not None:
                    past = out.past_key_values
                rows.append(out.logits[0])
            got = torch.cat(rows, dim=0).float()
            err = ((got - logits).abs().max() / scale).item()
            if not math.isfinite(err):
                raise RuntimeError("non-finite logits")
        except Exception as e:  # the reference logits do not depend on this check
            notes.append("%s: %r" % (name, e))
            continue
        notes.append("%s (%s): max rel error %.3g" % (name, type(past).__name__, err))
        if best is None or err < best[0]:
            best = (err, name)
        if err <= TOLERANCE:
            break
    if best is None:
        print("cached decode check skipped: " + "; ".join(notes), file=sys.stderr)
        return None, None, notes
    if best[0] > TOLERANCE:
        print("cached decode check: no way within tolerance: " + "; ".join(notes),
              file=sys.stderr)
    return best[0], best[1], notes


def rounded(t):
    return [[round(v, 7) for v in row] for row in t.tolist()]


def find_qualifying(name, spec, deadline):
    """(model, perturbation, seed, ids, continuation, margin) for the first seed whose greedy
    continuation qualifies, or (None, perturbation, tried) when none does."""
    tried, perturb = [], None
    for factor in OUT_ESCALATION:
        perturb = dict(PERTURB, **PERTURB_OVERRIDES.get(name, {}))
        perturb["out"] = round(perturb["out"] * factor, 6)
        for seed in range(SEEDS_PER_STAGE):
            if time.monotonic() > deadline:
                return None, perturb, tried
            model = build(spec, seed, perturb)
            ids = prompt_ids(spec["vocab_size"], seed)
            cont, margin = greedy(model, ids)
            if margin > 10.0 and len(set(cont)) >= 3:
                return model, perturb, seed, ids, cont, margin
            tried.append((perturb["out"], seed, round(margin, 2), len(set(cont))))
    return None, perturb, tried


def make_model(out_dir, name, spec, seconds):
    start = time.monotonic()
    found = find_qualifying(name, spec, start + seconds)
    if found[0] is None:
        raise RuntimeError(
            "no seed qualified (%d tried in %.0f s); (out perturbation, seed, margin/tol, "
            "distinct) of the first 40: %s" % (len(found[2]), time.monotonic() - start,
                                               found[2][:40]))
    model, perturb, seed, ids, cont, margin = found
    logits, hidden = reference(model, ids)
    ids = ids[0].tolist()
    d = os.path.join(out_dir, name)
    shutil.rmtree(d, ignore_errors=True)
    model.save_pretrained(d, safe_serialization=True)
    split = PROMPT_LEN // 2 + 1
    cached_error, cached_way, cached_notes = cached_decode_error(model, ids, logits, split)
    mixer = next(layer.mamba for layer in model.model.layers if layer.mamba is not None)
    ref = {
        "seed": seed,
        "perturbation": perturb,
        "tolerance": TOLERANCE,
        "input_ids": ids,
        "logits": rounded(logits),
        "hidden": rounded(hidden),
        "greedy_continuation": cont,
        "greedy_min_margin_over_tolerance": margin,
        "cached_decode_split": split,
        "cached_decode_max_rel_error": cached_error,
        "cached_decode_cache": cached_way,
        # JSON has no Infinity: non-finite limits are written as strings ("inf").
        "time_step_limit": [float(x) if math.isfinite(float(x)) else str(float(x))
                            for x in getattr(mixer, "time_step_limit", (0.0, float("inf")))],
    }
    with open(os.path.join(d, "reference.json"), "w") as f:
        json.dump(ref, f)
    size = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))
    return {"seed": seed, "perturbation": perturb, "bytes": size,
            "params": sum(p.numel() for p in model.parameters()),
            "min_margin_over_tol": round(margin, 1), "distinct": len(set(cont)),
            "cached_decode_max_rel_error": cached_error, "cached_decode_cache": cached_way,
            "cached_decode_notes": cached_notes,
            "time_step_limit": ref["time_step_limit"],
            "seconds": round(time.monotonic() - start, 1),
            "files": sorted(os.listdir(d))}


def make_models(out_dir, names, seconds, summary, failures):
    for name in names:
        try:
            summary[name] = make_model(out_dir, name, CONFIGS[name], seconds)
            print(name, summary[name], flush=True)
        except Exception as e:  # one model failing must not stop the others
            traceback.print_exc()
            failures.append("%s: %s" % (name, e))
            print("FAILED %s: %s" % (name, e), file=sys.stderr, flush=True)


# ---- tokenizer --------------------------------------------------------------------------------

# The cl100k-style split pattern that Granite-4.0's tokenizer.json uses (llama.cpp calls this
# pre-tokenizer "dbrx": it is the Llama-3 / GPT-4 pattern).
GRANITE_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"
                 r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")

# Granite-4.0's special tokens (appended after the learned vocabulary, as in the real file).
GRANITE_SPECIALS = ["<|end_of_text|>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>",
                    "<|fim_pad|>", "<|filename|>", "<|reponame|>", "<|start_of_role|>",
                    "<|end_of_role|>", "<|tool_call|>", "<|pad|>"]


def byte_alphabet():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return sorted(chr(c) for c in cs)


def granite_like_json(normalizer):
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                  "use_regex": False}
    return {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": [],
        "normalizer": normalizer,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": GRANITE_SPLIT}, "behavior": "Removed",
             "invert": True},
            byte_level]},
        "post_processor": dict(byte_level),
        "decoder": dict(byte_level),
        "model": {"type": "BPE", "dropout": None, "unk_token": None,
                  "continuing_subword_prefix": "", "end_of_word_suffix": "",
                  "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": {}, "merges": []},
    }


def repo_corpus(repo_root):
    files = [os.path.join(repo_root, "README.md")]
    files += sorted(glob.glob(os.path.join(repo_root, "docs", "*.md")))
    files = [f for f in files if os.path.isfile(f)]
    lines, h = [], hashlib.sha256()
    for f in files:
        with open(f, encoding="utf-8") as fh:
            text = fh.read()
        h.update(text.encode("utf-8"))
        lines.extend(text.splitlines(keepends=True))
    if not lines:
        sys.exit("no corpus text found under %s (README.md, docs/*.md)" % repo_root)
    return lines, [os.path.relpath(f, repo_root) for f in files], h.hexdigest()


def train_granite_like(corpus, vocab_size):
    tok = Tokenizer.from_str(json.dumps(granite_like_json(None)))
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=2, show_progress=False,
                                  special_tokens=[], initial_alphabet=byte_alphabet())
    tok.train_from_iterator(corpus, trainer=trainer)
    tok.add_special_tokens(GRANITE_SPECIALS)
    return tok


TOKENIZER_TEXTS = [
    ("empty", ""),
    ("hello", "Hello World!"),
    ("sentence", "Arbor runs test-time search on Mamba models."),
    ("contractions", "it's we're I'VE they'll he'd I'M don't DON'T"),
    ("contractions_odd", "'s 't 're 'S rock 'n' roll o'clock"),
    ("digits", "0 12 123 1234 12345 1234567890"),
    ("digits_mixed", "x=42;y=-7 3.14159 1,000,000 2026-12-07"),
    ("digits_letters", "abc123def4567gh"),
    ("spaces", "a  b   c    d"),
    ("spaces_lead_trail", "   leading and trailing   "),
    ("spaces_only", "        "),
    ("newlines", "line1\nline2\n\n\nline3\n"),
    ("crlf", "a\r\nb\r\n\r\nc"),
    ("newline_spaces", "a \n  b\n   \n"),
    ("tabs", "if x:\n\tpass\n\t\treturn 1"),
    ("code", "for (int i = 0; i < n; ++i) {\n    sum += a[i];\n}\n"),
    ("punct_newline", "end.\n\nNext?!\r\n"),
    ("punct", "(a+b)*c; [x] {y} <z> @#$%^&*"),
    ("unicode_latin", "na\u00efve caf\u00e9 \u00fcber \u00c5ngstr\u00f6m"),
    ("combining", "cafe\u0301 e\u0301"),
    ("greek_cyrillic", "\u0393\u03b5\u03b9\u03ac \u041f\u0440\u0438\u0432\u0435\u0442"),
    ("cjk", "\u4f60\u597d\uff0c\u4e16\u754c\uff01 \u3053\u3093\u306b\u3061\u306f"),
    ("arabic_digits", "\u0661\u0662\u0663\u0664 \u00bd \u00b2"),
    ("emoji", "I \u2764\ufe0f NY \U0001F5FD! \U0001F468\u200d\U0001F469\u200d\U0001F467"),
    ("nbsp", "a\u00a0b \u2028c\u3000d"),
    ("special_alone", "<|end_of_text|>"),
    ("special_inside", "Hello<|end_of_text|>World"),
    ("special_roles",
     "<|start_of_role|>user<|end_of_role|>What is 2+2?<|end_of_text|>\n"
     "<|start_of_role|>assistant<|end_of_role|>4<|end_of_text|>"),
    ("special_spaces", "a <|tool_call|> b  <|pad|>"),
    ("special_partial", "<|end_of_text <|start_of_role"),
    ("fim", "<|fim_prefix|>def f(x):<|fim_suffix|>\n<|fim_middle|>"),
    ("markdown", "## Heading\n\n- item `code` **bold**\n| a | b |\n"),
]


def random_strings(seed, count):
    rng = random.Random(seed)
    pools = [(0x20, 0x7E), (0x20, 0x7E), (0x20, 0x7E), (0x30, 0x39), (0x09, 0x0D),
             (0xA0, 0xFF), (0x300, 0x36F), (0x370, 0x3FF), (0x400, 0x4FF), (0x4E00, 0x4FFF),
             (0x2000, 0x206F), (0x1F300, 0x1F6FF)]
    out = []
    for _ in range(count):
        chars = []
        for _ in range(rng.randint(1, 30)):
            lo, hi = rng.choice(pools)
            chars.append(chr(rng.randint(lo, hi)))
        if rng.random() < 0.2:
            chars.insert(rng.randint(0, len(chars)), rng.choice(GRANITE_SPECIALS))
        out.append("".join(chars))
    return out


def pre_tokenized(tok, text):
    normalized = tok.normalizer.normalize_str(text) if tok.normalizer is not None else text
    return [piece for piece, _ in tok.pre_tokenizer.pre_tokenize_str(normalized)]


def encode_cases(tok, texts):
    cases = []
    for name, text in texts:
        enc = tok.encode(text, add_special_tokens=False)
        cases.append({"name": name, "text": text, "ids": enc.ids,
                      "decoded": tok.decode(enc.ids, skip_special_tokens=False),
                      "decoded_skip_special": tok.decode(enc.ids, skip_special_tokens=True),
                      "pieces": pre_tokenized(tok, text)})
    return cases


def write_cases(path, head, cases):
    with open(path, "w", encoding="utf-8") as f:
        f.write("{\n")
        for k, v in head.items():
            f.write(" %s: %s,\n" % (json.dumps(k), json.dumps(v, ensure_ascii=False)))
        f.write(' "cases": [\n')
        for i, c in enumerate(cases):
            f.write("  " + json.dumps(c, ensure_ascii=False, separators=(",", ":")) +
                    (",\n" if i + 1 < len(cases) else "\n"))
        f.write(" ]\n}\n")


def make_tokenizer(out_dir, repo_root, vocab_size, summary):
    d = os.path.join(out_dir, "tokenizer")
    os.makedirs(d, exist_ok=True)
    corpus, files, digest = repo_corpus(repo_root)
    tok = train_granite_like(corpus, vocab_size)
    texts = list(TOKENIZER_TEXTS)
    texts += [("random_%02d" % i, s) for i, s in enumerate(random_strings(20261207, 60))]
    generator = "tokenizers %s, tools/hybrid/make_fixtures.py" % tokenizers.__version__
    variants = {}
    for variant, normalizer in (("granite_like", None), ("granite_like_nfc", {"type": "NFC"})):
        j = json.loads(tok.to_str())
        j["normalizer"] = normalizer
        t = Tokenizer.from_str(json.dumps(j))
        file_name = variant + ".json"
        t.save(os.path.join(d, file_name), pretty=False)
        cases = encode_cases(t, texts)
        write_cases(os.path.join(d, variant + "_cases.json"),
                    {"generator": generator, "tokenizer": file_name}, cases)
        variants[variant] = {"vocab": t.get_vocab_size(with_added_tokens=True),
                             "cases": len(cases),
                             "bytes": os.path.getsize(os.path.join(d, file_name))}
    summary["tokenizer"] = {"corpus_files": files, "corpus_sha256": digest,
                            "corpus_lines": len(corpus), "variants": variants,
                            "special_tokens": GRANITE_SPECIALS, "split_regex": GRANITE_SPLIT}
    print("tokenizer", summary["tokenizer"]["variants"], flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="folder to write the fixtures into")
    ap.add_argument("--repo", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                   "..", ".."),
                    help="repository root whose README.md and docs/*.md train the tokenizer")
    ap.add_argument("--vocab", type=int, default=1200, help="tokenizer vocabulary size")
    ap.add_argument("--models", nargs="*", default=list(CONFIGS), choices=list(CONFIGS),
                    help="the model fixtures to make (default: all)")
    ap.add_argument("--seconds-per-model", type=float, default=25.0,
                    help="time limit of the seed search for one model")
    ap.add_argument("--skip-models", action="store_true")
    ap.add_argument("--skip-tokenizer", action="store_true")
    args = ap.parse_args()
    start = time.monotonic()
    torch.set_num_threads(4)
    os.makedirs(args.out, exist_ok=True)
    summary = {"transformers": transformers.__version__, "torch": torch.__version__,
               "tokenizers": tokenizers.__version__}
    failures = []
    if not args.skip_models:
        make_models(args.out, args.models, args.seconds_per_model, summary, failures)
    if not args.skip_tokenizer:
        try:
            make_tokenizer(args.out, os.path.abspath(args.repo), args.vocab, summary)
        except Exception as e:
            traceback.print_exc()
            failures.append("tokenizer: %r" % (e,))
    summary["failures"] = failures
    summary["seconds"] = round(time.monotonic() - start, 1)
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print(json.dumps(summary, indent=1))
    if failures:
        sys.exit("failed: " + "; ".join(failures))


if __name__ == "__main__":
    main()
