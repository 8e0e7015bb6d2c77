#!/usr/bin/env python3
"""Writes the tokenizer test fixtures of tests/data/tokenizers/ with the Hugging Face
`tokenizers` library, the reference that models/tokenizer.cpp reproduces.

  python3 tools/make_tokenizer_fixtures.py \
      --neox tests/data/tokenizers/tokenizer.json --out OUT_DIR

Writes into OUT_DIR:
  neox_cases.json         the GPT-NeoX-20B tokenizer on hand-picked and random strings:
                          ids of encode(text, add_special_tokens=False) and
                          decode(ids, skip_special_tokens=False)
  arith_bytelevel.json    a small BPE trained here on a generated arithmetic corpus
                          (NFC, Split/Digits/ByteLevel pre-tokenizers, ByteLevel decoder)
  arith_whitespace.json   the same corpus, NFKC+Lowercase, Split/Digits/Whitespace, unk token,
                          continuing_subword_prefix and end_of_word_suffix, no decoder
  arith_bytefallback.json arith_whitespace.json with <0xXX> byte tokens and byte_fallback
  arith_cases.json        variants of those three (a base file plus components replaced) with
                          the ids, decodes and pre-tokenized words of every test string

Needs only `tokenizers` (no network). Deterministic: the corpora and random strings are seeded.
"""
import argparse
import json
import os
import random
import sys
import traceback

import tokenizers
from tokenizers import Tokenizer, processors, trainers

# ---- GPT-NeoX-20B cases ------------------------------------------------------------------------

