#!/usr/bin/python3
"""
Benchmark for pam_bkey: checks the speed and memory targets.

  bench/run.py [--build DIR] [--rounds N]

Targets (a missed target prints MISS and makes the exit status 1):
  - token verification (JWKS parse + EdDSA + claims)   < 200 us each
  - bkey-approve overhead beyond the mock's answer delay, loopback,
    median < 500 ms and worst < 1000 ms (issue 2: "under a second")
  - bkey-approve peak resident memory                   < 24 MiB
Wall-clock figures depend on the machine: this is a benchmark, not a test,
and `make check` does not run it.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))
import harness  # noqa: E402

DELAY_MS = 300
TARGETS = {
    "verify_us": 200.0,
    "overhead_median_ms": 500.0,
    "overhead_max_ms": 1000.0,
    "helper_maxrss_mib": 24.0,
}


def verify_bench(build):
    out = subprocess.run([os.path.join(build, "bench", "bench_verify")],
                         capture_output=True, text=True, check=True).stdout
    figures = {}
    for line in out.splitlines():
        name, value, _unit = line.split()
        figures[name] = float(value)
    return figures


def approve_once(h, conf):
    argv = h.cli_argv(["--config", conf, "--did", "did:bkey:bench",
                       "--message", "benchmark", "--json"])
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         stdin=subprocess.DEVNULL, env=h.cli_env())
    _pid, status, usage = os.wait4(p.pid, 0)
    elapsed = (time.monotonic() - t0) * 1000.0
    p.returncode = os.waitstatus_to_exitcode(status)
    out = p.stdout.read().decode()
    p.stdout.close()
    p.stderr.close()
    if p.returncode != 0 or '"approved"' not in out:
        raise SystemExit("bench: approval failed (exit %s): %s"
                         % (p.returncode, out))
    return elapsed - DELAY_MS, usage.ru_maxrss / 1024.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--rounds", type=int, default=10)
    args = ap.parse_args()

    figures = verify_bench(os.path.abspath(args.build))
    rundir = tempfile.mkdtemp(prefix="bkey-bench.")
    h = harness.Harness(args.build, rundir)
    try:
        h.begin("bench")
        conf = h.config()
        overheads, rss = [], []
        for _ in range(args.rounds):
            h.mock.set("did:bkey:bench", outcome="approve",
                       delay_ms=DELAY_MS, interval=0)
            o, r = approve_once(h, conf)
            overheads.append(o)
            rss.append(r)
        h.end()
    finally:
        h.close()
    figures["overhead_median_ms"] = statistics.median(overheads)
    figures["overhead_max_ms"] = max(overheads)
    figures["helper_maxrss_mib"] = max(rss)

    missed = 0
    for name, value in sorted(figures.items()):
        limit = TARGETS.get(name)
        if limit is None:
            print("     %-22s %10.1f" % (name, value))
            continue
        ok = value < limit
        missed += not ok
        print("%s %-22s %10.1f  (target < %g)"
              % ("ok  " if ok else "MISS", name, value, limit))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
