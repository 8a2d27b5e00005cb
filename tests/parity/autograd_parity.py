"""autograd_parity.py — qkv's autograd against PyTorch on randomized composite programs.

From a fixed seed it builds many small programs (broadcasting elementwise math, chains of views,
reductions, matmul/bmm, softmaxes, indexing, joins, where/masked_fill; float64 and float32),
runs each in PyTorch and, in one batch, in qkv through parity_driver, and compares the output
and every input gradient (parity_harness.compare: float64 to 1e-10, float32 to 1e-5).

    autograd_parity.py --driver build/tests/parity_driver [--count 200] [--seed 0] [--case 17] [-v]
                       [--dump request.json]

Inputs are drawn so that every op is used where both libraries must agree: log, sqrt, pow and
division get positive operands; max/min, maximum/minimum, relu and abs never see two values
(or a value and the kink) closer than rounding could reorder; exp sees moderate arguments.
"""

import argparse
import collections
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from parity_harness import Case, Program, TORCH_OPS, run_suite, torch  # noqa: E402

MAX_RANK = 5        # ranks stay well inside qkv's kMaxDims
MAX_NUMEL = 360     # larger values get reduced before the next op
# The ops this generator must exercise at least once over a default run (the autograd ops of
# the harness; ops that later suites add to TORCH_OPS are theirs to cover).
COVERED_OPS = [
    "add", "sub", "mul", "div", "pow", "maximum", "minimum", "add_scalar", "sub_scalar", "rsub_scalar",
    "mul_scalar", "div_scalar", "rdiv_scalar", "pow_scalar", "neg", "exp", "log", "sqrt", "abs", "tanh",
    "sigmoid", "relu", "gelu", "where", "masked_fill", "clone", "to_dtype", "view", "reshape", "flatten",
    "transpose", "permute", "narrow", "slice", "select", "squeeze", "unsqueeze", "expand", "contiguous",
    "sum", "mean", "max", "min", "logsumexp", "var", "softmax", "log_softmax", "gather", "index_select",
    "embedding", "concat", "stack", "split", "matmul", "bmm",
]


