# SPDX-License-Identifier: ISC
"""
bkey-admin (issue 10): check finds every problem of a configuration in one
run, each as FILE:LINE: problem, and exits 78; a clean one exits 0.
"""

import base64
import os
import pwd
import shutil
import subprocess

from harness import Skip, check_sanitizer, free_port

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
          "dave did:bkey:dave extra\n"           # 5 bad phone key
          "\n"                                   # 6
          "erin\n"                               # 7 one field
          "bob did:bkey:bob\n"                   # 8
          "alice did:bkey:other\n")              # 9 duplicate
    p = check(h, cfg)
    assert_problems(p, [(u + ":3: ", "invalid user name"),
                        (u + ":4: ", "invalid DID"),
                        (u + ":5: ", "invalid phone key"),
                        (u + ":7: ", "expected"),
                        (u + ":9: ", "duplicate user")])


def test_check_users_one_did_two_phone_keys(h):
    """Two lines giving one DID different phone keys: a vault access for
    it would be refused at run time, so check names it now. A second name
    without a key is fine (it takes the DID's key); approvals are not
    affected, so a look-up does not fail on it."""
    k1, k2 = (base64.b64encode(bytes([b]) * 32).decode() for b in (1, 2))
    cfg = h.config()
    u = users_file(cfg)
    write(u, "alice did:bkey:alice %s\n"        # 1
          "ops did:bkey:alice\n"                # 2 alias, no key: fine
          "bob did:bkey:bob %s\n"               # 3
          "root did:bkey:alice %s\n"            # 4 the same key: fine
          "eve did:bkey:alice %s\n" % (k1, k2, k1, k2))   # 5 another key
    p = check(h, cfg)
    assert_problems(p, [(u + ":5: ", "another phone key for did:bkey:alice "
                         "than on line 1")])
    h.mock.set("did:bkey:alice", outcome="approve", interval=0)
    r = h.cli(["--config", cfg, "--json", "--user", "ops"])
    assert r.returncode == 0, r.stdout + r.stderr


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


def test_check_state_dir_layout(h):
    """state_dir is root's (recovery codes, remember windows, phone keys
    and jti records must be out of run_as's reach); the network side's
    files are in state_dir/helper, run_as's. The layout of 0.2.0 (the
    whole state_dir run_as's) is named with its fix."""
    if os.getuid() != 0:
        raise Skip("needs root (state_dir owned by root, run_as nobody)")
    pw, cfg = h.nobody_config()
    state = os.path.join(os.path.dirname(cfg), "state")
    p = check(h, cfg)
    assert p.returncode == 0, p.stderr
    os.chown(state, pw.pw_uid, pw.pw_gid)
    p = check(h, cfg)
    assert_problems(p, [(state + ": ", "owned by run_as user 'nobody': "
                         "make it root's (chown root:root); run_as gets "
                         "helper/ in it")])
    os.chown(state, 0, 0)
    # the network side's corner: run_as's or root's, never a link
    os.mkdir(os.path.join(state, "helper"), 0o700)
    os.chown(os.path.join(state, "helper"), pw.pw_uid, pw.pw_gid)
    assert check(h, cfg).returncode == 0
    os.rmdir(os.path.join(state, "helper"))
    os.symlink("/tmp", os.path.join(state, "helper"))
    p = check(h, cfg)
    assert_problems(p, [(state + "/helper: ", "not a directory")])
    os.unlink(os.path.join(state, "helper"))
    # root's corners: run_as owning one is a problem
    for sub in ("breaker", "jti", "recovery", "remember", "vault-keys"):
        d = os.path.join(state, sub)
        os.mkdir(d, 0o700)
        os.chown(d, pw.pw_uid, pw.pw_gid)
        p = check(h, cfg)
        assert_problems(p, [(d + ": ", "owned by uid %d" % pw.pw_uid)])
        os.chown(d, 0, 0)
    assert check(h, cfg).returncode == 0


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


