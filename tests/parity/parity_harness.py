"""parity_harness.py — the shared half of the PyTorch parity tests.

A Program records a computation step by step: every step runs at once in PyTorch (through
TORCH_OPS) and is also written down as JSON for parity_driver, which runs the same steps in
qkv. `run_suite` sends a batch of programs to the driver in one process, runs backward in
PyTorch with the same output gradient, and compares the output and every input gradient.

Adding an op: one line in TORCH_OPS here and one line in the registry of parity_driver.cpp,
under the same name, with the same arguments and attributes.
"""

import json
import math
import sys

from driver_process import report, run_driver

try:
    import torch
    import torch.nn.functional as F
except ImportError as error:  # never skip: a missing reference is a failed test
    sys.exit(f"parity: cannot import torch ({error}). The parity tests need python3-torch for "
             f"{sys.executable}; install it with scripts/install-deps.sh --test")

DTYPES = {"float32": torch.float32, "float64": torch.float64, "int64": torch.int64, "bool": torch.bool}
DTYPE_NAMES = {v: k for k, v in DTYPES.items()}

# Tolerance by the least precise float dtype a program touches; see `compare` for the criterion.
TOLERANCE = {torch.float64: 1e-10, torch.float32: 1e-5}


# ---- the ops, as PyTorch computes them (a = argument tensors, k = attributes) ----------------

def _dims(x, axes):
    """Reduction axes; [] means all of them (as in qkv)."""
    return tuple(axes) if axes else tuple(range(x.dim()))


def _slice(x, k):
    index = [slice(None)] * x.dim()
    index[k["dim"]] = slice(k["start"], k["end"], k["step"])
    return x[tuple(index)]


def _split(x, k):
    return list(torch.split(x, k["chunk"] if "chunk" in k else k["sizes"], dim=k["dim"]))


class _ContiguousGrad(torch.autograd.Function):
    """The identity, whose backward hands on a contiguous copy of the gradient.

    Works around a PyTorch 1.13 bug (Debian's python3-torch): the float32 CPU GELU backward
    returns garbage when the incoming gradient is not contiguous and the input is, e.g.
    gelu(x).permute(1, 0) or gelu(x).t() @ w; float64 and the other activations are right."""

    @staticmethod
    def forward(ctx, x):
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad):
        return grad.contiguous()


REDUCTIONS = ["none", "mean", "sum"]


def _cross_entropy(logits, targets, k):
    """torch's cross_entropy with the classes moved from last (qkv) to dimension 1 (torch)."""
    classes = logits.shape[-1]
    out = F.cross_entropy(logits.reshape(-1, classes), targets.reshape(-1), ignore_index=k["ignore_index"],
                          label_smoothing=k["label_smoothing"], reduction=REDUCTIONS[k["reduction"]])
    return out.reshape(targets.shape) if k["reduction"] == 0 else out


def _gelu(x):
    return _ContiguousGrad.apply(F.gelu(x))


