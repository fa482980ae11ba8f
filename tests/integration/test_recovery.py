# SPDX-License-Identifier: ISC
"""
Break-glass recovery codes (issue 11 section 2): bkey-admin recovery makes
one-time codes and keeps only their Argon2id hashes in a root-only file
per user (state_dir/recovery); bkey-approve checks one as root, with no
network, burns it before it answers "recovered", counts wrong tries and
locks the codes out after recovery_lockout of them in a row.
"""

import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import Skip, check_sanitizer, describe, events, free_port
from test_pam import (assert_pamtester, cue_run, decision, service,
                      tail, wrapper_env)

CODE = re.compile(r"^  (\d{4}-\d{4}-\d{4}-\d{4})$", re.M)


def admin(h, args):
    path = os.path.join(h.build, "bkey-admin")
    if not os.path.exists(path):
        raise Skip("%s not built" % path)
    p = subprocess.run(h.cli_wrapper + [path] + [str(a) for a in args],
                       capture_output=True, timeout=60, env=h.cli_env(),
                       encoding="utf-8", errors="replace",
                       stdin=subprocess.DEVNULL)
    check_sanitizer(p.stderr)
    return p


def conf(h, **kw):
    kw.setdefault("recovery_delay", "0")
    return h.config(**kw)


def make_codes(h, c, user, n=2):
    p = admin(h, ["recovery", user, "--config", c, "--count", n])
    assert p.returncode == 0, describe(p)
    codes = CODE.findall(p.stdout)
    assert len(codes) == n, describe(p)
    return codes


def code_file(c, user):
    return os.path.join(os.path.dirname(c), "state", "recovery", "u_" + user)


def request(user, code):
    return json.dumps({"user": user, "scope": "approve:action",
                       "recovery_code": code})


def use(h, c, user, code):
    return h.cli(["--config", c, "--request-stdin"],
                 stdin=request(user, code), timeout=60)


def final(p):
    evs = events(p.stdout)
    assert evs, describe(p)
    return evs[-1]


def assert_recovered(p, remaining):
    ev = final(p)
    assert p.returncode == 0 and ev == {"event": "recovered",
                                        "remaining": remaining}, describe(p)


def assert_denied(p):
    assert p.returncode == 1 and final(p)["event"] == "denied", describe(p)


def assert_locked(p, detail):
    assert p.returncode == 6 and final(p) == {
        "event": "error", "reason": "rate_limited", "detail": detail}, \
        describe(p)


def test_recovery_codes_are_shown_once_and_only_hashed(h):
    c = conf(h)
    codes = make_codes(h, c, "alice", 3)
    assert len(set(codes)) == 3
    path = code_file(c, "alice")
    st = os.stat(path)
    assert st.st_mode & 0o777 == 0o600 and st.st_uid == 0, oct(st.st_mode)
    dst = os.stat(os.path.dirname(path))
    assert dst.st_mode & 0o777 == 0o700 and dst.st_uid == 0
    text = open(path).read()
    lines = text.splitlines()
    assert lines[0] == "failures 0" and len(lines) == 4, text
    for code in codes:
        assert code not in text and code.replace("-", "") not in text
    assert all(x.startswith("$argon2id$") for x in lines[1:]), text
    p = admin(h, ["list", "--config", c])
    assert "alice did:bkey:alice recovery_codes=3\n" in p.stdout, describe(p)
    assert "bob did:bkey:bob\n" in p.stdout, describe(p)


def test_recovery_count_is_checked(h):
    c = conf(h)
    for bad in ("0", "51", "x"):
        p = admin(h, ["recovery", "alice", "--config", c, "--count", bad])
        assert p.returncode == 64 and "--count must be" in p.stderr, \
            describe(p)
    p = admin(h, ["recovery", "alice", "--config", c, "--revoke",
                  "--unlock"])
    assert p.returncode == 64 and "one of" in p.stderr, describe(p)
    assert not os.path.exists(code_file(c, "alice"))


def test_recovery_code_works_once(h):
    c = conf(h)
    a, b = make_codes(h, c, "alice", 2)
    assert_recovered(use(h, c, "alice", a), 1)
    assert_denied(use(h, c, "alice", a))
    # without dashes, with spaces: the same code
    assert_recovered(use(h, c, "alice", " ".join(b.split("-"))), 0)
    assert_denied(use(h, c, "alice", b))
    # no network at all for a recovery request
    assert h.mock.requests("/oauth/bc-authorize") == []


def test_recovery_code_is_per_user(h):
    c = conf(h)
    (a,) = make_codes(h, c, "alice", 1)
    assert_denied(use(h, c, "bob", a))
    assert_recovered(use(h, c, "alice", a), 0)


