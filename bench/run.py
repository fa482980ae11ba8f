#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""
Benchmark for pam_bkey: measures the cost of an approval on the helper and
on its hosts, against the targets of issue 8.

  bench/run.py [--build DIR] [--rounds N] [--max-concurrency N] [--outage]

Every figure is measured on the process itself: build/bench/bench_launch
runs it under ptrace, reads VmHWM from /proc when it stops at its exit and
takes user+sys CPU from wait4(). The mock is the HTTPS one (keep-alive on),
told to hold every answer ANSWER_MS; it records how long it took to answer
each request (served_ms), so the helper's own overhead is

    wall time - sum(served_ms) - polls * poll interval

Targets (a missed target prints MISS and makes the exit status 1):
  own_overhead_median_ms   <= 20     helper wall time that is ours
  helper_cpu_ms            <= 5      user+sys per approval (median)
  helper_vmhwm_mib         <= 12     peak resident memory (worst)
  pam_host_rss_kib         <= 1024   VmHWM pamtester gains with pam_bkey
  sudo_host_rss_kib        <= 1024   VmHWM sudo_driver gains with the plugin
  tls_handshakes           == 1      per approval (worst)
  concurrent_failed        == 0      of MAX approvals started at once
  cpu_flat_ratio           <= 1.5    CPU per approval at MAX / at 1
  verify_us                <= 200    one token verification
  verify_us_ALG            <= 1000   the same for ES256 RS256 PS256
                           (ES384 <= 3000); jwks_parse_us_ALG beside it
  outage_*_first_over_ms   <= 0      first decision in an outage (closed
                                     port, silent server) minus
                                     connect_timeout + unavailable_after
  outage_closed_port_first_over_budget_ms
                           <= 0      the same minus unavailable_after alone:
                                     a refused connection is retried within
                                     the budget, it has no connect_timeout
  outage_*_open_ms         <= 100    each later one, the breaker open (worst)
--outage measures only the outage figures (a few seconds).
Figures without a target help read the others: startup_* is bkey-approve
--version (exec and loading libcurl, OpenSSL and their 30 libraries),
http_* the same approval over plain http (what TLS adds),
cpu_ms_at_N the mean CPU per approval with N at once.
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
TESTS = os.path.join(os.path.dirname(HERE), "tests")
sys.path.insert(0, TESTS)
sys.path.insert(0, os.path.join(TESTS, "integration"))
import harness  # noqa: E402
import test_pam  # noqa: E402
import test_sudo  # noqa: E402

ANSWER_MS = 10          # every mock answer waits this long
MIN_INTERVAL_MS = 200   # the helper's floor for the poll interval
DID = "did:bkey:bench"
# name: (compare, limit, unit)
TARGETS = {
    "own_overhead_median_ms": ("<=", 20.0, "ms"),
    "helper_cpu_ms": ("<=", 5.0, "ms"),
    "helper_vmhwm_mib": ("<=", 12.0, "MiB"),
    "pam_host_rss_kib": ("<=", 1024.0, "KiB"),
    "sudo_host_rss_kib": ("<=", 1024.0, "KiB"),
    "tls_handshakes": ("==", 1.0, "per approval"),
    "concurrent_failed": ("==", 0.0, "approvals"),
    "cpu_flat_ratio": ("<=", 1.5, "x"),
    "verify_us": ("<=", 200.0, "us"),
    # issue 13: slower than Ed25519, still far below a millisecond
    "verify_us_ES256": ("<=", 1000.0, "us"),
    # P-384 has no optimised code in OpenSSL 3.0: about a millisecond
    "verify_us_ES384": ("<=", 3000.0, "us"),
    "verify_us_RS256": ("<=", 1000.0, "us"),
    "verify_us_PS256": ("<=", 1000.0, "us"),
    "outage_closed_port_first_over_ms": ("<=", 0.0, "ms"),
    "outage_closed_port_first_over_budget_ms": ("<=", 0.0, "ms"),
    "outage_closed_port_open_ms": ("<=", 100.0, "ms"),
    "outage_silent_server_first_over_ms": ("<=", 0.0, "ms"),
    "outage_silent_server_open_ms": ("<=", 100.0, "ms"),
}
OUTAGE_CONNECT_S = 2    # connect_timeout of the outage runs
OUTAGE_BUDGET_S = 3     # their unavailable_after
STUB_PLUGIN = r"""
#include <sudo_plugin.h>
static int o(unsigned int v, sudo_conv_t c, sudo_printf_t p, char * const s[],
    char * const u[], int n, char * const a[], char * const ae[],
    char * const po[], const char **e) { (void)v; (void)c; (void)p; (void)s;
    (void)u; (void)n; (void)a; (void)ae; (void)po; *e = 0; return 1; }
static void cl(void) { }
static int ck(char * const ci[], char * const ra[], char * const re[],
    const char **e) { (void)ci; (void)ra; (void)re; *e = 0; return 1; }
static int sv(int v) { (void)v; return 1; }
__attribute__((visibility("default"))) struct approval_plugin bkey_approval = {
    SUDO_APPROVAL_PLUGIN, SUDO_API_VERSION, o, cl, ck, sv };
"""


