# SPDX-License-Identifier: ISC
"""
state_dir as installed (helper/workdir.h): root's, with the network side's
files (JWKS cache, push counts) in state_dir/helper, owned by run_as, and
root's records (jti, recovery codes, remember windows, the circuit breaker,
phone keys) where run_as cannot touch them. Every feature of issue 11 and
the vault's pin must work in that one layout, with a real privilege drop;
before it, no owner of state_dir made all of them work at once.
"""

import hashlib
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import syslogcap  # noqa: E402
from harness import assert_error, assert_final, describe, free_port  # noqa
import test_outage as to  # noqa: E402
import test_recovery as tr  # noqa: E402
import test_remember as tm  # noqa: E402
import test_vault as tv  # noqa: E402


def owner_mode(path):
    st = os.lstat(path)
    return st.st_uid, st.st_mode & 0o7777


def as_user(pw, argv):
    """argv as pw, no groups: what a compromised worker could do."""
    return subprocess.run(["setpriv", "--reuid=%d" % pw.pw_uid,
                           "--regid=%d" % pw.pw_gid, "--clear-groups"] +
                          argv, capture_output=True, text=True, timeout=10)


def layout(h, **kw):
    """Two services sharing one root-owned state_dir: one up (the mock),
    one down (a closed port)."""
    kw.setdefault("recovery_delay", "0")
    pw, up = h.nobody_config(push_limit="3/600", outage_hold="30", **kw)
    state = os.path.join(os.path.dirname(up), "state")
    _, down = h.nobody_config(state_dir=state, outage_hold="30",
                              api_url="http://127.0.0.1:%d" % free_port(),
                              connect_timeout="1", unavailable_after="1",
                              **kw)
    assert owner_mode(state) == (0, 0o700)
    return pw, up, down, state


def test_installed_layout_every_feature_works(h):
    pw, up, down, state = layout(h)
    helper = os.path.join(state, "helper")
    # A remembered sudo approval: asked once, the window root's.
    h.mock.set("did:bkey:alice", outcome="approve", interval=0)
    assert tm.run(h, up).checks == [1]
    r = tm.run(h, up, checks=(tm.ID,))
    assert r.checks == [1] and len(tm.initiates(h)) == 1, str(r)
    (rec,) = tm.records(up)
    assert owner_mode(rec)[0] == 0 and owner_mode(os.path.dirname(rec)) \
        == (0, 0o700)
    # The push was counted, in run_as's corner, and bkey-admin sees it.
    assert owner_mode(helper) == (pw.pw_uid, 0o700)
    name = hashlib.blake2b(b"did:bkey:alice", digest_size=16).hexdigest()
    assert owner_mode(os.path.join(helper, "push", name))[0] == pw.pw_uid
    p = tr.admin(h, ["pushes", "alice", "--config", up])
    assert p.returncode == 0 and "1 of 3 pushes" in p.stdout, describe(p)
    # An outage: the breaker opens (run_as's file) and a recovery code
    # (root's file) lets alice in through PAM.
    a, _ = tr.make_codes(h, down, "alice", 2)
    p = tr.pam_login(h, down, "timeout=5 recovery=allow", a + "\n")
    tr.assert_pamtester(p, "PAM_SUCCESS")
    assert tr.outcome(p) == "recovered", tr.tail(p)
    assert owner_mode(os.path.join(state, "recovery", "u_alice")) == \
        (0, 0o600)
    breaker = os.path.join(state, "breaker",
                           os.path.basename(to.breaker_path(down)))
    assert owner_mode(breaker) == (0, 0o600)
    p, _ = to.approve(h, down, "did:bkey:alice")
    ev = assert_error(p, 3, "unavailable")
    assert "circuit breaker open" in ev["detail"], describe(p)
    # and the service that is up is still asked
    assert_final(to.approve(h, up, "did:bkey:bob")[0], 0, "approved")


def test_installed_layout_run_as_cannot_reset_a_pin(h):
    """The phone key recorded on first use is root's: the run_as user
    (a compromised worker) can neither read nor rename the records, so it
    cannot make the next access trust another key."""
    pw, up, _, state = layout(h)
    p, ran = tv.run(h, cfg=up)
    assert p.returncode == 7 and ran, describe(p)
    pins = os.path.join(state, "vault-keys")
    (pin,) = os.listdir(pins)
    assert owner_mode(pins) == (0, 0o700), owner_mode(pins)
    assert owner_mode(os.path.join(pins, pin)) == (0, 0o600)
    q = as_user(pw, ["mv", pins, os.path.join(state, "old")])
    assert q.returncode != 0 and os.path.isdir(pins), q
    q = as_user(pw, ["ls", pins])
    assert q.returncode != 0, q
    # a swapped key is refused, nothing runs
    p, ran = tv.run(h, spec={"fault": "wrong_key"}, cfg=up)
    assert p.returncode == 4 and not ran, describe(p)


def test_installed_layout_records_out_of_run_as_reach(h):
    """A record in root's corner that run_as made (say, in a directory it
    was handed by mistake) is not believed: the monitor refuses it."""
    pw, up, _, state = layout(h)
    pins = os.path.join(state, "vault-keys")
    os.mkdir(pins, 0o700)
    os.chown(pins, pw.pw_uid, pw.pw_gid)
    p, ran = tv.run(h, cfg=up)
    assert p.returncode == 78 and not ran, describe(p)
    os.chown(pins, 0, 0)
    p, ran = tv.run(h, cfg=up)
    assert p.returncode == 7 and ran, describe(p)
    (pin,) = os.listdir(pins)
    os.chown(os.path.join(pins, pin), pw.pw_uid, pw.pw_gid)
    p, ran = tv.run(h, cfg=up)
    assert p.returncode == 78 and not ran, describe(p)
    assert "not a record of ours" in p.stdout, describe(p)


def test_unusable_helper_dir_is_warned_in_syslog(h):
    """The JWKS cache and push counts go without their directory
    (an approval still works), but the administrator is told where the
    helper's stderr is nobody's: in syslog."""
    pw, up, _, state = layout(h)
    os.symlink("/tmp", os.path.join(state, "helper"))
    h.mock.set("did:bkey:alice", outcome="approve", interval=0)
    p, lines = syslogcap.run(
        h.tmp, h.cli_argv(["--config", up, "--json", "--did",
                           "did:bkey:alice"]),
        capture_output=True, text=True, timeout=30, env=h.cli_env(),
        stdin=subprocess.DEVNULL)
    assert_final(p, 0, "approved")
    warned = [l for l in lines if "bkey-approve" in l and "warning:" in l]
    assert any("state_dir" in l and "/helper: cannot open: Not a directory"
               in l for l in warned), lines
    assert any("push_limit" in l for l in warned), lines