TORCH_OPS = {
    # elementwise, binary (broadcasting) and with a scalar
    "add": lambda a, k: a[0] + a[1],
    "sub": lambda a, k: a[0] - a[1],
    "mul": lambda a, k: a[0] * a[1],
    "div": lambda a, k: a[0] / a[1],
    "pow": lambda a, k: torch.pow(a[0], a[1]),
    "maximum": lambda a, k: torch.maximum(a[0], a[1]),
    "minimum": lambda a, k: torch.minimum(a[0], a[1]),
    "add_scalar": lambda a, k: a[0] + k["value"],
    "sub_scalar": lambda a, k: a[0] - k["value"],
    "rsub_scalar": lambda a, k: k["value"] - a[0],
    "mul_scalar": lambda a, k: a[0] * k["value"],
    "div_scalar": lambda a, k: a[0] / k["value"],
    "rdiv_scalar": lambda a, k: k["value"] / a[0],
    "pow_scalar": lambda a, k: a[0] ** k["exponent"],
    # elementwise, unary
    "neg": lambda a, k: -a[0],
    "exp": lambda a, k: torch.exp(a[0]),
    "log": lambda a, k: torch.log(a[0]),
    "sqrt": lambda a, k: torch.sqrt(a[0]),
    "abs": lambda a, k: torch.abs(a[0]),
    "tanh": lambda a, k: torch.tanh(a[0]),
    "sigmoid": lambda a, k: torch.sigmoid(a[0]),
    "relu": lambda a, k: torch.relu(a[0]),
    "gelu": lambda a, k: _gelu(a[0]),
    "where": lambda a, k: torch.where(a[0], a[1], a[2]),
    "masked_fill": lambda a, k: a[0].masked_fill(a[1], k["value"]),
    "clone": lambda a, k: a[0].clone(),
    "to_dtype": lambda a, k: a[0].to(DTYPES[k["dtype"]]),
    # views
    "view": lambda a, k: a[0].view(k["shape"]),
    "reshape": lambda a, k: a[0].reshape(k["shape"]),
    "flatten": lambda a, k: a[0].flatten(),
    "transpose": lambda a, k: a[0].transpose(k["dim0"], k["dim1"]),
    "permute": lambda a, k: a[0].permute(k["dims"]),
    "narrow": lambda a, k: a[0].narrow(k["dim"], k["start"], k["length"]),
    "slice": lambda a, k: _slice(a[0], k),
    "select": lambda a, k: a[0].select(k["dim"], k["index"]),
    "squeeze": lambda a, k: a[0].squeeze(k["dim"]) if "dim" in k else a[0].squeeze(),
    "unsqueeze": lambda a, k: a[0].unsqueeze(k["dim"]),
    "expand": lambda a, k: a[0].expand(k["shape"]),
    "contiguous": lambda a, k: a[0].contiguous(),
    # reductions and softmaxes
    "sum": lambda a, k: a[0].sum(_dims(a[0], k.get("axes")), keepdim=k.get("keepdim", False)),
    "mean": lambda a, k: a[0].mean(_dims(a[0], k.get("axes")), keepdim=k.get("keepdim", False)),
    "max": lambda a, k: torch.max(a[0], k["dim"], keepdim=k.get("keepdim", False)).values,
    "min": lambda a, k: torch.min(a[0], k["dim"], keepdim=k.get("keepdim", False)).values,
    "logsumexp": lambda a, k: torch.logsumexp(a[0], _dims(a[0], k.get("axes")), keepdim=k.get("keepdim", False)),
    "var": lambda a, k: torch.var(a[0], _dims(a[0], k.get("axes")), correction=k["correction"],
                                  keepdim=k.get("keepdim", False)),
    "softmax": lambda a, k: torch.softmax(a[0], k["dim"]),
    "log_softmax": lambda a, k: torch.log_softmax(a[0], k["dim"]),
    # indexing and joining
    "gather": lambda a, k: torch.gather(a[0], k["dim"], a[1]),
    "index_select": lambda a, k: torch.index_select(a[0], k["dim"], a[1]),
    "embedding": lambda a, k: F.embedding(a[1], a[0]),
    "concat": lambda a, k: torch.cat(a, k["dim"]),
    "stack": lambda a, k: torch.stack(a, k["dim"]),
    "split": lambda a, k: _split(a[0], k),
    # matrix products
    "matmul": lambda a, k: torch.matmul(a[0], a[1]),
    "bmm": lambda a, k: torch.bmm(a[0], a[1]),
    # nn layers and losses (nn_parity.py); qkv's cross_entropy takes classes LAST
    "linear": lambda a, k: F.linear(a[0], a[1], a[2]),
    "layer_norm": lambda a, k: F.layer_norm(a[0], (a[0].shape[-1],), a[1], a[2], k["eps"]),
    "embedding_padded": lambda a, k: F.embedding(a[1], a[0], padding_idx=k["padding_idx"]),
    "cross_entropy": lambda a, k: _cross_entropy(a[0], a[1], k),
    # qkv's fused output layer and loss is torch's linear then cross_entropy (chunk_rows is qkv's alone)
    "linear_cross_entropy": lambda a, k: _cross_entropy(F.linear(a[0], a[1], a[2]), a[3], k),
    "mse_loss": lambda a, k: F.mse_loss(a[0], a[1], reduction=REDUCTIONS[k["reduction"]]),
}


# ---- building programs ------------------------------------------------------------------------

class Ref:
    """A value of a Program: an input (kind "in") or a step result (kind "step")."""

    def __init__(self, kind, index):
        self.kind, self.index = kind, index

    def __repr__(self):
        return f"{self.kind}{self.index}"


