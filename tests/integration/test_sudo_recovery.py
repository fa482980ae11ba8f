# SPDX-License-Identifier: ISC
"""
Recovery codes in the sudo plugin (issue 11 section 2): with the plugin
option or the rules key recovery=allow, an approval that cannot be had
because the service is unavailable (failmode=secure) asks, through sudo's
conversation with echo off, for a break-glass code; bkey-approve checks
and burns it. Never after a denial, never under -n, never unconfigured;
at most 3 tries, an empty answer ends them.
"""

import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import free_port  # noqa: E402
from test_recovery import make_codes  # noqa: E402
from test_sudo import E2E, PSQL, SUDO, desc, drive  # noqa: E402

PROMPT = "BKey is unreachable. Recovery code: "
WRONG = "0000-0000-0000-0000"


def down_conf(h, **kw):
    """The service down (a closed port), wrong codes with no delay."""
    return h.config(api_url="http://127.0.0.1:%d" % free_port(),
                    connect_timeout="1", unavailable_after="1",
                    recovery_delay="0", **kw)


def prompts(r):
    return [c for c in r.conv if c.rstrip() == PROMPT.rstrip()]


def replies(*codes):
    pre = []
    for c in codes:
        pre += ["--reply", c]
    return pre


def run_input(e, cmd, text):
    """The real sudo with text on its stdin (for -S)."""
    return subprocess.run(e.argv(cmd), input=text, capture_output=True,
                          timeout=40, encoding="utf-8", errors="replace",
                          env=e.env())


def test_sudo_rec_drv_code_works_once(h):
    c = down_conf(h)
    code = make_codes(h, c, "alice", 2)[0]
    r = drive(h, [PSQL], conf=c, opts=["timeout=2", "recovery=allow",
                                       "debug"], pre=replies(code))
    assert r.checks == [1], str(r)
    assert len(prompts(r)) == 1, str(r)
    assert "outcome=recovered" in r.out, str(r)
    assert any("recovery code accepted" in x and "1 left" in x
               for x in r.conv), str(r)
    assert code not in r.out, str(r)
    # the same code a second time: burned
    r = drive(h, [PSQL], conf=c, opts=["timeout=2", "recovery=allow"],
              pre=replies(code))
    assert r.checks == [0], str(r)
    assert r.errstrs[1] == "approval service unavailable", str(r)


def test_sudo_rec_drv_three_wrong_codes_deny(h):
    c = down_conf(h)
    good = make_codes(h, c, "alice", 1)[0]
    r = drive(h, [PSQL], conf=c, opts=["timeout=2", "recovery=allow",
                                       "debug"],
              pre=replies(WRONG, WRONG, WRONG, good))
    assert r.checks == [0], str(r)
    assert len(prompts(r)) == 3, str(r)
    assert "outcome=unavailable" in r.out, str(r)
    # no answer (no conversation reply) is a denial, asked once
    r = drive(h, [PSQL], conf=c, opts=["timeout=2", "recovery=allow"])
    assert r.checks == [0], str(r)
    assert len(prompts(r)) == 1, str(r)


def test_sudo_rec_drv_denial_never_prompts(h):
    c = h.config(users={"alice": "did:bkey:deny"}, recovery_delay="0")
    code = make_codes(h, c, "alice", 1)[0]
    r = drive(h, [PSQL], conf=c, opts=["recovery=allow"], pre=replies(code))
    assert r.checks == [0], str(r)
    assert r.errstrs[1] == "approval denied", str(r)
    assert prompts(r) == [], str(r)
    # nor after an interrupted wait (Ctrl-C while the code is shown)
    c = h.config(users={"alice": "did:bkey:never"}, recovery_delay="0")
    code = make_codes(h, c, "alice", 1)[0]
    r = drive(h, [PSQL], conf=c, opts=["recovery=allow"],
              pre=replies(code) + ["--signal-on-pending", "INT"])
    assert r.checks == [0], str(r)
    assert r.errstrs[1] == "approval cancelled", str(r)
    assert prompts(r) == [], str(r)