class Builder:
    """Grows one random program around a "main" value, tracking values not yet consumed."""

    def __init__(self, program, rng, gen, dtype):
        self.p, self.rng, self.gen, self.dtype = program, rng, gen, dtype
        # Two values closer than this (relative to the data's scale) could be ordered
        # differently by rounding in the two libraries, so no kink or tie may fall that close.
        self.kink_gap = 1e-8 if dtype == torch.float64 else 1e-4
        # Larger values get scaled down: exp/softmax turn an argument's rounding error into a
        # relative error of |x|·eps, which in float32 must stay well below the 1e-5 tolerance.
        self.max_magnitude = 30 if dtype == torch.float64 else 8
        self.frontier = []  # float values produced but not yet used by any step

    # ---- values ------------------------------------------------------------------------------

    def t(self, ref):
        return self.p.value(ref).detach()

    def shape(self, ref):
        return list(self.p.value(ref).shape)

    def rank(self, ref):
        return self.p.value(ref).dim()

    def magnitude(self, ref):
        t = self.t(ref)
        return t.abs().max().item() if t.numel() else 0.0

    def leaf(self, shape, dtype=None, requires_grad=None):
        data = torch.randn(shape, generator=self.gen, dtype=torch.float64).to(dtype or self.dtype)
        if requires_grad is None:
            requires_grad = self.rng.random() < 0.85
        ref = self.p.input(data, requires_grad)
        self.frontier.append(ref)
        return ref

    def index_input(self, shape, high):
        return self.p.input(torch.randint(0, high, shape, generator=self.gen))

    def mask_input(self, shape, p=0.4):
        return self.p.input(torch.rand(shape, generator=self.gen) < p)

    def op(self, name, *args, **attrs):
        for a in args:
            if any(a is f for f in self.frontier):
                self.frontier = [f for f in self.frontier if f is not a]
        out = self.p.op(name, *args, **attrs)
        for r in out if isinstance(out, list) else [out]:
            if self.p.value(r).dtype.is_floating_point:
                self.frontier.append(r)
        return out

    # ---- safety checks -----------------------------------------------------------------------

    def clear_of_kink(self, values):
        """True if every element is exactly 0 or well away from it."""
        v = values.abs()
        if v.numel() == 0:
            return True
        scale = max(1.0, v.max().item())
        return bool(((v == 0) | (v > self.kink_gap * scale)).all())

    def distinct_along(self, values, dim):
        """True if no two elements along `dim` are tied or nearly tied."""
        if values.shape[dim] < 2:
            return True
        gaps = values.sort(dim).values.diff(dim=dim)
        scale = max(1.0, values.abs().max().item())
        return bool((gaps > self.kink_gap * scale).all())

    # ---- random shapes and attributes --------------------------------------------------------

    def random_shape(self, rank=None):
        if rank is None:
            rank = self.rng.choice([0, 1, 1, 2, 2, 2, 3, 3, 4])
        return [self.rng.choice([1, 2, 3, 3, 4, 5]) for _ in range(rank)]

    def dim(self, rank):
        """A random axis in [-rank, rank)."""
        return self.rng.randrange(-rank, rank)

    def axes(self, rank):
        """A random non-empty subset of axes (some negative), or [] (all axes)."""
        if rank == 0 or self.rng.random() < 0.25:
            return []
        chosen = self.rng.sample(range(rank), self.rng.randint(1, rank))
        return [a - rank if self.rng.random() < 0.3 else a for a in chosen]

    def broadcast_partner_shape(self, shape, may_grow=True):
        """A shape that broadcasts with `shape`: leading dims dropped, some set to 1, and (when
        may_grow) a new leading dim or a size where `shape` has 1."""
        dropped = self.rng.randint(0, len(shape)) if shape and self.rng.random() < 0.4 else 0
        out = []
        for s in shape[dropped:]:
            if s == 1:
                out.append(self.rng.randint(2, 3) if may_grow and self.rng.random() < 0.3 else 1)
            else:
                out.append(1 if self.rng.random() < 0.3 else s)
        if may_grow and dropped == 0 and len(shape) < 4 and self.rng.random() < 0.2:
            out = [self.rng.randint(2, 3)] + out
        return out

    def factorize(self, n, rank):
        """A random shape of `rank` sizes whose product is n."""
        primes, m, f = [], n, 2
        while m > 1:
            while m % f == 0:
                primes.append(f)
                m //= f
            f += 1
        sizes = [1] * rank
        for p in primes:
            sizes[self.rng.randrange(rank)] *= p
        return sizes

    # ---- operands ----------------------------------------------------------------------------

    def partner(self, x):
        """Another value of x's dtype whose shape broadcasts with x: usually a fresh input,
        sometimes an unconsumed value, sometimes x itself."""
        roll = self.rng.random()
        if roll < 0.1:
            return x
        if roll < 0.35:
            want = self.shape(x)
            for f in reversed(self.frontier):
                if f is not x and self.t(f).dtype == self.t(x).dtype and broadcasts(self.shape(f), want):
                    return f
        return self.leaf(self.broadcast_partner_shape(self.shape(x)), self.t(x).dtype)

    def positive(self, x):
        """x mapped smoothly (away from kinks) onto positive values."""
        if self.magnitude(x) < 4 and self.rng.random() < 0.5:
            return self.op("exp", x)
        if self.clear_of_kink(self.t(x)):
            return self.op("add_scalar", self.op("abs", x), value=0.5)
        return self.op("add_scalar", self.op("sigmoid", x), value=0.5)

    # ---- op categories: each returns the new main value, or None if it does not apply ----------

    def unary(self, x):
        name = self.rng.choice(["neg", "tanh", "sigmoid", "gelu", "exp", "relu", "relu", "abs", "log", "sqrt",
                                "pow_scalar", "pow_int", "scalar", "scalar", "scalar", "scalar"])
        if name == "exp":
            return self.op("exp", x) if self.magnitude(x) < 4 else None
        if name in ("relu", "abs"):
            return self.op(name, x) if self.clear_of_kink(self.t(x)) else None
        if name in ("log", "sqrt"):
            return self.op(name, self.positive(x))
        if name == "pow_scalar":
            return self.op("pow_scalar", self.positive(x), exponent=self.rng.choice([0.5, -1.0, 1.5, -0.5, 2.7]))
        if name == "pow_int":
            return self.op("pow_scalar", x, exponent=self.rng.choice([2.0, 3.0]))
        if name == "scalar":
            kind = self.rng.choice(["add", "sub", "rsub", "mul", "div", "rdiv"])
            value = self.rng.choice([-1.5, -0.75, 0.3, 0.5, 2.0, 3.25])
            base = self.positive(x) if kind == "rdiv" else x
            return self.op(f"{kind}_scalar", base, value=value)
        return self.op(name, x)

    def binary(self, x):
        name = self.rng.choice(["add", "sub", "mul", "div", "pow", "maximum", "minimum"])
        other = self.partner(x)
        a, b = (x, other) if self.rng.random() < 0.6 else (other, x)
        if name == "div":
            b = self.positive(b)
        if name == "pow":
            a, b = self.positive(a), self.op("tanh", b)
        if name in ("maximum", "minimum") and not self.clear_of_kink(self.t(a) - self.t(b)):
            return None
        return self.op(name, a, b)

    def view_op(self, x):
        r, shape = self.rank(x), self.shape(x)
        name = self.rng.choice(["transpose", "permute", "reshape", "view", "flatten", "narrow", "slice", "select",
                                "squeeze", "unsqueeze", "expand", "contiguous", "clone"])
        if name == "transpose" and r >= 1:
            return self.op("transpose", x, dim0=self.dim(r), dim1=self.dim(r))
        if name == "permute" and r >= 2:
            return self.op("permute", x, dims=self.rng.sample(range(r), r))
        if name in ("reshape", "view"):
            new = self.factorize(max(1, self.t(x).numel()), self.rng.randint(1, 4))
            if self.rng.random() < 0.3:
                new[self.rng.randrange(len(new))] = -1
            if name == "view" and not torch_can_view(self.t(x), new):
                return None
            return self.op(name, x, shape=new)
        if name == "flatten":
            return self.op("flatten", x)
        if name == "narrow" and r >= 1:
            d = self.dim(r)
            length = self.rng.randint(1, shape[d])
            return self.op("narrow", x, dim=d, start=self.rng.randint(0, shape[d] - length), length=length)
        if name == "slice" and r >= 1:
            d = self.dim(r)
            size = shape[d]
            start = self.rng.randint(-size, size - 1)
            end = self.rng.choice([size, size + 2, self.rng.randint(-size, size)])
            attrs = dict(dim=d, start=start, end=end, step=self.rng.randint(1, 3))
            if TORCH_OPS["slice"]([self.t(x)], attrs).numel() == 0:
                return None
            return self.op("slice", x, **attrs)
        if name == "select" and r >= 1:
            d = self.dim(r)
            return self.op("select", x, dim=d, index=self.rng.randrange(-shape[d], shape[d]))
        if name == "squeeze":
            if r >= 1 and self.rng.random() < 0.6:
                return self.op("squeeze", x, dim=self.dim(r))
            return self.op("squeeze", x)
        if name == "unsqueeze" and r < MAX_RANK:
            return self.op("unsqueeze", x, dim=self.rng.randint(-r - 1, r))
        if name == "expand" and r < MAX_RANK:
            lead = [self.rng.randint(2, 3) for _ in range(self.rng.randint(0, 1))]
            body = [self.rng.randint(2, 3) if s == 1 and self.rng.random() < 0.6 else
                    (-1 if self.rng.random() < 0.3 else s) for s in shape]
            return self.op("expand", x, shape=lead + body)
        if name in ("contiguous", "clone"):
            return self.op(name, x)
        return None

    def reduction(self, x):
        r = self.rank(x)
        name = self.rng.choice(["sum", "mean", "var", "logsumexp", "max", "min", "softmax", "log_softmax",
                                "masked_softmax"])
        keepdim = self.rng.random() < 0.4
        if name in ("sum", "mean"):
            return self.op(name, x, axes=self.axes(r), keepdim=keepdim)
        if r == 0:
            return None
        if name == "var":
            axes = self.axes(r)
            count = 1
            for a in axes or range(r):
                count *= self.shape(x)[a]
            correction = self.rng.choice([0, 1])
            return self.op("var", x, axes=axes, correction=correction, keepdim=keepdim) if count > correction else None
        if name == "logsumexp":
            return self.op("logsumexp", x, axes=self.axes(r), keepdim=keepdim)
        if name in ("max", "min"):
            d = self.dim(r)
            return self.op(name, x, dim=d, keepdim=keepdim) if self.distinct_along(self.t(x), d) else None
        if name in ("softmax", "log_softmax"):
            return self.op(name, x, dim=self.dim(r))
        return self.masked_softmax(x, self.dim(r))

    def masked_softmax(self, x, d):
        """softmax after masked_fill(-inf), with at least one unmasked entry in every row."""
        mask_shape = self.broadcast_partner_shape(self.shape(x), may_grow=False)
        mask = torch.rand(mask_shape, generator=self.gen) < 0.4
        from_end = d - self.rank(x) if d >= 0 else d  # the mask aligns with x from the right
        if len(mask_shape) >= -from_end:
            j = self.rng.randrange(mask.shape[from_end])
            mask.narrow(from_end, j, 1).fill_(False)
        else:
            mask.fill_(False)  # without the softmax dim, any true entry would mask whole rows
        filled = self.op("masked_fill", x, self.p.input(mask), value=float("-inf"))
        return self.op("softmax", filled, dim=d)

    def matmul(self, x):
        r, shape, dtype = self.rank(x), self.shape(x), self.t(x).dtype
        if r == 0:
            return None
        n = self.rng.randint(1, 4)
        pattern = self.rng.choice(["right", "right", "left", "gram", "bmm"])
        if pattern == "bmm":
            if r == 2:  # a batch of one
                x, shape = self.op("unsqueeze", x, dim=0), [1] + shape
            elif r != 3:
                return None
            return self.op("bmm", x, self.matrix_leaf([shape[0], shape[2], n], dtype))
        if pattern == "gram":
            return self.op("matmul", x, self.op("transpose", x, dim0=-1, dim1=-2)) if r >= 2 else self.op("matmul", x, x)
        if pattern == "right":
            if self.rng.random() < 0.2:
                return self.op("matmul", x, self.leaf([shape[-1]], dtype))  # matrix @ vector
            batch = self.broadcast_partner_shape(shape[:-2]) if r >= 3 and self.rng.random() < 0.5 else []
            inner = [shape[-1], n]
            return self.op("matmul", x, self.matrix_leaf(batch + inner, dtype))
        inner = [n, shape[-2]] if r >= 2 else self.rng.choice([[shape[0]], [n, shape[0]]])
        batch = []
        if len(inner) == 2 and self.rng.random() < 0.3:
            batch = [self.rng.randint(1, 3)] if r <= 2 else self.broadcast_partner_shape(shape[:-2])
        return self.op("matmul", self.matrix_leaf(batch + inner, dtype), x)

    def matrix_leaf(self, shape, dtype):
        """A fresh operand, sometimes stored transposed so the product reads strided data."""
        if len(shape) >= 2 and self.rng.random() < 0.3:
            stored = shape[:-2] + [shape[-1], shape[-2]]
            return self.op("transpose", self.leaf(stored, dtype, requires_grad=True), dim0=-1, dim1=-2)
        return self.leaf(shape, dtype)

    def indexing(self, x):
        r, shape = self.rank(x), self.shape(x)
        name = self.rng.choice(["gather", "index_select", "embedding"])
        if r == 0:
            return None
        if name == "gather":
            d = self.dim(r)
            index_shape = [self.rng.randint(1, 4) if i == d % r else self.rng.randint(1, s) for i, s in enumerate(shape)]
            return self.op("gather", x, self.index_input(index_shape, shape[d]), dim=d)
        if name == "index_select":
            d = self.dim(r)
            return self.op("index_select", x, self.index_input([self.rng.randint(1, 5)], shape[d]), dim=d)
        if r != 2:
            return None
        return self.op("embedding", x, self.index_input(self.random_shape(self.rng.randint(0, 2)), shape[0]))

    def join(self, x):
        r, shape = self.rank(x), self.shape(x)
        name = self.rng.choice(["concat", "stack", "split"])
        count = self.rng.randint(1, 2)
        if name == "stack" and r < MAX_RANK:
            others = [x if self.rng.random() < 0.25 else self.leaf(shape, self.t(x).dtype) for _ in range(count)]
            return self.op("stack", *self.shuffled([x] + others), dim=self.rng.randint(-r - 1, r))
        if r == 0:
            return None
        d = self.dim(r)
        if name == "concat":
            others = []
            for _ in range(count):
                other_shape = list(shape)
                other_shape[d] = self.rng.randint(1, 3)
                others.append(x if self.rng.random() < 0.25 else self.leaf(other_shape, self.t(x).dtype))
            return self.op("concat", *self.shuffled([x] + others), dim=d)
        if name == "split" and shape[d] >= 2:
            if self.rng.random() < 0.5:
                pieces = self.op("split", x, chunk=self.rng.randint(1, shape[d] - 1), dim=d)
            else:
                cut = sorted(self.rng.sample(range(1, shape[d]), self.rng.randint(1, shape[d] - 1)))
                sizes = [b - a for a, b in zip([0] + cut, cut + [shape[d]])]
                pieces = self.op("split", x, sizes=sizes, dim=d)
            return self.rng.choice(pieces)
        return None

    def selection(self, x):
        shape = self.shape(x)
        if self.rng.random() < 0.5:
            other = self.partner(x)
            joint = list(torch.broadcast_shapes(self.t(x).shape, self.t(other).shape))
            cond = self.mask_input(self.broadcast_partner_shape(joint), p=0.5)
            a, b = (x, other) if self.rng.random() < 0.5 else (other, x)
            return self.op("where", cond, a, b)
        mask = self.mask_input(self.broadcast_partner_shape(shape, may_grow=False))
        return self.op("masked_fill", x, mask, value=self.rng.choice([0.0, -2.5, 1.25]))

    def cast(self, x):
        if self.dtype != torch.float32:
            return None  # float64 programs stay float64: one float32 step would cost 5 digits
        target = "float64" if self.t(x).dtype == torch.float32 else "float32"
        return self.op("to_dtype", x, dtype=target)

    def shuffled(self, refs):
        refs = list(refs)
        self.rng.shuffle(refs)
        return refs

    # ---- the program -------------------------------------------------------------------------

    CATEGORIES = [("unary", 3), ("binary", 3), ("view_op", 4), ("reduction", 2.5), ("matmul", 2),
                  ("indexing", 1.5), ("join", 1.5), ("selection", 1.5), ("cast", 0.7)]

    def step(self, x):
        names, weights = zip(*self.CATEGORIES)
        for _ in range(30):
            out = getattr(self, self.rng.choices(names, weights)[0])(x)
            if out is not None:
                return self.tame(out)
        return self.op("tanh", x)

    def tame(self, x):
        """Keeps values moderate in size, rank and element count."""
        if self.magnitude(x) > self.max_magnitude:
            x = self.op("tanh", x) if self.rng.random() < 0.5 else self.op("mul_scalar", x, value=0.0625)
        while self.rank(x) > MAX_RANK - 1 or self.t(x).numel() > MAX_NUMEL:
            x = self.op("sum", x, axes=[0], keepdim=False)
        return x

    def finish(self, x):
        """Folds every unconsumed value into x (so every input reaches the output) and returns
        the output gradient (None to run backward from a one-element output)."""
        for other in [f for f in self.frontier if f is not x]:
            s = self.op(self.rng.choice(["sum", "mean"]), other)
            if self.t(s).dtype != self.t(x).dtype:
                s = self.op("to_dtype", s, dtype="float64" if self.t(x).dtype == torch.float64 else "float32")
            x = self.op("add", *self.shuffled([x, s]))
        if self.rng.random() < 0.25:
            x = self.op(self.rng.choice(["sum", "mean"]), x)
        if not self.p.steps or self.p.output is not x:
            x = self.op("clone", x)
        out = self.t(x)
        if out.numel() == 1 and self.rng.random() < 0.7:
            return None
        return torch.randn(out.shape, generator=self.gen, dtype=torch.float64).to(out.dtype)


