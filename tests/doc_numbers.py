#!/usr/bin/env python3
"""Every result number quoted in the docs appears in the committed result file it cites.

Convention (docs/CONTRIBUTING.md, "Numbers in the docs"): a line

    <!-- numbers: results/reference/quick/table.json [results/reference/X/table.json ...] -->

makes every following line, up to the next `<!-- numbers: ... -->` line, cite those files. Each
number in a cited line must equal, at the precision it is written with, some number stored in one
of the files (a cell's mean, CI half-width, per-seed value, timing, ...): "97.6" matches 97.55 to
97.65, "0.0008" matches 0.00075 to 0.00085, "101" matches 100.5 to 101.5. "3 min 28 s" is a
duration of 208 s (±0.5 s). A range "93–98" is two numbers; "15,621" (thousands separated by
commas) is one.

    <!-- numbers: none: REASON -->

declares lines whose numbers are not results (settings, specifications, derivations): they are not
checked and are counted in the output. Every line with a decimal number (outside code) must lie in
a declared region, so a quoted result cannot escape the check by citing nothing.

Not result numbers, so never checked: code spans and fenced code; integers 0 to 10 (counts of
seeds, episodes); a number right after "=", "<", ">", "≤", "≥", "≈", "×", "^", "§", "[", "{" or "→"
(settings such as "β = 0.1"), or glued to a letter before it (names such as "C1"); a number glued to a letter or to
"×" after it ("20k", "8×8", "2-D", "1.5π"); a number followed by a unit of size
("variables", "samples", "steps", "seeds", ...).

Usage: doc_numbers.py ROOT FILE.md...   (exit 1 and one line per wrong number: file:line: number)
"""
import json
import math
import os
import re
import sys

MARK = re.compile(r"<!--\s*numbers:\s*(.*?)\s*-->")
NUM = re.compile(r"(?<![\w.,])([-−]?(?:\d{1,3}(?:,\d{3})+(?![\d,])|\d+)(?:\.\d+)?(?:[eE][-−+]?\d+)?)")  # "15,621": one number
DURATION = re.compile(r"(?:(\d+)\s*h\s+)?(?:(\d+)\s*min\s+)?(\d+(?:\.\d+)?)\s*s\b")
SETTING_BEFORE = set("=<>≤≥≈×^§[{→")
SIZE_WORDS = ("variables", "decision", "samples", "steps", "seeds", "episodes", "iterations", "epochs", "jobs",
              "dimensions", "members", "points", "rows", "states", "restarts", "elites",
              "candidates", "rollouts", "threads", "cores", "vCPU", "datasets", "models", "runs",
              "layers", "pixels", "actions", "minutes", "hours", "CPU", "GiB", "MB",
              "dim", "-dim", "bit")


def leaves(obj, skip=("sweep", "versions", "planner")):
    """Every number stored in a result file, except its configuration."""
    if isinstance(obj, bool):
        return
    if isinstance(obj, (int, float)):
        if math.isfinite(obj):
            yield float(obj)
        return
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k not in skip:
                yield from leaves(v, skip)
    elif isinstance(obj, list):
        for v in obj:
            yield from leaves(v, skip)


def strip_code(line, in_fence):
    if line.lstrip().startswith("```"):
        return "", not in_fence
    if in_fence:
        return "", True
    return re.sub(r"`[^`]*`", lambda m: " " * len(m.group(0)), line), False


def decimals(tok):
    mant = re.split(r"[eE]", tok)[0]
    return len(mant.split(".")[1]) if "." in mant else 0


def matches(value_text, pool):
    tok = value_text.replace("−", "-")
    v = float(tok)
    if "e" in tok.lower():
        digits = decimals(tok)
        exp = int(re.split(r"[eE]", tok)[1])
        tol = 0.5 * 10 ** (exp - digits)
    else:
        tol = 0.5 * 10 ** (-decimals(tok))
    tol *= 1 + 1e-9
    return any(abs(x - v) <= tol for x in pool)


def is_setting(text, start, end, tok):
    before = text[:start].rstrip()
    after = text[end:]
    if before and before[-1] in SETTING_BEFORE:                  # "β = 0.1", "[512]", "§6"
        return True
    if after[:1].isalpha() or (after[:1] and after[:1] in "×π²") or re.match(r"-[A-Za-z]", after):
        return True                                              # "20k", "8×8", "2-D"
    if re.match(r"\s*(?:" + "|".join(re.escape(w) for w in SIZE_WORDS) + r")\b", after):
        return True                                              # "1600 variables"
    if "." not in tok and "e" not in tok.lower() and abs(int(tok.replace("−", "-"))) <= 10:
        return True                                              # counts
    return False


def check_file(root, rel):
    errors, unchecked, checked = [], 0, 0
    path = os.path.join(root, rel)
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    cite = None          # None: undeclared; []: declared "none"; [files]: cited
    pool = []
    in_fence = False
    for no, raw in enumerate(lines, 1):
        m = MARK.search(raw)
        if m:
            spec = m.group(1)
            if spec.startswith("none"):
                if not re.match(r"none:\s*\S", spec):
                    errors.append(f"{rel}:{no}: 'numbers: none' needs a reason ('none: why')")
                cite, pool = [], []
            else:
                cite, pool = spec.split(), []
                for c in cite:
                    p = os.path.join(root, c)
                    try:
                        with open(p, encoding="utf-8") as jf:
                            pool.extend(leaves(json.load(jf)))
                    except (OSError, ValueError) as e:
                        errors.append(f"{rel}:{no}: cited file {c} cannot be read: {e}")
            continue
        text, in_fence = strip_code(raw, in_fence)
        text = re.sub(r"<!--.*?-->", "", text)
        text = re.sub(r"\]\([^)]*\)", "]", text)                 # link targets
        if not re.search(r"\d", text):
            continue
        if cite is None:
            if re.search(r"(?<![\w.])\d+\.\d+", text):
                errors.append(f"{rel}:{no}: numbers outside a declared region (add "
                              f"'<!-- numbers: FILE.json -->' or '<!-- numbers: none: why -->' "
                              f"above): {raw.strip()[:100]}")
            continue
        if not cite:
            unchecked += 1
            continue
        # durations first: "3 min 28 s" is one number of seconds
        spans = []
        for d in DURATION.finditer(text):
            if not (d.group(1) or d.group(2)):
                continue
            secs = (int(d.group(1) or 0) * 3600 + int(d.group(2) or 0) * 60 + float(d.group(3)))
            checked += 1
            if not any(abs(x - secs) <= 0.5 + 1e-9 for x in pool):
                errors.append(f"{rel}:{no}: duration '{d.group(0)}' ({secs:g} s) is in none of "
                              f"{', '.join(cite)}")
            spans.append((d.start(), d.end()))
        for n in NUM.finditer(text):
            if any(a <= n.start() < b for a, b in spans):
                continue
            tok = n.group(1).replace(",", "")
            if is_setting(text, n.start(), n.end(), tok):
                continue
            checked += 1
            if not matches(tok, pool):
                errors.append(f"{rel}:{no}: {tok} is in none of {', '.join(cite)} "
                              f"(at its precision): {raw.strip()[:100]}")
    return errors, unchecked, checked


def main():
    root = sys.argv[1]
    bad = []
    for rel in sys.argv[2:]:
        errors, unchecked, checked = check_file(root, rel)
        print(f"{rel}: {checked} numbers checked, {len(errors)} wrong, "
              f"{unchecked} lines declared as not results")
        bad += errors
    for e in bad:
        print("FAIL " + e, file=sys.stderr)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