class Bench:
    def __init__(self, build, h):
        self.build = build
        self.h = h
        self.launcher = os.path.join(build, "bench", "bench_launch")
        self.n = 0

    def launch_argv(self, argv):
        """(argv under the launcher, the file its figures go to)."""
        self.n += 1
        out = os.path.join(self.h.tmp, "launch.%d" % self.n)
        return [self.launcher, out] + list(argv), out

    @staticmethod
    def figures(out):
        with open(out) as f:
            return {k: int(v) for k, v in (l.split() for l in f)}

    def approval_argv(self, conf):
        return self.h.cli_argv(["--config", conf, "--did", DID,
                                "--message", "benchmark", "--json"])

    def start_approval(self, conf):
        argv, out = self.launch_argv(self.approval_argv(conf))
        p = subprocess.Popen(argv, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                             env=self.h.cli_env())
        return p, out

    @staticmethod
    def approved(p):
        """(the approved event or None, why not)."""
        out, err = p.communicate()
        why = "exit %s: %s %s" % (p.returncode, out[-300:], err[-300:])
        try:
            ev = harness.events(out.decode())[-1]
        except (AssertionError, IndexError, UnicodeDecodeError):
            return None, why
        ok = p.returncode == 0 and ev.get("event") == "approved" and \
            ev.get("sub") == DID
        return (ev if ok else None), why


def verify_bench(build):
    figures = {}
    for prog in ("bench_verify", "bench_verify_algs"):
        out = subprocess.run([os.path.join(build, "bench", prog)],
                             capture_output=True, text=True,
                             check=True).stdout
        for line in out.splitlines():
            name, value, _unit = line.split()
            figures[name] = float(value)
    return figures


def serial(b, mock, conf, rounds, tls=True):
    """One approval at a time: overhead, CPU, VmHWM, handshakes."""
    over, cpu, hwm, shakes = [], [], [], []
    for _ in range(rounds):
        mock.set(DID, outcome="approve", delay_ms=0, interval=0)
        seen = len(mock.requests())
        before = mock.stats()["tls_handshakes"]
        p, out = b.start_approval(conf)
        ev, why = b.approved(p)
        if ev is None:
            raise SystemExit("bench: approval failed (%s)" % why)
        # the stats call's own connection is one handshake
        if tls:
            shakes.append(mock.stats()["tls_handshakes"] - before - 1)
        reqs = mock.requests()[seen:]
        polls = sum(1 for r in reqs if (r.get("form") or {}).get(
            "grant_type", "").endswith(":ciba"))
        served = sum(r.get("served_ms", 0.0) for r in reqs)
        f = b.figures(out)
        over.append(f["wall_us"] / 1000.0 - served -
                    polls * (MIN_INTERVAL_MS + 1))
        cpu.append((f["user_us"] + f["sys_us"]) / 1000.0)
        hwm.append(f["vmhwm_kib"] / 1024.0)
    return over, cpu, hwm, shakes


def startup(b, rounds):
    """bkey-approve --version: what exec and loading libcurl's libraries
    cost before any work (for reading the figures above, no target)."""
    cpu, hwm = [], []
    for _ in range(rounds):
        argv, out = b.launch_argv(b.h.cli_argv(["--version"]))
        subprocess.run(argv, capture_output=True, check=True,
                       env=b.h.cli_env())
        f = b.figures(out)
        cpu.append((f["user_us"] + f["sys_us"]) / 1000.0)
        hwm.append(f["vmhwm_kib"] / 1024.0)
    return statistics.median(cpu), max(hwm)


