"""Training data for the embedded arithmetic model: problems from Arbor's own `arith`
generator, the four formats of docs/model_formats.md, corrupted candidates, and labels from
Arbor's step checker (`arbor dataset arith-check`)."""
import json
import random
import re
import subprocess

EOS = "<|endoftext|>"
STEP_RE = re.compile(r"^(\d+) ([+\-*/]) (\d+) = (\d+)$")


def arbor_lines(arbor, args, stdin_lines=None):
    """Runs the arbor CLI and returns its stdout parsed as JSON lines."""
    inp = None if stdin_lines is None else "".join(json.dumps(x) + "\n" for x in stdin_lines)
    out = subprocess.run([arbor] + args, input=inp, capture_output=True, text=True, check=True)
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


def generate(arbor, seed, count, split, difficulty="1-6"):
    return arbor_lines(arbor, ["dataset", "arith", "--seed", str(seed), "--count", str(count),
                               "--split", split, "--difficulty", difficulty])


def check(arbor, items):
    """items: dicts with numbers, answer, solution. Returns the checker's verdict per item."""
    return arbor_lines(arbor, ["dataset", "arith-check"],
                       [{"numbers": it["numbers"], "answer": it["answer"], "solution": it["solution"]}
                        for it in items])


def solve_prompt(q):
    return f"Problem: {q}\nSolution:\n"


def candidate_prompt(q, cand):
    return f"Problem: {q}\nCandidate:\n{cand}\n"


def gold_values(problem):
    """The results of the gold solution's steps (its intermediate values)."""
    vals = set()
    for line in problem["solution"].split("\n"):
        m = STEP_RE.match(line)
        if m:
            vals.add(m.group(4))
    return vals


def step_labels(problem, verdict):
    """Per step line of a candidate: 1 while every step so far is valid (the step checker) and
    on the gold track (its result is one of the gold solution's intermediate values)."""
    gv = gold_values(problem)
    labels, ok = [], True
    for s in verdict["steps"]:
        ok = ok and bool(s.get("parsed")) and bool(s.get("correct")) and bool(s.get("grounded")) \
            and s.get("value") in gv
        labels.append(1 if ok else 0)
    return labels


def corrupt(problem, rng):
    """A wrong candidate made from the gold solution: one step's result or operand changed, the
    later steps recomputed consistently, the answer line following."""
    lines = problem["solution"].split("\n")
    steps = [STEP_RE.match(l) for l in lines[:-1]]
    if not steps or any(m is None for m in steps):
        return None
    k = rng.randrange(len(steps))
    vals = {}
    out = []
    for i, m in enumerate(steps):
        a, op, b, r = m.group(1), m.group(2), m.group(3), m.group(4)
        a = vals.get(a, a)
        b = vals.get(b, b)
        if i == k:
            if rng.random() < 0.6:  # an arithmetic slip in the result
                delta = rng.choice([1, 2, 3, 5, 9, 10, 11, 20, 100])
                new_r = int(r) + delta * rng.choice([-1, 1])
                if new_r <= 0:
                    new_r = int(r) + delta
                vals[r] = str(new_r)
                out.append(f"{a} {op} {b} = {new_r}")
                continue
            # an operand that comes from nowhere, with the arithmetic done right
            a = str(int(a) + rng.choice([1, 2, 3, 7, 10]))
        res = {"+": lambda x, y: x + y, "-": lambda x, y: x - y, "*": lambda x, y: x * y,
               "/": lambda x, y: x // y if y and x % y == 0 else None}[op](int(a), int(b))
        if res is None or res <= 0:
            return None
        if str(res) != r:
            vals[r] = str(res)
        out.append(f"{a} {op} {b} = {res}")
    final = out[-1].split(" = ")[-1]
    return "\n".join(out + [f"Answer: {final}"])


def critique_text(labels, verdict):
    """The critique target for a candidate, or None when the step checker cannot name one."""
    for i, ok in enumerate(labels):
        if not ok:
            return f"Step {i + 1} is wrong."
    if verdict.get("answer_correct") and verdict.get("follows"):
        return "All steps are correct."
    return None


def examples_for_candidate(problem, cand, verdict, labels):
    """(prompt, target, kind) pairs teaching critique/refine and verify on one candidate."""
    q = problem["question"]
    out = []
    crit = critique_text(labels, verdict)
    if crit is not None:
        out.append((candidate_prompt(q, cand) + "Critique:",
                    f" {crit}\nRefined:\n{problem['solution']}{EOS}", "critique"))
    correct = bool(verdict.get("answer_correct")) and all(labels) and len(labels) > 0
    out.append((candidate_prompt(q, cand) + "Verdict:",
                (" correct" if correct else " incorrect") + EOS, "verify"))
    return out, correct


def answer_of(text):
    """The `Answer: N` line's value, or None."""
    for line in reversed(text.strip().split("\n")):
        if line.startswith("Answer: "):
            return line[len("Answer: "):].strip()
    return None


def majority(answers):
    """The most frequent answer (None votes ignored); the first one seen among ties."""
    counts = {}
    for a in answers:
        if a is not None:
            counts[a] = counts.get(a, 0) + 1
    if not counts:
        return None
    best = max(counts.values())
    return next(a for a in answers if a is not None and counts[a] == best)  # first among ties
