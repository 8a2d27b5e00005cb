#!/usr/bin/python3
"""optim_parity.py — qkv's optimizers and learning-rate schedules against torch.optim.

For each optimizer configuration (SGD plain, with momentum, dampening, Nesterov and weight
decay; Adam with and without weight decay; AdamW; Adam with a changing learning rate and
gradient clipping) and each dtype (float32, float64), this builds three parameters and a fixed
sequence of 10 gradients per parameter from a seed, runs torch.optim and qkv (through the
optim_driver program, JSON on stdin/stdout) on exactly the same numbers, and compares the
parameters after every one of the 10 steps. One parameter has no gradient on two of the steps,
so skipping (and, for Adam, per-parameter step counts) is checked too. The schedules are
compared with torch.optim.lr_scheduler: LambdaLR for the inverse-square-root schedules,
CosineAnnealingLR, SequentialLR(LinearLR, CosineAnnealingLR) for cosine with warmup, StepLR.

Tolerances, |qkv - torch| <= atol + rtol·|torch| elementwise:
  float32  rtol = atol = 1e-6. float32 rounds at 2^-24 ≈ 6e-8 relative; qkv and torch evaluate
           the same formulas but may round differently (torch's vectorised kernels fuse
           multiply-adds, the clip norm is summed in float32 by torch and in double by qkv), so
           each step may differ by a few ulps of the parameter, and 10 steps accumulate that to
           well under 1e-6 of the O(1) parameters; atol covers elements close to zero.
  float64  rtol = atol = 1e-12: the same rounding argument at 2^-53, and tight enough to catch
           formula differences float32 hides: with Adam's eps changed by half, or SGD's lr by
           1e-9, every float64 case fails by hundreds of tolerances while float32 still passes.
  schedules rtol = 1e-12, atol = 1e-15 (torch computes some of them recursively).

Exits non-zero if any comparison fails, if torch cannot be imported, or if the driver fails.
Usage: /usr/bin/python3 optim_parity.py --driver path/to/optim_driver
"""

import argparse
import math
import sys
import warnings

from driver_process import run_driver_or_exit

try:
    import torch
except ImportError as e:  # never skip: a missing reference is a failure
    print(f"optim parity: cannot import torch ({e}); run with Debian's /usr/bin/python3 and python3-torch",
          file=sys.stderr)
    sys.exit(1)

STEPS = 10
SHAPES = [[4, 5], [7], [2, 3, 3]]
# Gradient scale at each step: tiny gradients make Adam's eps matter, large ones make clipping act.
GRAD_SCALES = [1.0, 0.5, 2.0, 1e-3, 1.0, 3.0, 0.1, 1.0, 1e-4, 0.7]
# (step, parameter) pairs that get no gradient.
MISSING = {(3, 1), (7, 1)}
TOLERANCES = {"float32": (1e-6, 1e-6), "float64": (1e-12, 1e-12)}

# name -> (torch optimizer class name, options as qkv names them, extra per-step settings)
CONFIGS = {
    "sgd_plain": ("SGD", {"lr": 0.1}, {}),
    "sgd_momentum": ("SGD", {"lr": 0.05, "momentum": 0.9}, {}),
    "sgd_dampening": ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3}, {}),
    "sgd_nesterov": ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}, {}),
    "sgd_weight_decay": ("SGD", {"lr": 0.05, "momentum": 0.5, "weight_decay": 0.1}, {}),
    "adam": ("Adam", {"lr": 0.01}, {}),
    "adam_weight_decay": ("Adam", {"lr": 0.01, "beta1": 0.8, "beta2": 0.98, "eps": 1e-9, "weight_decay": 0.1}, {}),
    "adamw": ("AdamW", {"lr": 0.01, "weight_decay": 0.1}, {}),
    "adam_lr_changes_and_clipping": ("Adam", {"lr": 0.0}, {"lr": True, "clip": 1.5}),
}


def torch_options(kind, options):
    """qkv's option names -> torch's (betas is a pair there)."""
    out = {k: v for k, v in options.items() if k not in ("beta1", "beta2")}
    if kind != "SGD":
        out["betas"] = (options.get("beta1", 0.9), options.get("beta2", 0.999))
    out["foreach"] = False  # the single-tensor reference implementation
    return out