def concurrent(b, mock, conf, n):
    """n approvals started at once: (failures, CPU ms per approval). A
    failure is an approval that did not end approved for the DID asked,
    a jti seen twice, or a request the mock had to refuse."""
    mock.reset()
    mock.set(DID, outcome="approve", delay_ms=0, interval=0)
    procs = [b.start_approval(conf) for _ in range(n)]
    failed, cpu, why, jtis = 0, [], None, set()
    for p, out in procs:
        ev, w = b.approved(p)
        if ev is None or ev.get("jti") in jtis:
            failed += 1
            why = why or w
            continue
        jtis.add(ev.get("jti"))
        f = b.figures(out)
        cpu.append((f["user_us"] + f["sys_us"]) / 1000.0)
    bad = mock.violations()
    failed += len(bad)
    why = why or (bad and "mock refused: %r" % bad[0])
    if why:
        print("     concurrency %d: first failure: %s" % (n, why))
    return failed, (statistics.mean(cpu) if cpu else float("inf"))


def host_hwm(b, argv_env):
    argv, env = argv_env
    largv, out = b.launch_argv(argv)
    p = subprocess.run(largv, env=env, capture_output=True, timeout=60,
                       stdin=subprocess.DEVNULL)
    if p.returncode != 0:
        raise SystemExit("bench: %s failed: %s %s" % (
            argv[0], p.stdout[-500:], p.stderr[-500:]))
    return b.figures(out)["vmhwm_kib"]


def pam_host(b, h, conf):
    """pamtester's VmHWM: pam_bkey then pam_permit vs pam_permit alone."""
    permit = harness.pam_module("pam_permit.so")
    h.mock_tls().set("did:bkey:alice", outcome="approve", interval=0)
    with_svc = test_pam.service(h, conf=conf, stack=["auth required " +
                                                      permit])
    cmd = ["pamtester", test_pam.SERVICE, "alice", "authenticate"]
    base_svc = os.path.join(h.tmp, "svc-permit")
    os.makedirs(base_svc, exist_ok=True)
    with open(os.path.join(base_svc, test_pam.SERVICE), "w") as f:
        f.write("auth required %s\n" % permit)
    with_kib = host_hwm(b, (cmd, test_pam.wrapper_env(h, with_svc)))
    base_kib = host_hwm(b, (cmd, test_pam.wrapper_env(h, base_svc)))
    return with_kib - base_kib


def sudo_host(b, h, conf):
    """sudo_driver's VmHWM: one approved check with bkey_approval.so vs
    the same run with a stub plugin that approves everything."""
    so, drv, helper = test_sudo.paths(h)
    stub = os.path.join(h.tmp, "stub_approval.so")
    src = stub[:-3] + ".c"
    with open(src, "w") as f:
        f.write(STUB_PLUGIN)
    subprocess.run(["cc", "-shared", "-fPIC", "-o", stub, src], check=True)
    h.mock_tls().set("did:bkey:alice", outcome="approve", interval=0)
    rules = test_sudo.write_rules(h, "# bench\n")
    args = ["--opt", "conf=" + conf, "--opt", "rules=" + rules,
            "--opt", "helper=" + helper, "--check", "--argv", "1",
            "/usr/bin/id"]
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    with_kib = host_hwm(b, ([drv, so] + args, env))
    base_kib = host_hwm(b, ([drv, stub] + args, env))
    return with_kib - base_kib


def timed_unavailable(h, conf, did):
    """Wall ms of one approval that must answer "unavailable"."""
    t0 = time.monotonic()
    p = subprocess.run(h.cli_argv(["--config", conf, "--did", did, "--json",
                                   "--timeout", "60"]),
                       capture_output=True, env=h.cli_env(),
                       stdin=subprocess.DEVNULL)
    ms = (time.monotonic() - t0) * 1000.0
    if p.returncode != 3:
        raise SystemExit("bench: outage run exit %d: %r" % (p.returncode,
                                                            p.stdout[-300:]))
    return ms