NEOX_CASES = [
    # name, text
    ("empty", ""),
    ("hello", "Hello World!"),
    # newlines
    ("nl", "\n"),
    ("nl2", "\n\n"),
    ("nl3_words", "Hello\n\n\nWorld"),
    ("nl_between", "a\nb"),
    ("nl_lines", "line1\nline2\n"),
    ("crlf", "a\r\nb"),
    ("crlf_only", "\r\n"),
    ("crlf2", "\r\n\r\n"),
    ("nl_indent", "\n    indented"),
    ("code_indent", "def f(x):\n    return x + 1\n"),
    ("nl_space_mix", "a \n b \n\n c"),
    # runs of spaces (23 added tokens: 2..24 spaces)
    ("sp1", " "),
    ("sp2_between", "a  b"),
    ("sp3_between", "a   b"),
    ("sp24", " " * 24),
    ("sp25", " " * 25),
    ("sp30", " " * 30),
    ("sp50", " " * 50),
    ("sp30_between", "a" + " " * 30 + "b"),
    ("sp_before_word", " hello"),
    ("sp2_before_word", "  hello"),
    ("sp_end", "hello "),
    ("sp2_end", "hello  "),
    ("sp_mixed", "hello   world  again    done"),
    ("sp3", "   "),
    # tabs
    ("tab_word", "\tx"),
    ("tab_between", "a\tb"),
    ("tabs", "\t\t"),
    ("tab_code", "if x:\n\tpass\n\t\treturn"),
    ("tab_space", " \t \t"),
    # digits
    ("d1", "0"),
    ("d2", "12"),
    ("d3", "123"),
    ("d4", "1234"),
    ("d20", "12345678901234567890"),
    ("pi", "3.14159265358979"),
    ("thousands", "1,000,000"),
    ("date", "2024-01-15"),
    ("assign", "x=42;y=-7"),
    ("sum", "The sum of 123 and 4567 is 4690."),
    # punctuation
    ("comma", "Hello, world!"),
    ("ellipsis", "..."),
    ("interrobang", "?!?!"),
    ("expr", "(a+b)*c"),
    ("brackets", "[{<>}]"),
    ("symbols", "@#$%^&*"),
    ("dashes", "-- \u2014 \u2013"),
    ("curly_quotes", "\u201cquoted\u201d and \u2018single\u2019"),
    ("underscore", "a_b-c"),
    ("url", "See https://example.com/path?q=1&r=2#frag."),
    ("json", '{"key": [1, 2, 3], "ok": true}'),
    ("code", "for (int i = 0; i < n; ++i) {\n  sum += a[i];\n}"),
    # contractions
    ("c_s", "it's"),
    ("c_t", "don't"),
    ("c_re", "we're"),
    ("c_ve", "I've"),
    ("c_m", "I'm"),
    ("c_ll", "you'll"),
    ("c_d", "he'd"),
    ("c_upper", "IT'S DON'T"),
    ("c_quote", "rock 'n' roll"),
    ("c_alone", "'s 't 're"),
    ("c_clock", "o'clock"),
    ("c_plural", "the students' books"),
    # non-Latin scripts
    ("zh", "\u4f60\u597d\uff0c\u4e16\u754c\uff01"),
    ("zh2", "\u6211\u7231\u5317\u4eac\u5929\u5b89\u95e8"),
    ("ja", "\u3053\u3093\u306b\u3061\u306f\u4e16\u754c"),
    ("ja2", "\u30ab\u30bf\u30ab\u30ca\u3068\u3072\u3089\u304c\u306a\u3001\u6f22\u5b57"),
    ("ar", "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645"),
    ("hi", "\u0928\u092e\u0938\u094d\u0924\u0947 \u0926\u0941\u0928\u093f\u092f\u093e"),
    ("ru", "\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440!"),
    ("el", "\u0393\u03b5\u03b9\u03ac \u03c3\u03bf\u03c5 \u039a\u03cc\u03c3\u03bc\u03b5"),
    ("ko", "\uc548\ub155\ud558\uc138\uc694"),
    ("he", "\u05e9\u05dc\u05d5\u05dd"),
    ("th", "\u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35"),
    ("mixed_scripts", "English \u4e2d\u6587 \u0420\u0443\u0441\u0441\u043a\u0438\u0439 123"),
    # combining characters that NFC composes (and some it does not)
    ("e_acute", "e\u0301"),
    ("cafe", "cafe\u0301"),
    ("a_ring", "A\u030a"),
    ("angstrom_sign", "\u212b"),
    ("hangul_jamo", "\u1100\u1161\u11a8"),
    ("n_tilde", "man\u0303ana"),
    ("two_marks", "o\u0308\u0304"),
    ("mark_order", "a\u0327\u0301"),
    ("lone_mark", "\u0301x"),
    ("precomposed", "na\u00efve caf\u00e9"),
    ("nfc_exclusion", "\u0344 \u0958 \u2126 \uf900"),
    ("hangul_lv_t", "\uac00\u11a8"),
    # emoji
    ("emoji", "\U0001F600"),
    ("emoji_skin", "\U0001F44D\U0001F3FD"),
    ("emoji_zwj_family", "\U0001F468\u200d\U0001F469\u200d\U0001F467\u200d\U0001F466"),
    ("flags", "\U0001F1FA\U0001F1F8\U0001F1EB\U0001F1F7"),
    ("heart_vs16", "\u2764\ufe0f"),
    ("emoji_text", "I \u2764\ufe0f NY \U0001F5FD!"),
    ("rainbow_flag", "\U0001F3F3\ufe0f\u200d\U0001F308"),
    # special tokens inside text
    ("eot", "<|endoftext|>"),
    ("eot_mid", "Hello<|endoftext|>World"),
    ("eot_spaces", "a <|endoftext|> b"),
    ("eot_twice", "<|endoftext|><|endoftext|>"),
    ("pad_tok", "<|padding|>x"),
    ("eot_then_sp2", "<|endoftext|>  x"),
    ("eot_partial", "<|endoftext"),
    ("eot_mark", "<|endoftext|>e\u0301"),
    ("eot_newline", "end.\n<|endoftext|>\nstart"),
    # whitespace classes of the regex (\s is Unicode White_Space)
    ("nbsp", "a\u00a0b"),
    ("nel", "a\u0085b"),
    ("line_sep", "a\u2028b"),
    ("ideo_space", "a\u3000b"),
    ("mongolian_vs", "a\u180eb"),
    ("zwsp", "a\u200bb"),
    ("nbsp_spaces", "x \u00a0 y"),
    ("nbsp2", "\u00a0\u00a0"),
    ("vt_ff", "a\u000bb\u000cc"),
    ("sp_nbsp_word", "  \u00a0word"),
    ("sp_nel_word", "a \u0085b"),
    ("sp_nel2_word", "x \u0085\u0085 y"),
    ("sp_linesep_word", "a \u2028b"),
    ("sp_nbsp_x", " \u00a0x"),
    ("nel_alone", "\u0085"),
    ("sp_mvs_digit", "1 \u180e2"),
    ("sp_zwsp_word", "a \u200bb"),
    # numbers of other kinds, letters of other kinds
    ("superscript", "x\u00b2 + y\u00b2"),
    ("roman", "\u216b"),
    ("fraction", "\u00bd"),
    ("arabic_digits", "\u0661\u0662\u0663"),
    ("fullwidth", "\uff21\uff22\uff23\uff11\uff12\uff13"),
    ("math", "\u2211_{i=1}^n i\u00b2 = n(n+1)/2"),
    ("nul_ctrl", "a\u0000b\u0007c"),
    ("replacement_char", "bad \ufffd char"),
    ("private_use", "\ue000\U000F0000"),
    ("long_word", "Pneumonoultramicroscopicsilicovolcanoconiosis"),
    ("paragraph",
     "It was the best of times, it was the worst of times, it was the age of wisdom, "
     "it was the age of foolishness...\n\n  \"Quoted\" text with 3 numbers: 7, 42 and 1999."),
]


