"""driver_process.py — runs a parity driver: a C++ program that reads one JSON request on stdin
and writes one JSON reply on stdout (parity_driver, mha_driver, optim_driver, rnn_parity_driver;
their shared conventions are in driver_json.h). No torch here, so any parity script can use it."""
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