class Program:
    """A computation built step by step in PyTorch and recorded for the driver."""

    def __init__(self, name=""):
        self.name = name
        self.inputs = []    # torch leaves, in order
        self.steps = []     # (op, [Ref], attrs, [result Ref])
        self.results = []   # torch values of the step results, in order
        self.output = None  # Ref of the last value

    def input(self, tensor, requires_grad=False):
        leaf = tensor.detach().clone().requires_grad_(requires_grad)
        self.inputs.append(leaf)
        return Ref("in", len(self.inputs) - 1)

    def value(self, ref):
        return self.inputs[ref.index] if ref.kind == "in" else self.results[ref.index]

    def op(self, name, *args, **attrs):
        """Runs `name` in PyTorch and records it; returns its Ref (a list of Refs for split)."""
        out = TORCH_OPS[name]([self.value(r) for r in args], attrs)
        outs = out if isinstance(out, list) else [out]
        refs = []
        for t in outs:
            self.results.append(t)
            refs.append(Ref("step", len(self.results) - 1))
        self.steps.append((name, list(args), attrs, refs))
        self.output = refs[-1]
        return refs if isinstance(out, list) else refs[0]

    def request(self, grad_output):
        """The driver's JSON case; value numbering is the inputs, then the step results."""
        number = lambda r: r.index if r.kind == "in" else len(self.inputs) + r.index
        case = {
            "inputs": [dict(encode(t), requires_grad=t.requires_grad) for t in self.inputs],
            "program": [{"op": op, "args": [number(r) for r in args], "attrs": _attrs_to_json(attrs)}
                        for op, args, attrs, _ in self.steps],
        }
        if grad_output is not None:
            case["grad_output"] = encode(grad_output)
        return case

    def float_dtypes(self):
        values = self.inputs + self.results
        return {t.dtype for t in values if t.dtype.is_floating_point}

    def describe(self):
        """The program as text: its inputs, then one line per step with the result shapes."""
        lines = [f"program {self.name}:"]
        for i, t in enumerate(self.inputs):
            grad = ", requires_grad" if t.requires_grad else ""
            lines.append(f"  in{i} = input {list(t.shape)} {DTYPE_NAMES[t.dtype]}{grad}")
        for op, args, attrs, refs in self.steps:
            shapes = ", ".join(f"{r} {list(self.value(r).shape)}" for r in refs)
            attr_text = ", ".join(f"{k}={v}" for k, v in attrs.items())
            lines.append(f"  {shapes} = {op}({', '.join(map(str, args))}{'; ' if attrs else ''}{attr_text})")
        return "\n".join(lines)


# ---- encoding ---------------------------------------------------------------------------------

def _number_to_json(v):
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def _attrs_to_json(attrs):
    return {k: _number_to_json(v) if isinstance(v, float) else v for k, v in attrs.items()}


def _number_from_json(v):
    return float(v) if isinstance(v, str) else v


def encode(t):
    """A tensor as {shape, dtype, data}; float32 widens to double exactly, and json writes
    doubles with repr, which reads back to the same double."""
    data = t.detach().flatten().tolist()
    if t.dtype.is_floating_point:
        data = [_number_to_json(v) for v in data]
    elif t.dtype == torch.bool:
        data = [int(v) for v in data]
    return {"shape": list(t.shape), "dtype": DTYPE_NAMES[t.dtype], "data": data}


def decode(j):
    data = [_number_from_json(v) for v in j["data"]]
    return torch.tensor(data, dtype=torch.float64).reshape(j["shape"]), DTYPES[j["dtype"]]


# ---- comparing --------------------------------------------------------------------------------

def allowance(want, tol):
    """The largest |qkv - PyTorch| accepted per element: tol * max(1, |want|).

    Relative for values above 1, absolute below: the inputs are O(1), so an element that is
    small because O(1) terms cancelled carries an absolute error of O(eps), which a purely
    relative test would misjudge. (Case widens it for float32 where PyTorch's own answer is
    measurably inexact.)"""
    return tol * want.detach().to(torch.float64).abs().clamp(min=1.0)


def compare(label, got_json, want, allowed):
    """(message or None, worst |got - want| / allowed) for qkv's `got_json` against PyTorch's
    `want`. Shapes, dtypes and whether a gradient exists must match; non-finite values must
    match exactly (the ratio is then 0, or inf if they differ)."""
    if want is None or got_json is None:
        if want is None and got_json is None:
            return None, 0.0
        return (f"{label}: qkv gives {'no gradient' if got_json is None else 'a gradient'}, "
                f"PyTorch {'none' if want is None else 'one'}"), math.inf
    got, got_dtype = decode(got_json)
    if got_dtype != want.dtype or got.shape != want.shape:
        return (f"{label}: qkv gives {list(got.shape)} {DTYPE_NAMES[got_dtype]}, "
                f"PyTorch {list(want.shape)} {DTYPE_NAMES[want.dtype]}"), math.inf
    want = want.detach().to(torch.float64)
    same = (got == want) | (torch.isnan(got) & torch.isnan(want))
    ratio = torch.where(torch.isfinite(want), (got - want).abs() / allowed, torch.where(same, 0.0, math.inf))
    ratio = torch.nan_to_num(ratio, nan=math.inf)  # qkv NaN where PyTorch is finite
    worst = ratio.max().item() if ratio.numel() else 0.0
    if worst <= 1.0:
        return None, worst
    flat = int(ratio.flatten().argmax())
    return (f"{label}: worst element {_unravel(flat, want.shape)}: qkv {got.flatten()[flat].item()!r}, "
            f"PyTorch {want.flatten()[flat].item()!r}, allowed difference "
            f"{allowed.flatten()[flat].item():.3g} ({int((ratio > 1).sum())} of {ratio.numel()} elements off)"), worst