def random_unicode_strings(seed, count):
    """Strings mixing ASCII, Latin-1, combining marks, CJK, Hangul jamo, emoji and Unicode
    whitespace, so that NFC, the regex classes and the byte-level map all get exercised."""
    rng = random.Random(seed)
    pools = [
        (0x20, 0x7E), (0x20, 0x7E), (0x20, 0x7E),
        (0x09, 0x0D), (0xA0, 0xFF), (0x100, 0x24F), (0x300, 0x36F), (0x370, 0x3FF),
        (0x400, 0x4FF), (0x590, 0x6FF), (0x900, 0x97F), (0xE00, 0xE7F), (0x1100, 0x11FF),
        (0x2000, 0x206F), (0x2070, 0x218F), (0x3000, 0x30FF), (0x4E00, 0x9FFF),
        (0xAC00, 0xD7A3), (0xFF00, 0xFFEF), (0x1F300, 0x1F6FF), (0x1F900, 0x1F9FF),
        (0x10000, 0x1007F), (0x1D400, 0x1D7FF),
    ]
    out = []
    for _ in range(count):
        n = rng.randint(1, 24)
        chars = []
        for _ in range(n):
            lo, hi = rng.choice(pools)
            chars.append(chr(rng.randint(lo, hi)))
        out.append("".join(chars))
    return out


def neox_cases(neox_path):
    tok = Tokenizer.from_file(neox_path)
    cases = list(NEOX_CASES)
    for i, s in enumerate(random_unicode_strings(20261128, 80)):
        cases.append(("random_%02d" % i, s))
    out = []
    for name, text in cases:
        enc = tok.encode(text, add_special_tokens=False)
        out.append({
            "name": name,
            "text": text,
            "ids": enc.ids,
            "decoded": tok.decode(enc.ids, skip_special_tokens=False),
        })
    return out


# ---- small arithmetic tokenizers ------------------------------------------------------------------

def arithmetic_corpus(seed, n):
    rng = random.Random(seed)
    lines = []
    for _ in range(n):
        a, b, c = rng.randint(0, 999), rng.randint(0, 99), rng.randint(1, 12)
        kind = rng.randint(0, 7)
        if kind == 0:
            lines.append("%d+%d=%d" % (a, b, a + b))
        elif kind == 1:
            lines.append("%d - %d = %d" % (a, b, a - b))
        elif kind == 2:
            lines.append("%d*%d=%d" % (b, c, b * c))
        elif kind == 3:
            lines.append("(%d+%d)*%d = %d" % (a, b, c, (a + b) * c))
        elif kind == 4:
            lines.append("What is %d plus %d? The answer is %d." % (a, b, a + b))
        elif kind == 5:
            lines.append("Q: %d times %d\nA: %d" % (b, c, b * c))
        elif kind == 6:
            lines.append("Let x = %d. Then 2x + %d = %d." % (c, b, 2 * c + b))
        else:
            lines.append("%d / %d = %.2f" % (a, c, a / c))
        if rng.randint(0, 9) == 0:
            lines.append(rng.choice(WORDY) % (a, b))
    return lines


# A few lines in other scripts, so that merges of multi-byte characters exist too.
WORDY = [
    "Le r\u00e9sultat de %d et %d est connu.",
    "\u03a3\u03cd\u03bd\u03bf\u03bb\u03bf: %d \u03ba\u03b1\u03b9 %d",
    "\u6570\u5b57 %d \u548c %d",
    "\u0421\u0443\u043c\u043c\u0430 %d \u0438 %d",
    "na\u00efve caf\u00e9 %d, %d \u20ac",
]


def pre(type_, **fields):
    d = {"type": type_}
    d.update(fields)
    return d