def test_recovery_new_set_replaces_and_revoke_deletes(h):
    c = conf(h)
    (old,) = make_codes(h, c, "alice", 1)
    (new,) = make_codes(h, c, "alice", 1)
    assert_denied(use(h, c, "alice", old))
    p = admin(h, ["recovery", "alice", "--config", c, "--revoke"])
    assert p.returncode == 0, describe(p)
    assert not os.path.exists(code_file(c, "alice"))
    assert_denied(use(h, c, "alice", new))


def test_recovery_lockout(h):
    c = conf(h, recovery_lockout="3")
    (good,) = make_codes(h, c, "alice", 1)
    for _ in range(2):
        assert_denied(use(h, c, "alice", "0000-0000-0000-0000"))
    # the third wrong one locks: rate_limited, so the modules stop asking
    assert_locked(use(h, c, "alice", "0000-0000-0000-0000"),
                  "wrong recovery code for alice; recovery now locked out "
                  "after 3 wrong codes")
    assert open(code_file(c, "alice")).readline() == "failures 3\n"
    # locked: even the right code is refused, and stays unburned
    assert_locked(use(h, c, "alice", good),
                  "recovery locked out for alice after 3 wrong codes")
    assert open(code_file(c, "alice")).readline() == "failures 3\n"
    p = admin(h, ["recovery", "alice", "--config", c, "--unlock"])
    assert p.returncode == 0, describe(p)
    assert_recovered(use(h, c, "alice", good), 0)


def test_recovery_success_clears_the_failures(h):
    c = conf(h, recovery_lockout="2")
    a, b = make_codes(h, c, "alice", 2)
    assert_denied(use(h, c, "alice", "1234"))
    assert_recovered(use(h, c, "alice", a), 1)
    assert_denied(use(h, c, "alice", "1234"))
    assert_recovered(use(h, c, "alice", b), 0)


def test_recovery_file_checks(h):
    c = conf(h)
    (code,) = make_codes(h, c, "alice", 1)
    path = code_file(c, "alice")
    # group readable: refused, not used
    os.chmod(path, 0o640)
    p = use(h, c, "alice", code)
    assert p.returncode == 78 and "mode 0600" in final(p)["detail"], \
        describe(p)
    os.chmod(path, 0o600)
    # not root's
    os.chown(path, 65534, 65534)
    assert use(h, c, "alice", code).returncode == 78
    os.chown(path, 0, 0)
    # a symbolic link
    os.rename(path, path + ".real")
    os.symlink(path + ".real", path)
    assert use(h, c, "alice", code).returncode == 78
    os.unlink(path)
    os.rename(path + ".real", path)
    # the directory writable by others
    os.chmod(os.path.dirname(path), 0o777)
    assert use(h, c, "alice", code).returncode == 78
    os.chmod(os.path.dirname(path), 0o700)
    assert_recovered(use(h, c, "alice", code), 0)


def test_recovery_one_code_two_logins_one_in(h):
    c = conf(h)
    for _ in range(3):
        (code,) = make_codes(h, c, "alice", 1)
        procs = [h.cli_start(["--config", c, "--request-stdin"],
                             stdin_data=request("alice", code))
                 for _ in range(2)]
        codes = sorted(p.wait(timeout=60) for p in procs)
        assert codes == [0, 1], codes


def test_recovery_request_needs_a_user(h):
    c = conf(h)
    p = h.cli(["--config", c, "--request-stdin"], stdin=json.dumps(
        {"did": "did:bkey:alice", "recovery_code": "1"}))
    assert p.returncode == 64 and 'needs "user"' in p.stderr, describe(p)



# ---- pam_bkey recovery=allow: the prompt in an outage ------------------------
PROMPT = "BKey is unreachable. Recovery code: "


def pam_login(h, c, args, answer=""):
    """pamtester as alice; answer: what the user types at the prompts."""
    p = subprocess.run(["pamtester", "-v", "bkeytest", "alice",
                        "authenticate"],
                       env=wrapper_env(h, service(h, args, conf=c)),
                       capture_output=True, timeout=60,
                       input=answer.encode())
    p.stdout = p.stdout.decode("utf-8", "replace")
    p.stderr = p.stderr.decode("utf-8", "replace")
    return p


def outage(h, **kw):
    return conf(h, api_url="http://127.0.0.1:%d" % free_port(), **kw)


def outcome(p):
    return decision(p)[1]["outcome"]


def assert_no_prompt(h, c, args, code, want, word):
    """A login that must not be offered the recovery prompt."""
    p = pam_login(h, c, args, code + "\n")
    assert_pamtester(p, want)
    assert PROMPT not in p.stdout + p.stderr, tail(p)
    assert outcome(p) == word, tail(p)


