#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""
make demo: what an admin wants to see, against the local mock BKey server
(no account, no network), one scene each:

  1. an ssh login through pam_bkey.so (a real sshd; the code shows in ssh);
  2. a DB drop through sudo and the approval plugin, approved;
  3. the same, denied on the phone;
  4. the DB password released by the phone for that one command (vault);
  5. an outage under failmode=secure: the login is refused;
  6. an outage under failmode=safe: the login goes through, with a warning;
  7. an outage under failmode=secure with recovery=allow: a code from
     bkey-admin recovery lets the login in, and the same code is refused
     the second time;
and after each, the syslog lines the decision wrote.

The simulated phone is drawn from what the mock received. As root the
demo runs in a private mount namespace with its own /dev/log, so the
syslog lines of sshd's PAM stack and of sudo are caught and shown; the
real /dev and /etc are never touched.
"""

import argparse
import json
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "integration"))
import harness  # noqa: E402
from syslogcap import NS_SETUP, Syslog  # noqa: E402

PHONE_DELAY_MS = 1500
TTY = sys.stdout.isatty()
NS_ENV = "BKEY_DEMO_NAMESPACE"


def bold(text):
    return "\033[1m%s\033[0m" % text if TTY else text


def say(text=""):
    print(text, flush=True)


def title(text):
    say()
    say(bold("== " + text))


def shown(argv):
    say("$ " + " ".join(argv))


def phone_box(req):
    """The phone's screen for one request, as a plain box."""
    width = 58
    name = req.get("did", "").rsplit(":", 1)[-1]
    body = textwrap.wrap(req.get("message") or "", width - 4) or [""]
    details = req.get("details") or {}
    rows = [""] + body + [""]
    for k in sorted(details):
        v = details[k]
        if not isinstance(v, str):
            v = json.dumps(v, ensure_ascii=False)
        if v == "" or k == "description":    # nothing, or the message
            continue
        rows += textwrap.wrap("%s: %s" % (k, v), width - 4,
                              subsequent_indent="  ")
    rows += ["", "[ Deny ]".ljust(width - 17) + "[ Approve ]"]
    head = (" %s's phone: approve? " % name).center(width - 2, "-")
    out = ["  +" + head + "+"]
    out += ["  | " + r.ljust(width - 4)[:width - 4] + " |" for r in rows]
    out.append("  +" + "-" * (width - 2) + "+")
    return "\n".join(out)


class PhoneTail(threading.Thread):
    """Draws the mock's simulated phone as requests reach it."""

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
                self.show(line.strip())

    @staticmethod
    def show(line):
        if line.startswith("[phone-request] "):
            try:
                req = json.loads(line.split(" ", 1)[1])
            except ValueError:
                return
            say(phone_box(req))
        elif line.startswith("[phone] vault: "):
            say("  (phone: " + line[len("[phone] vault: "):] + ")")
        elif line.startswith("[phone] "):
            who, _, what = line[len("[phone] "):].rpartition(": ")
            say("  (on %s's phone: %s)" % (who.rsplit(":", 1)[-1], what))


def show_syslog(log, want=("outcome=",)):
    """The scene's decision lines (and warnings), as syslog got them."""
    if log is None:
        say("  (syslog: not caught without root and a private namespace)")
        return
    lines = [t for t in log.take() if any(w in t for w in want)]
    say("  syslog:" if lines else "  syslog: (no decision line)")
    for t in lines:
        say("    " + t)


RECOVERY_PROMPT = re.compile(rb"BKey is unreachable\. Recovery code: ")


def ssh_scene(h, log, conf, args, want_ok, note, answers=()):
    """answers: what is typed at the recovery prompts, in turn (then
    Enter)."""
    import test_sshd  # noqa: E402  (a real sshd in its own namespace)
    test_sshd.require(h)
    base = h.tmp
    h.tmp = tempfile.mkdtemp(prefix="ssh.", dir=base)   # sshd's own dir
    try:
        sshd = test_sshd.Sshd(h, module_args=args, conf=conf)
    finally:
        h.tmp = base
    try:
        say(note)
        shown(["ssh", "root@db-prod-1", "echo", "OK"])
        child = sshd.client()
        out, answers = b"", list(answers)
        try:
            import pexpect
            while True:
                i = child.expect([test_sshd.PROMPT, RECOVERY_PROMPT,
                                  pexpect.EOF])
                text = child.before + (child.after if i < 2 else b"")
                out += text
                for ln in text.decode("utf-8", "replace").splitlines():
                    if ln.strip():
                        say("  " + ln.strip())
                if i == 2:
                    break
                typed = answers.pop(0) if i == 1 and answers else ""
                if typed:
                    say("  (typed, not echoed: %s)" % typed)
                child.sendline(typed)
        finally:
            child.close()
        ok = child.exitstatus == 0 and b"OK" in out
        say("-> %s" % ("logged in" if ok else "login refused"))
    finally:
        sshd.stop()
    show_syslog(log, ("outcome=",))
    return ok == want_ok


