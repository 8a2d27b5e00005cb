#!/usr/bin/env python3
"""readme_first_program.py — the README's "A first program" is examples/first_program.cpp.

Every line of the README's code block must appear in the example, in the same order (spaces
collapsed, so comment alignment may differ); the example may add lines (its self-check). The
example itself is compiled and run by ctest (example_first_program), so the README's program
cannot stop compiling or go back to drawing a freed graph unnoticed.
"""
import argparse
import re
import sys


def normalise(line):
    return " ".join(line.split())


def readme_block(readme):
    match = re.search(r"^## A first program\s*```cpp\n(.*?)^```", readme, re.S | re.M)
    if not match:
        sys.exit("readme_first_program: no ```cpp block under '## A first program' in README.md")
    return [normalise(l) for l in match.group(1).splitlines() if l.strip()]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--readme", required=True)
    parser.add_argument("--example", required=True)
    args = parser.parse_args()
    block = readme_block(open(args.readme, encoding="utf-8").read())
    example = [normalise(l) for l in open(args.example, encoding="utf-8").read().splitlines()]
    at = 0
    for line in block:
        try:
            at = example.index(line, at) + 1
        except ValueError:
            sys.exit(f"readme_first_program: README line not in {args.example} (in order): {line!r}")
    print(f"readme_first_program: all {len(block)} README lines are in the example, in order")


if __name__ == "__main__":
    main()
