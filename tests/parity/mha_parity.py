#!/usr/bin/python3
"""MultiHeadAttention parity: qkv's MultiHeadAttention against torch.nn.MultiheadAttention.

Same weights and inputs, batch_first=True, dropout 0, average_attn_weights=False. Compared: the
output, the per-head attention weights (composed path, need_weights) and the gradient of every
parameter and every input, for
  (a) self-attention with a causal mask,
  (b) self-attention with a key padding mask,
  (c) both together,
  (d) encoder-decoder attention with kdim, vdim != embed_dim (torch then has q_proj_weight,
      k_proj_weight, v_proj_weight instead of in_proj_weight) and key padding,
  (e) a causal mask passed as an explicit tensor, and cross attention with a causal mask,
each through the composed path (need_weights) and the fused kernel (no weights), in float64 at
1e-10 (relative above 1, absolute below) and a few in float32.

Mask conventions differ and are translated explicitly here: torch's bool attn_mask means
True = may NOT attend; qkv's AttentionMask::allowing means True = may attend (so qkv gets
~blocked). Key padding means True = padding in both (torch's key_padding_mask, qkv's
AttentionMask::key_padding).

The last case is PyTorch issue #41508: with a left-padded sequence and a causal mask, query 0
may only attend to key 0, which is padding, so its row has no allowed key. torch 1.13 returns
NaN for that row and NaN gradients; qkv returns zero attention (the row's output is the output
projection's bias) and finite gradients. The case asserts both facts, and that the other rows
agree with torch.

Run by ctest as mha_parity; exits non-zero on any mismatch or if torch cannot be imported.
"""
import argparse
import copy
import sys

from driver_process import report, run_driver_or_exit
from parity_harness import DTYPE_NAMES, DTYPES, TOLERANCE, allowance, compare, encode, torch


def randn(gen, shape, dtype, scale=1.0):
    return (scale * torch.randn(shape, generator=gen, dtype=torch.float64)).to(dtype)


def causal_allowed(tq, tk):
    """qkv's causal rule as a tensor, True = may attend: key j <= i + (Tk - Tq)."""
    i = torch.arange(tq).unsqueeze(1)
    j = torch.arange(tk).unsqueeze(0)
    return j <= i + (tk - tq)


def padding(batch, tk, pad, left=False):
    """(B, Tk) bool, True = padding: pad[b] positions at the end (or the start) of row b."""
    is_pad = torch.zeros(batch, tk, dtype=torch.bool)
    for b, n in enumerate(pad):
        if n:
            if left:
                is_pad[b, :n] = True
            else:
                is_pad[b, tk - n:] = True
    return is_pad


class Spec:
    """One case: sizes, which masks, which path, dtype."""

    def __init__(self, name, B=2, Tq=5, Tk=None, E=8, H=2, kdim=None, vdim=None, causal=False, causal_tensor=False,
                 pad=None, left_pad=False, need_weights=True, dtype=torch.float64, nan_row_case=False):
        self.name, self.B, self.Tq, self.E, self.H = name, B, Tq, E, H
        self.self_attn = Tk is None and kdim is None and vdim is None
        self.Tk = Tq if Tk is None else Tk
        self.kdim, self.vdim = kdim or E, vdim or E
        self.causal, self.causal_tensor, self.pad, self.left_pad = causal, causal_tensor, pad, left_pad
        self.need_weights, self.dtype, self.nan_row_case = need_weights, dtype, nan_row_case


