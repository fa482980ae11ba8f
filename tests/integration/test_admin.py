"""
bkey-admin (issue 10): check finds every problem of a configuration in one
run, each as FILE:LINE: problem, and exits 78; a clean one exits 0.
"""

import os
import pwd
import shutil
import subprocess

from harness import Skip, check_sanitizer

GOOD_RULES = ("# rules\n"
              "user=junior approve approver=lead\n"
              "command=psql iargs=\"(DROP)\" approve scope=approve:db:drop\n")


# ---- helpers -----------------------------------------------------------------
def admin(h, args, timeout=20, env=None, stdin=None):
    path = os.path.join(h.build, "bkey-admin")
    if not os.path.exists(path):
        raise Skip("%s not built" % path)
    p = subprocess.run(h.cli_wrapper + [path] + [str(a) for a in args],
                       capture_output=True, timeout=timeout,
                       env=h.cli_env(env), encoding="utf-8",
                       errors="replace", input=stdin,
                       stdin=None if stdin is not None
                       else subprocess.DEVNULL)
    check_sanitizer(p.stderr)
    return p


def write(path, text, mode=0o644):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


def trusted_helper(h):
    """A copy of the helper in a directory only root can write."""
    d = os.path.join(h.tmp, "libexec")
    dst = os.path.join(d, "bkey-approve")
    if os.path.exists(dst):
        os.chmod(dst, 0o755)
        return dst
    os.mkdir(d, 0o755)
    shutil.copy(os.path.join(h.build, "bkey-approve"), dst)
    os.chmod(dst, 0o755)
    return dst


def check(h, cfg, rules=None, extra=()):
    if rules is None:
        rules = write(os.path.join(h.tmp, "sudo.rules"), GOOD_RULES)
    return admin(h, ["check", "--config", cfg, "--rules", rules,
                     "--helper", trusted_helper(h)] + list(extra))


def problems(p):
    """The FILE:LINE: problem lines, without the closing count."""
    return [l for l in p.stderr.splitlines()
            if not l.startswith("bkey-admin: ")]


def users_file(cfg):
    return os.path.join(os.path.dirname(cfg), "users")


def assert_problems(p, expected):
    """expected: (prefix, words) pairs, in order, and nothing else."""
    got = problems(p)
    assert p.returncode == 78, "exit %d\n%s" % (p.returncode, p.stderr)
    assert len(got) == len(expected), \
        "expected %d problems, got:\n%s" % (len(expected), p.stderr)
    for line, (prefix, word) in zip(got, expected):
        assert line.startswith(prefix), (prefix, line)
        assert word in line, (word, line)
    assert "%d problem" % len(expected) in p.stderr, p.stderr


# ---- check -------------------------------------------------------------------
def test_check_clean(h):
    p = check(h, h.config())
    assert p.returncode == 0, p.stderr
    assert p.stderr == "", p.stderr
    assert "no problems" in p.stdout, p.stdout
    q = check(h, h.config(), extra=["--quiet"])
    assert q.returncode == 0 and q.stdout == "" and q.stderr == "", q


def test_check_users_five_bad_lines(h):
    cfg = h.config()
    u = users_file(cfg)
    write(u, "# five bad lines, each reported\n"  # 1
          "alice did:bkey:alice\n"               # 2
          "bad!name did:bkey:x\n"                # 3 user name
          "carol not-a-did\n"                    # 4 DID
          "dave did:bkey:dave extra\n"           # 5 three fields
          "\n"                                   # 6
          "erin\n"                               # 7 one field
          "bob did:bkey:bob\n"                   # 8
          "alice did:bkey:other\n")              # 9 duplicate
    p = check(h, cfg)
    assert_problems(p, [(u + ":3: ", "invalid user name"),
                        (u + ":4: ", "invalid DID"),
                        (u + ":5: ", "expected"),
                        (u + ":7: ", "expected"),
                        (u + ":9: ", "duplicate user")])


def test_check_rules_every_line(h):
    rules = write(os.path.join(h.tmp, "bad.rules"),
                  "user=junior approve approver=lead\n"
                  "frobnicate=1 approve\n"
                  "command=psql approve scope=\n"
                  "user=x deny\n"
                  "user=y nosuchaction\n")
    p = check(h, h.config(), rules=rules)
    got = problems(p)
    assert p.returncode == 78, p.stderr
    assert [l.split(": ", 1)[0] for l in got] == \
        [rules + ":2", rules + ":3", rules + ":5"], p.stderr


