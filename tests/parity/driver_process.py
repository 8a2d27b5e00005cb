"""driver_process.py — runs a parity driver: a C++ program that reads one JSON request on stdin
and writes one JSON reply on stdout (parity_driver, mha_driver, optim_driver, rnn_parity_driver;
their shared conventions are in driver_json.h), and reports the checked cases. No torch here, so
any parity script can use it."""
import json
import subprocess
import sys


def run_driver(driver, request):
    """(reply, None) when the driver succeeds, else (None, its stderr or its exit status)."""
    proc = subprocess.run([driver], input=json.dumps(request, allow_nan=False), capture_output=True, text=True)
    if proc.returncode != 0:
        return None, proc.stderr.strip() or f"exit status {proc.returncode}"
    return json.loads(proc.stdout), None


def run_driver_or_exit(title, driver, request):
    """The driver's reply; if the driver fails, exits with "<title>: the driver failed: <why>"."""
    reply, error = run_driver(driver, request)
    if reply is None:
        sys.exit(f"{title}: the driver failed: {error}")
    return reply


def report(title, outcomes, tolerance, verbose=False):
    """Prints FAIL and the problems of each failing case (and ok for the others when verbose),
    then per dtype the largest difference as a fraction of the allowed one, and the totals;
    returns the number of failed cases. outcomes: (case name, dtype name, problems, worst
    |qkv - torch| / allowed) per case; tolerance(dtype name) is the base tolerance, for the report."""
    outcomes = list(outcomes)
    failed, worst = 0, {}
    for name, dtype, problems, ratio in outcomes:
        if problems:
            failed += 1
            print(f"FAIL {name}")
            for p in problems:
                print(f"    {p}")
        else:
            worst[dtype] = max(worst.get(dtype, 0.0), ratio)
            if verbose:
                print(f"ok   {name} (worst {ratio:.2g} of the allowed)")
    for dtype, value in sorted(worst.items()):
        print(f"{title}: largest {dtype} difference is {value:.2g} of the allowed (tol {tolerance(dtype):g})")
    print(f"{title}: {len(outcomes) - failed} passed, {failed} failed")
    return failed
