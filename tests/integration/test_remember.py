# SPDX-License-Identifier: ISC
"""
Remember windows (issue 11, section 4): rules key remember=SECONDS. After
an approval for such a rule, the same user, in the same session (sid and
its leader's start time), on the same tty, for the same rule text, runas
user and scope, is not asked again until the window ends, never past the
token's exp. The window is a root-only record in STATE_DIR/remember
holding its end ("v1 EPOCH"): the tests age it by rewriting that, never
by sleeping. sudo -k CMD (ignore_ticket) ends it.
"""

import glob
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_sudo import (E2E, SUDO, desc, drive, initiates,  # noqa: E402
                       write_rules)

TRUE = (["true"], {"command": "/usr/bin/true"})
ID = (["id"], {"command": "/usr/bin/id"})
RULE = "command=/usr/bin/* approve remember=300\n"
NOT_ASKED = "approval needed; not asked because of -n"


def session():
    return ["sid=%d" % os.getsid(0)]


def run(h, conf, checks=(TRUE,), rules=RULE, uinfo=(), pre=(), **kw):
    """One sudo process: the rules file is rewritten each time (same
    path), so an edit is a new text for the same line."""
    path = write_rules(h, "# remember\n" + rules)
    return drive(h, list(checks), conf=conf, rules=path,
                 uinfo=session() + list(uinfo), pre=pre, **kw)


def records(conf):
    return sorted(glob.glob(os.path.join(os.path.dirname(conf), "state",
                                         "remember", "*")))


def record_end(path):
    with open(path) as f:
        text = f.read()
    m = re.fullmatch(r"v1 (\d+)\n", text)
    assert m, text
    return int(m.group(1))


def age(path, end):
    with open(path, "w") as f:
        f.write("v1 %d\n" % end)


def setup(h):
    h.mock.set("did:bkey:alice", outcome="approve", interval=0)
    h.mock.set("did:bkey:bob", outcome="approve", interval=0)
    return h.config()


def test_remember_second_command_not_asked(h):
    c = setup(h)
    t0 = int(time.time())
    r = run(h, c)
    assert r.checks == [1], str(r)
    t1 = int(time.time())
    q = initiates(h)
    assert len(q) == 1
    assert q[0]["binding_message"].endswith(
        " and similar commands for up to 5 min"), q[0]
    assert len(q[0]["binding_message"]) <= 256 + 7, q[0]
    rec = records(c)
    assert len(rec) == 1, rec
    st = os.stat(rec[0])
    assert st.st_uid == 0 and st.st_mode & 0o777 == 0o600, st
    d = os.stat(os.path.dirname(rec[0]))
    assert d.st_uid == 0 and d.st_mode & 0o777 == 0o700, d
    # the window and the token both end 300 s after the approval
    assert t0 + 300 <= record_end(rec[0]) <= t1 + 300, (t0, t1)
    # another process, another command of the same rule: not asked
    r = run(h, c, checks=(ID, TRUE))
    assert r.checks == [1, 1], str(r)
    assert len(initiates(h)) == 1, "asked again inside the window"
    assert any("remember window" in x for x in r.conv), str(r)


def test_remember_after_the_window_asked_again(h):
    c = setup(h)
    assert run(h, c).checks == [1]
    rec = records(c)[0]
    age(rec, int(time.time()) - 1)
    r = run(h, c)
    assert r.checks == [1], str(r)
    assert len(initiates(h)) == 2, "the window had ended"
    # a record ending further ahead than remember= allows is not believed
    age(rec, int(time.time()) + 1000)
    r = run(h, c)
    assert len(initiates(h)) == 3 and "ends too far" in r.out, str(r)


def test_remember_off_by_default(h):
    c = setup(h)
    rules = "command=/usr/bin/* approve\n"
    assert run(h, c, rules=rules).checks == [1]
    assert run(h, c, rules=rules).checks == [1]
    assert len(initiates(h)) == 2
    assert records(c) == []
    assert not initiates(h)[0]["binding_message"].endswith(" min")