def build(spec, gen):
    """The torch module, inputs, masks (both conventions) and output gradients for one case."""
    dtype = spec.dtype
    mha = torch.nn.MultiheadAttention(spec.E, spec.H, dropout=0.0, bias=True, batch_first=True, kdim=spec.kdim,
                                      vdim=spec.vdim, dtype=dtype)
    with torch.no_grad():  # random weights AND biases, so every bias gradient is exercised
        for p in mha.parameters():
            p.copy_(randn(gen, tuple(p.shape), dtype, 0.5))
    query = randn(gen, (spec.B, spec.Tq, spec.E), dtype)
    key = query if spec.self_attn else randn(gen, (spec.B, spec.Tk, spec.kdim), dtype)
    value = query if spec.self_attn else randn(gen, (spec.B, spec.Tk, spec.vdim), dtype)

    allowed = causal_allowed(spec.Tq, spec.Tk) if spec.causal else None  # qkv: True = may attend
    key_is_pad = padding(spec.B, spec.Tk, spec.pad, spec.left_pad) if spec.pad else None  # True = pad
    torch_masks = {
        # torch's attn_mask: True = may NOT attend — the negation of qkv's allowed.
        "attn_mask": None if allowed is None else ~allowed,
        # torch's key_padding_mask: True = padding — the same meaning as qkv's key_is_pad.
        "key_padding_mask": key_is_pad,
    }
    qkv_masks = {}
    if spec.causal and spec.causal_tensor:
        qkv_masks["allowed"] = allowed
    if key_is_pad is not None:
        qkv_masks["key_is_pad"] = key_is_pad
    grad_output = randn(gen, (spec.B, spec.Tq, spec.E), dtype)
    grad_weights = randn(gen, (spec.B, spec.H, spec.Tq, spec.Tk), dtype)
    return mha, (query, key, value), torch_masks, qkv_masks, grad_output, grad_weights


def qkv_parameters(mha, spec, source):
    """torch's parameters (source = lambda p: p or p.grad) under qkv's names: the packed
    in_proj_weight (3E, E), or q/k/v_proj_weight when kdim or vdim differs, split into q/k/v."""
    E = spec.E
    out = {}
    if mha._qkv_same_embed_dim:
        w = source(mha.in_proj_weight)
        weights = [w[:E], w[E:2 * E], w[2 * E:]]
    else:
        weights = [source(mha.q_proj_weight), source(mha.k_proj_weight), source(mha.v_proj_weight)]
    b = source(mha.in_proj_bias)
    for name, wi, bi in zip(["q_proj", "k_proj", "v_proj"], weights, [b[:E], b[E:2 * E], b[2 * E:]]):
        out[f"{name}.weight"], out[f"{name}.bias"] = wi, bi
    out["out_proj.weight"], out["out_proj.bias"] = source(mha.out_proj.weight), source(mha.out_proj.bias)
    return out


def run_torch(spec, mha, inputs, torch_masks, grad_output, grad_weights):
    """torch's output, weights (or None) and gradients (qkv's names, plus query/key/value)."""
    mha.zero_grad(set_to_none=True)
    leaves = [t.detach().clone().requires_grad_(True) for t in (inputs[:1] if spec.self_attn else inputs)]
    q, k, v = (leaves[0],) * 3 if spec.self_attn else leaves
    out, weights = mha(q, k, v, need_weights=spec.need_weights, average_attn_weights=False, **torch_masks)
    loss = (out * grad_output).sum()
    if spec.need_weights:
        loss = loss + (weights * grad_weights).sum()
    loss.backward()
    grads = qkv_parameters(mha, spec, lambda p: p.grad.detach().clone())
    grads["query"] = leaves[0].grad
    if not spec.self_attn:
        grads["key"], grads["value"] = leaves[1].grad, leaves[2].grad
    return out.detach(), (weights.detach() if spec.need_weights else None), grads


def request(spec, mha, inputs, qkv_masks, grad_output, grad_weights, fused):
    case = {
        "dtype": str(spec.dtype).replace("torch.", ""),
        "embed_dim": spec.E, "num_heads": spec.H, "kdim": spec.kdim, "vdim": spec.vdim,
        "fused": fused, "need_weights": spec.need_weights, "self": spec.self_attn,
        "query": encode(inputs[0]),
        "params": {n: encode(p) for n, p in qkv_parameters(mha, spec, lambda p: p).items()},
        "causal": spec.causal and not spec.causal_tensor,
        "grad_output": encode(grad_output),
    }
    if not spec.self_attn:
        case["key"], case["value"] = encode(inputs[1]), encode(inputs[2])
    for name, mask in qkv_masks.items():
        case[name] = encode(mask)
    if spec.need_weights:
        case["grad_weights"] = encode(grad_weights)
    return case