# ---- self-test ---------------------------------------------------------------
STEPS = ["discovery", "token", "jwks", "clock"]
APPROVAL_PATHS = ("/oauth/bc-authorize", "/oauth/device/code")


def self_test(h, cfg, json_out=True):
    return admin(h, ["self-test", "--config", cfg] +
                 (["--json"] if json_out else []))


def steps(p):
    import json
    out = [json.loads(l) for l in p.stdout.splitlines()]
    assert [s["step"] for s in out] == STEPS, p.stdout
    for s in out:
        assert isinstance(s["ms"], int) and 0 <= s["ms"] < 30000, s
    return {s["step"]: s for s in out}


def assert_no_approval(m, clean=True):
    """The mock's record: nothing that could ask a phone was sent, and no
    poll either; clean: no request the real API would refuse."""
    for r in m.requests():
        assert r["path"] not in APPROVAL_PATHS, r
        assert (r["form"] or {}).get("grant_type") != \
            "urn:openid:params:grant-type:ciba", r
    if clean:
        assert not m.violations(), m.violations()


def test_self_test_bkey_dialect(h):
    p = self_test(h, h.config())
    assert p.returncode == 0, p.stdout + p.stderr
    s = steps(p)
    assert all(v["result"] == "ok" for v in s.values()), p.stdout
    assert "client token" in s["token"]["detail"], s
    assert "1 usable Ed25519 key" in s["jwks"]["detail"], s
    paths = [r["path"] for r in h.mock.requests()]
    assert paths == ["/.well-known/openid-configuration", "/oauth/token",
                     "/oauth/jwks"], paths
    assert_no_approval(h.mock)


def test_self_test_ciba_dialect(h):
    h.mock.config(dialect="ciba")
    p = self_test(h, h.config())
    assert p.returncode == 0, p.stdout + p.stderr
    s = steps(p)
    assert "client_secret_basic accepted" in s["token"]["detail"], s
    rev = h.mock.requests("/oauth/revoke")
    assert len(rev) == 1 and rev[0]["headers"]["authorization"] \
        .startswith("Basic "), rev
    assert_no_approval(h.mock)


def test_self_test_secret_stays_with_the_service(h):
    """REV finding: dialect=ciba proved the client secret (Basic) on the
    discovery document's revocation_endpoint, wherever it pointed. The
    secret may go only where the configuration sends it: an endpoint on
    another origin is not used."""
    import socket
    import threading
    got = []
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    srv.settimeout(10)

    def serve():
        try:
            c, _ = srv.accept()
        except OSError:
            return
        c.settimeout(5)
        data = b""
        try:
            while b"\r\n\r\n" not in data:
                chunk = c.recv(4096)
                if not chunk:
                    break
                data += chunk
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        except OSError:
            pass
        got.append(data.decode("latin-1"))
        c.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    thief = "http://127.0.0.1:%d/oauth/revoke" % srv.getsockname()[1]
    h.mock.config(dialect="ciba", revocation_endpoint=thief)
    try:
        p = self_test(h, h.config())
    finally:
        srv.close()
        t.join(5)
    leaked = [g for g in got if "authorization:" in g.lower()]
    assert not leaked, "client secret sent to %s: %r" % (thief, leaked)
    assert p.returncode == 0, p.stdout + p.stderr
    rev = h.mock.requests("/oauth/revoke")
    assert len(rev) == 1, rev


def test_self_test_text_lines(h):
    p = self_test(h, h.config(), json_out=False)
    assert p.returncode == 0, p.stdout + p.stderr
    lines = p.stdout.splitlines()
    assert [l.split()[0] for l in lines] == STEPS, p.stdout
    for l in lines:
        assert l.split()[1] == "ok" and l.split()[3] == "ms", l