def test_remember_keyed_to_session_tty_user_runas_rule(h):
    c = setup(h)
    # A live session that is not ours (pid 1 may be this very run).
    other = h.track(subprocess.Popen(["sleep", "60"],
                                     start_new_session=True))
    assert run(h, c).checks == [1]
    n = 1
    others = [
        dict(uinfo=["tty=/dev/pts/3"]),                 # another tty
        dict(uinfo=["sid=%d" % other.pid]),             # another session
        dict(uinfo=["user=bob", "uid=1001"]),           # another user
        dict(checks=[(["true"], {"command": "/usr/bin/true",
                                  "runas_user": "daemon",
                                  "runas_uid": "1"})]),  # another runas
        dict(checks=[(["true"], {"command": "/usr/bin/true",
                                  "runas_group": "shadow"})]),
        dict(rules="command=/usr/bin/* approve remember=300 "
                   "scope=approve:sudo\n"),             # an edited rule
        dict(uinfo=["sid=999999999"]),                  # no such session
        dict(uinfo=["sid=x"]),
        dict(uinfo=["sid=0"]),            # leader outside our PID namespace
        dict(uinfo=["sid=0"]),            # ... is never remembered
    ]
    for o in others:
        r = run(h, c, **o)
        n += 1
        assert r.checks == [1], (o, str(r))
        assert len(initiates(h)) == n, ("covered", o)
    # and the first key still is covered
    assert run(h, c).checks == [1]
    assert len(initiates(h)) == n


def test_remember_sudo_n_inside_and_outside(h):
    c = setup(h)
    n_flag = ["--setting", "noninteractive=true"]
    r = run(h, c, pre=n_flag)
    assert r.checks == [0] and r.errstrs[1] == NOT_ASKED, str(r)
    assert run(h, c).checks == [1]
    r = run(h, c, checks=(ID,), pre=n_flag)
    assert r.checks == [1], str(r)
    assert len(initiates(h)) == 1
    age(records(c)[0], int(time.time()) - 1)
    r = run(h, c, pre=n_flag)
    assert r.checks == [0] and r.errstrs[1] == NOT_ASKED, str(r)
    assert len(initiates(h)) == 1


def test_remember_capped_by_token_exp(h):
    """The mock's tokens live 300 s: remember=900 ends with the token.
    The phone, asked before the token exists, promises only the most the
    window can be: "up to" remember=."""
    c = setup(h)
    t0 = int(time.time())
    r = run(h, c, rules="command=/usr/bin/* approve remember=900\n")
    assert r.checks == [1], str(r)
    t1 = int(time.time())
    assert initiates(h)[0]["binding_message"].endswith(
        " and similar commands for up to 15 min"), initiates(h)[0]
    (first,) = records(c)
    assert t0 + 300 <= record_end(first) <= t1 + 300, (t0, t1, first)
    # seconds when remember= is not whole minutes; an edited rule is
    # another window, which ends at its own remember=
    r = run(h, c, rules="command=/usr/bin/* approve remember=90\n")
    assert r.checks == [1], str(r)
    t2 = int(time.time())
    assert initiates(h)[1]["binding_message"].endswith(
        " and similar commands for up to 90 s"), initiates(h)[1]
    (second,) = [p for p in records(c) if p != first]
    assert t1 + 90 <= record_end(second) <= t2 + 90, (t1, t2, second)


def test_remember_sudo_k_ends_the_window(h):
    c = setup(h)
    assert run(h, c).checks == [1]
    r = run(h, c, pre=["--setting", "ignore_ticket=true"])
    assert r.checks == [1], str(r)
    assert len(initiates(h)) == 2
    assert not initiates(h)[1]["binding_message"].endswith(" min")
    assert records(c) == []
    assert run(h, c).checks == [1]
    assert len(initiates(h)) == 3, "sudo -k CMD opened no window"


def test_remember_never_for_caller_env_or_untrusted_path(h):
    c = setup(h)
    # sudo FOO=bar true: a variable the caller set
    typed = dict(submit=(2, ["sudo", "FOO=bar", "true"]),
                 submit_env=["PATH=/usr/bin:/bin"])
    env = (["true"], {"command": "/usr/bin/true"},
           ["PATH=/usr/bin:/bin", "FOO=bar"])
    assert run(h, c, checks=(env,), **typed).checks == [1]
    assert records(c) == []
    assert "FOO=bar" in initiates(h)[0]["binding_message"]
    assert not initiates(h)[0]["binding_message"].endswith(" min")
    # an open window does not cover a command with caller-set variables
    assert run(h, c).checks == [1]
    assert run(h, c, checks=(env,), **typed).checks == [1]
    assert len(initiates(h)) == 3
    # nor a path the caller could change
    d = os.path.join(h.tmp, "userbin")
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o777)
    tool = os.path.join(d, "tool")
    with open(tool, "w") as f:
        f.write("#!/bin/sh\n")
    os.chmod(tool, 0o755)
    rules = "command=* approve remember=300\n"
    untrusted = (["tool"], {"command": tool})
    assert run(h, c, checks=(untrusted,), rules=rules).checks == [1]
    assert run(h, c, checks=(untrusted,), rules=rules).checks == [1]
    assert len(initiates(h)) == 5