def sudo_setup(h):
    import test_sudo  # noqa: E402  (its end-to-end setup)
    rules = test_sudo.write_rules(
        h, open(os.path.join(h.root, "examples", "sudo.rules")).read(),
        name="sudo.rules")
    e = test_sudo.E2E(h, rules=rules, users={"alice": "did:bkey:alice"},
                      sudoers_extra="alice ALL=(postgres) NOPASSWD: ALL\n")
    uid = 47112
    entries = [("alice", uid)]
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        entries.append(("postgres", uid + 1))
    e.mounts += harness.account_files(
        h, [(n, i, "/nonexistent") for n, i in entries])
    # A pretend psql at /usr/local/bin, inside the namespace only.
    bindir = os.path.join(h.tmp, "bin")
    os.mkdir(bindir, 0o755)
    test_sudo.write_file(os.path.join(bindir, "psql"),
                         "#!/bin/sh\necho \"psql (pretend): $2\"\n", 0o755)
    e.mounts.append((bindir, "/usr/local/bin"))
    return e, uid


def sudo_scene(h, log, e, uid, want):
    import test_sudo  # noqa: E402
    setpriv = ["setpriv", "--reuid=%d" % uid, "--regid=%d" % uid,
               "--init-groups"]
    say("alice$ sudo -u postgres psql -c 'DROP TABLE users_archive'")
    # sudo writes straight to our terminal: its lines and the phone's
    # come in the order they happen.
    p = subprocess.run(e.argv([test_sudo.SUDO, "-u", "postgres",
                               "/usr/local/bin/psql", "-c",
                               "DROP TABLE users_archive"], setpriv),
                       env=e.env(), stdin=subprocess.DEVNULL)
    time.sleep(0.2)     # the phone's last line first
    say("-> exit status %d" % p.returncode)
    show_syslog(log)
    return p.returncode == want


def vault_scene(h, log):
    """The DB password released by the phone for one command."""
    cli = os.path.join(h.build, "bkey-approve")
    h.mock._call("POST", "/_mock/vault", {"item": "prod-db", "spec": {
        "secret": "pr0d-DB-adm1n", "interval": 1}})
    # A pretend psql: it shows it got a password, never the password.
    cmd = ["/bin/sh", "-c", 'echo "psql: connected to db-prod-1 with a '
           '${#PGPASSWORD}-character password; DROP TABLE users_archive"']
    say("alice$ bkey-approve --user alice --vault prod-db:password --env "
        "PGPASSWORD --message 'Drop table users_archive on db-prod-1' -- "
        "psql -h db-prod-1 -c 'DROP TABLE users_archive'")
    p = subprocess.run([cli, "--config", h.config(run_as=""), "--user",
                        "alice", "--vault", "prod-db:password", "--env",
                        "PGPASSWORD", "--message",
                        "Drop table users_archive on db-prod-1", "--"] + cmd,
                       env=h.cli_env(), stdin=subprocess.DEVNULL)
    time.sleep(0.2)
    say("-> exit status %d (the password never left the phone and "
        "psql's environment)" % p.returncode)
    show_syslog(log, ("vault",))
    return p.returncode == 0