def split(regex=None, string=None, behavior="Isolated", invert=False):
    pattern = {"Regex": regex} if regex is not None else {"String": string}
    return pre("Split", pattern=pattern, behavior=behavior, invert=invert)


def byte_level(add_prefix_space=False, use_regex=True):
    return pre("ByteLevel", add_prefix_space=add_prefix_space, trim_offsets=True,
               use_regex=use_regex)


def seq(*items):
    return pre("Sequence", pretokenizers=list(items))


def norm_seq(*items):
    return {"type": "Sequence", "normalizers": list(items)}


def empty_bpe_json(normalizer, pre_tokenizer, decoder, model_fields):
    model = {"type": "BPE", "dropout": None, "unk_token": None,
             "continuing_subword_prefix": None, "end_of_word_suffix": None,
             "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
             "vocab": {}, "merges": []}
    model.update(model_fields)
    return {"version": "1.0", "truncation": None, "padding": None, "added_tokens": [],
            "normalizer": normalizer, "pre_tokenizer": pre_tokenizer,
            "post_processor": None, "decoder": decoder, "model": model}


def train_bytelevel(corpus):
    j = empty_bpe_json(
        {"type": "NFC"},
        seq(split(regex=r"[+\-*/=()]"), pre("Digits", individual_digits=False), byte_level()),
        byte_level(), {})
    tok = Tokenizer.from_str(json.dumps(j))
    trainer = trainers.BpeTrainer(
        vocab_size=600, min_frequency=2, show_progress=False,
        special_tokens=["<|endoftext|>", "<pad>"],
        initial_alphabet=[chr(c) for c in sorted(byte_alphabet())])
    tok.train_from_iterator(corpus, trainer=trainer)
    j = json.loads(tok.to_str())
    j["post_processor"] = byte_level()
    return Tokenizer.from_str(json.dumps(j))


def byte_alphabet():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return set(cs)


def train_whitespace(corpus):
    j = empty_bpe_json(
        norm_seq({"type": "NFKC"}, {"type": "Lowercase"}),
        seq(split(string="="), pre("Digits", individual_digits=False), pre("Whitespace")),
        None, {"unk_token": "[UNK]", "fuse_unk": True})
    tok = Tokenizer.from_str(json.dumps(j))
    trainer = trainers.BpeTrainer(
        vocab_size=400, min_frequency=2, show_progress=False,
        special_tokens=["[UNK]", "[BOS]", "[EOS]"],
        continuing_subword_prefix="##", end_of_word_suffix="</w>")
    tok.train_from_iterator(corpus, trainer=trainer)
    bos, eos = tok.token_to_id("[BOS]"), tok.token_to_id("[EOS]")
    tok.post_processor = processors.TemplateProcessing(
        single="[BOS] $A [EOS]", pair="[BOS] $A [EOS] $B:1 [EOS]:1",
        special_tokens=[("[BOS]", bos), ("[EOS]", eos)])
    return tok


def with_byte_fallback(tok):
    j = json.loads(tok.to_str())
    vocab = j["model"]["vocab"]
    next_id = max(vocab.values()) + 1
    for b in range(256):
        vocab["<0x%02X>" % b] = next_id
        next_id += 1
    j["model"]["byte_fallback"] = True
    return Tokenizer.from_str(json.dumps(j))


ARITH_TEXTS = [
    "", "1+1=2", "12+34=46", "What is 7 times 8? The answer is 56.", "(3+4)*5 = 35",
    "  leading and trailing  ", "x=42\ny=7\n", "1 + -2 = -1", "1+-*/2", "a==b", "=x=",
    "ANSWER: 99", "answer calc 5", "calculate 5", "calc", "<sep>", "a <sep> b", "1  <sep>  2",
    "<|endoftext|>x", "\uff26\uff55\uff4c\uff4c\uff11\uff12\uff13", "\ufb01ve", "\u03a3\u0391\u03a3",
    "\u0130stanbul", "x\u00b2 + y\u00b2 = z\u00b2", "\u216b and \u00bd", "\u0663+\u0664=\u0667",
    "na\u00efve caf\u00e9 e\u0301", "\u20ac100 \U0001F600", "\u4e2d\u6587 123", "tab\there",
    "a\u00a0b\u2028c\u0085d", "3.14159 * 2", "100000000000", "mixed UPPER lower", "a\r\nb",
    "\n\n", "line one\n  line two", "1\n2x\nx", "x\nx\n", "12\n 3x\n", "cafe 0x1F beef", "ab\u203fcd", "x\u0301y", "    ", "Q: 3 times 4\nA: 12",
    "\u24b6\u24d1 test", "a\u200db c", "Le r\u00e9sultat de 12 et 34", "\u6570\u5b57 56 \u548c 78",
    "\u0421\u0443\u043c\u043c\u0430 9", "123456 + 7890 = 131346",
]