def step_lr_value(step):
    """A changing learning rate for the lr test: the Transformer schedule, scaled up."""
    n = step + 1
    return 2.0 * 16 ** -0.5 * min(n ** -0.5, n * 4 ** -1.5)


def make_case(name, kind, options, extra, dtype, seed):
    gen = torch.Generator().manual_seed(seed)
    tdtype = getattr(torch, dtype)
    params = [torch.randn(shape, generator=gen, dtype=torch.float64).to(tdtype) for shape in SHAPES]
    steps = []
    for k in range(STEPS):
        grads = []
        for i, shape in enumerate(SHAPES):
            g = (torch.randn(shape, generator=gen, dtype=torch.float64) * GRAD_SCALES[k]).to(tdtype)
            grads.append(None if (k, i) in MISSING else g)
        step = {"grads": grads}
        if extra.get("lr"):
            step["lr"] = step_lr_value(k)
        if "clip" in extra:
            step["clip"] = extra["clip"]
        steps.append(step)
    return {"name": f"{name}/{dtype}", "optimizer": kind, "options": options, "dtype": dtype,
            "params": params, "steps": steps}


def run_torch(case):
    params = [p.clone().requires_grad_() for p in case["params"]]
    opt = getattr(torch.optim, case["optimizer"])(params, **torch_options(case["optimizer"], case["options"]))
    trajectory, norms = [], []
    for step in case["steps"]:
        opt.zero_grad(set_to_none=True)
        for p, g in zip(params, step["grads"]):
            p.grad = None if g is None else g.clone()
        if "lr" in step:
            for group in opt.param_groups:
                group["lr"] = step["lr"]
        norms.append(float(torch.nn.utils.clip_grad_norm_(params, step["clip"])) if "clip" in step else None)
        opt.step()
        trajectory.append([p.detach().clone() for p in params])
    return trajectory, norms


def to_request(case):
    def data(t):
        return None if t is None else t.to(torch.float64).flatten().tolist()  # exact: float32 ⊂ float64
    return {"name": case["name"], "optimizer": case["optimizer"], "options": case["options"],
            "dtype": case["dtype"],
            "params": [{"shape": list(p.shape), "data": data(p)} for p in case["params"]],
            "steps": [{**{k: v for k, v in s.items() if k != "grads"}, "grads": [data(g) for g in s["grads"]]}
                      for s in case["steps"]]}


def worst_error(got, want, rtol, atol):
    """(largest |got-want| / (atol + rtol·|want|), index) over the elements; > 1 means a mismatch."""
    worst, where = 0.0, None
    for j, (a, b) in enumerate(zip(got, want)):
        ratio = abs(a - b) / (atol + rtol * abs(b)) if math.isfinite(a) and math.isfinite(b) else (
            0.0 if a == b or (math.isnan(a) and math.isnan(b)) else math.inf)
        if ratio > worst:
            worst, where = ratio, j
    return worst, where


SCHEDULE_STEPS = 120


def torch_schedule_lrs(make_scheduler, base_lr, steps):
    """The lr torch uses for updates 0..steps-1 (the scheduler's value at last_epoch = k)."""
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=base_lr)
    scheduler = make_scheduler(opt)
    lrs = []
    for _ in range(steps):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        scheduler.step()
    return lrs