def _unravel(flat, shape):
    """The multi-index of row-major position `flat` in `shape`."""
    index = []
    for size in reversed(shape):
        index.append(flat % size)
        flat //= size
    return index[::-1]


# ---- running ----------------------------------------------------------------------------------

def replay_in_float64(program, grad_output):
    """The program's output and input gradients computed by PyTorch entirely in float64
    (to_dtype between floats becomes a no-op): near-exact values against which PyTorch's own
    float32 rounding error can be measured."""
    def widen(t):
        return t.detach().to(torch.float64) if t.dtype.is_floating_point else t.detach()

    inputs = [widen(t).requires_grad_(t.requires_grad) for t in program.inputs]
    results = []
    for name, args, attrs, _ in program.steps:
        a = [inputs[r.index] if r.kind == "in" else results[r.index] for r in args]
        float_cast = name == "to_dtype" and DTYPES[attrs["dtype"]].is_floating_point
        out = a[0] if float_cast else TORCH_OPS[name](a, attrs)
        results.extend(out if isinstance(out, list) else [out])
    output = inputs[program.output.index] if program.output.kind == "in" else results[program.output.index]
    if output.requires_grad:
        output.backward(torch.ones_like(output) if grad_output is None else widen(grad_output))
    return output.detach(), [t.grad if t.requires_grad else None for t in inputs]


class Case:
    """A finished program, its output gradient, the PyTorch reference and the allowed errors.

    float64 programs: |qkv - PyTorch| <= 1e-10 * max(1, |PyTorch|) per element.
    Programs touching float32: 1e-5 * max(1, |PyTorch|), plus twice PyTorch's own error against
    a float64 replay (capped at 10x the base allowance). Ill-conditioned steps (say a softmax
    backward cancelling terms of size 30) make both libraries' float32 answers legitimately
    differ by more than 1e-5; an implementation is held to the accuracy PyTorch itself reaches."""

    SLACK_CAP = 10

    def __init__(self, program, grad_output=None):
        self.program = program
        self.grad_output = grad_output
        output = program.value(program.output)
        if output.requires_grad:
            output.backward(torch.ones_like(output) if grad_output is None else grad_output)
        self.want_output = output.detach()
        self.want_grads = [t.grad if t.requires_grad else None for t in program.inputs]
        self.float32 = torch.float32 in program.float_dtypes()
        self.tol = TOLERANCE[torch.float32 if self.float32 else torch.float64]
        wants = [self.want_output] + self.want_grads
        if self.float32:
            exact_output, exact_grads = replay_in_float64(program, grad_output)
            self.allowed = [None if w is None else self._float32_allowance(w, e)
                            for w, e in zip(wants, [exact_output] + exact_grads)]
        else:
            self.allowed = [None if w is None else allowance(w, self.tol) for w in wants]

    def _float32_allowance(self, want, exact):
        base = allowance(want, self.tol)
        if exact is None or exact.shape != want.shape:
            return base
        own_error = (want.detach().to(torch.float64) - exact).abs()
        own_error = torch.where(torch.isfinite(own_error), own_error, torch.zeros(()))
        return base + torch.minimum(2 * own_error, self.SLACK_CAP * base)

    def check(self, reply):
        """(mismatch messages, worst |qkv - PyTorch| / allowed over all compared tensors)."""
        labels = ["output"] + [f"grad of in{i}" for i in range(len(self.want_grads))]
        gots = [reply["output"]] + reply["grads"]
        wants = [self.want_output] + self.want_grads
        results = [compare(label, g, w, a) for label, g, w, a in zip(labels, gots, wants, self.allowed)]
        return [m for m, _ in results if m], max(r for _, r in results)


def run_suite(title, driver, cases, verbose=False, dump=None):
    """Runs every case through the driver (one batch) and compares; returns the failure count.

    If the batch fails (a qkv exception or an unsupported op), each case is rerun alone so the
    error is pinned to its program and the other cases are still checked. `dump` names a file
    to save the batch request in, to replay it by hand: parity_driver < file."""
    request = {"cases": [c.program.request(c.grad_output) for c in cases]}
    if dump:
        with open(dump, "w") as f:
            json.dump(request, f, allow_nan=False)
    reply, error = run_driver(driver, request)
    if reply is not None:
        replies = [(r, None) for r in reply["results"]]
    else:
        print(f"{title}: the batch failed ({error}); rerunning the cases one by one")
        replies = [run_driver(driver, c.program.request(c.grad_output)) for c in cases]

    def outcome(case, r, err):
        problems, ratio = ([f"driver failed: {err}"], math.inf) if r is None else case.check(r)
        return case.program.describe(), "float32" if case.float32 else "float64", problems, ratio

    outcomes = [outcome(case, r, err) for case, (r, err) in zip(cases, replies)]
    return report(title, outcomes, lambda dtype: TOLERANCE[DTYPES[dtype]], verbose)