def arith_variants():
    """(name, base file, overrides). Overrides replace top-level components; a "model" entry is
    merged into the base model's fields."""
    added_extra = [
        {"id": 1000, "content": "<sep>", "single_word": False, "lstrip": True, "rstrip": True,
         "normalized": False, "special": True},
        {"id": 1001, "content": "calc", "single_word": True, "lstrip": False, "rstrip": False,
         "normalized": True, "special": False},
        {"id": 1002, "content": "ANSWER", "single_word": False, "lstrip": False, "rstrip": False,
         "normalized": True, "special": False},
    ]
    bl = "arith_bytelevel.json"
    ws = "arith_whitespace.json"
    fb = "arith_bytefallback.json"
    return [
        ("bytelevel_base", bl, {}),
        ("bytelevel_merged_with_previous", bl, {
            "normalizer": None,
            "pre_tokenizer": seq(split(string="=", behavior="MergedWithPrevious"),
                                 pre("Digits", individual_digits=False),
                                 byte_level(add_prefix_space=True)),
            "decoder": {"type": "Sequence", "decoders": [byte_level()]}}),
        ("bytelevel_merged_with_next_nfkc_lower", bl, {
            "normalizer": norm_seq({"type": "NFKC"}, {"type": "Lowercase"}),
            "pre_tokenizer": seq(split(regex=r"\s+", behavior="MergedWithNext"),
                                 byte_level(use_regex=False))}),
        ("bytelevel_contiguous", bl, {
            "pre_tokenizer": seq(split(regex=r"[-+*/=]", behavior="Contiguous"),
                                 byte_level(use_regex=False))}),
        ("bytelevel_removed_invert", bl, {
            "pre_tokenizer": seq(split(regex=r"[0-9]+|[a-zA-Z]+", behavior="Removed", invert=True),
                                 byte_level(use_regex=False))}),
        ("bytelevel_merged_with_previous_invert", bl, {
            "pre_tokenizer": seq(split(regex=r"\d", behavior="MergedWithPrevious", invert=True),
                                 byte_level(use_regex=False))}),
        ("bytelevel_merged_with_next_invert", bl, {
            "pre_tokenizer": seq(split(string=" ", behavior="MergedWithNext", invert=True),
                                 byte_level(use_regex=False))}),
        ("bytelevel_contiguous_invert", bl, {
            "pre_tokenizer": seq(split(regex=r"\d", behavior="Contiguous", invert=True),
                                 byte_level(use_regex=False))}),
        ("bytelevel_whitespace_split", bl, {
            "pre_tokenizer": seq(pre("WhitespaceSplit"),
                                 byte_level(add_prefix_space=True, use_regex=False))}),
        ("bytelevel_first_then_digits", bl, {
            "pre_tokenizer": seq(byte_level(), pre("Digits", individual_digits=True))}),
        ("bytelevel_only_prefix_space", bl, {
            "pre_tokenizer": byte_level(add_prefix_space=True)}),
        ("bytelevel_ignore_merges", bl, {"model": {"ignore_merges": True}}),
        ("bytelevel_regex_anchors", bl, {
            "pre_tokenizer": seq(split(regex=r"^ *\d|x$"), byte_level(use_regex=False))}),
        ("bytelevel_regex_classes", bl, {
            "pre_tokenizer": seq(split(regex=r"\w+", behavior="Removed", invert=True),
                                 split(regex=r"\h+|[\s\d]"), byte_level(use_regex=False))}),
        ("bytelevel_added_tokens", bl, {
            "normalizer": {"type": "Lowercase"},
            "added_tokens": None}),  # filled below: base added tokens + added_extra
        ("whitespace_base", ws, {}),
        ("whitespace_no_fuse_unk", ws, {"model": {"fuse_unk": False}}),
        ("whitespace_split_nfc", ws, {"normalizer": {"type": "NFC"},
                                      "pre_tokenizer": pre("WhitespaceSplit")}),
        ("whitespace_digits_individual", ws, {
            "pre_tokenizer": seq(pre("Whitespace"), pre("Digits", individual_digits=True))}),
        ("bytelevel_digits_individual", bl, {
            "pre_tokenizer": seq(split(regex=r"[+\-*/=()]"), pre("Digits", individual_digits=True),
                                 byte_level())}),
        ("whitespace_empty_decoder_sequence", ws, {"decoder": {"type": "Sequence",
                                                               "decoders": []}}),
        ("bytelevel_split_literal_metachars", bl, {
            "pre_tokenizer": seq(split(string="?", behavior="MergedWithPrevious"),
                                 split(string="(3+", behavior="Isolated"),
                                 byte_level(use_regex=False))}),
        ("bytefallback_base", fb, {}),
        ("bytefallback_bytelevel_decoder", fb, {"decoder": byte_level()}),
        ("no_unk_no_fallback", fb, {"model": {"byte_fallback": False, "unk_token": None}}),
    ], added_extra