def test_self_test_wrong_secret(h):
    for dialect in ("bkey", "ciba"):
        h.mock.reset()
        h.mock.config(dialect=dialect)
        p = self_test(h, h.config(client_secret="wrong-secret"))
        assert p.returncode == 4, (dialect, p.stdout, p.stderr)
        s = steps(p)
        assert s["token"]["result"] == "fail", s
        assert s["discovery"]["result"] == "ok", s
        assert "wrong-secret" not in p.stdout + p.stderr
        assert h.mock.client_secret not in p.stdout + p.stderr
        assert_no_approval(h.mock, clean=False)


def test_self_test_wrong_issuer(h):
    h.mock.config(issuer="https://issuer.example")
    p = self_test(h, h.config())
    assert p.returncode == 4, p.stdout + p.stderr
    s = steps(p)
    assert s["discovery"]["result"] == "fail", s
    assert "issuer.example" in s["discovery"]["detail"], s


def test_self_test_jwks_faults(h):
    h.mock.set("did:bkey:faults", malformed="jwks")
    p = self_test(h, h.config())
    assert p.returncode == 4, p.stdout + p.stderr
    assert steps(p)["jwks"]["result"] == "fail", p.stdout
    h.mock.reset()
    h.mock.set("did:bkey:faults", drop="jwks")
    p = self_test(h, h.config())
    assert p.returncode == 3, p.stdout + p.stderr
    assert steps(p)["jwks"]["result"] == "fail", p.stdout


def test_self_test_unreachable(h):
    cfg = h.config(api_url="http://127.0.0.1:%d" % free_port())
    p = self_test(h, cfg)
    assert p.returncode == 3, p.stdout + p.stderr
    s = steps(p)
    assert s["discovery"]["result"] == "fail", s
    assert [s[k]["result"] for k in ("token", "jwks", "clock")] == \
        ["skip"] * 3, s


def test_self_test_tls_with_ca(h):
    tls = h.mock_tls()
    p = self_test(h, h.config(mock=tls))
    assert p.returncode == 0, p.stdout + p.stderr
    assert tls.ca_file in steps(p)["discovery"]["detail"], p.stdout
    # The system store does not know the throwaway CA: TLS must fail.
    p = self_test(h, h.config(mock=tls, cafile=None))
    assert p.returncode in (3, 4), p.stdout + p.stderr
    assert steps(p)["discovery"]["result"] == "fail", p.stdout
    assert_no_approval(tls)


def test_self_test_clock(h):
    cfg = h.config(clock_leeway="30")
    h.mock.config(date_offset=20)
    p = self_test(h, cfg)
    assert p.returncode == 0, p.stdout + p.stderr
    s = steps(p)["clock"]
    assert s["result"] == "warn" and "behind" in s["detail"], s
    h.mock.config(date_offset=-40)
    p = self_test(h, cfg)
    assert p.returncode == 4, p.stdout + p.stderr
    s = steps(p)["clock"]
    assert s["result"] == "fail" and "ahead of" in s["detail"], s
    h.mock.config(date_offset=0)
    p = self_test(h, cfg)
    assert steps(p)["clock"]["result"] == "ok", p.stdout


def test_self_test_drops_privileges(h):
    """run_as = nobody and a root-only secret file: the secret is read
    before the drop (privdrop.c, as bkey-approve), the steps still work."""
    pw, cfg = h.nobody_config(secret_file=True)
    p = self_test(h, cfg)
    assert p.returncode == 0, p.stdout + p.stderr


def test_self_test_bad_config(h):
    p = self_test(h, h.config(extra_lines=["timeout = soon"]))
    assert p.returncode == 78, p.stdout + p.stderr
    assert p.stdout == "", p.stdout


def test_self_test_interrupted(h):
    """SIGINT during a hung request ends the self-test at once, status 5."""
    import signal
    import time
    h.mock.set("did:bkey:faults", hang="jwks", hang_ms=20000)
    p = h.track(subprocess.Popen(
        h.cli_wrapper + [os.path.join(h.build, "bkey-admin"), "self-test",
                         "--config", h.config(), "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=h.cli_env(),
        encoding="utf-8", stdin=subprocess.DEVNULL))
    end = time.monotonic() + 10
    while not h.mock.requests("/oauth/jwks"):
        assert time.monotonic() < end and p.poll() is None, "no jwks request"
        time.sleep(0.02)
    t = time.monotonic()
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=5)
    assert time.monotonic() - t < 2, "took %.1f s" % (time.monotonic() - t)
    assert p.returncode == 5, (p.returncode, out, err)
    check_sanitizer(err)


