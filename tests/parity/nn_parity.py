#!/usr/bin/python3
"""nn parity: qkv's layers and losses against torch.nn.functional on identical inputs and weights.

Covers Linear (x·Wᵀ + b), LayerNorm, Embedding with padding_idx, cross_entropy with
ignore_index, label smoothing and every reduction, linear_cross_entropy (linear then
cross_entropy in torch), mse_loss, and a small classifier chaining
them. Values and the gradients of every input (weights included) must agree to the harness's
tolerances (parity_harness.py). Run by ctest as nn_parity; exits non-zero on any mismatch or if
torch cannot be imported.
"""
import argparse
import sys

from parity_harness import Case, Program, run_suite, torch

DTYPES = [torch.float64, torch.float32]


def randn(gen, shape, dtype):
    return torch.randn(shape, generator=gen, dtype=torch.float64).to(dtype)


def grad_for(program, gen):
    out = program.value(program.output)
    return None if out.numel() == 1 else randn(gen, tuple(out.shape), out.dtype)


def cases():
    gen = torch.Generator().manual_seed(0)
    out = []
    for dtype in DTYPES:
        name = str(dtype).replace("torch.", "")
        # Linear on a (B, T, in) input.
        p = Program(f"linear {name}")
        x, w, b = (p.input(randn(gen, s, dtype), True) for s in [(2, 3, 4), (5, 4), (5,)])
        p.op("linear", x, w, b)
        out.append(Case(p, grad_for(p, gen)))
        # LayerNorm with affine parameters.
        p = Program(f"layer_norm {name}")
        x, w, b = (p.input(randn(gen, s, dtype), True) for s in [(2, 3, 6), (6,), (6,)])
        p.op("layer_norm", x, w, b, eps=1e-5)
        out.append(Case(p, grad_for(p, gen)))
        # Embedding: repeated ids accumulate; the padding row gets no gradient.
        p = Program(f"embedding padding_idx {name}")
        weight = p.input(randn(gen, (7, 3), dtype), True)
        ids = p.input(torch.tensor([[0, 3, 3, 6], [1, 0, 2, 3]]))
        p.op("embedding_padded", weight, ids, padding_idx=0)
        out.append(Case(p, grad_for(p, gen)))
        # cross_entropy: every reduction, with and without label smoothing, some targets ignored.
        targets = torch.tensor([[0, 4, -100], [2, -100, 1]])
        for smoothing in [0.0, 0.1]:
            for reduction in [0, 1, 2]:
                p = Program(f"cross_entropy smoothing={smoothing} reduction={reduction} {name}")
                logits = p.input(randn(gen, (2, 3, 5), dtype), True)
                t = p.input(targets)
                p.op("cross_entropy", logits, t, ignore_index=-100, label_smoothing=smoothing, reduction=reduction)
                out.append(Case(p, grad_for(p, gen)))
        # linear_cross_entropy (the output layer fused with its loss): mean and sum, in chunks of 2
        # rows (three, the last one short) and in one.
        for reduction, chunk_rows in [(1, 2), (2, 0), (1, 0)]:
            p = Program(f"linear_cross_entropy reduction={reduction} chunk_rows={chunk_rows} {name}")
            x, w, b = (p.input(randn(gen, s, dtype), True) for s in [(2, 3, 4), (5, 4), (5,)])
            t = p.input(targets)
            p.op("linear_cross_entropy", x, w, b, t, ignore_index=-100, label_smoothing=0.1, reduction=reduction,
                 chunk_rows=chunk_rows)
            out.append(Case(p, grad_for(p, gen)))
        # mse_loss, every reduction.
        for reduction in [0, 1, 2]:
            p = Program(f"mse_loss reduction={reduction} {name}")
            a, c = (p.input(randn(gen, (3, 4), dtype), True) for _ in range(2))
            p.op("mse_loss", a, c, reduction=reduction)
            out.append(Case(p, grad_for(p, gen)))
        # A small classifier: embedding → linear → layer_norm → linear → cross_entropy.
        p = Program(f"classifier {name}")
        table = p.input(randn(gen, (9, 4), dtype), True)
        ids = p.input(torch.tensor([[1, 2, 0], [5, 8, 0]]))
        w1, b1 = p.input(randn(gen, (6, 4), dtype), True), p.input(randn(gen, (6,), dtype), True)
        g, beta = p.input(randn(gen, (6,), dtype), True), p.input(randn(gen, (6,), dtype), True)
        w2, b2 = p.input(randn(gen, (3, 6), dtype), True), p.input(randn(gen, (3,), dtype), True)
        labels = p.input(torch.tensor([[0, 2, -100], [1, 1, -100]]))
        h = p.op("embedding_padded", table, ids, padding_idx=0)
        h = p.op("layer_norm", p.op("linear", h, w1, b1), g, beta, eps=1e-5)
        logits = p.op("linear", h, w2, b2)
        p.op("cross_entropy", logits, labels, ignore_index=-100, label_smoothing=0.1, reduction=1)
        out.append(Case(p, None))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--driver", required=True, help="path of the parity_driver executable")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    return 1 if run_suite("nn parity", args.driver, cases(), verbose=args.verbose) else 0


if __name__ == "__main__":
    sys.exit(main())
