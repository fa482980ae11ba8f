#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""
Run every test of pam_bkey (see tests/HARNESS.md):
  1. the C unit binaries build/tests/test_* (built from tests/unit/test_*.c),
  2. every test_*(h) function of tests/integration/test_*.py.
Prints PASS/FAIL/SKIP per test and finally "N passed, N failed, N skipped";
exits 1 if anything failed.

  tests/run.py [--build DIR] [--only SUBSTR] [--keep] [--unit|--integration]
               [SUBSTR...]
SUBSTRs (also from $TESTS, space-separated) select tests whose name contains
any of them. --keep leaves the temp dirs (printed) for a post-mortem.
"""

import argparse
import importlib.util
import inspect
import os
import signal
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import harness  # noqa: E402

UNIT_TIMEOUT = 120
TEST_TIMEOUT = 60


class Timeout(Exception):
    pass


class Runner:
    def __init__(self, filters):
        self.filters = filters
        self.passed = self.failed = self.skipped = 0

    def wanted(self, name):
        return not self.filters or any(f in name for f in self.filters)

    def report(self, kind, name, why=None):
        if kind == "PASS":
            self.passed += 1
        elif kind == "FAIL":
            self.failed += 1
        else:
            self.skipped += 1
        line = "%s %s" % (kind, name)
        if why:
            why = " | ".join(s for s in str(why).splitlines() if s.strip())
            line += ": " + why[:2000]
        print(line, flush=True)

    # ---- C unit tests ------------------------------------------------------
    def unit(self, build):
        srcdir = os.path.join(harness.ROOT, "tests", "unit")
        names = sorted(f[:-2] for f in os.listdir(srcdir)
                       if f.startswith("test_") and f.endswith(".c"))
        for name in names:
            binp = os.path.join(build, "tests", name)
            whole = self.wanted(name)
            if not os.path.exists(binp):
                if whole:
                    self.report("FAIL", name, "%s not built" % binp)
                continue
            try:
                p = subprocess.run([binp], capture_output=True, text=True,
                                   errors="replace", timeout=UNIT_TIMEOUT,
                                   stdin=subprocess.DEVNULL, cwd=harness.ROOT)
                out, rc = p.stdout, p.returncode
            except subprocess.TimeoutExpired as e:
                out = e.stdout.decode(errors="replace") \
                    if isinstance(e.stdout, bytes) else (e.stdout or "")
                rc = "timeout after %d s" % UNIT_TIMEOUT
            nfail = 0
            for line in out.splitlines():
                for kind in ("PASS", "FAIL", "SKIP"):
                    if line.startswith(kind + " "):
                        rest = line[len(kind) + 1:]
                        tname, _, why = rest.partition(": ")
                        if whole or self.wanted(tname):
                            self.report(kind, tname, why or None)
                        nfail += kind == "FAIL"
            if rc != 0 and nfail == 0 and (whole or self.filters):
                if isinstance(rc, int) and rc < 0:
                    why = "killed by signal %d" % -rc
                else:
                    why = "exit status %s" % rc
                err = (p.stderr if isinstance(rc, int) else "")[-800:]
                self.report("FAIL", name, "%s without a FAIL line %s" %
                            (why, err))

    # ---- integration tests -------------------------------------------------
    def integration(self, h):
        d = os.path.join(harness.ROOT, "tests", "integration")
        files = sorted(f for f in os.listdir(d)
                       if f.startswith("test_") and f.endswith(".py"))
        for fname in files:
            mname = fname[:-3]
            path = os.path.join(d, fname)
            try:
                spec = importlib.util.spec_from_file_location(
                    "integration_" + mname, path)
                mod = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(mod)
            except Exception:
                if self.wanted(mname):
                    self.report("FAIL", mname, "import: " +
                                traceback.format_exc(limit=3))
                continue
            funcs = [f for n, f in vars(mod).items()
                     if n.startswith("test_") and inspect.isfunction(f)
                     and f.__module__ == mod.__name__]
            funcs.sort(key=lambda f: f.__code__.co_firstlineno)
            for f in funcs:
                name = "%s.%s" % (mname, f.__name__)
                if self.wanted(name):
                    self.one(h, name, f)

    def one(self, h, name, f):
        limit = getattr(f, "timeout", TEST_TIMEOUT)

        def on_alarm(signum, frame):
            raise Timeout("test took longer than %d s" % limit)
        old = signal.signal(signal.SIGALRM, on_alarm)
        t0 = time.monotonic()
        try:
            signal.setitimer(signal.ITIMER_REAL, limit)
            h.begin(name)
            f(h)
            signal.setitimer(signal.ITIMER_REAL, 0)
            kind, why = "PASS", None
        except harness.Skip as e:
            kind, why = "SKIP", str(e) or "skipped"
        except AssertionError as e:
            kind, why = "FAIL", str(e) or traceback.format_exc(limit=2)
            tb = traceback.extract_tb(e.__traceback__)
            for fr in reversed(tb):
                if "integration" in fr.filename:
                    why = "line %d: %s" % (fr.lineno, why)
                    break
        except Exception as e:
            kind = "FAIL"
            why = "%s: %s | %s" % (type(e).__name__, e,
                                   traceback.format_exc(limit=4))
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)
        try:
            if h.keep and kind == "FAIL":
                why = "%s (files: %s)" % (why, h.tmp)
            h.end()
        except Exception as e:
            kind, why = "FAIL", "cleanup: %r" % e
        if os.environ.get("TEST_TIMES"):
            name += " (%.2fs)" % (time.monotonic() - t0)
        self.report(kind, name, why)


def own_session():
    """sudo reports the session as its leader's pid, and remember windows
    are keyed to it. In a container whose session leader lives outside our
    PID namespace that pid reads as 0 (no session: always asked), which is
    right for the plugin but leaves the remember tests nothing to key to.
    Then the run leads a session of its own; with a visible leader (a
    terminal, most CI) it stays where it is, so Ctrl-C still reaches it."""
    if os.getsid(0) != 0:
        return
    try:
        os.setsid()
    except OSError as e:
        print("note: cannot start a session (%s): remember tests will fail"
              % e, flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(harness.ROOT, "build"))
    ap.add_argument("--only", action="append", default=[])
    ap.add_argument("--keep", action="store_true")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--unit", action="store_true", help="C unit tests only")
    g.add_argument("--integration", action="store_true",
                   help="integration tests only")
    ap.add_argument("filters", nargs="*")
    a = ap.parse_args()
    filters = a.only + a.filters + os.environ.get("TESTS", "").split()
    build = os.path.abspath(a.build)
    own_session()
    r = Runner(filters)
    rundir = tempfile.mkdtemp(prefix="bkey-tests.")
    os.chmod(rundir, 0o755)
    h = harness.Harness(build, rundir, keep=a.keep)

    def on_term(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_term)
    try:
        if not a.integration:
            r.unit(build)
        if not a.unit:
            r.integration(h)
    except KeyboardInterrupt:
        r.report("FAIL", "run", "interrupted")
    finally:
        h.close()
        if a.keep:
            print("kept files in %s" % rundir)
        else:
            import shutil
            shutil.rmtree(rundir, ignore_errors=True)
    print("%d passed, %d failed, %d skipped" % (r.passed, r.failed,
                                                r.skipped), flush=True)
    return 1 if r.failed else 0


if __name__ == "__main__":
    sys.exit(main())
