# SPDX-License-Identifier: ISC
"""
The sudo approval plugin (bkey_approval.so), in two ways:

1. Through build/tests/sudo_driver, which dlopens the plugin and calls
   open/check/close with fake conversation/printf functions and made-up
   user_info/command_info, against the mock: every return code, the message
   the phone shows, rules, failmode, cancellation by a signal.
2. End to end with the real setuid sudo as root, in a private mount
   namespace where a test sudo.conf is bind-mounted over /etc/sudo.conf.
"""

import json
import os
import re
import select
import shlex
import shutil
import signal
import stat
import subprocess
import time

from harness import (account_files, fake_helper, free_port, helper_procs,
                     sanitized)

ARROW = "\u2192"
CODE_LINE = re.compile(
    r"^conv\[0x2003\]: bkey: approve on your phone: code ([0-9]{4}) "
    r"\(expires in [0-9]+ s\)$", re.M)


# ---- helpers ----------------------------------------------------------------
def paths(h):
    so = os.path.join(h.build, "bkey_approval.so")
    drv = os.path.join(h.build, "tests", "sudo_driver")
    helper = os.path.join(h.build, "bkey-approve")
    for p in (so, drv, helper):
        if not os.path.exists(p):
            raise h.Skip("%s not built" % p)
    return so, drv, helper


def write_file(path, text, mode=0o644):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    if os.geteuid() == 0:
        os.chown(path, 0, 0)
    return path


def write_rules(h, text, name="sudo.rules", mode=0o644):
    return write_file(os.path.join(h.tmp, name), text, mode)


class Run:
    """Parsed driver output."""

    def __init__(self, p):
        self.p = p
        self.out = p.stdout
        self.opens = [int(m) for m in re.findall(r"^open=(-?\d+)", p.stdout,
                                                    re.M)]
        self.checks = [int(m) for m in re.findall(r"^check=(-?\d+)",
                                                     p.stdout, re.M)]
        self.errstrs = re.findall(r"^(?:open|check)=-?\d+ errstr=(.*?)"
                                  r"(?: elapsed_ms=\d+)?$", p.stdout, re.M)
        self.elapsed = [int(m) for m in re.findall(r"elapsed_ms=(\d+)$",
                                                      p.stdout, re.M)]
        self.conv = re.findall(r"^conv\[0x[0-9a-f]+\]: (.*)$", p.stdout,
                               re.M)
        self.states = re.findall(r"^handlers=.*$", p.stdout, re.M)

    def __str__(self):
        return "driver exit %s\nstdout:\n%s\nstderr:\n%s" % (
            self.p.returncode, self.p.stdout[-3000:], self.p.stderr[-2000:])