# ---- unenroll, list ----------------------------------------------------------
USERS_TEXT = ("# the users of this host\n"
              "alice did:bkey:alice\n"
              "\n"
              "# ops\n"
              "bob    did:bkey:bob   # on call\n"
              "carol did:bkey:carol")           # no final newline


def users_config(h, text=USERS_TEXT, mode=0o640):
    cfg = h.config()
    u = write(users_file(cfg), text, mode)
    if os.getuid() == 0:
        os.chown(u, 0, 4)                        # group adm, kept
    return cfg, u


def test_unenroll_keeps_the_rest(h):
    cfg, u = users_config(h)
    before = os.stat(u)
    p = admin(h, ["unenroll", "bob", "--config", cfg])
    assert p.returncode == 0, p.stdout + p.stderr
    assert "unenrolled bob (did:bkey:bob)" in p.stdout, p.stdout
    assert open(u).read() == ("# the users of this host\n"
                              "alice did:bkey:alice\n"
                              "\n"
                              "# ops\n"
                              "carol did:bkey:carol\n")
    after = os.stat(u)
    assert (after.st_mode, after.st_uid, after.st_gid) == \
        (before.st_mode, before.st_uid, before.st_gid)
    assert after.st_ino != before.st_ino, "not replaced by a rename"
    leftovers = [n for n in os.listdir(os.path.dirname(u))
                 if n.startswith(os.path.basename(u) + ".") and
                 n != os.path.basename(u) + ".lock"]
    assert not leftovers, leftovers
    p = admin(h, ["unenroll", "bob", "--config", cfg])
    assert p.returncode == 78 and "not enrolled" in p.stderr, p.stderr


def test_unenroll_after_a_crash_leaves_one_file(h):
    """A run killed between writing and renaming leaves the next run one
    fixed file to replace, not a new temp name each time."""
    cfg, u = users_config(h, USERS_TEXT)
    with open(u + ".new", "w") as f:
        f.write("mallory did:bkey:mallory\n")
    p = admin(h, ["unenroll", "bob", "--config", cfg])
    assert p.returncode == 0, p.stdout + p.stderr
    names = sorted(n for n in os.listdir(os.path.dirname(u))
                   if n.startswith(os.path.basename(u)))
    assert names == sorted([os.path.basename(u),
                            os.path.basename(u) + ".lock"]), names
    assert "mallory" not in open(u).read()
    assert "bob" not in open(u).read()


def test_unenroll_refuses_a_broken_file(h):
    text = USERS_TEXT + "\nbad!name did:bkey:x\n"
    cfg, u = users_config(h, text)
    p = admin(h, ["unenroll", "alice", "--config", cfg])
    assert p.returncode == 78, p.stdout + p.stderr
    assert "invalid user name" in p.stderr, p.stderr
    assert open(u).read() == text


def test_unenroll_waits_for_the_lock(h):
    import fcntl
    import time
    cfg, u = users_config(h)
    with open(u + ".lock", "w") as lk:
        fcntl.flock(lk, fcntl.LOCK_EX)
        p = h.track(subprocess.Popen(
            h.cli_wrapper + [os.path.join(h.build, "bkey-admin"),
                             "unenroll", "alice", "--config", cfg],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=h.cli_env(), encoding="utf-8", stdin=subprocess.DEVNULL))
        time.sleep(0.3)
        assert p.poll() is None, "did not wait for the lock"
        assert "alice" in open(u).read()
    out, err = p.communicate(timeout=5)
    assert p.returncode == 0, out + err
    assert "alice" not in open(u).read()