def broadcasts(a, b):
    try:
        torch.broadcast_shapes(a, b)
        return True
    except RuntimeError:
        return False


def torch_can_view(t, shape):
    try:
        t.view(shape)
        return True
    except RuntimeError:
        return False


def build_case(seed, index):
    """Program number `index` of the run with `seed`: 3 to 8 random steps from one input."""
    rng = random.Random(f"autograd-parity-{seed}-{index}")
    gen = torch.Generator().manual_seed(rng.getrandbits(62))
    dtype = torch.float64 if rng.random() < 0.65 else torch.float32
    program = Program(f"#{index} (seed {seed}, {str(dtype).replace('torch.', '')})")
    builder = Builder(program, rng, gen, dtype)
    x = builder.leaf(builder.random_shape(), requires_grad=True)
    for _ in range(rng.randint(3, 8)):
        x = builder.step(x)
    grad_output = builder.finish(x)
    return Case(program, grad_output)


def op_counts(cases):
    return collections.Counter(op for c in cases for op, *_ in c.program.steps)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--driver", required=True, help="path of the parity_driver executable")
    parser.add_argument("--count", type=int, default=200, help="number of random programs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--case", type=int, help="run only program number CASE (to debug one failure)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every program")
    parser.add_argument("--dump", metavar="FILE", help="also write the driver's JSON request to FILE")
    args = parser.parse_args()

    torch.set_num_threads(1)
    indices = [args.case] if args.case is not None else range(args.count)
    cases = [build_case(args.seed, i) for i in indices]
    counts = op_counts(cases)
    steps = sum(counts.values())
    print(f"autograd parity: {len(cases)} programs, {steps} steps, {len(counts)} distinct ops")
    failed = run_suite("autograd parity", args.driver, cases, verbose=args.verbose, dump=args.dump)

    missing = [op for op in COVERED_OPS if counts[op] == 0]
    if args.case is None and missing:
        print(f"autograd parity: the programs never used {', '.join(missing)}: widen the generator")
        failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