def test_sudo_rec_drv_not_configured_no_prompt(h):
    c = down_conf(h)
    code = make_codes(h, c, "alice", 1)[0]
    r = drive(h, [PSQL], conf=c, opts=["timeout=2"], pre=replies(code))
    assert r.checks == [0] and prompts(r) == [], str(r)
    # failmode=safe already allows (logged): no prompt either
    r = drive(h, [PSQL], conf=c, opts=["timeout=2", "recovery=allow",
                                       "failmode=safe"], pre=replies(code))
    assert r.checks == [1] and prompts(r) == [], str(r)
    # sudo -n: no prompt, a denial
    r = drive(h, [PSQL], conf=c, opts=["timeout=2", "recovery=allow"],
              pre=replies(code) + ["--setting", "noninteractive=true"])
    assert r.checks == [0] and prompts(r) == [], str(r)
    # the code was never used
    r = drive(h, [PSQL], conf=c, opts=["timeout=2", "recovery=allow"],
              pre=replies(code))
    assert r.checks == [1], str(r)


def test_sudo_rec_drv_rule_key_overrides_option(h):
    c = down_conf(h)
    code = make_codes(h, c, "alice", 1)[0]
    rules = "approve recovery=deny\n"
    r = drive(h, [PSQL], conf=c, rules=rules,
              opts=["timeout=2", "recovery=allow"], pre=replies(code))
    assert r.checks == [0] and prompts(r) == [], str(r)
    rules = "approve recovery=allow\n"
    r = drive(h, [PSQL], conf=c, rules=rules, opts=["timeout=2"],
              pre=replies(code))
    assert r.checks == [1] and len(prompts(r)) == 1, str(r)


def test_sudo_rec_drv_bad_values_are_errors(h):
    r = drive(h, [PSQL], opts=["recovery=yes"])
    assert r.opens == [-2], str(r)
    assert any("recovery= takes only 'allow'" in x for x in r.conv), str(r)
    r = drive(h, [PSQL], opts=["recovery=allow", "recovery=allow"])
    assert r.opens == [-2], str(r)
    r = drive(h, [PSQL], rules="approve recovery=maybe\n")
    assert r.opens == [-1], str(r)
    assert any(":2: recovery must be allow or deny" in x
               for x in r.conv), str(r)
    # an option of approve only
    r = drive(h, [PSQL], rules="deny recovery=allow\n")
    assert r.opens == [-1], str(r)


def test_sudo_rec_e2e_code_through_sudo_conversation(h):
    c = down_conf(h, users={"root": "did:bkey:alice"})
    code = make_codes(h, c, "root", 1)[0]
    e = E2E(h, conf=c, options=["timeout=2", "recovery=allow"])
    marker = os.path.join(h.tmp, "ran")
    # -S: sudo's conversation reads the echo-off prompt's answer from stdin
    p = run_input(e, [SUDO, "-S", "/usr/bin/touch", marker], code + "\n")
    assert p.returncode == 0 and os.path.exists(marker), desc(p)
    assert PROMPT.rstrip() in p.stderr, desc(p)
    assert code not in p.stderr + p.stdout, desc(p)
    os.unlink(marker)
    p = run_input(e, [SUDO, "-S", "/usr/bin/touch", marker], code + "\n")
    assert p.returncode == 1 and not os.path.exists(marker), desc(p)


# ---- a code for a command that changed, the log line ---------------------------
def syslog_lines(r):
    """(priority, text) of what the plugin logged (the driver's --syslog)."""
    return [(int(p), t) for p, t in re.findall(
        r"^syslog\[(\d+)\]: (.*)$", r.out, re.M)]


def swapping_helper(h, tool):
    """bkey-approve behind a script that replaces tool (a new inode, the
    same path) when the request carries a recovery code: the command
    changes while the code is being checked."""
    path = os.path.join(h.tmp, "swapping-helper")
    with open(path, "w") as f:
        f.write('#!/bin/sh\n'
                'req=$(cat)\n'
                'case "$req" in *recovery_code*)\n'
                '  cp %s %s.new && mv -f %s.new %s;;\n'
                'esac\n'
                'printf "%%s\\n" "$req" | exec %s "$@"\n' % (
                    tool, tool, tool, tool,
                    os.path.join(h.build, "bkey-approve")))
    os.chmod(path, 0o755)
    return path