def test_check_rules_file_owner(h):
    rules = write(os.path.join(h.tmp, "open.rules"), GOOD_RULES, 0o666)
    p = check(h, h.config(), rules=rules)
    assert_problems(p, [(rules + ": ", "writable")])


def test_check_state_dir_missing(h):
    missing = os.path.join(h.tmp, "no-such-state")
    p = check(h, h.config(state_dir=missing))
    assert_problems(p, [(missing, "")])


def test_check_state_dir_open_to_others(h):
    cfg = h.config()
    state = os.path.join(os.path.dirname(cfg), "state")
    os.chmod(state, 0o777)
    p = check(h, cfg)
    assert_problems(p, [(state + ": ", "writable")])


def test_check_state_dir_not_run_as(h):
    """run_as = nobody and a state dir only root can write: the key cache
    would fail after every approval."""
    if os.getuid() != 0:
        raise Skip("needs root (state_dir owned by root, run_as nobody)")
    try:
        pwd.getpwnam("nobody")
    except KeyError:
        raise Skip("no 'nobody' user")
    cfg = h.config(run_as="nobody")
    state = os.path.join(os.path.dirname(cfg), "state")
    p = check(h, cfg)
    assert_problems(p, [(state + ": ", "run_as user 'nobody' cannot")])
    pw, cfg = h.nobody_config()
    p = check(h, cfg)
    assert p.returncode == 0, p.stderr


def test_check_run_as_missing(h):
    cfg = h.config(run_as="no-such-user-bk")
    p = check(h, cfg)
    assert_problems(p, [(cfg + ": ", "does not exist")])


def test_check_cafile_without_certificate(h):
    ca = write(os.path.join(h.tmp, "ca.pem"), "not a certificate\n")
    p = check(h, h.config(cafile=ca))
    assert_problems(p, [(ca + ": ", "no PEM certificate")])
    tls = h.mock_tls()
    p = check(h, h.config(mock=tls))
    assert p.returncode == 0, p.stderr


def test_check_helper_rules(h):
    helper = trusted_helper(h)
    os.chmod(helper, 0o775)
    rules = write(os.path.join(h.tmp, "sudo.rules"), GOOD_RULES)
    p = admin(h, ["check", "--config", h.config(), "--rules", rules,
                  "--helper", helper])
    assert_problems(p, [("helper " + helper, "writable by group")])
    p = admin(h, ["check", "--config", h.config(), "--rules", rules,
                  "--helper", "relative/bkey-approve"])
    assert_problems(p, [("helper path must be absolute", "relative")])


def test_check_bad_config_and_the_rest(h):
    """A config that does not load is reported, and the files that do not
    depend on it are still checked."""
    cfg = h.config(extra_lines=["timeout = soon"])
    rules = write(os.path.join(h.tmp, "bad.rules"), "frobnicate=1 approve\n")
    helper = trusted_helper(h)
    os.chmod(helper, 0o777)
    p = admin(h, ["check", "--config", cfg, "--rules", rules,
                  "--helper", helper])
    n = len(open(cfg).read().splitlines())
    assert_problems(p, [("%s:%d: " % (cfg, n), "timeout"),
                        (rules + ":1: ", "unknown key"),
                        ("helper " + helper, "writable")])


def test_check_sanitizes(h):
    cfg = h.config()
    u = users_file(cfg)
    write(u, "al\x1b[31mice did:bkey:alice\n")
    p = check(h, cfg)
    assert p.returncode == 78, p.stderr
    assert "\x1b" not in p.stderr, repr(p.stderr)


# ---- command line ------------------------------------------------------------
def test_admin_usage(h):
    for args in ([], ["frobnicate"], ["check", "extra"], ["check", "--bogus"],
                 ["check", "--config"], ["check", "--config", "a",
                                         "--config", "b"]):
        p = admin(h, args)
        assert p.returncode == 64, (args, p.returncode, p.stderr)
        assert "Try 'bkey-admin --help'" in p.stderr, p.stderr
    p = admin(h, ["--version"])
    assert p.returncode == 0 and p.stdout.startswith("bkey-admin "), p