def pam_cue(h, c, answer):
    return cue_run(h, service(h, "timeout=2 recovery=allow", conf=c),
                   opts=["-a", answer])


def test_pam_recovery_code_lets_in_during_outage_once(h):
    c = outage(h)
    a, _ = make_codes(h, c, "alice", 2)
    p = pam_login(h, c, "timeout=2 recovery=allow", a + "\n")
    assert_pamtester(p, "PAM_SUCCESS")
    assert PROMPT in p.stdout + p.stderr, tail(p)
    pr, f, text = decision(p)
    assert f["outcome"] == "recovered" and "remaining=1" in f["detail"], \
        text
    assert pr == 1, (pr, text)      # LOG_ALERT
    assert a not in p.stdout + p.stderr, tail(p)
    # the same code again: refused (then no more answers: a denial)
    p = pam_login(h, c, "timeout=2 recovery=allow", a + "\n")
    assert_pamtester(p, "PAM_AUTH_ERR")
    f = decision(p)[1]
    assert f["outcome"] == "denied", tail(p)
    # the log says the code was refused, not only that none came after
    assert "after a refused one" in f["detail"], tail(p)


def test_pam_recovery_three_wrong_codes_deny(h):
    c = outage(h)
    make_codes(h, c, "alice", 1)
    cue = pam_cue(h, c, "text")
    assert cue.result == "PAM_AUTH_ERR", tail(cue.p)
    asked = [m for m in cue.conv if m["text"] == PROMPT]
    assert len(asked) == 3, cue.conv
    assert all(m["style"] == "echo_off" for m in asked), cue.conv
    assert outcome(cue.p) == "denied", tail(cue.p)
    # each answer went to bkey-approve, which counted it
    assert open(code_file(c, "alice")).readline() == "failures 3\n"


def test_pam_recovery_no_answer_denies(h):
    c = outage(h)
    make_codes(h, c, "alice", 1)
    for answer in ("enter", "fail"):
        cue = pam_cue(h, c, answer)
        assert cue.result == "PAM_AUTH_ERR", tail(cue.p)
        assert len([m for m in cue.conv if m["text"] == PROMPT]) == 1, \
            cue.conv
        assert outcome(cue.p) == "denied", tail(cue.p)
    # neither reached bkey-approve: nothing was counted
    assert open(code_file(c, "alice")).readline() == "failures 0\n"


def test_pam_recovery_never_after_a_denial(h):
    c = conf(h)
    (a,) = make_codes(h, c, "alice", 1)
    h.mock.set("did:bkey:alice", outcome="deny")
    assert_no_prompt(h, c, "recovery=allow", a, "PAM_AUTH_ERR", "denied")
    h.mock.set("did:bkey:alice", outcome="approve", bad_token="bad_sig")
    assert_no_prompt(h, c, "recovery=allow", a, "PAM_AUTH_ERR", "token")


def test_pam_recovery_not_configured_no_prompt(h):
    c = outage(h)
    (a,) = make_codes(h, c, "alice", 1)
    assert_no_prompt(h, c, "timeout=2", a, "PAM_AUTHINFO_UNAVAIL",
                     "unavailable")
    # nor under failmode=safe: that is already a logged allow
    assert_no_prompt(h, c, "timeout=2 failmode=safe recovery=allow", a,
                     "PAM_SUCCESS", "unavailable_allowed")


def test_pam_recovery_option_value_is_checked(h):
    p = pam_login(h, outage(h), "recovery=yes")
    assert_pamtester(p, "PAM_SERVICE_ERR")
    assert 'argument "recovery=yes"' in p.stderr, tail(p)


LOCKED = "Recovery codes locked out after too many wrong ones; " \
    "ask an administrator."


def hashes(c, user):
    with open(code_file(c, user)) as f:
        return len(f.read().splitlines()) - 1


def test_pam_recovery_lockout_stops_prompting(h):
    c = outage(h, recovery_lockout="2", connect_timeout="1",
               unavailable_after="1")
    good, _ = make_codes(h, c, "alice", 2)
    # the second wrong code locks them out: no third prompt
    cue = pam_cue(h, c, "text")
    assert cue.result == "PAM_AUTH_ERR", tail(cue.p)
    assert len([m for m in cue.conv if m["text"] == PROMPT]) == 2, cue.conv
    assert [m["text"] for m in cue.conv if m["style"] == "error"] == \
        [LOCKED], cue.conv
    pr, f, text = decision(cue.p)
    assert f["outcome"] == "rate_limited" and "locked out" in f["detail"], \
        text
    assert open(code_file(c, "alice")).readline() == "failures 2\n"
    # locked: the right code is refused at once, asked for only once,
    # and stays unburned
    p = pam_login(h, c, "timeout=2 recovery=allow", (good + "\n") * 3)
    assert_pamtester(p, "PAM_AUTH_ERR")
    assert (p.stdout + p.stderr).count(PROMPT.rstrip()) == 1, tail(p)
    assert LOCKED in p.stdout + p.stderr, tail(p)
    assert outcome(p) == "rate_limited", tail(p)
    assert hashes(c, "alice") == 2


