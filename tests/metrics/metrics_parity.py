#!/usr/bin/python3
"""metrics_parity.py — qkv's 13a tokeniser, lowercasing, BLEU and chrF (run through
metrics_driver) against the same computed here with Python's str and re, the way sacreBLEU 2.x
computes them (its BLEU and CHRF classes with their defaults; see metrics/bleu.h, chrf.h).

The text: hand-picked hard lines (symbols, periods between digits, entities, Greek final sigma,
Turkish dotted I, Unicode spaces, bytes that are not UTF-8), every code point (tokenised and
lowercased only), and the first --max-lines lines of every file in --corpus-dir and of any
--extra file (.gz allowed). Hypotheses for BLEU and chrF are the reference lines changed by a
seeded random edit (a word dropped, two swapped, case changed, punctuation added, emptied).
Tokenised and lowercased lines must be equal; scores must be equal to the last bit.
"""
import argparse
import gzip
import math
import os
import random
import re
import subprocess
import sys
import tempfile
from collections import Counter

# --- sacreBLEU's definitions, written out -------------------------------------------------------

SYMBOLS = re.compile(r"([ -&(-+/:-@\[-`{-~])")  # ASCII symbols but ' , - .
PUNCT_AFTER_NON_DIGIT = re.compile(r"([^0-9])([.,])")
PUNCT_BEFORE_NON_DIGIT = re.compile(r"([.,])([^0-9])")
DASH_AFTER_DIGIT = re.compile(r"([0-9])(-)")


def tokenize_13a(line):
    for old, new in (("<skipped>", ""), ("-\n", ""), ("\n", " "), ("&quot;", '"'), ("&amp;", "&"),
                     ("&lt;", "<"), ("&gt;", ">")):
        line = line.replace(old, new)
    line = SYMBOLS.sub(r" \1 ", f" {line} ")
    line = PUNCT_AFTER_NON_DIGIT.sub(r"\1 \2 ", line)
    line = PUNCT_BEFORE_NON_DIGIT.sub(r" \1 \2", line)
    line = DASH_AFTER_DIGIT.sub(r"\1 \2 ", line)
    return " ".join(line.split())


def bleu_words(line, tokenize, lowercase):
    if lowercase:
        line = line.lower()
    line = line.rstrip()
    return (tokenize_13a(line) if tokenize == "13a" else line).split()


def ngrams(words, max_order):
    return Counter(tuple(words[i:i + n]) for n in range(1, max_order + 1) for i in range(len(words) - n + 1))


def corpus_bleu(hyps, refs, tokenize, lowercase, max_order=4):
    matches, totals, c, r = [0] * max_order, [0] * max_order, 0, 0
    for hyp, ref in zip(hyps, refs):
        hw, rw = bleu_words(hyp, tokenize, lowercase), bleu_words(ref, tokenize, lowercase)
        c, r = c + len(hw), r + len(rw)
        ref_counts = ngrams(rw, max_order)
        for gram, count in ngrams(hw, max_order).items():
            totals[len(gram) - 1] += count
            matches[len(gram) - 1] += min(count, ref_counts.get(gram, 0))
    bp = 1.0 if c >= r else (math.exp(1 - r / c) if c > 0 else 0.0)
    if not any(matches):
        return 0.0, matches, totals, c, r
    precisions, divisor = [0.0] * max_order, 1.0
    for n in range(max_order):
        if totals[n] == 0:
            break
        if matches[n] == 0:  # exp smoothing
            divisor *= 2
            precisions[n] = 100.0 / (divisor * totals[n])
        else:
            precisions[n] = 100.0 * matches[n] / totals[n]
    log_sum = sum(math.log(p) if p > 0 else -9999999999 for p in precisions)
    return bp * math.exp(log_sum / max_order), matches, totals, c, r


def corpus_chrf(hyps, refs, lowercase, order=6, beta=2):
    stats = [[0, 0, 0] for _ in range(order)]
    for hyp, ref in zip(hyps, refs):
        if lowercase:
            hyp, ref = hyp.lower(), ref.lower()
        hyp, ref = "".join(hyp.split()), "".join(ref.split())
        for n in range(1, order + 1):
            hc = Counter(hyp[i:i + n] for i in range(len(hyp) - n + 1))
            rc = Counter(ref[i:i + n] for i in range(len(ref) - n + 1))
            stats[n - 1][0] += sum(hc.values()) if rc else 0
            stats[n - 1][1] += sum(rc.values())
            stats[n - 1][2] += sum((hc & rc).values())
    factor, precision, recall, effective = beta ** 2, 0.0, 0.0, 0
    for hyp_n, ref_n, match_n in stats:
        if hyp_n > 0 and ref_n > 0:
            precision, recall, effective = precision + match_n / hyp_n, recall + match_n / ref_n, effective + 1
    if effective:
        precision, recall = precision / effective, recall / effective
    if precision + recall == 0:
        return 0.0
    score = (1 + factor) * precision * recall
    score /= factor * precision + recall
    return 100 * score


# --- test text ----------------------------------------------------------------------------------

HARD_LINES = [
    'He said: "it\'s 3.5-4,000 km."', "a.. ... x.,y 1.5,2.5 3.14.15 U.S.A. e.g.,", "2-3 9-x a-b -5 1990s-style",
    'a!"#$%&()*+/:;<=>?@[\\]^_`{|}~b', "&amp;quot; &lt;b&gt; &apos; &quot;hi&quot;", "<skipped>word",
    "Straße, München. ¿Qué? ¡Sí! x…y — z ٣.٣ ３．５", "ΟΔΟΣ ΟΔΟΣ. Σ ΑΣΑ ΑΣ\u0301 x Α\u0301Σ ΑΣ\u00adΑ",
    "İstanbul İ ǅ ẞ \u2126\u212a\u212b \U00010400 Ａ", "  a\u00a0b\u3000c\t\u2028d\u0085e\x1cf ", "", "   ",
    "bad bytes: \udcff\udcc3 \udced\udca0\udc80 ok", "Ein Mann, der (mit 2 Hunden) läuft.", "x ,y .z",
]