def schedule_cases():
    S = torch.optim.lr_scheduler
    d_model, warmup = 512, 40
    return [
        ("inverse_sqrt_lr (LambdaLR)", "inverse_sqrt_lr", {"d_model": d_model, "warmup_steps": warmup, "factor": 2.0},
         lambda o: S.LambdaLR(o, lambda k: d_model ** -0.5 * min((k + 1) ** -0.5, (k + 1) * warmup ** -1.5)), 2.0),
        ("warmup_inverse_sqrt_lr (LambdaLR)", "warmup_inverse_sqrt_lr", {"peak_lr": 1e-3, "warmup_steps": warmup},
         lambda o: S.LambdaLR(o, lambda k: min((k + 1) / warmup, math.sqrt(warmup / (k + 1)))), 1e-3),
        ("cosine_lr (CosineAnnealingLR)", "cosine_lr", {"peak_lr": 0.1, "total_steps": 100, "min_lr": 1e-4},
         lambda o: S.CosineAnnealingLR(o, T_max=100, eta_min=1e-4), 0.1),
        ("cosine_lr with warmup (SequentialLR of LinearLR, CosineAnnealingLR)", "cosine_lr",
         {"peak_lr": 0.1, "total_steps": 100, "warmup_steps": 10, "min_lr": 1e-4},
         lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=1 / 10, end_factor=1.0, total_iters=9),
                                      S.CosineAnnealingLR(o, T_max=90, eta_min=1e-4)], milestones=[10]), 0.1),
        ("step_lr (StepLR)", "step_lr", {"lr": 0.1, "step_size": 7, "gamma": 0.5},
         lambda o: S.StepLR(o, step_size=7, gamma=0.5), 0.1),
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--driver", required=True, help="path to the optim_driver executable")
    args = parser.parse_args()
    torch.set_num_threads(1)
    # SequentialLR steps its schedulers with an explicit epoch, which torch 1.13 warns about.
    warnings.filterwarnings("ignore", category=UserWarning, module="torch.optim.lr_scheduler")

    cases = []
    for seed, (name, (kind, options, extra)) in enumerate(CONFIGS.items()):
        for dtype in ("float32", "float64"):
            cases.append(make_case(name, kind, options, extra, dtype, seed))
    # CosineAnnealingLR is compared only up to T_max (qkv holds the minimum afterwards).
    schedules = [(name, kind, sargs, make, base, 101 if kind == "cosine_lr" else SCHEDULE_STEPS)
                 for name, kind, sargs, make, base in schedule_cases()]

    request = {"optimizers": [to_request(c) for c in cases],
               "schedules": [{"name": n, "kind": k, "args": a, "steps": s} for n, k, a, _, _, s in schedules]}
    reply = run_driver_or_exit("optim parity", args.driver, request)

    passed, failed = 0, 0

    def report(ok, name, detail):
        nonlocal passed, failed
        passed, failed = passed + ok, failed + (not ok)
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}")

    for case, got in zip(cases, reply["optimizers"]):
        rtol, atol = TOLERANCES[case["dtype"]]
        want, want_norms = run_torch(case)
        worst, problem = 0.0, None
        for k in range(STEPS):
            for i in range(len(SHAPES)):
                ratio, j = worst_error(got["params"][k][i], want[k][i].to(torch.float64).flatten().tolist(), rtol, atol)
                if ratio > worst:
                    worst = ratio
                    if ratio > 1 and problem is None:
                        problem = (f"step {k + 1}, parameter {i}, element {j}: qkv {got['params'][k][i][j]!r}, "
                                   f"torch {want[k][i].flatten()[j].item()!r}")
            if want_norms[k] is not None:
                ratio, _ = worst_error([got["norms"][k]], [want_norms[k]], rtol, atol)
                worst = max(worst, ratio)
                if ratio > 1 and problem is None:
                    problem = f"step {k + 1}: clip_grad_norm_ returned {got['norms'][k]!r}, torch {want_norms[k]!r}"
        detail = f"{STEPS} steps, worst error {worst:.2g} of tolerance (rtol {rtol:g}, atol {atol:g})"
        report(worst <= 1, case["name"], detail if problem is None else f"{problem}; {detail}")

    for (name, _, _, make, base, steps), got in zip(schedules, reply["schedules"]):
        want = torch_schedule_lrs(make, base, steps)
        worst, j = worst_error(got["lrs"], want, 1e-12, 1e-15)
        detail = f"steps 0..{steps - 1}, worst error {worst:.2g} of tolerance"
        if worst > 1:
            detail = f"step {j}: qkv {got['lrs'][j]!r}, torch {want[j]!r}; {detail}"
        report(worst <= 1, name, detail)

    print(f"optim parity: {passed} passed, {failed} failed")
    sys.exit(0 if failed == 0 and passed > 0 else 1)


if __name__ == "__main__":
    main()