def test_unenroll_usage(h):
    cfg, _ = users_config(h)
    for args in (["unenroll"], ["unenroll", "bad!name"],
                 ["unenroll", "alice", "bob"], ["unenroll", "alice",
                                                "--json"]):
        p = admin(h, args + ["--config", cfg])
        assert p.returncode == 64, (args, p.stderr)


def test_list(h):
    import json
    cfg, _ = users_config(h)
    p = admin(h, ["list", "--config", cfg])
    assert p.returncode == 0, p.stderr
    assert p.stdout == ("alice did:bkey:alice\nbob did:bkey:bob\n"
                        "carol did:bkey:carol\n"), p.stdout
    p = admin(h, ["list", "--config", cfg, "--json"])
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == [
        {"user": "alice", "did": "did:bkey:alice"},
        {"user": "bob", "did": "did:bkey:bob"},
        {"user": "carol", "did": "did:bkey:carol"}], p.stdout
    cfg, _ = users_config(h, "# nobody yet\n")
    p = admin(h, ["list", "--config", cfg, "--json"])
    assert p.returncode == 0 and json.loads(p.stdout) == [], p.stdout


def test_list_broken_file(h):
    cfg, u = users_config(h, USERS_TEXT + "\nalice did:bkey:again\n")
    p = admin(h, ["list", "--config", cfg])
    assert p.returncode == 78, p.stdout + p.stderr
    assert p.stdout == "", p.stdout
    assert "duplicate user" in p.stderr, p.stderr


# ---- enroll ------------------------------------------------------------------
BLOCKS = {" ": (0, 0), "\u2584": (0, 1), "\u2580": (1, 0), "\u2588": (1, 1)}


def qr_matrix(text):
    """The module matrix of the QR code drawn in text (two rows a line)."""
    rows = []
    for line in text.splitlines():
        if not line or any(ch not in BLOCKS for ch in line):
            if rows:
                break
            continue
        rows.append([BLOCKS[ch][0] for ch in line])
        rows.append([BLOCKS[ch][1] for ch in line])
    assert rows, "no QR code in:\n" + text
    return rows