def test_sudo_rec_drv_changed_command_refused_code_spent(h):
    c = down_conf(h)
    code = make_codes(h, c, "alice", 2)[0]
    d = os.path.join(h.tmp, "bin")
    os.makedirs(d, exist_ok=True)
    tool = os.path.join(d, "tool")
    shutil.copy("/bin/true", tool)
    os.chmod(tool, 0o755)
    ls = (["ls"], {"command": "/bin/ls"})
    r = drive(h, [(["tool"], {"command": tool}), ls], conf=c,
              helper=swapping_helper(h, tool),
              opts=["timeout=2", "recovery=allow"],
              pre=replies(code) + ["--syslog"])
    # refused, and the code it took is said to be spent
    assert r.checks == [0, 0], str(r)
    assert r.errstrs[1] == "command changed during the approval", str(r)
    assert any("changed while the recovery code was checked" in x and
               "1 left" in x for x in r.conv), str(r)
    logged = syslog_lines(r)
    assert len(logged) == 2, str(r)
    prio, line = logged[0]
    assert line.startswith("outcome=changed ") and \
        line.endswith(" remaining=1"), line
    assert "jti=- " in line or 'jti="" ' in line or "jti= " in line, line
    assert prio == 1, (prio, line)          # LOG_ALERT: a code was spent
    # nothing in this process is covered by it (intercept mode), and no
    # remember window was opened
    assert "outcome=covered" not in r.out, str(r)
    assert logged[1][1].startswith("outcome=unavailable "), logged[1]
    assert not os.path.exists(os.path.join(os.path.dirname(c), "state",
                                           "remember")), str(r)


def code_lines(c, user):
    path = os.path.join(os.path.dirname(c), "state", "recovery", "u_" + user)
    with open(path) as f:
        return f.read().splitlines()


def test_sudo_rec_drv_lockout_stops_prompting(h):
    c = down_conf(h, recovery_lockout="2")
    good = make_codes(h, c, "alice", 1)[0]
    # the second wrong code locks them out: no third prompt
    r = drive(h, [PSQL], conf=c, opts=["timeout=2", "recovery=allow"],
              pre=replies(WRONG, WRONG, good) + ["--syslog"])
    assert r.checks == [0], str(r)
    assert len(prompts(r)) == 2, str(r)
    assert r.errstrs[1] == "recovery codes locked out", str(r)
    assert any("recovery codes locked out after too many wrong ones" in x
               and "bkey-admin recovery alice --unlock" in x
               for x in r.conv), str(r)
    assert syslog_lines(r)[0][1].startswith("outcome=rate_limited "), str(r)
    assert code_lines(c, "alice")[0] == "failures 2"
    # locked: the right code is refused at once, asked for only once
    r = drive(h, [PSQL], conf=c, opts=["timeout=2", "recovery=allow"],
              pre=replies(good, good, good))
    assert r.checks == [0] and len(prompts(r)) == 1, str(r)
    assert r.errstrs[1] == "recovery codes locked out", str(r)
    assert len(code_lines(c, "alice")) == 2, "the code was burned"


def test_sudo_rec_drv_prompt_is_echo_off_success_is_alert(h):
    c = down_conf(h)
    code = make_codes(h, c, "alice", 1)[0]
    r = drive(h, [PSQL], conf=c, opts=["timeout=2", "recovery=allow"],
              pre=replies(code) + ["--syslog"])
    assert r.checks == [1], str(r)
    # the type sudo's conversation gets: SUDO_CONV_PROMPT_ECHO_OFF alone
    types = re.findall(r"^conv\[(0x[0-9a-f]+)\]: %s" % re.escape(
        PROMPT.rstrip()), r.out, re.M)
    assert types == ["0x1"], str(r)
    assert syslog_lines(r) and len(syslog_lines(r)) == 1, str(r)
    prio, line = syslog_lines(r)[0]
    assert line.startswith("outcome=recovered ") and \
        line.endswith(" remaining=0"), line
    assert prio == 1, (prio, line)          # LOG_ALERT
    assert code not in r.out, str(r)


def test_sudo_rec_drv_never_after_expiry_or_push_limit(h):
    c = h.config(users={"alice": "did:bkey:expire"}, recovery_delay="0",
                 push_limit="1/600")
    code = make_codes(h, c, "alice", 1)[0]
    r = drive(h, [PSQL], conf=c, opts=["recovery=allow"],
              pre=replies(code))
    assert r.checks == [0], str(r)
    assert r.errstrs[1] == "approval request expired", str(r)
    assert prompts(r) == [], str(r)
    # the expiry used the one push of the window: refused without a push,
    # rate_limited, and no code is asked either
    r = drive(h, [PSQL], conf=c, opts=["recovery=allow"],
              pre=replies(code))
    assert r.checks == [0], str(r)
    assert r.errstrs[1] == "too many approval requests", str(r)
    assert prompts(r) == [], str(r)
    assert len(h.mock.initiates()) == 1
    assert len(code_lines(c, "alice")) == 2, "the code was used"