def outage(h, figures, name, rounds, **conf_kw):
    """The outage targets of issue 11 against one kind of outage."""
    conf = h.config(connect_timeout=OUTAGE_CONNECT_S,
                    unavailable_after=OUTAGE_BUDGET_S, outage_hold=600,
                    **conf_kw)
    first = timed_unavailable(h, conf, DID + "outage")
    figures["outage_%s_first_over_ms" % name] = \
        first - (OUTAGE_CONNECT_S + OUTAGE_BUDGET_S) * 1000.0
    figures["outage_%s_first_ms" % name] = first
    if name == "closed_port":
        figures["outage_%s_first_over_budget_ms" % name] = \
            first - OUTAGE_BUDGET_S * 1000.0
    figures["outage_%s_open_ms" % name] = max(
        timed_unavailable(h, conf, DID + "outage") for _ in range(rounds))


def run(args, h):
    build = h.build
    b = Bench(build, h)
    figures = verify_bench(build)
    h.begin("bench")
    mock = h.mock_tls()
    mock.config(answer_ms=ANSWER_MS)
    conf = h.config(mock=mock, timeout=120, connect_timeout=30)
    over, cpu, hwm, shakes = serial(b, mock, conf, args.rounds)
    figures["own_overhead_median_ms"] = statistics.median(over)
    figures["own_overhead_max_ms"] = max(over)
    figures["helper_cpu_ms"] = statistics.median(cpu)
    figures["helper_vmhwm_mib"] = max(hwm)
    figures["tls_handshakes"] = max(shakes)
    figures["startup_cpu_ms"], figures["startup_vmhwm_mib"] = \
        startup(b, args.rounds)
    # the same over plain http (no TLS), to see what TLS costs
    http_conf = h.config(mock=h.mock, timeout=120, connect_timeout=30)
    _o, cpu_h, hwm_h, _s = serial(b, h.mock, http_conf, 3, tls=False)
    figures["http_helper_cpu_ms"] = statistics.median(cpu_h)
    figures["http_helper_vmhwm_mib"] = max(hwm_h)
    figures["helper_cpu_beyond_startup_ms"] = \
        figures["helper_cpu_ms"] - figures["startup_cpu_ms"]
    mock.config(answer_ms=0)
    levels = [n for n in (1, 10, 100, 500) if n <= args.max_concurrency]
    if args.max_concurrency not in levels:
        levels.append(args.max_concurrency)
    # one at a time: the serial median (more samples than one run)
    per = {1: figures["helper_cpu_ms"]}
    for n in levels:
        failed, cpu_n = concurrent(b, mock, conf, n)
        if n > 1:
            per[n] = cpu_n
        figures["cpu_ms_at_%d" % n] = per[n]
        if n == levels[-1]:
            figures["concurrent_failed"] = failed
    figures["cpu_flat_ratio"] = per[levels[-1]] / per[1]
    figures["pam_host_rss_kib"] = pam_host(b, h, conf)
    figures["sudo_host_rss_kib"] = sudo_host(b, h, conf)
    outages(h, figures, args.rounds)
    h.end()
    return figures


def outages(h, figures, rounds):
    outage(h, figures, "closed_port", rounds,
           api_url="http://127.0.0.1:%d" % harness.free_port())
    h.mock.set(DID + "outage", hang="initiate", hang_ms=60000)
    outage(h, figures, "silent_server", rounds)


def run_outage(args, h):
    figures = {}
    h.begin("bench")
    outages(h, figures, args.rounds)
    h.end()
    return figures


def report(figures):
    missed = 0
    for name, value in sorted(figures.items()):
        t = TARGETS.get(name)
        if t is None:
            print("     %-40s %10.2f" % (name, value))
            continue
        cmp, limit, unit = t
        ok = value <= limit if cmp == "<=" else value == limit
        missed += not ok
        print("%s %-40s %10.2f  (target %s %g %s)"
              % ("ok  " if ok else "MISS", name, value, cmp, limit, unit))
    return 1 if missed else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--max-concurrency", type=int, default=500)
    ap.add_argument("--outage", action="store_true",
                    help="only the outage figures")
    args = ap.parse_args()
    rundir = tempfile.mkdtemp(prefix="bkey-bench.")
    h = harness.Harness(os.path.abspath(args.build), rundir)
    try:
        figures = (run_outage if args.outage else run)(args, h)
    finally:
        h.close()
        subprocess.run(["rm", "-rf", rundir])
    return report(figures)


if __name__ == "__main__":
    sys.exit(main())