def float32_allowance(want, exact, tol):
    """1e-5·max(1, |torch|) plus twice torch's own float32 error against float64 (capped at
    10x the base), as parity_harness.Case does for float32 programs."""
    base = allowance(want, tol)
    own = (want.to(torch.float64) - exact).abs()
    return base + torch.minimum(2 * own, 10 * base)


def check_case(spec, reply, want, exact):
    """Mismatch messages and the worst |qkv - torch| / allowed."""
    out, weights, grads = want
    problems, worst = [], 0.0
    pairs = [("output", reply["output"], out), ("weights", reply["weights"], weights)]
    pairs += [(f"grad of {n}", reply["grads"].get(n), g) for n, g in grads.items()]
    if set(reply["grads"]) != set(grads):
        problems.append(f"gradient names: qkv {sorted(reply['grads'])}, torch {sorted(grads)}")
    exact_map = None
    if exact is not None:
        e_out, e_weights, e_grads = exact
        exact_map = {"output": e_out, "weights": e_weights, **{f"grad of {n}": g for n, g in e_grads.items()}}
    for label, got, w in pairs:
        if w is None:
            allowed = None
        elif exact_map is None:
            allowed = allowance(w, TOLERANCE[spec.dtype])
        else:
            allowed = float32_allowance(w, exact_map[label], TOLERANCE[spec.dtype])
        message, ratio = compare(label, got, w, allowed)
        worst = max(worst, ratio)
        if message:
            problems.append(message)
    return problems, worst


def specs():
    out = []
    for dtype in [torch.float64, torch.float32]:
        d = "float64" if dtype == torch.float64 else "float32"
        for need_weights in [True, False]:
            path = "composed" if need_weights else "fused"
            tag = f"{path} {d}"
            out += [
                Spec(f"(a) self causal {tag}", causal=True, need_weights=need_weights, dtype=dtype),
                Spec(f"(b) self key padding {tag}", pad=[0, 2], need_weights=need_weights, dtype=dtype),
                Spec(f"(c) self causal + key padding {tag}", B=3, Tq=6, E=12, H=3, causal=True, pad=[0, 2, 4],
                     need_weights=need_weights, dtype=dtype),
                Spec(f"(d) cross kdim=5 vdim=7 key padding {tag}", Tq=4, Tk=6, kdim=5, vdim=7, pad=[0, 3],
                     need_weights=need_weights, dtype=dtype),
            ]
            if dtype == torch.float64:
                out += [
                    Spec(f"(e) self causal as an explicit tensor {tag}", causal=True, causal_tensor=True,
                         need_weights=need_weights, dtype=dtype),
                    Spec(f"(e) cross causal Tq=3 Tk=5 + key padding {tag}", Tq=3, Tk=5, kdim=8, vdim=6, causal=True,
                         pad=[1, 0], need_weights=need_weights, dtype=dtype),
                ]
    return out