def pre_tokenized(tok, text):
    """The words the normalizer and pre-tokenizer alone make of `text` (added tokens aside)."""
    normalized = tok.normalizer.normalize_str(text) if tok.normalizer is not None else text
    if tok.pre_tokenizer is None:
        return [normalized] if normalized else []
    return [piece for piece, _ in tok.pre_tokenizer.pre_tokenize_str(normalized)]


def apply_overrides(base, overrides):
    j = json.loads(json.dumps(base))
    for key, value in overrides.items():
        if key == "model":
            j["model"].update(value)
        else:
            j[key] = value
    return j


def arith_cases(bases):
    variants, added_extra = arith_variants()
    out = []
    for name, base_file, overrides in variants:
        overrides = dict(overrides)
        if "added_tokens" in overrides and overrides["added_tokens"] is None:
            overrides["added_tokens"] = bases[base_file]["added_tokens"] + added_extra
        entry = {"name": name, "base": base_file, "overrides": overrides, "cases": []}
        try:
            tok = Tokenizer.from_str(json.dumps(apply_overrides(bases[base_file], overrides)))
            for text in ARITH_TEXTS:
                enc = tok.encode(text, add_special_tokens=False)
                entry["cases"].append({
                    "text": text,
                    "ids": enc.ids,
                    "decoded": tok.decode(enc.ids, skip_special_tokens=False),
                    "pieces": pre_tokenized(tok, text),
                })
        except Exception:  # keep going: one bad variant must not lose the others
            entry["error"] = traceback.format_exc()
            print("variant %s failed:\n%s" % (name, entry["error"]), file=sys.stderr)
        out.append(entry)
    return out


def write_json(path, value, one_per_line_key=None):
    with open(path, "w", encoding="utf-8") as f:
        if one_per_line_key is None:
            json.dump(value, f, ensure_ascii=False, indent=1)
        else:
            items = value[one_per_line_key]
            head = {k: v for k, v in value.items() if k != one_per_line_key}
            f.write("{\n")
            for k, v in head.items():
                f.write(" %s: %s,\n" % (json.dumps(k), json.dumps(v, ensure_ascii=False)))
            f.write(" %s: [\n" % json.dumps(one_per_line_key))
            for i, item in enumerate(items):
                f.write("  " + json.dumps(item, ensure_ascii=False, separators=(",", ":")) +
                        (",\n" if i + 1 < len(items) else "\n"))
            f.write(" ]\n}\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--neox", required=True, help="the GPT-NeoX-20B tokenizer.json")
    ap.add_argument("--out", required=True, help="folder to write the fixtures into")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    generator = "tokenizers %s, tools/make_tokenizer_fixtures.py" % tokenizers.__version__
    print(generator, file=sys.stderr)

    write_json(os.path.join(args.out, "neox_cases.json"),
               {"generator": generator, "tokenizer": "tokenizer.json",
                "cases": neox_cases(args.neox)}, one_per_line_key="cases")

    corpus = arithmetic_corpus(7, 4000)
    bytelevel = train_bytelevel(corpus)
    whitespace = train_whitespace(corpus)
    fallback = with_byte_fallback(whitespace)
    bases = {}
    for file_name, tok in (("arith_bytelevel.json", bytelevel),
                           ("arith_whitespace.json", whitespace),
                           ("arith_bytefallback.json", fallback)):
        tok.save(os.path.join(args.out, file_name), pretty=False)
        bases[file_name] = json.loads(tok.to_str())
    write_json(os.path.join(args.out, "arith_cases.json"),
               {"generator": generator, "variants": arith_cases(bases)},
               one_per_line_key="variants")
    print("done", file=sys.stderr)


if __name__ == "__main__":
    main()
