#!/usr/bin/python3
"""
make demo: approvals on a simulated phone, against the local mock BKey server.

  1. bkey-approve by hand: approved, denied, expired (the code visible);
  2. a login through pam_bkey.so: approved and denied;
  3. sudo with the approval plugin: a DB drop approved, then denied.

The mock's --demo output ("simulated phone") is shown as it happens. Needs
root for the sudo part (a private mount namespace); otherwise says so.
"""

import argparse
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "integration"))
import harness  # noqa: E402

PHONE_DELAY_MS = 1500


def title(text):
    print("\n\033[1m== %s\033[0m" % text, flush=True)


def shown(argv):
    print("$ " + " ".join(argv), flush=True)


class PhoneTail(threading.Thread):
    """Prints the mock's simulated-phone lines as they are written."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.path = path
        self.stopping = False

    def run(self):
        with open(self.path, "r", errors="replace") as f:
            while not self.stopping:
                line = f.readline()
                if not line:
                    time.sleep(0.05)
                    continue
                if line.startswith("  ") or line.strip() == "":
                    sys.stdout.write(line)
                    sys.stdout.flush()


def run_shown(argv, display, env=None):
    shown(display)
    p = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL)
    time.sleep(0.2)  # let the phone tail catch up before the verdict
    print("-> exit status %d" % p.returncode, flush=True)
    return p.returncode


def demo_cli(h, conf):
    title("1. bkey-approve: a script asks before dropping a table")
    cli = os.path.join(h.build, "bkey-approve")
    base = [cli, "--config", conf, "--user", "alice", "--scope",
            "approve:db:drop", "--message", "Drop table users_archive"]
    disp = ["bkey-approve", "--user", "alice", "--scope", "approve:db:drop",
            "--message", "'Drop table users_archive'"]
    env = h.cli_env()
    results = []
    for outcome, timeout in (("approve", None), ("deny", None),
                             ("never", "3")):
        h.mock.set("did:bkey:alice", outcome=outcome,
                   delay_ms=PHONE_DELAY_MS, interval=1)
        extra = ["--timeout", timeout] if timeout else []
        print("\n(the phone will %s)" % {
            "approve": "approve", "deny": "deny",
            "never": "not answer; --timeout 3"}[outcome])
        results.append(run_shown(base + extra, disp + extra, env))
    return results == [0, 1, 2]


def demo_vault(h, conf):
    title("1b. bkey-approve --vault: the phone releases the DB password")
    cli = os.path.join(h.build, "bkey-approve")
    h.mock._call("POST", "/_mock/vault", {"item": "prod-db", "spec": {
        "secret": "pr0d-DB-adm1n", "interval": 1}})
    # A pretend psql: it shows it got a password, never the password.
    cmd = ["/bin/sh", "-c", 'echo "psql: connected to db-prod-1 with a '
           '${#PGPASSWORD}-character password; DROP TABLE users_archive"']
    base = [cli, "--config", conf, "--user", "alice", "--vault",
            "prod-db:password", "--env", "PGPASSWORD", "--message",
            "Drop table users_archive on db-prod-1", "--"]
    disp = ["bkey-approve", "--user", "alice", "--vault", "prod-db:password",
            "--env", "PGPASSWORD", "--message",
            "'Drop table users_archive on db-prod-1'", "--", "psql", "-h",
            "db-prod-1", "-c", "'DROP TABLE users_archive'"]
    return run_shown(base + cmd, disp, h.cli_env()) == 0


def demo_pam(h, conf):
    title("2. A login through pam_bkey.so (pamtester + pam_wrapper)")
    import test_pam  # noqa: E402  (its service-dir and wrapper setup)
    svc = test_pam.service(h, "cue=info", conf=conf)
    with open(os.path.join(svc, "other"), "w") as f:   # PAM's fallback
        f.write("auth required pam_deny.so\n")
    env = test_pam.wrapper_env(h, svc)
    env.pop("PAM_WRAPPER_DEBUGLEVEL", None)   # no library debug noise
    ok = True
    for outcome, want in (("approve", 0), ("deny", 1)):
        h.mock.set("did:bkey:alice", outcome=outcome,
                   delay_ms=PHONE_DELAY_MS, interval=1)
        print("\n(the phone will %s)" % outcome)
        rc = run_shown(["pamtester", "-v", "-I", "rhost=192.0.2.10",
                        test_pam.SERVICE, "alice", "authenticate"],
                       ["pamtester", "-I", "rhost=192.0.2.10",
                        test_pam.SERVICE, "alice", "authenticate"], env)
        ok = ok and (rc == 0) == (want == 0)
    return ok


def demo_sudo(h):
    title("3. sudo with the bkey approval plugin")
    if os.geteuid() != 0:
        print("(skipped: the sudo demo needs root for a private mount "
              "namespace)")
        return True
    import test_sudo  # noqa: E402  (its end-to-end setup)
    rules = test_sudo.write_rules(
        h, open(os.path.join(h.root, "examples", "sudo.rules")).read(),
        name="sudo.rules")
    e = test_sudo.E2E(h, rules=rules, users={"alice": "did:bkey:alice"},
                      sudoers_extra="alice ALL=(postgres) NOPASSWD: ALL\n")
    uid = 47112
    # A private copy of the account files: alice, and postgres unless the
    # machine has one already.
    entries = [("alice", uid)]
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        entries.append(("postgres", uid + 1))
    e.mounts += harness.account_files(
        h, [(n, i, "/nonexistent") for n, i in entries])
    # A pretend psql, seen at /usr/local/bin inside the private mount
    # namespace only (a program outside the system directories would be
    # shown to the phone by its full path).
    bindir = os.path.join(h.tmp, "bin")
    os.mkdir(bindir, 0o755)
    test_sudo.write_file(os.path.join(bindir, "psql"),
                         "#!/bin/sh\necho \"psql (pretend): $2\"\n", 0o755)
    e.mounts.append((bindir, "/usr/local/bin"))
    psql = "/usr/local/bin/psql"
    setpriv = ["setpriv", "--reuid=%d" % uid, "--regid=%d" % uid,
               "--init-groups"]
    ok = True
    for outcome, want in (("approve", 0), ("deny", 1)):
        h.mock.set("did:bkey:alice", outcome=outcome,
                   delay_ms=PHONE_DELAY_MS, interval=1)
        print("\n(the phone will %s)" % outcome)
        rc = run_shown(e.argv([test_sudo.SUDO, "-u", "postgres", psql, "-c",
                               "DROP TABLE users_archive"], setpriv),
                       ["alice$", "sudo", "-u", "postgres", "psql", "-c",
                        "'DROP TABLE users_archive'"], e.env())
        ok = ok and rc == want
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    args = ap.parse_args()
    rundir = tempfile.mkdtemp(prefix="bkey-demo.")
    os.chmod(rundir, 0o755)
    h = harness.Harness(args.build, rundir)
    h._mock = harness.Mock(rundir, "mock-demo", h.client_secret, demo=True)
    tail = PhoneTail(h._mock.log)
    tail.start()
    ok = True
    try:
        h.begin("demo")
        conf = h.config(run_as="")    # the helper runs as the caller
        ok = demo_cli(h, conf) and ok
        ok = demo_vault(h, conf) and ok
        ok = demo_pam(h, conf) and ok
        ok = demo_sudo(h) and ok
        h.end()
    finally:
        tail.stopping = True
        h.close()
        shutil.rmtree(rundir, ignore_errors=True)
    print("\ndemo %s" % ("finished: every outcome as expected" if ok
                         else "FAILED: an outcome was not as expected"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