def check_issue_41508(driver, gen):
    """torch gives NaN for a query row with no allowed key (causal + left padding); qkv stays
    finite: zero weights for that row, output = out_proj.bias, finite gradients everywhere."""
    failures = []
    for need_weights in [True, False]:
        spec = Spec(f"#41508 left padding + causal {'composed' if need_weights else 'fused'}", B=2, Tq=5, causal=True,
                    pad=[2, 0], left_pad=True, need_weights=need_weights)
        mha, inputs, torch_masks, qkv_masks, g_out, g_w = build(spec, gen)
        t_out, t_weights, t_grads = run_torch(spec, mha, inputs, torch_masks, g_out, g_w)
        case = request(spec, mha, inputs, qkv_masks, g_out, g_w, fused=True)
        reply = run_driver_or_exit("mha parity", driver, {"cases": [case]})["results"][0]
        q_out = torch.tensor([float(v) for v in reply["output"]["data"]], dtype=torch.float64).reshape(t_out.shape)
        q_grads = {n: torch.tensor([float(v) for v in g["data"]]) for n, g in reply["grads"].items()}

        # Batch 0 is left-padded by 2, so queries 0 and 1 (keys 0..i under the causal mask) see
        # only padding: rows [0, 0:2] are the fully masked ones.
        masked = torch.zeros(spec.B, spec.Tq, dtype=torch.bool)
        masked[0, :2] = True
        # torch: exactly those rows are NaN, and NaN reaches the gradients.
        t_nan_rows = torch.isnan(t_out).any(dim=-1)
        if not torch.equal(t_nan_rows, masked) or not torch.isnan(t_out[masked]).all():
            failures.append(f"{spec.name}: expected torch 1.13 to give NaN exactly in the fully masked rows, "
                            f"NaN rows are {t_nan_rows.tolist()}")
        if not any(torch.isnan(g).any() for g in t_grads.values()):
            failures.append(f"{spec.name}: expected NaN in torch's gradients")
        # qkv: finite everywhere; the rows' attention is zero, so their output is out_proj's bias.
        if not torch.isfinite(q_out).all():
            failures.append(f"{spec.name}: qkv output is not finite")
        bias = mha.out_proj.bias.detach().to(torch.float64)
        for row in q_out[masked]:
            if not torch.equal(row, bias):
                failures.append(f"{spec.name}: qkv's masked row is {row}, expected out_proj.bias {bias}")
        for n, g in q_grads.items():
            if not torch.isfinite(g).all():
                failures.append(f"{spec.name}: qkv's gradient of {n} is not finite")
        # Those positions take part in no allowed (query, key) pair: their input gradient is zero.
        if not (q_grads["query"].reshape(t_out.shape)[masked] == 0).all():
            failures.append(f"{spec.name}: qkv's input gradient at the fully masked positions is not zero")
        if need_weights:
            w = torch.tensor([float(v) for v in reply["weights"]["data"]]).reshape(t_weights.shape)
            if not (w.transpose(1, 2)[masked] == 0).all():
                failures.append(f"{spec.name}: qkv's weights for the masked rows are not zero")
            if not torch.isnan(t_weights.transpose(1, 2)[masked]).all():
                failures.append(f"{spec.name}: expected torch's weights for the masked rows to be NaN")
        # Every other row has an allowed key: there the two agree.
        diff = (q_out[~masked] - t_out[~masked]).abs().max().item()
        if diff > 1e-10:
            failures.append(f"{spec.name}: the rows torch computes differ from qkv by {diff:g}")
        print(f"{'FAIL' if failures else 'ok  '} {spec.name}: torch gives NaN rows and gradients, qkv finite "
              f"(the other rows agree within {diff:.2g})")
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--driver", required=True, help="path of the mha_driver executable")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(0)

    built, cases = [], []
    for spec in specs():
        mha, inputs, torch_masks, qkv_masks, g_out, g_w = build(spec, gen)
        want = run_torch(spec, mha, inputs, torch_masks, g_out, g_w)
        exact = None
        if spec.dtype == torch.float32:  # torch's own float32 error, from a float64 replay
            widen = lambda t: None if t is None else t.to(torch.float64)
            exact = run_torch(spec, copy.deepcopy(mha).to(torch.float64), [widen(t) for t in inputs], torch_masks,
                              widen(g_out), widen(g_w))
        built.append((spec, want, exact))
        cases.append(request(spec, mha, inputs, qkv_masks, g_out, g_w, fused=True))

    replies = run_driver_or_exit("mha parity", args.driver, {"cases": cases})["results"]
    outcomes = [(spec.name, DTYPE_NAMES[spec.dtype], *check_case(spec, reply, want, exact))
                for (spec, want, exact), reply in zip(built, replies)]
    failed = report("mha parity", outcomes, lambda dtype: TOLERANCE[DTYPES[dtype]], args.verbose)

    issue = check_issue_41508(args.driver, gen)
    for message in issue:
        print(f"FAIL {message}")
    return 1 if failed or issue else 0


if __name__ == "__main__":
    sys.exit(main())
