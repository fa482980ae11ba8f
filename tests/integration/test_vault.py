# SPDX-License-Identifier: ISC
"""
bkey-approve --vault (issue 12): the phone releases a secret for one
command. Each outcome and fault of the issue against the mock's simulated
phone (tests/mock/mock_vault.py); the secret must reach COMMAND's
environment and nothing else.
"""

import hashlib
import os
import re
import shutil
import signal
import subprocess
import time

from harness import assert_exit, assert_no_violations, events
import syslogcap

SECRET = "Pg-adm1n-\u00e9t\u00e9-" + "q7" * 10
ITEM = "prod-db"
# COMMAND proves it got the value without printing it: its hash is in
# argv, the value only in the mock.
CHECK = ('[ "$(printf %s "$PGPASSWORD" | sha256sum | cut -c1-64)" = "$1" ]'
         ' && [ "$KEEP" = caller ] && touch "$2"; exit 7')


def sha(s):
    return hashlib.sha256(s.encode()).hexdigest()


def setup(h, spec=None, item=ITEM):
    s = {"secret": SECRET, "interval": 0}
    s.update(spec or {})
    h.mock._call("POST", "/_mock/vault", {"item": item, "spec": s})


def vault_args(h, cfg, marker, item=ITEM, field="password", extra=()):
    spec = "%s:%s" % (item, field) if field else item
    return (["--config", cfg, "--json", "--user", "alice", "--vault", spec,
             "--env", "PGPASSWORD", "--message", "Drop table users_archive"]
            + list(extra) + ["--", "/bin/sh", "-c", CHECK, "sh",
                             sha(SECRET), marker])


def run(h, spec=None, cfg=None, field="password", extra=(), timeout=20):
    setup(h, spec)
    cfg = cfg or h.config()
    marker = os.path.join(h.tmp, "ran")
    if os.path.exists(marker):
        os.unlink(marker)
    p = h.cli(vault_args(h, cfg, marker, field=field, extra=extra),
              env={"KEEP": "caller"}, timeout=timeout)
    return p, os.path.exists(marker)


def final(p):
    evs = events(p.stdout)
    assert evs and evs[-1]["event"] != "pending", (p.stdout, p.stderr)
    return evs[-1]


def test_vault_released_into_command_env(h):
    m = h.mock
    p, ran = run(h)
    # COMMAND's own status (7) is bkey-approve's.
    assert_exit(p, 7)
    assert ran, p.stderr
    evs = events(p.stdout)
    assert [e["event"] for e in evs] == ["pending", "approved"], evs
    assert re.match(r"^[0-9]{4}$", evs[0]["code"]), evs
    (req,) = m.requests("/v1/vault/access")
    body = req["json"]
    assert set(body) == {"itemName", "fieldPath", "purpose",
                         "ephemeralPublicKey", "expiresInSecs"}, body
    assert body["itemName"] == ITEM and body["fieldPath"] == "password"
    assert body["purpose"] == "[%s] Drop table users_archive" % \
        evs[0]["code"], body
    assert req["headers"]["authorization"].startswith("Bearer ")
    assert_no_violations(m)


def test_vault_field_defaults_to_key(h):
    p, ran = run(h, field=None)
    assert_exit(p, 7)
    assert ran
    (req,) = h.mock.requests("/v1/vault/access")
    assert req["json"]["fieldPath"] == "key", req["json"]


def test_vault_fresh_key_per_request(h):
    for _ in range(2):
        p, ran = run(h)
        assert_exit(p, 7)
    keys = [r["json"]["ephemeralPublicKey"]
            for r in h.mock.requests("/v1/vault/access")]
    assert len(keys) == 2 and keys[0] != keys[1], keys


def test_vault_privilege_drop(h):
    """run_as: the worker fetches as nobody, COMMAND runs as the caller."""
    pw, cfg = h.nobody_config()
    marker = os.path.join(h.tmp, "ran")
    setup(h)
    args = vault_args(h, cfg, marker)
    args[args.index("--") + 3] = CHECK.replace(
        "exit 7", '[ "$(id -u)" = 0 ] || exit 9; exit 7')
    p = h.cli(args, env={"KEEP": "caller"})
    assert_exit(p, 7)
    assert os.path.exists(marker), p.stderr
    assert_no_violations(h.mock)


def test_vault_terminal_output(h):
    """Without --json: the code and the outcome for a person on stderr,
    the same code in the purpose the phone shows ("[CODE] message"), and
    stdout left to COMMAND alone."""
    setup(h)
    marker = os.path.join(h.tmp, "ran")
    args = vault_args(h, h.config(), marker)
    args.remove("--json")
    args[args.index("--") + 3] = CHECK.replace("exit 7",
                                               "echo from-command; exit 7")
    p = h.cli(args, env={"KEEP": "caller"})
    assert_exit(p, 7)
    assert os.path.exists(marker), p.stderr
    m = re.search(r"^Approve on your phone: code ([0-9]{4}) "
                  r"\(expires in [0-9]+ s\)$", p.stderr, re.M)
    assert m, p.stderr
    (req,) = h.mock.requests("/v1/vault/access")
    assert req["json"]["purpose"] == "[%s] Drop table users_archive" % \
        m.group(1), req["json"]
    assert "Approved by did:bkey:alice\n" in p.stderr, p.stderr
    assert p.stdout == "from-command\n", p.stdout
    assert SECRET not in p.stderr