def drive(h, checks, conf=None, rules="", helper=None, opts=(), uinfo=(),
          pre=(), timeout=40, env=None, submit=None, submit_env=()):
    """Run the driver. checks: list of (argv, info dict) or (argv, info,
    run_envp list). rules: text of a rules file ("" = comments only), a path
    (str starting with '/'), or None for no rules= option. submit: (optind,
    sudo's argv) and submit_env: the caller's environment, for open()."""
    so, drv, default_helper = paths(h)
    cmd = [drv, so]
    o = []
    if conf is not False:
        o.append("conf=" + (conf or h.config()))
    if rules is not None:
        if not rules.startswith("/"):
            rules = write_rules(h, "# test rules\n" + rules)
        o.append("rules=" + rules)
    if helper is not False:
        o.append("helper=" + (helper or default_helper))
    o += list(opts)
    for x in o:
        cmd += ["--opt", x]
    for x in uinfo:
        cmd += ["--uinfo", x]
    cmd += list(pre)
    if submit is not None:
        cmd += ["--submit-argv", str(submit[0]), str(len(submit[1]))] + \
            list(submit[1])
    for x in submit_env:
        cmd += ["--submit-env", x]
    for check in checks:
        argv, info = check[0], check[1]
        cmd.append("--check")
        for k, v in (info or {}).items():
            cmd += ["--info", "%s=%s" % (k, v)]
        for x in (check[2] if len(check) > 2 else ()):
            cmd += ["--env", x]
        cmd += ["--argv", str(len(argv))] + list(argv)
    p = subprocess.run(cmd, capture_output=True, timeout=timeout,
                       encoding="utf-8", errors="replace",
                       stdin=subprocess.DEVNULL,
                       env=dict({"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
                                **(env or {})))
    r = Run(p)
    assert p.returncode == 0, str(r)
    return r


SYSTEM_DIRS = ("/usr/bin", "/bin", "/usr/sbin", "/sbin", "/usr/local/bin",
               "/usr/local/sbin")


def real(path):
    """The file a root-owned command path names on this machine (the
    plugin judges and shows that one: /bin/sh may be dash, psql
    pg_wrapper); the path itself when there is none."""
    return os.path.realpath(path) if os.path.exists(path) else path


def shown(path):
    """How the phone names a root-owned command (see cmdline.h)."""
    def disp(p):
        return os.path.basename(p) if os.path.dirname(p) in SYSTEM_DIRS \
            else p
    r = real(path)
    if not os.path.exists(path):
        return path
    if os.path.basename(r) == os.path.basename(path):
        return disp(r)
    return "%s (%s)" % (disp(path), disp(r))


PSQL = (["psql", "-c", "DROP TABLE users_archive"],
        {"command": "/usr/bin/psql", "runas_user": "postgres",
         "runas_uid": "105", "cwd": "/srv"})


def initiates(h, mock=None):
    return (mock or h.mock).initiate_bodies()


def assert_clean(r, n=1):
    """sudo's handlers and mask are back, no helper left behind."""
    assert len(r.states) == n, str(r)
    for s in r.states:
        assert s == "handlers=restored mask=restored children=none", str(r)


# ---- 1. the plugin through the dlopen driver ---------------------------------
def test_sudo_drv_approved_message(h):
    r = drive(h, [PSQL], uinfo=["host=db-prod-1"])
    assert r.opens == [1] and r.checks == [1], str(r)
    assert r.errstrs[1] == "(null)", str(r)
    m = CODE_LINE.search(r.out)
    assert m, "no code line on the error channel (tty): " + str(r)
    reqs = initiates(h)
    assert len(reqs) == 1, reqs
    q = reqs[0]
    assert q["login_hint"] == "did:bkey:alice", q
    assert q["scope"] == "openid approve:sudo", q
    want = "alice %s postgres on db-prod-1: %s -c 'DROP TABLE " \
        "users_archive'" % (ARROW, shown("/usr/bin/psql"))
    assert q["binding_message"] == "[%s] %s" % (m.group(1), want), q
    d = q["action_details"]
    assert d["type"] == "sudo" and d["description"] == want, d
    assert d["command"] == "%s -c 'DROP TABLE users_archive'" % real(
        "/usr/bin/psql"), d
    assert (d["cwd"], d["tty"], d["runas_user"], d["runas_uid"], d["user"],
            d["host"]) == ("/srv", "/dev/pts/9", "postgres", "105", "alice",
                           "db-prod-1"), d
    assert_clean(r)
    h.assert_no_violations(h.mock)


def test_sudo_drv_hostile_argv_quoting(h):
    argv = ["sh", "-c", "echo ok\nrm -rf /", "it's", "two words",
            "\x1b[2J\x1b]0;pwned\x07", "a\u202eb", ""]
    r = drive(h, [(argv, {"command": "/bin/sh"})])
    assert r.checks == [1], str(r)
    q = initiates(h)[0]
    want = ("alice %s root on testhost: " + shown("/bin/sh") +
            " -c $'echo ok\\nrm -rf /' "
            "'it'\\''s' 'two words' $'\\e[2J\\e]0;pwned\\x07' "
            "$'a\\u202eb' ''") % ARROW
    assert q["binding_message"].split(" ", 1)[1] == want, q
    # nothing raw reached the server either
    assert "\x1b" not in json.dumps(q, ensure_ascii=False), q


def test_sudo_drv_user_from_user_info_not_env(h):
    cfg = h.config(users={"carol": "did:bkey:carol"})
    # the environment (sudo's, caller-influenced) names someone else
    p = drive(h, [(["id"], {"command": "/usr/bin/id"})], conf=cfg,
              uinfo=["user=carol"], env={
                  "SUDO_USER": "alice", "USER": "alice", "LOGNAME": "alice",
                  "SUDO_UID": "1000"})
    assert p.checks == [1], str(p)
    q = initiates(h)[0]
    assert q["login_hint"] == "did:bkey:carol", q
    assert q["binding_message"].split(" ", 1)[1].startswith(
        "carol %s root on" % ARROW), q


def test_sudo_drv_sudoedit_message(h):
    argv = ["/usr/bin/vi", "--", "/etc/hosts", "/etc/my file"]
    r = drive(h, [(argv, {"command": "/usr/bin/vi", "sudoedit": "true"})])
    assert r.checks == [1], str(r)
    q = initiates(h)[0]
    assert q["binding_message"].split(" ", 1)[1] == \
        "alice %s root on testhost: edit /etc/hosts '/etc/my file'" % \
        ARROW, q


def test_sudo_drv_long_argv_capped(h):
    argv = ["echo"] + ["word%03d" % i for i in range(200)]
    r = drive(h, [(argv, {"command": "/bin/echo"})])
    assert r.checks == [1], str(r)
    q = initiates(h)[0]
    msg = q["binding_message"].split(" ", 1)[1]
    assert msg.endswith("\u2026") and len(msg.encode()) <= 256, msg
    cmd = q["action_details"]["command"]
    assert cmd.startswith(real("/bin/echo") + " word000 word001") and \
        cmd.endswith("\u2026") and len(cmd.encode()) <= 1024, cmd


def test_sudo_drv_caller_env(h):
    # run_envp against what open() was given: the typed VAR=value words
    # and the caller's own values count; what sudo itself sets does not
    sudo_argv = ["sudo", "-u", "root", "LD_PRELOAD=./x.so", "uptime"]
    run_env = ["PATH=/usr/bin:/bin", "HOME=/root", "USER=root",
               "LD_PRELOAD=./x.so", "PYTHONPATH=/home/alice/py",
               "LANG=C.UTF-8", "SUDO_USER=alice"]
    caller = ["PATH=/usr/bin:/bin", "HOME=/home/alice", "USER=alice",
              "PYTHONPATH=/home/alice/py", "LANG=C.UTF-8"]
    up = (["uptime"], {"command": "/usr/bin/uptime"}, run_env)
    rules = "command=%s allow\n" % real("/usr/bin/uptime")
    r = drive(h, [up], rules=rules, submit=(4, sudo_argv),
              submit_env=caller, opts=["debug"])
    assert r.checks == [1], str(r)
    q = initiates(h)
    assert len(q) == 1, "an allow applied to a command with LD_PRELOAD"
    words = "LD_PRELOAD=./x.so PYTHONPATH=/home/alice/py"
    assert q[0]["binding_message"].endswith(
        ": %s (env: %s)" % (shown("/usr/bin/uptime"), words)), q
    assert q[0]["action_details"]["env"] == words, q
    assert 'env="%s"' % words in r.out, str(r)
    # the same environment without the caller's additions: allowed
    h.mock.reset()
    plain = (["uptime"], {"command": "/usr/bin/uptime"},
             [x for x in run_env if not x.startswith(("LD_", "PYTHON"))])
    r = drive(h, [plain], rules=rules, submit=(4, sudo_argv),
              submit_env=caller)
    assert r.checks == [1] and initiates(h) == [], str(r)


def test_sudo_drv_intercept_memory_keeps_env(h):
    # "covered" only for the identical file, argv and caller-set variables
    rules = "command=/usr/bin/psql approve scope=approve:db\n"
    sub = (2, ["sudo", "PGHOST=a", "psql"])
    one = (PSQL[0], PSQL[1], ["PGHOST=a"])
    other = (PSQL[0], PSQL[1], ["PGHOST=a", "PGOPTIONS=-c x"])
    r = drive(h, [one, one, other], rules=rules, submit=sub,
              submit_env=["PGOPTIONS=-c x"], opts=["debug"])
    assert r.checks == [1, 1, 1], str(r)
    assert r.out.count("outcome=covered") == 1, str(r)
    assert len(initiates(h)) == 2, initiates(h)


def test_sudo_drv_sudoedit_relative(h):
    # sudoedit from inside /etc: the phone shows the absolute file
    # (sudoedit opens the files from the caller's cwd, whatever runcwd)
    argv = ["/usr/bin/vi", "--", "hosts", "../etc//passwd"]
    r = drive(h, [(argv, {"command": "/usr/bin/vi", "sudoedit": "true",
                          "cwd": "/srv"})], uinfo=["cwd=/etc"])
    assert r.checks == [1], str(r)
    q = initiates(h)[0]
    assert q["binding_message"].split(" ", 1)[1] == \
        "alice %s root on testhost: edit /etc/hosts /etc/passwd" % ARROW, q


def test_sudo_drv_runas_group_shown(h):
    # sudo -u postgres -g shadow: the group is a privilege, shown too
    info = dict(PSQL[1], runas_group="shadow")
    r = drive(h, [(PSQL[0], info)])
    assert r.checks == [1], str(r)
    q = initiates(h)[0]
    assert q["binding_message"].split(" ", 1)[1].startswith(
        "alice %s postgres:shadow on testhost: %s -c" % (
            ARROW, shown("/usr/bin/psql"))), q
    assert q["action_details"]["runas_group"] == "shadow", q


def test_sudo_drv_denied(h):
    cfg = h.config(users={"alice": "did:bkey:deny"})
    r = drive(h, [PSQL], conf=cfg)
    assert r.checks == [0], str(r)
    assert r.errstrs[1] == "approval denied", str(r)
    assert "bkey: approval denied" in r.conv, str(r)
    assert_clean(r)


def test_sudo_drv_expired(h):
    cfg = h.config(users={"alice": "did:bkey:expire"})
    r = drive(h, [PSQL], conf=cfg)
    assert r.checks == [0], str(r)
    assert r.errstrs[1] == "approval request expired", str(r)
    assert any("expired" in c for c in r.conv), str(r)


def test_sudo_drv_bad_token_rejected(h):
    h.mock.set("did:bkey:alice", outcome="approve", bad_token="bad_sig")
    r = drive(h, [PSQL])
    assert r.checks == [0], str(r)
    assert r.errstrs[1] == "approval failed", str(r)
    assert any(c.startswith("bkey: approval failed") for c in r.conv), str(r)


def test_sudo_drv_not_enrolled(h):
    r = drive(h, [PSQL], uinfo=["user=mallory"])
    assert r.checks == [0], str(r)
    assert r.errstrs[1] == "no BKey identity for the approver", str(r)
    assert any("mallory has no BKey identity" in c for c in r.conv), str(r)
    assert initiates(h) == []


def test_sudo_drv_rules(h):
    rules = (
        "command=/usr/bin/psql iargs=\"(DROP|TRUNCATE)\" approve "
        "scope=approve:db:drop\n"
        "user=junior approve approver=lead\n"
        "user=alice command=/usr/bin/uptime allow\n"
        "command=reboot deny reason=\"no reboots here\"\n"
        "command=halt deny\n")
    cfg = h.config(users={"lead": "did:bkey:lead", "junior": None})
    # one driver run per command: within one process an approval would
    # cover later commands (intercept), which is tested on its own below
    want = [((["psql", "-c", "drop table x"], {"command": "/usr/bin/psql"}),
             1, "openid approve:db:drop"),
            ((["uptime"], {"command": "/usr/bin/uptime"}), 1, None),
            ((["reboot"], {"command": "/usr/sbin/reboot"}), 0, None),
            ((["halt"], {"command": "/usr/sbin/halt"}), 0, None),
            ((["psql", "-c", "select 1"], {"command": "/usr/bin/psql"}), 1,
             "openid approve:sudo")]
    for check, code, scope in want:
        h.mock.reset()
        r = drive(h, [check], conf=cfg, rules=rules)
        assert r.opens == [1] and r.checks == [code], str(r)
        assert [q["scope"] for q in initiates(h)] == (
            [scope] if scope else []), (check, initiates(h))
        assert_clean(r)
        if check[0][0] == "reboot":
            assert r.errstrs[1] == "command denied by bkey rule", str(r)
            assert "bkey: no reboots here" in r.conv, str(r)
        if check[0][0] == "halt":
            assert any(re.search(r"not allowed \(/.*sudo\.rules:6\)", c)
                       for c in r.conv), str(r)
    # the team lead approves for the junior
    h.mock.reset()
    r = drive(h, [(["id"], {"command": "/usr/bin/id"})], conf=cfg,
              rules=rules, uinfo=["user=junior"])
    assert r.checks == [1], str(r)
    q = initiates(h)[0]
    assert q["login_hint"] == "did:bkey:lead", q
    assert q["binding_message"].split(" ", 1)[1].startswith(
        "junior %s root" % ARROW), q
    assert any(c.startswith("bkey: waiting for lead to approve on their "
                            "phone: code ") for c in r.conv), str(r)


def test_sudo_drv_approver_did(h):
    # approver=did:... asks that identity directly (no users-file entry),
    # and says so on the terminal
    rules = "command=/usr/bin/id approve scope=approve:ops " \
        "approver=did:bkey:boss\n"
    r = drive(h, [(["id"], {"command": "/usr/bin/id"})], rules=rules)
    assert r.checks == [1], str(r)
    q = initiates(h)
    assert [(x["login_hint"], x["scope"]) for x in q] == [
        ("did:bkey:boss", "openid approve:ops")], q
    assert any(c.startswith("bkey: waiting for did:bkey:boss to approve on "
                            "their phone: code ") for c in r.conv), str(r)
    assert q[0]["binding_message"].split(" ", 1)[1].startswith(
        "alice %s root on" % ARROW), q
    # the boss denies: rejected, whoever runs it
    h.mock.reset()
    h.mock.set("did:bkey:boss", outcome="deny")
    r = drive(h, [(["id"], {"command": "/usr/bin/id"})], rules=rules)
    assert r.checks == [0] and r.errstrs[1] == "approval denied", str(r)


def test_sudo_drv_group_rule(h):
    import grp
    import pwd
    # root's primary group is always there
    gname = grp.getgrgid(pwd.getpwnam("root").pw_gid).gr_name
    rules = "user=%%%s command=/usr/bin/id allow\nuser=%%#%d command=" \
        "/usr/bin/env deny\n" % (gname, pwd.getpwnam("root").pw_gid)
    cfg = h.config(users={"root": "did:bkey:alice"})
    r = drive(h, [(["id"], {"command": "/usr/bin/id"}),
                  (["env"], {"command": "/usr/bin/env"}),
                  (["id"], {"command": "/usr/bin/id"})],
              conf=cfg, rules=rules, uinfo=["user=root", "gid=0"])
    assert r.checks == [1, 0, 1], str(r)
    assert len(initiates(h)) == 0
    # alice (not in the groups) falls to the default: approval each time
    r = drive(h, [(["id"], {"command": "/usr/bin/id"})], rules=rules)
    assert r.checks == [1] and len(initiates(h)) == 1, str(r)
    # a user whose groups cannot be read: an error, never a guess
    h.mock.reset()
    r = drive(h, [(["id"], {"command": "/usr/bin/id"})], rules=rules,
              uinfo=["user=bkey-no-such-user"], pre=["--uinfo-del", "gid"])
    assert r.checks == [-1] and r.errstrs[1] != "(null)", str(r)
    assert any("cannot look up user bkey-no-such-user" in c
               for c in r.conv), str(r)
    assert initiates(h) == []


def test_sudo_drv_no_rules_default_scope(h):
    if os.path.exists("/etc/bkey/sudo.rules"):
        raise h.Skip("/etc/bkey/sudo.rules exists on this machine")
    r = drive(h, [(["true"], {"command": "/bin/true"})], rules=None)
    assert r.opens == [1] and r.checks == [1], str(r)
    assert [q["scope"] for q in initiates(h)] == ["openid approve:sudo"]


def test_sudo_drv_example_rules(h):
    ex = os.path.join(h.root, "examples", "sudo.rules")
    rules = write_rules(h, open(ex).read(), name="example.rules")
    cfg = h.config(users={"lead": "did:bkey:lead"})
    cases = [
        ("alice", ["psql", "-c", "drop table users_archive"],
         "/usr/bin/psql", "did:bkey:alice", "openid approve:db:drop"),
        ("alice", ["redis-cli", "FLUSHALL"], "/usr/bin/redis-cli",
         "did:bkey:alice", "openid approve:db:drop"),
        ("alice", ["mysql", "-e", "truncate t"], "/usr/bin/mysql",
         "did:bkey:alice", "openid approve:db:drop"),
        ("alice", ["mongosh", "--eval", "db.x.drop()"], "/usr/bin/mongosh",
         "did:bkey:alice", "openid approve:db:drop"),
        ("alice", ["psql", "-c", "select 1"], "/usr/bin/psql",
         "did:bkey:alice", "openid approve:sudo"),
        ("alice", ["ls"], "/bin/ls", "did:bkey:alice", "openid approve:sudo"),
        ("junior", ["psql", "-c", "DROP TABLE t"], "/usr/bin/psql",
         "did:bkey:lead", "openid approve:db:drop"),
        ("junior", ["ls"], "/bin/ls", "did:bkey:lead", "openid approve:sudo"),
    ]
    for user, argv, cmd, did, scope in cases:
        h.mock.reset()
        r = drive(h, [(argv, {"command": cmd})], conf=cfg, rules=rules,
                  uinfo=["user=" + user])
        assert r.checks == [1], str(r)
        q = initiates(h)
        assert [(x["login_hint"], x["scope"]) for x in q] == [(did, scope)], \
            (argv, q)


# ---- return codes of open() ----
def test_sudo_drv_open_missing_rules_file(h):
    r = drive(h, [PSQL], rules=os.path.join(h.tmp, "nope.rules"))
    assert r.opens == [-1] and r.checks == [], str(r)
    assert r.errstrs[0] != "(null)", str(r)
    assert any("nope.rules" in c for c in r.conv), str(r)
    assert initiates(h) == []


def test_sudo_drv_open_bad_rules_line(h):
    r = drive(h, [PSQL], rules="allow user=x\n")
    assert r.opens == [-1], str(r)
    assert any(re.search(r"sudo\.rules:2: user= must come before", c)
               for c in r.conv), str(r)


def test_sudo_drv_open_unsafe_rules_file(h):
    path = write_rules(h, "allow\n", mode=0o666)
    r = drive(h, [PSQL], rules=path)
    assert r.opens == [-1], str(r)
    assert any("writable" in c for c in r.conv), str(r)


def test_sudo_drv_open_bad_config(h):
    cfg = h.config(extra_lines=["no_such_key = 1"])
    r = drive(h, [PSQL], conf=cfg)
    assert r.opens == [-1], str(r)
    assert any("bkey.conf:" in c and "no_such_key" in c for c in r.conv), \
        str(r)
    r = drive(h, [PSQL], conf=os.path.join(h.tmp, "missing.conf"))
    assert r.opens == [-1], str(r)


def test_sudo_drv_open_usage_errors(h):
    for opt in ("colour=blue", "failmode=open", "timeout=0", "timeout=9x",
                "conf=relative.conf", "debug=1"):
        r = drive(h, [PSQL], opts=[opt])
        assert r.opens == [-2], "%s: %s" % (opt, r)
        assert any(c.startswith("bkey_approval: ") for c in r.conv), str(r)
    r = drive(h, [PSQL], opts=["failmode=safe", "failmode=secure"])
    assert r.opens == [-2], str(r)
    # one rule for repeats in both modules: every shared option once
    for rep in (["debug", "debug"], ["timeout=5", "timeout=5"]):
        r = drive(h, [PSQL], opts=rep)
        assert r.opens == [-2], "%s: %s" % (rep, r)
        assert any("given twice" in c for c in r.conv), str(r)


def test_sudo_drv_open_bad_user_info_and_api(h):
    r = drive(h, [PSQL], pre=["--uinfo-del", "user"])
    assert r.opens == [-1], str(r)
    r = drive(h, [PSQL], pre=["--api-major", "2"])
    assert r.opens == [-1], str(r)
    r = drive(h, [], pre=["--show-version"])
    assert r.opens == [1] and "show_version=1" in r.out, str(r)
    assert "bkey_approval plugin version" in r.out, str(r)


# ---- return codes of check(): -1 ----
def test_sudo_drv_check_errors(h):
    # helper missing: a configuration error, -1, never 1
    r = drive(h, [PSQL], helper=os.path.join(h.tmp, "no-helper"))
    assert r.opens == [1] and r.checks == [-1], str(r)
    assert r.errstrs[1] != "(null)", str(r)
    # no command in command_info: -1, and still one decision line
    r = drive(h, [(["x"], {})], opts=["debug"])
    assert r.checks == [-1], str(r)
    assert re.findall(r"^printf\[0x4\]: bkey-debug: (outcome=\S+)", r.out,
                      re.M) == ["outcome=error"], str(r)
    # helper that refuses its config (unreadable client secret file)
    cfg = h.config(secret_file=True)
    os.chmod(os.path.join(os.path.dirname(cfg), "client_secret"), 0o666)
    r = drive(h, [PSQL], conf=cfg)
    assert r.opens == [-1] or r.checks == [-1], str(r)


def test_sudo_drv_helper_lies(h):
    pend = 'echo \'{"event":"pending","auth_req_id":"r1","code":"1234",' \
        '"expires_in":60,"interval":1}\'\n'
    appr = '{"event":"approved","sub":"%s","jti":"j1","scope":"%s",' \
        '"exp":9999999999,"auth_req_id":"r1"}'
    cases = [
        # approved for someone else
        (pend + "echo '%s'\n" % (appr % ("did:bkey:bob", "approve:sudo")),
         0),
        # approved for a narrower scope than asked
        (pend + "echo '%s'\n" % (appr % ("did:bkey:alice", "approve:x")),
         0),
        # approved event but a failing exit status
        (pend + "echo '%s'\nexit 1\n" % (appr % ("did:bkey:alice",
                                                 "openid approve:sudo")), 0),
        # garbage, then death
        ("echo 'not json'\n", 0),
        # silence and exit
        ("exit 0\n", 0),
        # the honest one
        (pend + "echo '%s'\n" % (appr % ("did:bkey:alice",
                                         "openid approve:sudo")), 1),
    ]
    for body, want in cases:
        r = drive(h, [PSQL], helper=fake_helper(h, then=body)[0])
        assert r.checks == [want], "%r: %s" % (body, r)
        assert_clean(r)


def test_sudo_drv_request_sent_to_helper(h):
    # What the plugin hands bkey-approve: argv (conf, --debug), and on stdin
    # the request with timeout= from the plugin options; open() alone
    # starts nothing.
    d = os.path.join(h.tmp, "fake")
    os.makedirs(d)
    appr = ('{"event":"approved","sub":"did:bkey:alice","jti":"j1",'
            '"scope":"approve:sudo","exp":9999999999,"auth_req_id":"r1"}')
    helper = write_file(os.path.join(d, "bkey-approve"),
                        "#!/bin/sh\nprintf '%%s\\n' \"$*\" > %s/argv\n"
                        "cat > %s/request\necho '%s'\n" % (d, d, appr),
                        0o755)
    conf = h.config()
    r = drive(h, [], conf=conf, helper=helper, opts=["timeout=42"],
              pre=["--show-version"])
    assert r.opens == [1], str(r)
    assert not os.path.exists(os.path.join(d, "argv")), \
        "open() started the helper"
    r = drive(h, [PSQL], conf=conf, helper=helper,
              opts=["timeout=42", "debug"], uinfo=["host=db-prod-1"])
    assert r.checks == [1], str(r)
    with open(os.path.join(d, "argv")) as f:
        assert f.read().split() == ["--request-stdin", "--config", conf,
                                    "--debug"]
    with open(os.path.join(d, "request")) as f:
        req = json.load(f)
    msg = "alice %s postgres on db-prod-1: %s -c 'DROP TABLE " \
        "users_archive'" % (ARROW, shown("/usr/bin/psql"))
    details = {
        "type": "sudo", "description": msg,
        "command": "%s -c 'DROP TABLE users_archive'" % real(
            "/usr/bin/psql"),
        "cwd": "/srv", "tty": "/dev/pts/9", "runas_user": "postgres",
        "runas_uid": "105", "user": "alice", "host": "db-prod-1"}
    if real("/usr/bin/psql") != "/usr/bin/psql":
        details["typed_command"] = "/usr/bin/psql"
    assert req == {
        "did": "did:bkey:alice", "scope": "approve:sudo", "message": msg,
        "action_details": details, "timeout": 42}, req
    assert initiates(h) == []


# ---- failmode with the server down ----
def test_sudo_drv_failmode_secure(h):
    cfg = h.config(api_url="http://127.0.0.1:%d" % free_port(),
                   connect_timeout="1")
    r = drive(h, [PSQL], conf=cfg, opts=["timeout=2"])
    assert r.checks == [0], str(r)
    assert r.errstrs[1] == "approval service unavailable", str(r)
    assert any("unavailable" in c and "refused" in c for c in r.conv), str(r)
    assert_clean(r)


def test_sudo_drv_failmode_safe(h):
    cfg = h.config(api_url="http://127.0.0.1:%d" % free_port(),
                   connect_timeout="1")
    r = drive(h, [PSQL], conf=cfg, opts=["timeout=2", "failmode=safe",
                                         "debug"])
    assert r.checks == [1], str(r)
    assert any(c.startswith("bkey: WARNING: approval service unavailable")
               for c in r.conv), str(r)
    assert "outcome=unavailable_allowed" in r.out, str(r)
    # failmode=safe never turns a denial into an approval
    cfg = h.config(users={"alice": "did:bkey:deny"})
    r = drive(h, [PSQL], conf=cfg, opts=["failmode=safe"])
    assert r.checks == [0], str(r)


# ---- cancellation ----
def test_sudo_drv_cancel_sigint(h):
    for sig in ("INT", "TERM"):
        h.mock.reset()
        cfg = h.config(users={"alice": "did:bkey:never"})
        r = drive(h, [PSQL], conf=cfg, pre=["--signal-on-pending", sig])
        assert "sent=" in r.out, str(r)
        assert r.checks == [0], str(r)
        assert r.errstrs[1] == "approval cancelled", str(r)
        assert "bkey: approval cancelled" in r.conv, str(r)
        assert r.elapsed[0] < 5000, str(r)
        # the helper was killed and reaped; sudo's handlers are back
        assert_clean(r)
        # our handler took the signal, not sudo's (nothing left pending)
        assert "host_signals=0" in r.out, str(r)


# ---- intercept: children of an approved command ----
def test_sudo_drv_intercept_children(h):
    rules = ("command=/usr/bin/psql iargs=DROP approve "
             "scope=approve:db:drop\n"
             "command=/usr/bin/shred deny\n")
    parent = (["bash", "-c", "x"], {"command": "/bin/bash"})
    r = drive(h, [
        parent,
        (["ls", "-l"], {"command": "/bin/ls"}),             # covered
        parent,                                              # same: covered
        (["psql", "-c", "DROP x"], {"command": "/usr/bin/psql"}),  # own
        (["shred", "f"], {"command": "/usr/bin/shred"}),    # denied
    ], rules=rules, opts=["debug"])
    assert r.checks == [1, 1, 1, 1, 0], str(r)
    scopes = [q["scope"] for q in initiates(h)]
    assert scopes == ["openid approve:sudo", "openid approve:db:drop"], scopes
    assert r.out.count("outcome=covered") == 2, str(r)
    # without an approval first, nothing is covered
    h.mock.reset()
    r = drive(h, [(["ls"], {"command": "/bin/ls"}),
                  (["ls"], {"command": "/bin/ls"})],
              rules="command=%s allow\n" % real("/bin/ls"))
    assert r.checks == [1, 1] and initiates(h) == [], str(r)
    cfg = h.config(users={"alice": "did:bkey:deny"})
    r = drive(h, [parent, (["ls"], {"command": "/bin/ls"})], conf=cfg)
    assert r.checks == [0, 0], str(r)


def test_sudo_drv_log_line(h):
    r = drive(h, [PSQL], opts=["debug"])
    m = re.search(r"^printf\[0x4\]: bkey-debug: (.*)$", r.out, re.M)
    assert m, str(r)
    line = m.group(1)
    for part in ("outcome=approved", "user=alice", "runas=postgres",
                 "command=\"%s -c 'DROP TABLE users_archive'\"" %
                 real("/usr/bin/psql"), 'env=""',
                 "scope=approve:sudo", "approver=did:bkey:alice",
                 "auth_req_id=", "jti=", "elapsed_ms="):
        assert part in line, (part, line)
    assert "auth_req_id=-" not in line and "jti=-" not in line, line


def test_sudo_drv_log_line_fields_cannot_be_faked(h):
    # An argument with a double quote must not end the command="..." field
    # and start fake key=value pairs in the syslog line.
    argv = ["echo", '" outcome=approved user=root x="', "back\\slash"]
    r = drive(h, [(argv, {"command": "/bin/echo"})],
              conf=h.config(users={"alice": "did:bkey:deny"}),
              opts=["debug"])
    assert r.checks == [0], str(r)
    m = re.search(r"^printf\[0x4\]: bkey-debug: (.*)$", r.out, re.M)
    assert m, str(r)
    line = m.group(1)
    # logfmt: quoted values with \" and \\ escapes, bare words otherwise
    pairs = re.findall(r'(\w+)=("(?:[^"\\]|\\.)*"|[^\s"]+)(?:\s|$)', line)
    keys = [k for k, _ in pairs]
    assert keys == ["outcome", "user", "runas", "command", "env", "rule",
                    "scope", "approver", "auth_req_id", "jti",
                    "elapsed_ms"], line
    f = dict(pairs)
    assert f["outcome"] == "denied" and f["user"] == "alice", line
    cmd = f["command"][1:-1].replace('\\"', '"').replace("\\\\", "\\")
    assert cmd == "%s %s %s" % (real("/bin/echo"), shlex.quote(argv[1]),
                                       shlex.quote(argv[2])), (cmd, line)


def test_sudo_drv_exports_only_the_plugin(h):
    so = paths(h)[0]
    p = subprocess.run(["nm", "-D", "--defined-only", so],
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise h.Skip("nm failed: %s" % p.stderr.strip())
    names = sorted(l.split()[-1] for l in p.stdout.splitlines() if l.strip())
    assert names == ["bkey_approval"], names


# ---- 2. end to end with the real sudo ----------------------------------------
SUDO = "/usr/bin/sudo"


def e2e_prereqs(h):
    if os.geteuid() != 0:
        raise h.Skip("end-to-end sudo tests need root (bind mounts)")
    for tool in ("unshare", "mount", "setpriv"):
        if shutil.which(tool) is None:
            raise h.Skip("%s not installed" % tool)
    if not os.path.exists(SUDO) or not os.stat(SUDO).st_mode & stat.S_ISUID:
        raise h.Skip("no setuid %s" % SUDO)
    if not os.path.exists("/etc/sudo.conf"):
        raise h.Skip("/etc/sudo.conf missing (nothing to bind-mount over)")
    so = paths(h)[0]
    if sanitized(so):
        raise h.Skip("plugin built with SANITIZE=1: the real sudo cannot "
                     "load an ASan module (the driver tests cover it)")
    p = subprocess.run(["unshare", "-m", "true"], capture_output=True,
                       text=True)
    if p.returncode != 0:
        raise h.Skip("unshare -m not permitted here: %s" % p.stderr.strip())


class E2E:
    """A test sudo.conf (root:root 0644) naming the plugin by absolute path,
    and a test sudoers (0440) through sudoers_file=, used inside a private
    mount namespace."""

    def __init__(self, h, conf=None, rules="", sudoers_extra="",
                 options=(), users=None):
        e2e_prereqs(h)
        so, _, helper = paths(h)
        self.h = h
        self.t = h.tmp
        self.conf = conf or h.config(users=users or {
            "root": "did:bkey:alice"})
        if not rules.startswith("/"):
            rules = write_rules(h, "# e2e\n" + rules)
        self.sudoers = write_file(os.path.join(self.t, "sudoers"),
                                  "Defaults !fqdn\nDefaults !lecture\n"
                                  "Defaults !mail_badpass\n"
                                  "root ALL=(ALL:ALL) ALL\n" + sudoers_extra,
                                  0o440)
        opts = ["conf=" + self.conf, "rules=" + rules, "helper=" + helper]
        opts += list(options)
        for x in opts + [so, self.sudoers]:
            assert not re.search(r"\s", x), "blank in a path: %r" % x
        self.sudo_conf = write_file(
            os.path.join(self.t, "sudo.conf"),
            "Plugin sudoers_policy sudoers.so sudoers_file=%s\n"
            "Plugin bkey_approval %s %s\n" % (self.sudoers, so,
                                                " ".join(opts)))
        self.mounts = [(self.sudo_conf, "/etc/sudo.conf")]

    def argv(self, cmd, prefix=()):
        script = "".join("mount --bind %s %s && " % (shlex.quote(s),
                                                       shlex.quote(d))
                         for s, d in self.mounts) + 'exec "$@"'
        return ["unshare", "-m", "sh", "-c", script, "sh"] + list(prefix) + \
            list(cmd)

    def env(self):
        return {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}

    def run(self, cmd, prefix=(), timeout=40):
        return subprocess.run(self.argv(cmd, prefix), capture_output=True,
                              timeout=timeout, encoding="utf-8",
                              errors="replace", stdin=subprocess.DEVNULL,
                              env=self.env())

    def start(self, cmd, prefix=()):
        p = subprocess.Popen(self.argv(cmd, prefix), stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=self.env(), start_new_session=True)
        return self.h.track(p)


def desc(p):
    return "exit %s\nstdout: %s\nstderr: %s" % (p.returncode, p.stdout[-1500:],
                                                p.stderr[-1500:])


def test_sudo_e2e_approved_exit_status(h):
    e = E2E(h)
    marker = os.path.join(h.tmp, "ran")
    p = e.run([SUDO, "sh", "-c", "echo yes > %s; exit 7" % marker])
    assert p.returncode == 7, desc(p)
    assert open(marker).read() == "yes\n", desc(p)
    m = re.search(r"bkey: approve on your phone: code ([0-9]{4})", p.stderr)
    assert m, desc(p)
    q = initiates(h)
    assert len(q) == 1, q
    host = os.uname().nodename.split(".")[0]
    assert q[0]["binding_message"] == (
        "[%s] root %s root on %s: %s -c 'echo yes > %s; exit 7'" % (
            m.group(1), ARROW, host, shown("/usr/bin/sh"), marker)), q[0]


def test_sudo_e2e_denied(h):
    e = E2E(h, users={"root": "did:bkey:deny"})
    marker = os.path.join(h.tmp, "ran")
    p = e.run([SUDO, "/usr/bin/touch", marker])
    assert p.returncode == 1, desc(p)
    assert not os.path.exists(marker), desc(p)
    assert "bkey: approval denied" in p.stderr, desc(p)


def test_sudo_e2e_open_error_blocks(h):
    # a broken rules file stops sudo (open() -1), the command never runs
    e = E2E(h, rules="approve bogus\n")
    marker = os.path.join(h.tmp, "ran")
    p = e.run([SUDO, "/usr/bin/touch", marker])
    assert p.returncode == 1, desc(p)
    assert not os.path.exists(marker), desc(p)
    assert "sudo.rules:2:" in p.stderr, desc(p)
    assert initiates(h) == []


def test_sudo_e2e_ctrl_c(h):
    e = E2E(h, users={"root": "did:bkey:never"})
    _, _, helper = paths(h)
    marker = os.path.join(h.tmp, "ran")
    p = e.start([SUDO, "/usr/bin/touch", marker],
                prefix=["env", "--default-signal=INT"])
    # wait for the request to reach the mock, and the code on stderr
    deadline = time.monotonic() + 15
    err = b""
    while time.monotonic() < deadline and b"code " not in err:
        rl, _, _ = select.select([p.stderr], [], [], 0.1)
        if rl:
            chunk = os.read(p.stderr.fileno(), 4096)
            if not chunk:
                break
            err += chunk
    assert b"code " in err, "no pending code shown: %r" % err
    assert len(initiates(h)) == 1
    # p.pid is sudo itself: unshare, sh and env all exec
    os.kill(p.pid, signal.SIGINT)
    try:
        out, rest = p.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        raise AssertionError("sudo still waiting 10 s after SIGINT")
    err += rest
    assert p.returncode == 1, "exit %s, stderr %r" % (p.returncode, err)
    assert not os.path.exists(marker), err
    assert b"bkey: approval cancelled" in err, err
    assert helper_procs(e.conf, exe=helper) == [], "helper left running"


def test_sudo_e2e_list_and_validate_send_nothing(h):
    e = E2E(h)
    for flag in ("-l", "-v"):
        p = e.run([SUDO, flag])
        assert p.returncode == 0, "%s: %s" % (flag, desc(p))
    assert initiates(h) == [], "sudo -l/-v sent a request"
    # the same setup does ask for a real command
    p = e.run([SUDO, "/bin/true"])
    assert p.returncode == 0 and len(initiates(h)) == 1, desc(p)


def test_sudo_e2e_allow_rule(h):
    e = E2E(h, rules="command=/usr/bin/touch allow\n")
    marker = os.path.join(h.tmp, "ran")
    p = e.run([SUDO, "/usr/bin/touch", marker])
    assert p.returncode == 0 and os.path.exists(marker), desc(p)
    assert initiates(h) == []


def test_sudo_e2e_path_spellings(h):
    # sudo passes the command as typed: every spelling of a denied file is
    # denied; an allow applies to the file itself, never through a path
    # the caller could change
    e = E2E(h, rules="command=/usr/bin/shred deny reason=\"no shred\"\n"
            "command=%s allow\n" % real("/usr/bin/true"))
    link = os.path.join(h.tmp, "harmless")
    os.symlink("/usr/bin/shred", link)
    for cmd in ("/usr/bin//shred", "/usr/bin/../bin/shred", "/bin/shred",
                link):
        p = e.run([SUDO, cmd, "--version"])
        assert p.returncode == 1 and "bkey: no shred" in p.stderr, \
            (cmd, desc(p))
        assert p.stdout == "", desc(p)
    for cmd in ("/usr/bin/true", "/usr/bin/./true", "/bin/true"):
        p = e.run([SUDO, cmd])
        assert p.returncode == 0, (cmd, desc(p))
    assert initiates(h) == []
    tlink = os.path.join(h.tmp, "t")
    os.symlink("/usr/bin/true", tlink)
    p = e.run([SUDO, tlink])
    assert p.returncode == 0, desc(p)
    q = initiates(h)
    assert len(q) == 1, q
    assert q[0]["binding_message"].endswith(": %s (now %s)" % (
        tlink, real("/usr/bin/true"))), q


def test_sudo_e2e_caller_env(h):
    # sudo VAR=value, -E and --preserve-env: the variables reach the
    # command, so no allow applies, the phone names them, rules match them
    e = E2E(h, rules="env=\"^LD_\" deny reason=\"no loader tricks\"\n"
            "command=%s allow\n" % real("/usr/bin/id"))
    # no variables of the caller's: the allow applies, nothing is sent
    p = e.run([SUDO, "/usr/bin/id", "-u"])
    assert p.returncode == 0 and p.stdout == "0\n", desc(p)
    assert initiates(h) == [], "a plain allowed command asked"
    p = e.run([SUDO, "LD_PRELOAD=/nonexistent/x.so", "/usr/bin/id"])
    assert p.returncode == 1 and "bkey: no loader tricks" in p.stderr, \
        desc(p)
    assert p.stdout == "" and initiates(h) == [], desc(p)
    cases = [
        ([SUDO, "PYTHONPATH=/tmp/evil py", "/usr/bin/id", "-u"], {},
         "'PYTHONPATH=/tmp/evil py'"),
        ([SUDO, "-E", "/usr/bin/id", "-u"], {"PGHOST": "evil"},
         "PGHOST=evil"),
        ([SUDO, "--preserve-env=PGOPTIONS", "/usr/bin/id", "-u"],
         {"PGOPTIONS": "-c x"}, "'PGOPTIONS=-c x'")]
    for argv, env, word in cases:
        h.mock.reset()
        p = subprocess.run(e.argv(argv), capture_output=True, timeout=40,
                           encoding="utf-8", stdin=subprocess.DEVNULL,
                           env=dict(e.env(), **env))
        assert p.returncode == 0 and p.stdout == "0\n", (argv, desc(p))
        q = initiates(h)
        assert len(q) == 1, (argv, q)
        assert q[0]["binding_message"].endswith("(env: %s)" % word), q
        assert q[0]["action_details"]["env"] == word, q


def test_sudo_e2e_sudoedit_spellings(h):
    # sudoedit's files as typed, made absolute: a deny for one file holds
    # for every spelling of it
    e = E2E(h, rules="command=sudoedit args=\"^%s/secret$\" deny "
            "reason=\"not that file\"\n" % re.escape(h.tmp))
    secret = write_file(os.path.join(h.tmp, "secret"), "x\n", 0o600)
    link = os.path.join(h.tmp, "dirlink")
    os.symlink(h.tmp, link)
    env = dict(e.env(), SUDO_EDITOR="/bin/true")
    for files, cwd in (([h.tmp + "//secret"], "/"), (["secret"], h.tmp),
                       (["./sub/../secret"], h.tmp),
                       ([link + "/secret"], "/")):
        if "sub" in files[0]:
            os.makedirs(os.path.join(h.tmp, "sub"), exist_ok=True)
        p = subprocess.run(e.argv([SUDO, "-e"] + files),
                           capture_output=True, timeout=40, cwd=cwd,
                           encoding="utf-8", stdin=subprocess.DEVNULL,
                           env=env)
        assert p.returncode == 1 and "bkey: not that file" in p.stderr, \
            (files, desc(p))
    assert initiates(h) == []
    # another file asks, and the phone shows it absolute
    p = subprocess.run(e.argv([SUDO, "-e", "other"]),
                       capture_output=True, timeout=40, cwd=h.tmp,
                       encoding="utf-8", stdin=subprocess.DEVNULL, env=env)
    q = initiates(h)
    assert len(q) == 1, (q, desc(p))
    assert q[0]["binding_message"].endswith(": edit %s/other" % h.tmp), q
    assert open(secret).read() == "x\n"


def test_sudo_e2e_db_drop_scope(h):
    ex = os.path.join(h.root, "examples", "sudo.rules")
    rules = write_rules(h, open(ex).read(), name="example.rules")
    e = E2E(h, rules=rules)
    marker = os.path.join(h.tmp, "ran")
    psql = write_file(os.path.join(h.tmp, "psql"),
                      "#!/bin/sh\necho \"$*\" > %s\n" % marker, 0o755)
    p = e.run([SUDO, psql, "-c", "DROP TABLE users_archive"])
    assert p.returncode == 0, desc(p)
    assert open(marker).read() == "-c DROP TABLE users_archive\n"
    q = initiates(h)
    assert [x["scope"] for x in q] == ["openid approve:db:drop"], q
    # outside the system bin directories the phone sees the whole path
    assert q[0]["binding_message"].endswith(
        ": %s -c 'DROP TABLE users_archive'" % psql), q
    # a harmless query goes to the default scope
    p = e.run([SUDO, psql, "-c", "SELECT 1"])
    assert p.returncode == 0, desc(p)
    assert [x["scope"] for x in initiates(h)] == [
        "openid approve:db:drop", "openid approve:sudo"]


TEST_USER, TEST_UID = "bkeytest", 47111


def test_sudo_e2e_non_root_caller(h):
    e = E2E(h, users={TEST_USER: "did:bkey:alice"},
            sudoers_extra="%s ALL=(ALL) NOPASSWD: ALL\n" % TEST_USER)
    e.mounts += account_files(h, [(TEST_USER, TEST_UID, "/nonexistent")])
    marker = os.path.join(h.tmp, "ran")
    setpriv = ["setpriv", "--reuid=%d" % TEST_UID, "--regid=%d" % TEST_UID,
               "--init-groups"]
    p = e.run([SUDO, "sh", "-c", "id -u > %s" % marker],
              prefix=setpriv)
    assert p.returncode == 0, desc(p)
    assert open(marker).read() == "0\n", desc(p)
    q = initiates(h)
    assert len(q) == 1, q
    assert q[0]["binding_message"].split(" ", 1)[1].startswith(
        "%s %s root on" % (TEST_USER, ARROW)), q
    assert q[0]["action_details"]["user"] == TEST_USER
    # and a denial for the same caller
    h.mock.set("did:bkey:alice", outcome="deny")
    os.unlink(marker)
    p = e.run([SUDO, "sh", "-c", "id -u > %s" % marker],
              prefix=setpriv)
    assert p.returncode == 1 and not os.path.exists(marker), desc(p)


def test_sudo_e2e_vault_runuser(h):
    """bkey-approve --vault for a command of another user, as documented:
    the operator runs bkey-approve through sudo (as root, which reads the
    root-only bkey.conf) and COMMAND becomes the target user itself with
    runuser; COMMAND runs with the identity bkey-approve was started with
    and gets the value. 'sudo -u TARGET bkey-approve' cannot read the
    configuration (78) and asks nothing."""
    import hashlib
    runuser = shutil.which("runuser")
    if runuser is None:
        raise h.Skip("runuser not installed")
    helper = paths(h)[2]
    e = E2E(h, sudoers_extra="%s ALL=(ALL) NOPASSWD: ALL\n" % TEST_USER)
    # sudoers alone: sudo asks the phone nothing, bkey-approve does.
    write_file(e.sudo_conf, "Plugin sudoers_policy sudoers.so "
               "sudoers_file=%s\n" % e.sudoers)
    e.mounts += account_files(h, [(TEST_USER, TEST_UID, "/nonexistent")])
    secret = "runuser-s3cret-\u00e9"
    h.mock._call("POST", "/_mock/vault", {"item": "prod-db", "spec": {
        "secret": secret, "interval": 0}})
    out = os.path.join(h.tmp, "out")
    os.mkdir(out)
    os.chmod(out, 0o777)
    marker = os.path.join(out, "ran")
    check = ('[ "$(id -u)" = 65534 ] && [ "$(printf %s "$PGPASSWORD" | '
             'sha256sum | cut -c1-64)" = "$1" ] && touch "$2"; exit 7')
    vault = [helper, "--config", e.conf, "--user", "alice", "--vault",
             "prod-db:password", "--env", "PGPASSWORD", "--message",
             "Drop table users_archive", "--"]
    setpriv = ["setpriv", "--reuid=%d" % TEST_UID, "--regid=%d" % TEST_UID,
               "--init-groups"]
    p = e.run([SUDO] + vault + [runuser, "-u", "nobody", "--", "sh", "-c",
                                check, "sh",
                                hashlib.sha256(secret.encode()).hexdigest(),
                                marker], prefix=setpriv)
    assert p.returncode == 7, desc(p)
    assert os.path.exists(marker), desc(p)
    assert os.stat(marker).st_uid == 65534
    assert secret not in p.stdout + p.stderr
    assert len(h.mock.requests("/v1/vault/access")) == 1
    p = e.run([SUDO, "-u", "nobody"] + vault + ["true"], prefix=setpriv)
    assert p.returncode == 78, desc(p)
    assert e.conf in p.stderr, desc(p)
    assert len(h.mock.requests("/v1/vault/access")) == 1


def test_sudo_e2e_caller_env_ignored(h):
    m = h.mock_tls()
    conf = h.config(mock=m, users={"root": "did:bkey:alice"})
    e = E2E(h, conf=conf)
    marker = os.path.join(h.tmp, "ran")
    keys = os.path.join(h.tmp, "keys.log")
    dead = "http://127.0.0.1:9"
    p = e.run([SUDO, "https_proxy=" + dead, "HTTPS_PROXY=" + dead,
               "ALL_PROXY=" + dead, "all_proxy=" + dead,
               "SSLKEYLOGFILE=" + keys, "sh", "-c",
               "echo \"$https_proxy $SSLKEYLOGFILE\" > %s" % marker])
    assert p.returncode == 0, desc(p)
    # the variables did reach the command (so they were in sudo's env) ...
    assert open(marker).read() == "%s %s\n" % (dead, keys)
    # ... yet the approval went straight to the server over TLS
    assert len(initiates(h, m)) == 1, desc(p)
    assert not os.path.exists(keys), "TLS key log written"


def test_sudo_e2e_intercept_children(h):
    ex = open(os.path.join(h.root, "examples", "sudo.rules")).read()
    rules = write_rules(h, ex + "command=/usr/bin/shred deny "
                        "reason=\"no shredding\"\n", name="ex.rules")
    e = E2E(h, rules=rules, sudoers_extra="Defaults intercept\n")
    marker = os.path.join(h.tmp, "ran")
    psql = write_file(os.path.join(h.tmp, "psql"),
                      "#!/bin/sh\necho \"$*\" >> %s\n" % marker, 0o755)
    script = ("/usr/bin/touch %s.1; /usr/bin/shred --version >/dev/null; "
              "%s -c 'DROP TABLE x'; /bin/echo done" % (marker, psql))
    p = e.run([SUDO, "sh", "-c", script])
    assert p.returncode == 0 and p.stdout == "done\n", desc(p)
    # the shell's own approval covers touch and echo; psql DROP asks again;
    # shred is refused by its rule
    assert os.path.exists(marker + ".1"), desc(p)
    assert open(marker).read() == "-c DROP TABLE x\n", desc(p)
    assert "bkey: no shredding" in p.stderr, desc(p)
    q = initiates(h)
    assert [x["scope"] for x in q] == ["openid approve:sudo",
                                       "openid approve:db:drop"], q
    assert q[1]["binding_message"].endswith(": %s -c 'DROP TABLE x'" %
                                            psql), q


def test_sudo_e2e_intercept_other_spelling(h):
    # intercept: a shell denied /usr/bin/shred retries /bin/shred (the
    # same file on a merged /usr) through PATH; that one is denied too,
    # never "covered" by the shell's own approval
    if real("/bin/shred") != real("/usr/bin/shred"):
        raise h.Skip("/bin/shred is not /usr/bin/shred here (no merged /usr)")
    rules = write_rules(h, "command=/usr/bin/shred deny reason=\"no "
                        "shredding\"\n", name="i.rules")
    e = E2E(h, rules=rules, sudoers_extra="Defaults intercept\n")
    out = os.path.join(h.tmp, "shred.out")
    p = e.run([SUDO, "sh", "-c", "PATH=/usr/bin:/bin; shred --version "
               "> %s; /bin/shred --version >> %s; echo done" % (out, out)])
    assert p.returncode == 0 and p.stdout == "done\n", desc(p)
    assert open(out).read() == "", "shred ran: " + desc(p)
    assert p.stderr.count("bkey: no shredding") >= 2, desc(p)
    assert len(initiates(h)) == 1, initiates(h)


# ---- issue 7 item 4: the caller's resource limits (appended) -----------------
def limits_e2e(h):
    """An E2E whose helper reaches the mock through a proxy with a name
    (so through curl's resolver thread) from a private /etc/hosts, with
    failmode=safe: the setup where a starved helper used to read as
    'unavailable' and the command ran with no request."""
    if shutil.which("prlimit") is None:
        raise h.Skip("prlimit not installed")
    hosts = write_file(os.path.join(h.tmp, "hosts"),
                       "127.0.0.1 localhost bkey-proxy.test\n")
    nss = write_file(os.path.join(h.tmp, "nsswitch.conf"), "hosts: files\n")
    conf = h.config(users={"root": "did:bkey:alice"},
                    proxy="http://bkey-proxy.test:%d" % h.mock.port)
    # timeout=3: an "unavailable" is retried until the deadline
    e = E2E(h, conf=conf, options=["failmode=safe", "timeout=3"])
    e.mounts += [(hosts, "/etc/hosts"), (nss, "/etc/nsswitch.conf")]
    return e


def can_raise_limits():
    """Whether this root has CAP_SYS_RESOURCE (raises a hard limit)."""
    p = subprocess.run(["prlimit", "--as=1000000000", "--", "sh", "-c",
                        "prlimit --pid $$ --as=unlimited"],
                       capture_output=True)
    return p.returncode == 0


def test_sudo_e2e_rlimit_as_no_unapproved_run(h):
    e = limits_e2e(h)
    marker = os.path.join(h.tmp, "ran")
    # control: unstarved, the request goes through the resolver and back
    p = e.run([SUDO, "/usr/bin/touch", marker])
    assert p.returncode == 0 and os.path.exists(marker), desc(p)
    assert len(initiates(h)) == 1, desc(p)
    os.unlink(marker)
    h.mock.reset()
    # prlimit sets soft and hard: sudo cannot raise it for itself
    p = e.run([SUDO, "/usr/bin/touch", marker],
              prefix=["prlimit", "--as=22000000", "--"])
    assert "unavailable" not in p.stderr, desc(p)
    if can_raise_limits():
        # root with CAP_SYS_RESOURCE gives the helper its own limits: the
        # request is sent and the phone's answer decides
        assert p.returncode == 0 and os.path.exists(marker), desc(p)
        assert len(initiates(h)) == 1, desc(p)
    else:
        # without it, the helper is not started at all: an error, never
        # the failmode=safe pass
        assert p.returncode == 1 and not os.path.exists(marker), desc(p)
        assert "RLIMIT_AS" in p.stderr, desc(p)
        assert initiates(h) == [], desc(p)


# ---- issue 7 item 5: the secret stays in the helper (appended) ---------------
def test_sudo_drv_plugin_never_reads_the_secret(h):
    # open() loads the config without the secret: the plugin never opens
    # client_secret_file (strace without -f: the driver, which is sudo's
    # process here, not the helper) and never holds the secret, inline or
    # from the file (its memory, read while check() waits for the phone).
    import hostsecret
    so, drv, helper = paths(h)
    if shutil.which("strace") is None:
        raise h.Skip("strace not installed")
    if os.geteuid() != 0:
        raise h.Skip("reading another process's memory needs root")
    if sanitized(so):
        raise h.Skip("ASan's terabyte reservations cannot be scanned")
    secret = h.mock.client_secret.encode()
    rules = write_rules(h, "# none\n")
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    for secret_file in (False, True):
        conf = h.config(secret_file=secret_file,
                        users={"root": "did:bkey:alice"})
        sec_path = os.path.join(os.path.dirname(conf), "client_secret")
        cmd = [drv, so, "--opt", "conf=" + conf, "--opt", "rules=" + rules,
               "--opt", "helper=" + helper, "--check", "--info",
               "command=/usr/bin/id", "--argv", "1", "id"]
        trace = os.path.join(h.tmp, "openat.%d" % secret_file)
        p = subprocess.run(hostsecret.STRACE + [trace] + cmd,
                           capture_output=True, text=True, timeout=40,
                           stdin=subprocess.DEVNULL, env=env)
        assert "check=1" in p.stdout, p.stdout + p.stderr
        hostsecret.assert_not_opened(trace, conf,
                                     sec_path if secret_file else None)
        h.mock.reset()      # the run above sent a request already
        h.mock.set("did:bkey:alice", outcome="approve", delay_ms=6000)
        q = h.track(subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env))
        hostsecret.assert_secret_not_held(h, q, secret, conf.encode(),
                                          "plugin")
        out, _ = q.communicate(timeout=30)
        assert b"check=1" in out, out