# Hypotheses longer than their references, so some orders exist only in the hypothesis (chrF
# counts none of those n-grams for that sentence).
SHORT_REFERENCES = (["ab", "a", "", "abc d", "Mann läuft.", "xy"],
                    ["abc", "abcdefg", "xyz", "abc de!", "Ein Mann läuft.", "xy"])


def every_code_point():
    """Every code point but newline and surrogates, 64 a line, then capital sigma after, before and
    between each BMP character and a cased letter: what str.lower() must agree on everywhere."""
    chars = [chr(c) for c in range(0x110000) if c != 0x0A and not 0xD800 <= c <= 0xDFFF]
    lines = ["".join(chars[i:i + 64]) for i in range(0, len(chars), 64)]
    for x in (c for c in chars if ord(c) < 0x10000):
        lines += [x + "\u03a3", "A\u03a3" + x, "A" + x + "\u03a3"]
    return lines


def perturb(line, rng):
    words = line.split()
    edit = rng.randrange(7)
    if edit == 0 and words:
        del words[rng.randrange(len(words))]
    elif edit == 1 and len(words) > 1:
        i, j = rng.randrange(len(words)), rng.randrange(len(words))
        words[i], words[j] = words[j], words[i]
    elif edit == 2:
        return line.upper() if rng.random() < 0.5 else line.lower()
    elif edit == 3:
        return line + rng.choice([".", " .", ",", "!", " ?", '"'])
    elif edit == 4:
        return ""
    elif edit == 5:
        return line
    return " ".join(words)


def read_text(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        return f.read().decode("utf-8", "surrogateescape").split("\n")[:-1]


def write_text(path, lines):
    with open(path, "wb") as f:
        f.write("".join(line + "\n" for line in lines).encode("utf-8", "surrogateescape"))


def run(driver, *args):
    out = subprocess.run([driver, *args], check=True, capture_output=True).stdout
    return out.decode("utf-8", "surrogateescape").split("\n")[:-1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--driver", required=True)
    parser.add_argument("--corpus-dir", help="score every file in this directory and its subdirectories too")
    parser.add_argument("--extra", nargs="*", default=[], help="more text files (.gz allowed)")
    parser.add_argument("--max-lines", type=int, default=3000, help="lines scored per file")
    args = parser.parse_args()
    texts = {"hard lines": HARD_LINES, "short references": SHORT_REFERENCES[0], "every code point": every_code_point()}
    for path in args.extra:
        texts[os.path.basename(path)] = read_text(path)[:args.max_lines]
    if args.corpus_dir:  # keyed by the path inside it: raw/train.en is not train.en
        for root, _, names in sorted(os.walk(args.corpus_dir)):
            for name in sorted(n for n in names if not n.endswith(".md")):
                path = os.path.join(root, name)
                texts[os.path.relpath(path, args.corpus_dir)] = read_text(path)[:args.max_lines]

    failures, rng = 0, random.Random(18)
    with tempfile.TemporaryDirectory() as tmp:
        ref_path, hyp_path = os.path.join(tmp, "ref"), os.path.join(tmp, "hyp")
        for name, refs in texts.items():
            hyps = [perturb(line, rng) for line in refs]
            if name == "short references":
                refs, hyps = SHORT_REFERENCES
            write_text(ref_path, refs)
            write_text(hyp_path, hyps)
            for command, expect in (("tokenize", tokenize_13a), ("lower", str.lower)):
                got = run(args.driver, command, ref_path)
                bad = [i for i, line in enumerate(refs) if got[i] != expect(line)]
                if len(got) != len(refs) or bad:
                    failures += 1
                    i = bad[0] if bad else 0
                    print(f"FAIL {name} {command} line {i + 1}: {refs[i]!r} -> qkv {got[i]!r}, python {expect(refs[i])!r}")
            checked = [f"{len(refs)} lines: tokenize, lower"]
            if name == "every code point":
                print(f"{name}: " + checked[0])
                continue
            for tokenize in ("13a", "none"):
                for lowercase in (False, True):
                    score, matches, totals, c, r = corpus_bleu(hyps, refs, tokenize, lowercase)
                    got = run(args.driver, "bleu", hyp_path, ref_path, tokenize, "1" if lowercase else "0")
                    want = [repr(score), " ".join(map(str, matches)), " ".join(map(str, totals)), f"{c} {r}"]
                    if float(got[0]) != score or got[1:] != want[1:]:
                        failures += 1
                        print(f"FAIL {name} bleu tok={tokenize} lc={lowercase}: qkv {got}, python {want}")
                    checked.append(f"BLEU {tokenize}{' lc' if lowercase else ''} {score:.4f}")
            for lowercase in (False, True):
                score = corpus_chrf(hyps, refs, lowercase)
                got = float(run(args.driver, "chrf", hyp_path, ref_path, "1" if lowercase else "0")[0])
                if got != score:
                    failures += 1
                    print(f"FAIL {name} chrf lc={lowercase}: qkv {got!r}, python {score!r}")
                checked.append(f"chrF2{' lc' if lowercase else ''} {score:.4f}")
            print(f"{name}: " + ", ".join(checked))
    print("metrics parity:", "FAILED" if failures else "all equal")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