def test_vault_two_items_own_values(h):
    """Two items in one run: each variable gets its own item's value."""
    other = "0ther-v\u00e4lue-" + "x9" * 6
    setup(h)
    setup(h, {"secret": other}, item="other")
    marker = os.path.join(h.tmp, "ran")
    args = vault_args(h, h.config(), marker)
    i = args.index("--")
    args[i:i] = ["--vault", "other", "--env", "OTHERPW"]
    args[i + 7] = CHECK.replace(
        "&& touch", '&& [ "$(printf %s "$OTHERPW" | sha256sum | '
        'cut -c1-64)" = "$3" ] && touch')
    args.append(sha(other))
    p = h.cli(args, env={"KEEP": "caller"})
    assert_exit(p, 7)
    assert os.path.exists(marker), p.stderr
    assert [r["json"]["itemName"] for r in
            h.mock.requests("/v1/vault/access")] == [ITEM, "other"]


OUTCOMES = [
    ({"outcome": "deny"}, 1, "denied"),
    ({"outcome": "expire"}, 2, "expired"),
    ({"fault": "consumed_null"}, 4, "error"),
    ({"fault": "bad_tag"}, 4, "error"),
    ({"fault": "truncated"}, 4, "error"),
    ({"fault": "non_utf8"}, 4, "error"),
    ({"fault": "nul"}, 4, "error"),
]


def test_vault_outcomes_run_nothing(h):
    for spec, code, event in OUTCOMES:
        h.mock.reset()
        p, ran = run(h, spec)
        assert_exit(p, code)
        assert not ran, spec
        assert final(p)["event"] == event, (spec, p.stdout)
        assert SECRET not in p.stdout + p.stderr, spec
        assert_no_violations(h.mock)


def test_vault_never_times_out(h):
    t0 = time.monotonic()
    p, ran = run(h, {"outcome": "never"}, extra=["--timeout", "1"])
    assert_exit(p, 2)
    assert not ran
    assert time.monotonic() - t0 < 8


def test_vault_unavailable(h):
    p, ran = run(h, {"poll_5xx": 1000}, extra=["--timeout", "2"])
    assert_exit(p, 3)
    assert not ran
    p, ran = run(h, {"fault": "request_5xx"}, extra=["--timeout", "2"])
    assert_exit(p, 3)
    assert not ran


def test_vault_push_limit(h):
    """A vault access pushes to the phone like an approval: push_limit
    counts it (per DID, with the approvals), and one whose request never
    got through is not counted."""
    cfg = h.config(push_limit="1/600", unavailable_after="1")
    p, ran = run(h, {"fault": "request_5xx"}, cfg=cfg,
                 extra=["--timeout", "3"])
    assert_exit(p, 3)
    h.mock.reset()
    p, ran = run(h, cfg=cfg)
    assert_exit(p, 7)
    assert ran
    p, ran = run(h, cfg=cfg)
    assert_exit(p, 6)
    assert not ran and final(p)["reason"] == "rate_limited", p.stdout
    assert len(h.mock.requests("/v1/vault/access")) == 1
    # an approval for the same person is over the limit too
    q = h.cli(["--config", cfg, "--json", "--user", "alice"])
    assert_exit(q, 6)


def test_vault_hang_ends_at_deadline(h):
    """A status poll the server never answers, as for an approval
    (test_cli.test_hang): unavailable (exit 3) when the outage budget
    runs out first, expired (exit 2) when the timeout comes first; in
    time either way, and nothing runs."""
    fast = h.config(connect_timeout="1", unavailable_after="1")
    # the budget (about 2 s) far from the person's 30 s; the slack in the
    # bounds is for a slow machine
    for cfg, secs, code, most in ((fast, "30", 3, 12), (None, "2", 2, 8)):
        h.mock.reset()
        t0 = time.monotonic()
        p, ran = run(h, {"fault": "hang"}, cfg=cfg,
                     extra=["--timeout", secs])
        assert_exit(p, code)
        if code == 3:
            assert final(p)["reason"] == "unavailable", p.stdout
        else:
            assert final(p)["event"] == "expired", p.stdout
        assert not ran
        assert time.monotonic() - t0 < most, (secs, code)


def test_vault_ctrl_c(h):
    setup(h, {"outcome": "never"})
    marker = os.path.join(h.tmp, "ran")
    p = h.cli_start(vault_args(h, h.config(), marker),
                    env={"KEEP": "caller"})
    line = p.stdout.readline()
    assert '"pending"' in line, line
    os.killpg(p.pid, signal.SIGINT)
    p.wait(timeout=10)
    out, err = p.stdout.read(), p.stderr.read()
    assert p.returncode == 5, (p.returncode, err)
    assert not os.path.exists(marker)