def test_remember_record_checks(h):
    c = setup(h)
    assert run(h, c).checks == [1]
    rec = records(c)[0]
    n = 1
    end = int(time.time()) + 200

    def expect_asked(what):
        nonlocal n
        r = run(h, c)
        n += 1
        assert r.checks == [1], (what, str(r))
        assert len(initiates(h)) == n, "%s: covered" % what
        assert "remember window ignored" in r.out, (what, str(r))

    os.chown(rec, 1000, 1000)                       # foreign owner
    expect_asked("foreign owner")
    age(rec, end)
    os.chown(rec, 0, 0)
    os.chmod(rec, 0o644)                            # open mode
    expect_asked("mode 0644")
    os.unlink(rec)
    other = os.path.join(h.tmp, "elsewhere")
    age(other, end)
    os.chmod(other, 0o600)
    os.symlink(other, rec)                          # a symbolic link
    expect_asked("symlink")
    os.unlink(rec)
    with open(rec, "w") as f:
        f.write("v1 12ab\n")                        # garbled
    os.chmod(rec, 0o600)
    expect_asked("garbled")
    age(rec, end)
    os.chmod(os.path.dirname(rec), 0o755)           # an open directory
    expect_asked("directory 0755")
    os.chmod(os.path.dirname(rec), 0o700)
    r = run(h, c)
    assert len(initiates(h)) == n, str(r)


def test_remember_config_errors(h):
    c = setup(h)
    for bad in ("remember=901", "remember=x", "remember=-1", "remember=",
                "remember=5 remember=6"):
        path = write_rules(h, "# r\ncommand=/usr/bin/* approve %s\n" % bad)
        r = drive(h, [TRUE], conf=c, rules=path, uinfo=session())
        assert r.opens == [-1], (bad, str(r))
        assert re.search(r"sudo\.rules:2: .*remember", r.out), (bad, str(r))
    path = write_rules(h, "# r\ncommand=/usr/bin/true allow remember=5\n")
    r = drive(h, [TRUE], conf=c, rules=path, uinfo=session())
    assert r.opens == [-1], str(r)
    path = write_rules(h, "# r\ncommand=/usr/bin/* approve remember=900\n")
    assert drive(h, [TRUE], conf=c, rules=path,
                 uinfo=session()).opens == [1]


# ---- the real sudo -----------------------------------------------------------
def test_remember_e2e_window(h):
    e = E2E(h, rules="command=/usr/bin/* approve remember=300\n")
    h.mock.set("did:bkey:alice", outcome="approve", interval=0)
    marker = os.path.join(h.tmp, "ran")
    p = e.run([SUDO, "-n", "/usr/bin/touch", marker])
    assert p.returncode == 1 and NOT_ASKED in p.stderr, desc(p)
    p = e.run([SUDO, "/usr/bin/touch", marker])
    assert p.returncode == 0 and os.path.exists(marker), desc(p)
    assert len(initiates(h)) == 1
    os.unlink(marker)
    # inside the window: not asked, with -n too
    p = e.run([SUDO, "-n", "/usr/bin/touch", marker])
    assert p.returncode == 0 and os.path.exists(marker), desc(p)
    assert len(initiates(h)) == 1, desc(p)
    # another session (setsid): asked
    p = e.run([SUDO, "-n", "/usr/bin/true"], prefix=["setsid", "-w"])
    assert p.returncode == 1 and NOT_ASKED in p.stderr, desc(p)
    # sudo -k CMD ends it: asked, and afterwards -n is refused
    p = e.run([SUDO, "-k", "/usr/bin/true"])
    assert p.returncode == 0 and len(initiates(h)) == 2, desc(p)
    p = e.run([SUDO, "-n", "/usr/bin/true"])
    assert p.returncode == 1 and NOT_ASKED in p.stderr, desc(p)