def scenes(h, log):
    ok = True
    h.mock.set("did:bkey:root", outcome="approve", delay_ms=PHONE_DELAY_MS,
               interval=1)
    title("1. An ssh login waits for the phone (real sshd, pam_bkey.so)")
    ok = ssh_scene(h, log, None, "", True,
                   "(the phone will approve)") and ok

    if os.geteuid() == 0:
        e, uid = sudo_setup(h)
        title("2. sudo: a DB drop on the phone, approved")
        h.mock.set("did:bkey:alice", outcome="approve",
                   delay_ms=PHONE_DELAY_MS, interval=1)
        ok = sudo_scene(h, log, e, uid, 0) and ok
        title("3. The same, denied on the phone")
        h.mock.set("did:bkey:alice", outcome="deny",
                   delay_ms=PHONE_DELAY_MS, interval=1)
        ok = sudo_scene(h, log, e, uid, 1) and ok
    else:
        say("\n(scenes 2 and 3 skipped: real sudo needs root)")
    title("4. The DB password, released by the phone for one command")
    ok = vault_scene(h, log) and ok

    down = h.config(users={"root": "did:bkey:root"},
                    api_url="http://127.0.0.1:%d" % harness.free_port(),
                    connect_timeout="1")
    title("5. An outage, failmode=secure (the default): no approval, no "
          "login")
    ok = ssh_scene(h, log, down, "timeout=3", False,
                   "(the BKey service cannot be reached)") and ok
    title("6. An outage, failmode=safe: the login goes through, logged "
          "as a warning")
    ok = ssh_scene(h, log, down, "timeout=3 failmode=safe", True,
                   "(the BKey service cannot be reached)") and ok
    return recovery_scenes(h, log) and ok


def recovery_code(h, conf, user):
    """One code from bkey-admin recovery, as the admin sees it."""
    argv = [os.path.join(h.build, "bkey-admin"), "recovery", user,
            "--config", conf, "--count", "1"]
    shown(["bkey-admin", "recovery", user, "--count", "1"])
    p = subprocess.run(argv, capture_output=True, text=True, timeout=60,
                       env=h.cli_env(), stdin=subprocess.DEVNULL)
    for ln in p.stdout.splitlines():
        say("  " + ln)
    m = re.search(r"^  (\d{4}-\d{4}-\d{4}-\d{4})$", p.stdout, re.M)
    if p.returncode != 0 or m is None:
        raise harness.Skip("bkey-admin recovery failed: %s" % p.stderr)
    return m.group(1)


def recovery_scenes(h, log):
    down = h.config(users={"root": "did:bkey:root"},
                    api_url="http://127.0.0.1:%d" % harness.free_port(),
                    connect_timeout="1", recovery_delay="1")
    title("7. An outage, failmode=secure, recovery=allow: a break-glass "
          "code")
    code = recovery_code(h, down, "root")
    ok = ssh_scene(h, log, down, "timeout=3 recovery=allow", True,
                   "(the BKey service cannot be reached; root types the "
                   "code)", answers=[code])
    title("8. The same code a second time: refused, it was burned")
    return ssh_scene(h, log, down, "timeout=3 recovery=allow", False,
                     "(the same code again)", answers=[code]) and ok


def in_namespace(rundir):
    """Re-run in a private mount namespace with our own /dev/log (root
    only); False when that cannot be done here."""
    if os.geteuid() != 0 or os.environ.get(NS_ENV) == "1" or \
            shutil.which("unshare") is None:
        return False
    save = os.path.join(rundir, "dev.real")
    os.mkdir(save, 0o700)
    sock = os.path.join(rundir, "devlog")
    env = dict(os.environ, **{NS_ENV: "1"})
    argv = ["unshare", "-m", "--propagation", "private", "sh", "-c",
            NS_SETUP, "sh", save, sock, sys.executable] + sys.argv + \
        ["--rundir", rundir]
    sys.stdout.flush()
    return subprocess.run(argv, env=env).returncode


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--rundir")
    args = ap.parse_args()
    if args.rundir is None:
        rundir = tempfile.mkdtemp(prefix="bkey-demo.")
        os.chmod(rundir, 0o755)
        try:
            rc = in_namespace(rundir)
            if rc is not False:
                return rc
            return run(args.build, rundir, None)
        finally:
            shutil.rmtree(rundir, ignore_errors=True)
    log = Syslog(os.path.join(args.rundir, "devlog"))
    log.start()
    return run(args.build, tempfile.mkdtemp(prefix="run.", dir=args.rundir),
               log)


def run(build, rundir, log):
    os.chmod(rundir, 0o755)
    h = harness.Harness(build, rundir)
    h._mock = harness.Mock(rundir, "mock-demo", h.client_secret, demo=True)
    tail = PhoneTail(h._mock.log)
    tail.start()
    ok = False
    try:
        h.begin("demo")
        ok = scenes(h, log)
        h.end()
    except harness.Skip as e:
        say("\ndemo cannot run here: %s" % e)
    finally:
        tail.stopping = True
        h.close()
    say("\ndemo %s" % ("finished: every outcome as expected" if ok
                       else "FAILED: an outcome was not as expected"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