def _uid(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("Uid:"):
                return int(line.split()[1])
    return None


def test_vault_no_core_while_held(h):
    """While the worker holds the first item's value (the second is still
    pending), no process of the run can dump core: RLIMIT_CORE is 0 for
    the monitor, the runner and the worker, and the worker (nobody) is
    not dumpable (the kernel gives the files of a non-dumpable process's
    /proc entry to root)."""
    from harness import children, core_limit
    pw, cfg = h.nobody_config()
    setup(h)
    setup(h, {"outcome": "never"}, item="other")
    marker = os.path.join(h.tmp, "ran")
    args = vault_args(h, cfg, marker, extra=["--timeout", "30"])
    i = args.index("--")
    args[i:i] = ["--vault", "other", "--env", "OTHERPW"]
    p = h.cli_start(args, env={"KEEP": "caller"})
    for _ in range(2):
        line = p.stdout.readline()
        assert '"pending"' in line, (line, p.stderr.read())
    kids = children(p.pid)
    workers = [k for k in kids if _uid(k) == pw.pw_uid]
    assert len(kids) == 2 and len(workers) == 1, kids
    for pid in [p.pid] + kids:
        assert core_limit(pid) == ["0", "0"], (pid, core_limit(pid))
    assert os.stat("/proc/%d/environ" % workers[0]).st_uid == 0, "dumpable"
    os.killpg(p.pid, signal.SIGINT)
    p.wait(timeout=10)
    assert p.returncode == 5, (p.returncode, p.stderr.read())
    assert not os.path.exists(marker)


def test_vault_default_poll_interval(h):
    """No hint: no poll sooner than 3 s (the mock records a violation)."""
    t0 = time.monotonic()
    p, ran = run(h, {"interval": None})
    assert_exit(p, 7)
    assert ran
    assert time.monotonic() - t0 >= 3.0
    assert_no_violations(h.mock)


def test_vault_usage(h):
    """Every --vault/--env needs its partner and a non-empty COMMAND after
    --; without one it is a usage error naming the problem (never a plain
    approval), and nothing is asked."""
    cfg = h.config()
    cases = (
        (["--vault", ITEM, "--", "true"], "one --env VAR for each"),
        (["--vault", ITEM, "--env", "1X", "--", "true"], "variable name"),
        (["--vault", ITEM, "--env", "A"], "COMMAND"),
        (["--vault", ITEM, "--env", "A", "--vault", "b", "--env", "A",
          "--", "true"], "given twice"),
        (["--vault", ITEM, "--env", "A", "--scope", "approve:x", "--",
          "true"], "--scope"),
        # G3: no command at all, abbreviations included
        (["--vault", ITEM], "COMMAND"),
        (["--vault", ITEM, "--message", "x"], "COMMAND"),
        (["--vau", ITEM], "COMMAND"),
        (["--vau", ITEM, "--env", "A", "--message", "x"], "COMMAND"),
        (["--vault=" + ITEM, "--en", "A"], "COMMAND"),
        # G4: an empty command
        (["--vault", ITEM, "--"], "COMMAND"),
        (["--vault", ITEM, "--env", "A", "--"], "COMMAND"),
        (["--vault", ITEM, "--env", "A", "--", ""], "COMMAND"),
        (["--env", "A", "--", "true"], "--vault"),
        (["--", "true"], "--vault"),
    )
    for args, why in cases:
        for json in ([], ["--json"]):
            p = h.cli(["--config", cfg, "--user", "alice"] + json + args)
            assert_exit(p, 64)
            assert why in p.stderr, (args, p.stderr)
            assert "approved" not in p.stdout, (args, p.stdout)
    assert h.mock.requests() == []


def test_vault_env_refuses_loader_and_shell_variables(h):
    """--env never names a variable that changes how COMMAND is loaded or
    how a shell behaves (LD_PRELOAD would make ld.so print the secret, and
    under sudo a swapped key would run code as root): exit 64 naming it;
    nothing is asked. Look-alikes that only share a prefix are fine."""
    cfg = h.config()
    for var in ("LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "GCONV_PATH",
                "GLIBC_TUNABLES", "MALLOC_CHECK_", "PATH", "IFS", "BASH_ENV",
                "ENV", "BASH_FUNC_x%%", "PS4", "PYTHONPATH", "NODE_OPTIONS",
                "PERL5OPT", "TZ", "OPENSSL_CONF", "OPENSSL_MODULES",
                "LUA_INIT", "LUA_INIT_5_4", "PSQLRC", "GIT_SSH_COMMAND",
                "GIT_CONFIG_COUNT", "PAGER", "HOME"):
        for json in ([], ["--json"]):
            p = h.cli(["--config", cfg, "--user", "alice"] + json +
                      ["--vault", ITEM, "--env", var, "--", "true"])
            assert_exit(p, 64)
            if var.isidentifier():
                assert "--env %s" % var in p.stderr, (var, p.stderr)
    assert h.mock.requests() == []
    setup(h)
    for var in ("PGPASSWORD", "LDX", "PATHNAME", "MY_LD_PRELOAD", "ld_preload"):
        p = h.cli(["--config", cfg, "--user", "alice", "--vault", ITEM,
                   "--env", var, "--", "true"])
        assert_exit(p, 0)


def test_vault_abbreviated_options(h):
    """getopt's abbreviations (--vau, --en, --vault=) are the same options:
    the mode comes from what was parsed, not from the spelling."""
    setup(h)
    marker = os.path.join(h.tmp, "ran")
    args = vault_args(h, h.config(), marker)
    args[args.index("--vault")] = "--vau"
    args[args.index("--env")] = "--en"
    p = h.cli(args, env={"KEEP": "caller"})
    assert_exit(p, 7)
    assert os.path.exists(marker), p.stderr
    assert_no_violations(h.mock)


def _scan_tree(top, needle):
    hits = []
    for d, dirs, files in os.walk(top):
        # test_package's debootstrapped trees: hundreds of MB no vault
        # run writes to, left from an earlier test
        dirs[:] = [x for x in dirs if x != "pkgtest"]
        for f in files:
            path = os.path.join(d, f)
            try:
                if not os.path.isfile(path) or os.path.islink(path):
                    continue
                with open(path, "rb") as fh:
                    if needle in fh.read():
                        hits.append(path)
            except OSError:
                pass
    return hits


def _argv_hits(needle):
    hits = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open("/proc/%s/cmdline" % pid, "rb") as f:
                    if needle in f.read():
                        hits.append(pid)
            except OSError:
                pass
    return hits


def _nowhere_else(h, log, cfg, extra=()):
    """One run whose COMMAND waits until every process's argv was looked
    at; then the value must be in no output, syslog line, mock record,
    build, state or test file."""
    m = h.mock
    m.reset()
    setup(h)
    marker = os.path.join(h.tmp, "ran")
    for f in (marker, marker + ".env", os.path.join(h.tmp, "go")):
        if os.path.exists(f):
            os.unlink(f)
    args = vault_args(h, cfg, marker, extra=extra)
    go = os.path.join(h.tmp, "go")
    args[args.index("--") + 3] = CHECK.replace(
        "exit 7", 'touch "$2.env"; while [ ! -e "%s" ]; do sleep 0.05; '
        'done; exit 7' % go)
    p = log.start(args, env={"KEEP": "caller"})
    needle = SECRET.encode()
    deadline = time.monotonic() + 10
    while not os.path.exists(marker + ".env"):
        assert time.monotonic() < deadline and p.poll() is None, \
            p.stderr.read()
        assert _argv_hits(needle) == []
        time.sleep(0.02)
    assert _argv_hits(needle) == []
    open(go, "w").close()
    p.wait(timeout=10)
    out, err = p.stdout.read(), p.stderr.read()
    assert p.returncode == 7, (p.returncode, err)
    assert os.path.exists(marker)
    assert SECRET not in out and SECRET not in err
    lines = log.lines()
    assert len(_audit(lines)) == 1, lines
    assert all(SECRET not in l for l in lines), lines
    for r in m.requests():
        assert SECRET not in (r.get("body") or "")
        assert SECRET not in (r.get("response") or "")
    state = os.path.join(os.path.dirname(cfg), "state")
    for top in (state, h.build, h.tmp, m.dir):
        assert _scan_tree(top, needle) == [], top
    return err


def test_vault_secret_nowhere_else(h):
    """The value is in COMMAND's environment and in no argv, output,
    syslog line, mock log, build or state file: as the caller, and with
    the privilege drop (the monitor, the worker as nobody) and --debug."""
    log = Syslog(h)
    try:
        _nowhere_else(h, log, h.config())
        err = _nowhere_else(h, log, h.nobody_config()[1],
                            extra=("--debug",))
        assert "switched to 'nobody'" in err and "vault: " in err, err
    finally:
        log.close()


def _pin_file(cfg):
    d = os.path.join(os.path.dirname(cfg), "state", "vault-keys")
    names = os.listdir(d) if os.path.isdir(d) else []
    return [os.path.join(d, n) for n in names]


def _pinning(h, cfg):
    """First use records the phone's key; an answer from another key is
    then refused (exit 4, nothing runs); the right key still works."""
    phone = h.mock._call("GET", "/_mock/vault")["phone_public_key"]
    p, ran = run(h, cfg=cfg)
    assert_exit(p, 7)
    assert ran
    (pin,) = _pin_file(cfg)
    st = os.stat(pin)
    assert st.st_mode & 0o777 == 0o600 and st.st_uid == os.getuid(), st
    with open(pin) as f:
        assert f.read() == phone + "\n"
    p, ran = run(h, {"fault": "wrong_key"}, cfg=cfg)
    assert_exit(p, 4)
    assert not ran
    assert "another phone key" in final(p)["detail"], p.stdout
    p, ran = run(h, cfg=cfg)
    assert_exit(p, 7)
    assert ran


def test_vault_phone_key_pinned(h):
    _pinning(h, h.config())


def test_vault_phone_key_pinned_by_monitor(h):
    pw, cfg = h.nobody_config()
    _pinning(h, cfg)


def test_vault_admin_vault_key(h):
    """bkey-admin vault-key shows the pinned key; --reset lets a new phone
    be recorded."""
    import subprocess
    admin = os.path.join(h.build, "bkey-admin")
    cfg = h.config()

    def vk(*a):
        return subprocess.run([admin, "vault-key", "alice", "--config", cfg]
                              + list(a), capture_output=True, text=True,
                              timeout=10)
    p = vk()
    assert p.returncode == 0 and "no phone key configured or recorded" \
        in p.stdout, p
    phone = h.mock._call("GET", "/_mock/vault")["phone_public_key"]
    p, ran = run(h, cfg=cfg)
    assert_exit(p, 7)
    p = vk()
    assert p.returncode == 0 and phone in p.stdout and \
        "recorded on first use" in p.stdout, p
    # A new phone (the mock's reset makes a new key): refused until reset.
    h.mock.reset()
    p, ran = run(h, cfg=cfg)
    assert_exit(p, 4)
    assert not ran
    p = vk("--reset")
    assert p.returncode == 0 and "removed" in p.stdout, p
    p, ran = run(h, cfg=cfg)
    assert_exit(p, 7)
    assert ran
    p = subprocess.run([admin, "vault-key", "--config", cfg],
                       capture_output=True, text=True, timeout=10)
    assert p.returncode == 64, p


def test_vault_runner_told_to_stop_not_killed(h):
    """When bkey-approve fails after the values reached the runner (its
    final event cannot be written: stdout is a closed pipe), the runner
    learns it from its closed go pipe, wipes the values and exits 125; it
    is not SIGKILLed while holding them. COMMAND does not run."""
    strace = shutil.which("strace")
    if strace is None:
        raise h.Skip("strace not installed (scripts/install-deps.sh)")
    setup(h)
    marker = os.path.join(h.tmp, "ran")
    log = os.path.join(h.tmp, "strace.log")
    r, w = os.pipe()
    os.close(r)
    try:
        p = subprocess.run(
            [strace, "-f", "-q", "-e", "trace=none", "-o", log] +
            h.cli_argv(vault_args(h, h.config(), marker)), stdout=w,
            stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL,
            timeout=30, env=h.traced_env({"KEEP": "caller"}))
    finally:
        os.close(w)
    assert p.returncode == 70, (p.returncode, p.stderr)
    assert "cannot write the result" in p.stderr, p.stderr
    assert not os.path.exists(marker)
    # The values were sent: the phone released them.
    assert h.mock.requests("/v1/vault/access")
    with open(log) as f:
        text = f.read()
    assert "killed by SIGKILL" not in text, text
    assert re.search(r"^\d+ +\+\+\+ exited with 125 \+\+\+$", text, re.M), \
        text


def test_vault_sigterm_reaches_command(h):
    """Once COMMAND runs, a SIGTERM sent to bkey-approve alone is passed
    on to it (bkey-approve does not wait forever on a command it was told
    to stop), and COMMAND's status is bkey-approve's."""
    setup(h)
    marker = os.path.join(h.tmp, "ran")
    args = vault_args(h, h.config(), marker)
    args[args.index("--") + 3] = (
        'trap "touch $2.term; exit 3" TERM; touch "$2.up"; '
        'while :; do sleep 0.05; done')
    p = h.cli_start(args, env={"KEEP": "caller"})
    deadline = time.monotonic() + 10
    while not os.path.exists(marker + ".up"):
        assert time.monotonic() < deadline and p.poll() is None, \
            p.stderr.read()
        time.sleep(0.02)
    os.kill(p.pid, signal.SIGTERM)
    p.wait(timeout=10)
    assert p.returncode == 3, (p.returncode, p.stderr.read())
    assert os.path.exists(marker + ".term")


def _configured(h, cfg):
    """The users file's key is the only one: the right key works, a
    swapped one is refused (exit 4, nothing runs); no record is made or
    read (a stale record of another key is ignored and left alone)."""
    phone = h.mock._call("GET", "/_mock/vault")["phone_public_key"]
    pins = os.path.join(os.path.dirname(cfg), "state", "vault-keys")
    p, ran = run(h, cfg=cfg, extra=("--debug",))
    assert_exit(p, 7)
    assert ran
    assert "phone_key=configured)" in p.stderr, p.stderr
    assert _pin_file(cfg) == [], os.listdir(pins)
    p, ran = run(h, {"fault": "wrong_key"}, cfg=cfg, extra=("--debug",))
    assert_exit(p, 4)
    assert not ran
    d = final(p)["detail"]
    assert "another phone key" in d and "configured" in d and \
        "users file" in d, d
    assert "phone_key=configured-mismatch)" in p.stderr, p.stderr
    assert _pin_file(cfg) == []
    return phone


def _users_key_config(h, nobody=False):
    phone = h.mock._call("GET", "/_mock/vault")["phone_public_key"]
    users = {"alice": "did:bkey:alice " + phone}
    if nobody:
        return h.nobody_config(users=users)[1]
    return h.config(users=users)


def test_vault_phone_key_from_users_file(h):
    _configured(h, _users_key_config(h))


def test_vault_phone_key_from_users_file_by_monitor(h):
    _configured(h, _users_key_config(h, nobody=True))


def _did_run(h, cfg, spec=None):
    """run() with --did did:bkey:alice in place of --user alice."""
    setup(h, spec)
    marker = os.path.join(h.tmp, "ran")
    if os.path.exists(marker):
        os.unlink(marker)
    args = vault_args(h, cfg, marker)
    i = args.index("--user")
    args[i:i + 2] = ["--did", "did:bkey:alice", "--debug"]
    p = h.cli(args, env={"KEEP": "caller"})
    return p, os.path.exists(marker)


def test_vault_did_uses_configured_key(h):
    """--did DID: the users file's key for that DID (from the line naming
    it) is the only one, as with --user; a swapped key on the first
    access is refused, not recorded."""
    for cfg in (_users_key_config(h), _users_key_config(h, nobody=True)):
        p, ran = _did_run(h, cfg, {"fault": "wrong_key"})
        assert_exit(p, 4)
        assert not ran
        d = final(p)["detail"]
        assert "configured" in d and "users file" in d, d
        assert _pin_file(cfg) == []
        p, ran = _did_run(h, cfg)
        assert_exit(p, 7)
        assert ran and "phone_key=configured)" in p.stderr, p.stderr
        assert _pin_file(cfg) == []


def test_vault_alias_user_uses_the_dids_key(h):
    """Two names for one DID, the phone key on one line only (bkey-admin
    enroll of a second name writes none): --user of the other name uses
    that key too, else a swapped key would be trusted on its first use
    and pinned for the DID."""
    phone = h.mock._call("GET", "/_mock/vault")["phone_public_key"]
    cfg = h.config(users={"alice": "did:bkey:alice " + phone,
                          "ops": "did:bkey:alice"})
    marker = os.path.join(h.tmp, "ran")
    for fault, code in (("wrong_key", 4), (None, 7)):
        setup(h, {"fault": fault} if fault else None)
        args = vault_args(h, cfg, marker)
        args[args.index("--user") + 1] = "ops"
        p = h.cli(args, env={"KEEP": "caller"})
        assert_exit(p, code)
        assert os.path.exists(marker) == (code == 7), p.stdout
        if fault:
            assert "configured" in final(p)["detail"], p.stdout
        assert _pin_file(cfg) == [], "a key was pinned"


def test_vault_did_without_configured_key(h):
    """A DID no line gives a key to is trusted on first use, as before;
    two different keys for one DID are a config error naming FILE:LINE."""
    cfg = h.config()
    p, ran = _did_run(h, cfg)
    assert_exit(p, 7)
    assert ran and "phone_key=recorded)" in p.stderr, p.stderr
    assert len(_pin_file(cfg)) == 1
    phone = h.mock._call("GET", "/_mock/vault")["phone_public_key"]
    other = "3q2+7wABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhs="
    cfg = h.config(users={"alice": "did:bkey:alice " + phone,
                          "ops": "did:bkey:alice " + other})
    users = os.path.join(os.path.dirname(cfg), "users")
    p, ran = _did_run(h, cfg)
    assert_exit(p, 78)
    assert not ran
    assert final(p)["detail"].startswith(users + ":"), p.stdout
    assert "another phone key for did:bkey:alice" in final(p)["detail"]


def test_vault_did_refused_with_directory(h):
    """The directory is searched by user name: --did with --vault is a
    usage error there, nothing is asked."""
    p, ran = _did_run(h, _dir_config(h))
    assert_exit(p, 64)
    assert not ran
    assert "give --user" in final(p)["detail"], p.stdout
    assert h.mock.requests("/v1/vault/access") == []


def test_vault_configured_key_ignores_record(h):
    """A record of another key (an old phone) neither refuses the
    configured key nor is changed by it."""
    cfg = _users_key_config(h)
    d = os.path.join(os.path.dirname(cfg), "state", "vault-keys")
    os.mkdir(d, 0o700)
    name = hashlib.blake2b(b"did:bkey:alice", digest_size=32).hexdigest()
    other = "3q2+7wABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhs=\n"
    with open(os.path.join(d, name), "w") as f:
        f.write(other)
    os.chmod(os.path.join(d, name), 0o600)
    p, ran = run(h, cfg=cfg)
    assert_exit(p, 7)
    assert ran
    with open(os.path.join(d, name)) as f:
        assert f.read() == other


def test_vault_bad_phone_key_in_users_file(h):
    """A malformed third field (or a fourth) is a config error naming
    FILE:LINE; nothing is asked, nothing runs."""
    phone = h.mock._call("GET", "/_mock/vault")["phone_public_key"]
    for bad, why in (("did:bkey:alice notakey", "invalid phone key"),
                     ("did:bkey:alice " + phone[:-4], "invalid phone key"),
                     ("did:bkey:alice %s extra" % phone,
                      "expected \"unixname did [phone-key]\"")):
        cfg = h.config(users={"alice": bad})
        users = os.path.join(os.path.dirname(cfg), "users")
        p, ran = run(h, cfg=cfg)
        assert_exit(p, 78)
        assert not ran
        assert final(p)["detail"].startswith(users + ":2: " + why), p.stdout
    assert h.mock.requests("/v1/vault/access") == []


# ---- the key from the directory (users_ldap_vault_key_attr) ---------------
KEY_ATTR = "carLicense"         # any multi-valued inetOrgPerson attribute


def _dir_key(h, values):
    """Set alice's KEY_ATTR in the test directory to values (none: no
    attribute)."""
    import subprocess
    from ldapdir import ADMIN_DN, ADMIN_PW, BASE
    ldif = ("dn: uid=alice,ou=people,%s\nchangetype: modify\nreplace: %s\n"
            % (BASE, KEY_ATTR)) + "".join("%s: %s\n" % (KEY_ATTR, v)
                                          for v in values)
    p = subprocess.run(["ldapmodify", "-x", "-H", h.slapd().uri, "-D",
                        ADMIN_DN, "-w", ADMIN_PW], input=ldif, text=True,
                       capture_output=True, timeout=10,
                       env={"LDAPNOINIT": "1", "PATH": os.environ["PATH"]})
    assert p.returncode == 0, p.stderr


def _dir_config(h, nobody=False, **kw):
    from ldapdir import BASE
    kw.setdefault("users_ldap_vault_key_attr", KEY_ATTR)
    make = (lambda **k: h.nobody_config(**k)[1]) if nobody else h.config
    return make(users_ldap_uri=h.slapd().uri, users_ldap_base=BASE,
                users_ldap_attr="description", users_ldap_timeout="3",
                users_file=os.path.join(h.tmp, "no-such-users-file"), **kw)


def test_vault_phone_key_from_directory(h):
    phone = h.mock._call("GET", "/_mock/vault")["phone_public_key"]
    try:
        _dir_key(h, [phone])
        cfg = _dir_config(h)
        p, ran = run(h, cfg=cfg, extra=("--debug",))
        assert_exit(p, 7)
        assert ran and "phone_key=configured)" in p.stderr, p.stderr
        assert _pin_file(cfg) == []
        p, ran = run(h, {"fault": "wrong_key"}, cfg=cfg)
        assert_exit(p, 4)
        assert not ran
        assert "configured" in final(p)["detail"] and \
            "directory" in final(p)["detail"], p.stdout
        assert _pin_file(cfg) == []
    finally:
        _dir_key(h, [])


def test_vault_phone_key_from_directory_by_monitor(h):
    """With the privilege drop the worker (nobody) reads the directory
    after the drop; its key is still the only one, and no record is
    made."""
    phone = h.mock._call("GET", "/_mock/vault")["phone_public_key"]
    try:
        _dir_key(h, [phone])
        cfg = _dir_config(h, nobody=True)
        p, ran = run(h, cfg=cfg, extra=("--debug",))
        assert_exit(p, 7)
        assert ran and "phone_key=configured)" in p.stderr, p.stderr
        assert "switched to 'nobody'" in p.stderr, p.stderr
        p, ran = run(h, {"fault": "wrong_key"}, cfg=cfg)
        assert_exit(p, 4)
        assert not ran
        assert "directory" in final(p)["detail"], p.stdout
        assert _pin_file(cfg) == []
    finally:
        _dir_key(h, [])


def test_vault_directory_first_use_by_monitor(h):
    """No key attribute configured: the DID the directory names after the
    drop is pinned on first use by the monitor (which learns that DID
    from the worker's first pin), as with the users file."""
    _pinning(h, _dir_config(h, nobody=True, users_ldap_vault_key_attr=None))


def test_vault_bad_phone_key_in_directory(h):
    """Configured but missing, twice, or not a key: exit 4, nothing runs,
    no fall back to first use (no record is made)."""
    phone = h.mock._call("GET", "/_mock/vault")["phone_public_key"]
    cfg = _dir_config(h)
    cases = ([], [phone, "3q2+7wABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhs="],
             ["not a key"], [phone[:-4]])
    try:
        for vals in cases:
            _dir_key(h, vals)
            p, ran = run(h, cfg=cfg)
            assert_exit(p, 4)
            assert not ran
            d = final(p)["detail"]
            assert d.startswith("users_ldap_uri: ") and KEY_ATTR in d, d
            assert _pin_file(cfg) == []
        assert h.mock.requests("/v1/vault/access") == []
    finally:
        _dir_key(h, [])


def test_vault_directory_key_attr_config(h):
    """users_ldap_vault_key_attr needs the directory and a valid name."""
    p, ran = run(h, cfg=h.config(users_ldap_vault_key_attr=KEY_ATTR))
    assert_exit(p, 78)
    assert "users_ldap_vault_key_attr needs users_ldap_uri" in \
        final(p)["detail"], p.stdout
    cfg = _dir_config(h, users_ldap_vault_key_attr="car;License")
    p, ran = run(h, cfg=cfg)
    assert_exit(p, 78)
    assert "not an attribute name" in final(p)["detail"], p.stdout


def _admin_vault_key(h, cfg, *a):
    import subprocess
    return subprocess.run([os.path.join(h.build, "bkey-admin"), "vault-key",
                           "alice", "--config", cfg] + list(a),
                          capture_output=True, text=True, timeout=10)


def test_vault_admin_vault_key_configured(h):
    """vault-key names where a configured key comes from, and --reset
    says to change it there (exit 78, nothing removed or logged)."""
    phone = h.mock._call("GET", "/_mock/vault")["phone_public_key"]
    cfg = _users_key_config(h)
    users = os.path.join(os.path.dirname(cfg), "users")
    p = _admin_vault_key(h, cfg)
    assert p.returncode == 0, p
    assert "%s, configured in the users file (%s)" % (phone, users) \
        in p.stdout, p.stdout
    p = _admin_vault_key(h, cfg, "--reset")
    assert p.returncode == 78, p
    assert "configured in the users file" in p.stderr and \
        "change it there" in p.stderr, p.stderr
    try:
        _dir_key(h, [phone])
        cfg = _dir_config(h)
        p = _admin_vault_key(h, cfg)
        assert p.returncode == 0, p
        assert "%s, configured in the directory (%s)" % (phone, KEY_ATTR) \
            in p.stdout, p.stdout
        _dir_key(h, ["garbage"])
        p = _admin_vault_key(h, cfg)
        assert p.returncode == 4 and "not a phone key" in p.stderr, p
    finally:
        _dir_key(h, [])


def test_vault_json_final_event(h):
    """The final event of a vault run carries what is true of it: the DID,
    the access request ids (those of the pending events) as auth_req_id,
    what was asked as scope; no jti or exp (there is no token), never the
    secret; stderr holds no secret either."""
    p, ran = run(h)
    assert_exit(p, 7)
    evs = events(p.stdout)
    assert [e["event"] for e in evs] == ["pending", "approved"], evs
    ev = evs[-1]
    assert set(ev) == {"event", "sub", "scope", "auth_req_id"}, ev
    assert ev["sub"] == "did:bkey:alice", ev
    assert ev["scope"] == "vault:%s:password" % ITEM, ev
    assert ev["auth_req_id"] == evs[0]["auth_req_id"] != "", evs
    assert h.mock.requests("/v1/vault/access/" + ev["auth_req_id"]), ev
    assert SECRET not in p.stdout and SECRET not in p.stderr


def test_vault_json_final_event_two_items(h):
    setup(h, item="other")
    setup(h)
    marker = os.path.join(h.tmp, "ran")
    args = vault_args(h, h.config(), marker)
    i = args.index("--")
    args[i:i] = ["--vault", "other", "--env", "OTHERPW"]
    p = h.cli(args, env={"KEEP": "caller"}, timeout=20)
    assert_exit(p, 7)
    evs = events(p.stdout)
    assert [e["event"] for e in evs] == ["pending", "pending", "approved"], \
        evs
    ev = evs[-1]
    assert ev["scope"] == "vault:%s:password vault:other:key" % ITEM, ev
    assert ev["auth_req_id"] == "%s %s" % (evs[0]["auth_req_id"],
                                           evs[1]["auth_req_id"]), evs
    assert "jti" not in ev and "exp" not in ev, ev


def test_vault_json_final_event_many_items(h):
    """Eight items do not fit in one event field: the lists stop at an
    item, both at the same one, and say how many were left off."""
    names = ["item%d" % k for k in range(8)]
    for n in names:
        setup(h, item=n)
    args = ["--config", h.config(), "--json", "--user", "alice"]
    for k, n in enumerate(names):
        args += ["--vault", n, "--env", "V%d" % k]
    p = h.cli(args + ["--", "/bin/true"], timeout=30)
    assert_exit(p, 0)
    evs = events(p.stdout)
    ids = [e["auth_req_id"] for e in evs if e["event"] == "pending"]
    ev = evs[-1]
    assert ev["event"] == "approved" and len(ids) == 8, evs
    got, more = ev["auth_req_id"].rsplit(" +", 1)
    n = len(got.split(" "))
    assert 0 < n < 8 and more == "%d more" % (8 - n), ev
    assert got == " ".join(ids[:n]), (got, ids)
    assert ev["scope"] == " ".join("vault:%s:key" % x for x in names[:n]) \
        + " +%d more" % (8 - n), ev
    assert len(ev["auth_req_id"]) < 256 and len(ev["scope"]) < 256, ev


# ---- the audit line, through a /dev/log of our own -----------------------
class Syslog:
    """bkey-approve in a private mount namespace whose /dev/log is a
    socket of ours (tests/syslogcap.py); the host's /dev is never
    touched."""

    def __init__(self, h):
        if os.geteuid() != 0 or shutil.which("unshare") is None:
            raise h.Skip("needs root and unshare for a private /dev/log")
        self.h = h
        self.cap = syslogcap.Capture(h.tmp)

    def argv(self, args):
        return self.cap.argv(self.h.cli_argv(args))

    def run(self, args, env=None, timeout=30):
        p = subprocess.run(self.argv(args), env=self.h.cli_env(env),
                           capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL)
        if p.returncode == 32 and "mount" in p.stderr:
            raise self.h.Skip("cannot mount here: " + p.stderr.strip())
        return p

    def start(self, args, env=None):
        p = subprocess.Popen(self.argv(args), env=self.h.cli_env(env),
                             stdin=subprocess.DEVNULL, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             start_new_session=True)
        return self.h.track(p)

    def lines(self):
        """Every line sent so far ("PRIORITY text"), taken."""
        return self.cap.lines()

    def close(self):
        self.cap.close()


def _audit(lines):
    """The vault audit lines, each as its key=value dict."""
    out = []
    for l in lines:
        m = re.match(r"^\S+ +bkey-approve\[\d+\]: vault (.*)$", l)
        if m:
            out.append(dict(w.split("=", 1) for w in m.group(1).split(" ")))
    return out


def test_vault_audit_line(h):
    """One syslog line per access: outcome, user, DID, item, field,
    request id (and how the phone key was checked), never the value. The
    item and field are log words: a blank or '=' in them cannot fake
    another field."""
    log = Syslog(h)
    try:
        item = "prod db outcome=approved"
        setup(h, item=item)
        setup(h)
        cfg = h.config()
        args = ["--config", cfg, "--json", "--user", "alice",
                "--vault", item + ":pass word", "--env", "A",
                "--vault", ITEM + ":password", "--env", "B", "--",
                "/bin/true"]
        p = log.run(args)
        assert_exit(p, 0)
        ids = [e["auth_req_id"] for e in events(p.stdout)
               if e["event"] == "pending"]
        lines = log.lines()
        got = _audit(lines)
        assert len(got) == 2, lines
        assert got[0] == {"outcome": "approved", "user": "alice",
                          "did": "did:bkey:alice",
                          "item": r"prod\x20db\x20outcome\x3dapproved",
                          "field": r"pass\x20word", "request": ids[0],
                          "phone_key": "recorded"}, got
        assert got[1]["item"] == ITEM and got[1]["field"] == "password" \
            and got[1]["request"] == ids[1], got
        assert all(SECRET not in l for l in lines), lines
        # A refusal is one line too, with its outcome.
        setup(h, {"outcome": "deny"})
        p = log.run(vault_args(h, cfg, os.path.join(h.tmp, "ran")),
                    env={"KEEP": "caller"})
        assert_exit(p, 1)
        (ev,) = [e for e in events(p.stdout) if e["event"] == "pending"]
        got = _audit(log.lines())
        assert len(got) == 1 and got[0]["outcome"] == "denied" and \
            got[0]["request"] == ev["auth_req_id"], got
    finally:
        log.close()