def qr_decode(h, matrix):
    """zbarimg on a PBM rendering of matrix (4 pixels a module)."""
    zbar = shutil.which("zbarimg")
    if zbar is None:
        raise Skip("zbarimg (Debian zbar-tools) is not installed")
    s = 4
    w = len(matrix[0]) * s
    lines = []
    for row in matrix:
        line = " ".join(str(v) for v in row for _ in range(s))
        lines += [line] * s
    path = os.path.join(h.tmp, "qr.pbm")
    with open(path, "w") as f:
        f.write("P1\n%d %d\n%s\n" % (w, len(lines), "\n".join(lines)))
    p = subprocess.run([zbar, "--raw", "-q", path], capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 0, "zbarimg: %d %s" % (p.returncode, p.stderr)
    return p.stdout.strip()


def enroll(h, cfg, user, args=(), timeout=20):
    return admin(h, ["enroll", user, "--config", cfg] + list(args),
                 timeout=timeout)


def device_requests(m):
    return m.requests("/oauth/device/code")


def device_polls(m):
    return [r for r in m.requests("/oauth/token")
            if (r["form"] or {}).get("grant_type") ==
            "urn:ietf:params:oauth:grant-type:device_code"]


def assert_no_ciba(m):
    """enroll's only phone request is the device code: no CIBA."""
    for r in m.requests():
        assert r["path"] != "/oauth/bc-authorize", r
        assert (r["form"] or {}).get("grant_type") != \
            "urn:openid:params:grant-type:ciba", r
    assert not m.violations(), m.violations()


def test_enroll_writes_the_line(h):
    cfg, u = users_config(h)
    h.mock.config(device_did="did:bkey:dave-phone")
    # a second poll must come while pending: enroll polls every 200 ms,
    # so a 1 s wait leaves room for a slow start
    h.mock.set("did:bkey:dave-phone", delay_ms=1000, interval=0)
    before = open(u).read()
    p = enroll(h, cfg, "dave")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "enrolled dave as did:bkey:dave-phone" in p.stdout, p.stdout
    assert open(u).read() == before + "\ndave did:bkey:dave-phone\n"
    dev = device_requests(h.mock)
    assert len(dev) == 1, dev
    resp = __import__("json").loads(dev[0]["response"])
    assert resp["user_code"] in p.stderr, p.stderr
    assert resp["verification_uri"] in p.stderr, p.stderr
    assert qr_decode(h, qr_matrix(p.stderr)) == \
        resp["verification_uri_complete"]
    assert len(device_polls(h.mock)) >= 2, "pending polls expected"
    assert_no_ciba(h.mock)


def test_enroll_ciba_dialect(h):
    h.mock.config(dialect="ciba")
    cfg, u = users_config(h)
    p = enroll(h, cfg, "dave")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "dave did:bkey:enrolled\n" in open(u).read()
    assert device_requests(h.mock)[0]["headers"]["authorization"] \
        .startswith("Basic ")
    assert_no_ciba(h.mock)


def test_enroll_refuses_an_enrolled_user(h):
    cfg, u = users_config(h)
    before = open(u).read()
    p = enroll(h, cfg, "bob")
    assert p.returncode == 78 and "--replace" in p.stderr, p.stderr
    assert not device_requests(h.mock), "asked the phone for nothing"
    assert open(u).read() == before
    p = enroll(h, cfg, "bob", ["--replace"])
    assert p.returncode == 0, p.stdout + p.stderr
    # The other lines stay; a last line without newline gets one.
    assert open(u).read() == before.replace(
        "bob    did:bkey:bob   # on call\n", "bob did:bkey:enrolled\n") + \
        "\n"


def test_enroll_replace_keeps_or_drops_the_phone_key(h):
    """--replace with the same DID keeps the line's phone key (the third
    field); with another DID the key belongs to the old phone: it is
    dropped, and stderr says so."""
    key = "3q2+7wABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhs="
    for old, line, warned in (
            ("did:bkey:enrolled", "bob did:bkey:enrolled %s\n" % key, False),
            ("did:bkey:bob", "bob did:bkey:enrolled\n", True)):
        was = "bob %s %s # on call" % (old, key)
        text = USERS_TEXT.replace("bob    did:bkey:bob   # on call", was)
        cfg, u = users_config(h, text)
        p = enroll(h, cfg, "bob", ["--replace"])
        assert p.returncode == 0, p.stdout + p.stderr
        assert open(u).read() == text.replace(was + "\n", line) + "\n"
        assert ("phone key" in p.stderr) == warned, p.stderr
        assert not warned or ("dropped" in p.stderr and old in p.stderr), \
            p.stderr


def test_enroll_outcomes(h):
    for outcome, code in (("deny", 1), ("expire", 2)):
        h.mock.reset()
        cfg, u = users_config(h)
        before = open(u).read()
        h.mock.config(device_did="did:bkey:" + outcome)
        p = enroll(h, cfg, "dave")
        assert p.returncode == code, (outcome, p.stdout, p.stderr)
        assert open(u).read() == before


def test_enroll_bad_tokens(h):
    for bad in ("bad_sig", "alg_none", "wrong_iss", "wrong_aud", "expired",
                "unknown_kid", "no_sub"):
        h.mock.reset()
        cfg, u = users_config(h)
        before = open(u).read()
        h.mock.config(device_did="did:bkey:phone")
        h.mock.set("did:bkey:phone", bad_token=bad, interval=0)
        p = enroll(h, cfg, "dave")
        assert p.returncode == 4, (bad, p.stdout, p.stderr)
        assert open(u).read() == before, bad


def test_enroll_ldif(h):
    cfg, u = users_config(h)
    before = open(u).read()
    p = enroll(h, cfg, "bob", ["--ldif"])
    assert p.returncode == 0, p.stdout + p.stderr
    assert "dn: uid=bob," in p.stdout and \
        "bkeyDID: did:bkey:enrolled" in p.stdout, p.stdout
    assert "replace the example DN" in p.stdout, p.stdout
    assert open(u).read() == before
    # with a directory configured: its base and attribute, nothing to edit
    cfg = h.config(extra_lines=[
        "users_ldap_uri = ldap://127.0.0.1:%d" % free_port(),
        "users_ldap_base = ou=staff,dc=corp,dc=test",
        "users_ldap_attr = bkeyDid"])
    p = enroll(h, cfg, "bob", ["--ldif"])
    assert p.returncode == 0, p.stdout + p.stderr
    assert "dn: uid=bob,ou=staff,dc=corp,dc=test\n" in p.stdout and \
        "replace: bkeyDid\nbkeyDid: did:bkey:enrolled\n" in p.stdout and \
        "example" not in p.stdout, p.stdout


def enrolled_polls(h, **behaviour):
    """Enroll dave with the phone behaving so; the device code polls."""
    cfg, _ = users_config(h)
    h.mock.config(device_did="did:bkey:phone")
    h.mock.set("did:bkey:phone", **behaviour)
    p = enroll(h, cfg, "dave")
    assert p.returncode == 0, p.stdout + p.stderr
    return device_polls(h.mock)


def test_enroll_slow_down(h):
    """slow_down adds 5 s to the interval (RFC 8628 3.5)."""
    polls = enrolled_polls(h, slow_down=1, interval=0)
    assert len(polls) == 2, polls
    assert polls[1]["t"] - polls[0]["t"] >= 4.95, \
        polls[1]["t"] - polls[0]["t"]
    assert not h.mock.violations(), h.mock.violations()


test_enroll_slow_down.timeout = 30


def test_enroll_interval_zero_is_not_a_flood(h):
    """REV finding: a device code answer with interval 0 made enroll poll
    the token endpoint back to back for as long as the code lived. Polls
    stay at least 200 ms apart, as an approval's do."""
    polls = enrolled_polls(h, delay_ms=1000, interval=0)
    assert 2 <= len(polls) <= 7, "%d polls in about a second" % len(polls)


def test_enroll_timeout_and_cancel(h):
    import signal
    import time
    cfg, u = users_config(h)
    before = open(u).read()
    h.mock.config(device_did="did:bkey:never")
    h.mock.set("did:bkey:never", outcome="never", interval=0)
    t = time.monotonic()
    p = enroll(h, cfg, "dave", ["--timeout", "1"])
    assert p.returncode == 2, p.stdout + p.stderr
    assert time.monotonic() - t < 3
    h.mock.reset()
    h.mock.config(device_did="did:bkey:never")
    h.mock.set("did:bkey:never", outcome="never", interval=1)
    q = h.track(subprocess.Popen(
        h.cli_wrapper + [os.path.join(h.build, "bkey-admin"), "enroll",
                         "dave", "--config", cfg],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=h.cli_env(),
        encoding="utf-8", stdin=subprocess.DEVNULL))
    end = time.monotonic() + 10
    while not device_polls(h.mock):
        assert time.monotonic() < end and q.poll() is None, "no poll"
        time.sleep(0.02)
    q.send_signal(signal.SIGINT)
    out, err = q.communicate(timeout=5)
    assert q.returncode == 5, (q.returncode, out, err)
    assert open(u).read() == before
    check_sanitizer(err)


def test_enroll_as_run_as(h):
    """run_as = nobody: the network child drops, the root side writes."""
    pw, cfg = h.nobody_config()
    u = users_file(cfg)
    p = enroll(h, cfg, "dave")
    assert p.returncode == 0, p.stdout + p.stderr
    assert open(u).read().endswith("dave did:bkey:enrolled\n")
    assert os.stat(u).st_uid == os.getuid()