def test_pam_recovery_never_after_expiry_or_push_limit(h):
    c = conf(h, push_limit="1/600")
    (a,) = make_codes(h, c, "alice", 1)
    h.mock.set("did:bkey:alice", outcome="expire", delay_ms=100)
    assert_no_prompt(h, c, "recovery=allow", a, "PAM_AUTH_ERR", "expired")
    # the expiry used the one push of the window: the next is refused
    # without a push, rate_limited, and no code is asked either
    h.mock.set("did:bkey:alice", outcome="approve")
    assert_no_prompt(h, c, "recovery=allow", a, "PAM_AUTH_ERR",
                     "rate_limited")
    assert len(h.mock.initiates()) == 1
    assert hashes(c, "alice") == 1


def prompts_at(cue):
    return [m["t"] for m in cue.conv if m["text"] == PROMPT]


def test_pam_recovery_wrong_code_costs_the_delay(h):
    # recovery_delay=1: each wrong code is answered no sooner than 1 s
    # after it was given, so the next prompt comes at least 1 s later
    c = outage(h, recovery_delay="1", connect_timeout="1",
               unavailable_after="1")
    make_codes(h, c, "alice", 1)
    cue = pam_cue(h, c, "text")
    t = prompts_at(cue)
    assert len(t) == 3, cue.conv
    assert t[1] - t[0] >= 1000 and t[2] - t[1] >= 1000, t
    assert cue.result == "PAM_AUTH_ERR", tail(cue.p)


def strace_sleeps(h, c, code):
    """bkey-approve checking code under strace: the seconds of each sleep
    it asked for (nanosleep or clock_nanosleep)."""
    if not shutil.which("strace"):
        raise Skip("strace not installed")
    out = os.path.join(h.tmp, "strace.out")
    p = subprocess.run(["strace", "-f", "-qq", "-o", out, "-e",
                        "trace=nanosleep,clock_nanosleep",
                        os.path.join(h.build, "bkey-approve"),
                        "--config", c, "--request-stdin"],
                       input=request("alice", code), capture_output=True,
                       text=True, timeout=60, env=h.traced_env())
    if "PTRACE_TRACEME" in p.stderr or "Operation not permitted" in \
            p.stderr:
        raise Skip("strace cannot trace here: %s" % p.stderr.strip())
    with open(out) as f:
        text = f.read()
    return p, [int(s) for s in re.findall(r"tv_sec=(\d+), tv_nsec=0\}",
                                          text)]


def test_recovery_wrong_code_sleeps_recovery_delay(h):
    c = conf(h, recovery_delay="1", recovery_lockout="2")
    (good,) = make_codes(h, c, "alice", 1)
    p, sleeps = strace_sleeps(h, c, "0000-0000-0000-0000")
    assert_denied(p)
    assert sleeps == [1], sleeps
    # the wrong code that locks them out costs it too
    p, sleeps = strace_sleeps(h, c, "0000-0000-0000-0000")
    assert p.returncode == 6 and sleeps == [1], (sleeps, describe(p))
    # an unchecked code (locked out) does not: nothing to slow down
    p, sleeps = strace_sleeps(h, c, good)
    assert p.returncode == 6 and sleeps == [], (sleeps, describe(p))
    # nor a right one
    admin(h, ["recovery", "alice", "--config", c, "--unlock"])
    p, sleeps = strace_sleeps(h, c, good)
    assert p.returncode == 0 and sleeps == [], (sleeps, describe(p))


def test_pam_recovery_one_code_two_logins_one_in(h):
    c = outage(h, connect_timeout="1", unavailable_after="1")
    for _ in range(3):
        (code,) = make_codes(h, c, "alice", 1)
        env = wrapper_env(h, service(h, "timeout=2 recovery=allow", conf=c))
        procs = [h.track(subprocess.Popen(
            ["pamtester", "-v", "bkeytest", "alice", "authenticate"],
            env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE)) for _ in range(2)]
        for p in procs:
            p.stdin.write((code + "\n").encode())
            p.stdin.close()
        codes = sorted(p.wait(timeout=60) for p in procs)
        assert codes[0] == 0 and codes[1] != 0, codes
        assert hashes(c, "alice") == 0
