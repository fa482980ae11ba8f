# SPDX-License-Identifier: ISC
"""
push_limit (issue 11): at most COUNT pushes per user on this host in any
SECONDS (default 5/600), counted per DID in state_dir/helper/push under an
flock so that concurrent helpers count each push once; beyond it nothing
is sent and the answer is exit 6, reason rate_limited. A push whose
request never reached the service is not counted.
"""

import hashlib
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import assert_error, assert_final, describe, free_port

CIBA = "urn:openid:params:grant-type:ciba"


def ask(h, c, user, timeout_s=10):
    return h.cli(["--config", c, "--json", "--user", user, "--timeout",
                  str(timeout_s)])


def initiates(h, did):
    return [r for r in h.mock.requests("/oauth/bc-authorize")
            if (r["json"] or {}).get("login_hint") == did]


def count_file(c, user):
    """The count of user's DID (one person, one count) in the network
    side's directory."""
    did = "did:bkey:" + user
    name = hashlib.blake2b(did.encode(), digest_size=16).hexdigest()
    return os.path.join(os.path.dirname(c), "state", "helper", "push", name)


def users(*names):
    return {n: "did:bkey:%s" % n for n in names}


def test_push_limit_default_stops_the_sixth(h):
    c = h.config(users=users("pl1", "pl2"), push_limit=None)
    for u in ("pl1", "pl2"):
        h.mock.set("did:bkey:" + u, outcome="approve", interval=0)
    for _ in range(5):
        assert_final(ask(h, c, "pl1"), 0, "approved")
    p = ask(h, c, "pl1")
    ev = assert_error(p, 6, "rate_limited")
    assert "push_limit reached" in ev["detail"], describe(p)
    assert len(initiates(h, "did:bkey:pl1")) == 5, "a sixth push was sent"
    # another user has a count of his own
    assert_final(ask(h, c, "pl2"), 0, "approved")
    st = os.stat(count_file(c, "pl1"))
    assert st.st_mode & 0o777 == 0o600 and st.st_uid == os.geteuid(), st


def test_push_limit_counts_concurrent_helpers_once(h):
    c = h.config(users=users("plc"), push_limit="3/600")
    h.mock.set("did:bkey:plc", outcome="approve", delay_ms=300, interval=0)
    procs = [h.cli_start(["--config", c, "--json", "--user", "plc",
                          "--timeout", "10"]) for _ in range(8)]
    codes = sorted(p.wait(timeout=30) for p in procs)
    assert codes == [0, 0, 0, 6, 6, 6, 6, 6], codes
    assert len(initiates(h, "did:bkey:plc")) == 3


def test_push_limit_window_and_file(h):
    c = h.config(users=users("plw"), push_limit="2/600")
    h.mock.set("did:bkey:plw", outcome="approve", interval=0)
    path = count_file(c, "plw")
    os.makedirs(os.path.dirname(path), mode=0o700)
    now = int(time.time())
    # pushes older than the window no longer count
    with open(path, "w") as f:
        f.write("%d\n%d\n" % (now - 700, now - 601))
    os.chmod(path, 0o600)
    assert_final(ask(h, c, "plw"), 0, "approved")
    # two in the window: refused without a push
    with open(path, "w") as f:
        f.write("%d\n%d\n" % (now - 10, now - 5))
    n = len(initiates(h, "did:bkey:plw"))
    assert_error(ask(h, c, "plw"), 6, "rate_limited")
    assert len(initiates(h, "did:bkey:plw")) == n


def test_push_limit_bad_count_file_warned(h):
    c = h.config(users=users("plb"), push_limit="1/600")
    h.mock.set("did:bkey:plb", outcome="approve", interval=0)
    path = count_file(c, "plb")
    os.makedirs(os.path.dirname(path), mode=0o700)
    with open(path, "w") as f:
        f.write("not a number\n")
    p = ask(h, c, "plb")
    assert_final(p, 0, "approved")
    assert "warning: push_limit" in p.stderr, describe(p)
    # and it counts again from there
    assert_error(ask(h, c, "plb"), 6, "rate_limited")


def test_push_limit_config(h):
    for bad in ("x", "5", "5/0", "101/600", "-1/600", "5/600x", "5/86401"):
        c = h.config(push_limit=bad)
        p = ask(h, c, "alice")
        assert p.returncode == 78 and "push_limit" in p.stdout + p.stderr, \
            (bad, describe(p))
    c = h.config(users=users("pl0"), push_limit="0/600")
    h.mock.set("did:bkey:pl0", outcome="approve", interval=0)
    for _ in range(7):
        assert_final(ask(h, c, "pl0"), 0, "approved")
    assert not os.path.exists(os.path.dirname(count_file(c, "pl0")))


# ---- what the modules make of it -------------------------------------------
def test_push_limit_pam(h):
    import test_pam as tp
    c = h.config(push_limit="1/600")
    h.mock.set("did:bkey:alice", outcome="approve", interval=0)
    svc = tp.service(h, conf=c)
    tp.assert_pamtester(tp.pamtester(h, svc), "PAM_SUCCESS")
    p = tp.pamtester(h, svc)
    tp.assert_pamtester(p, "PAM_AUTH_ERR")
    pr, f, text = tp.decision(p)
    assert f["outcome"] == "rate_limited", text
    assert "Too many login approval requests" in p.stdout + p.stderr, \
        tp.tail(p)
    assert len(initiates(h, "did:bkey:alice")) == 1


def test_push_limit_sudo(h):
    import test_sudo as ts
    c = h.config(push_limit="1/600")
    h.mock.set("did:bkey:alice", outcome="approve", interval=0)
    r = ts.drive(h, [ts.PSQL], conf=c)
    assert r.checks == [1], str(r)
    r = ts.drive(h, [ts.PSQL], conf=c)
    assert r.checks == [0], str(r)
    assert r.errstrs[1] == "too many approval requests", str(r)
    assert any("push_limit reached" in x for x in r.conv), str(r)
    assert len(initiates(h, "did:bkey:alice")) == 1


# ---- bkey-admin pushes -------------------------------------------------------
def admin_pushes(h, c, *args):
    import test_admin as ta
    return ta.admin(h, ["pushes"] + list(args) + ["--config", c])


def test_push_limit_admin_shows_and_resets(h):
    """bkey-admin pushes USER: the count and when the oldest push leaves
    the window; --reset clears it so the user is asked again at once."""
    c = h.config(users=users("pla", "plo"), push_limit="2/600")
    for u in ("pla", "plo"):
        h.mock.set("did:bkey:" + u, outcome="approve", interval=0)
    p = admin_pushes(h, c, "pla")
    assert p.returncode == 0 and p.stdout == \
        "pla (did:bkey:pla): 0 of 2 pushes in the last 600 s\n", describe(p)
    t0 = int(time.time())
    assert_final(ask(h, c, "pla"), 0, "approved")
    assert_final(ask(h, c, "pla"), 0, "approved")
    assert_final(ask(h, c, "plo"), 0, "approved")
    assert_error(ask(h, c, "pla"), 6, "rate_limited")
    p = admin_pushes(h, c, "pla")
    assert p.returncode == 0, describe(p)
    assert p.stdout.startswith("pla (did:bkey:pla): 2 of 2 pushes in the "
                               "last 600 s; the oldest leaves the window "
                               "in "), p.stdout
    t1 = int(time.time())
    left = int(p.stdout.split("window in ")[1].split()[0])
    # the oldest push went out between t0 and now: bounded by the clock
    # around the runs, not by how fast this machine is
    assert t0 + 600 - t1 - 1 <= left <= 600, (t0, t1, p.stdout)
    p = admin_pushes(h, c, "pla", "--reset")
    assert p.returncode == 0 and "pla: count cleared" in p.stdout, \
        describe(p)
    assert "0 of 2" in admin_pushes(h, c, "pla").stdout
    # the other user's count is his own: untouched
    assert "plo (did:bkey:plo): 1 of 2" in admin_pushes(h, c, "plo").stdout
    n = len(initiates(h, "did:bkey:pla"))
    assert_final(ask(h, c, "pla"), 0, "approved")
    assert len(initiates(h, "did:bkey:pla")) == n + 1
    assert "pla (did:bkey:pla): 1 of 2" in admin_pushes(h, c, "pla").stdout


def test_push_limit_admin_refusals(h):
    c = h.config(users=users("plr"), push_limit="2/600")
    path = count_file(c, "plr")
    os.makedirs(os.path.dirname(path), mode=0o700)
    # a count file not root's own is not believed (and not an error)
    with open(path, "w") as f:
        f.write("%d\n" % int(time.time()))
    os.chown(path, 65534, 65534)
    p = admin_pushes(h, c, "plr")
    assert p.returncode == 0 and "0 of 2" in p.stdout, describe(p)
    assert "not ours" in p.stderr, describe(p)
    # a push directory open to others: an error, not a silent zero
    os.chmod(os.path.dirname(path), 0o777)
    p = admin_pushes(h, c, "plr", "--reset")
    assert p.returncode == 78 and "push" in p.stderr, describe(p)
    assert os.path.exists(path)
    os.chmod(os.path.dirname(path), 0o700)
    for bad in (["pushes"], ["pushes", "bad/name"],
                ["pushes", "plr", "--json"]):
        import test_admin as ta
        p = ta.admin(h, bad + ["--config", c])
        assert p.returncode == 64, (bad, describe(p))
    c0 = h.config(push_limit="0/600")
    p = admin_pushes(h, c0, "plr")
    assert p.returncode == 0 and "push_limit is off" in p.stdout, describe(p)


# ---- one person, one count; only pushes that can have gone out -------------
def test_push_limit_pam_count_is_the_admins(h):
    """The modules name the user by DID alone: what bkey-admin shows for
    the user is what PAM's pushes counted, and --reset lets them in."""
    import test_pam as tp
    c = h.config(push_limit="1/600")
    h.mock.set("did:bkey:alice", outcome="approve", interval=0)
    svc = tp.service(h, conf=c)
    tp.assert_pamtester(tp.pamtester(h, svc), "PAM_SUCCESS")
    p = admin_pushes(h, c, "alice")
    assert p.returncode == 0 and "): 1 of 1 pushes" in p.stdout, describe(p)
    tp.assert_pamtester(tp.pamtester(h, svc), "PAM_AUTH_ERR")
    p = admin_pushes(h, c, "alice", "--reset")
    assert p.returncode == 0 and "count cleared" in p.stdout, describe(p)
    tp.assert_pamtester(tp.pamtester(h, svc), "PAM_SUCCESS")
    assert len(initiates(h, "did:bkey:alice")) == 2


def test_push_limit_one_count_for_name_and_did(h):
    c = h.config(users=users("pln"), push_limit="2/600")
    h.mock.set("did:bkey:pln", outcome="approve", interval=0)
    assert_final(ask(h, c, "pln"), 0, "approved")
    assert_final(h.cli(["--config", c, "--json", "--did", "did:bkey:pln",
                        "--timeout", "10"]), 0, "approved")
    assert_error(ask(h, c, "pln"), 6, "rate_limited")
    assert len(initiates(h, "did:bkey:pln")) == 2


def test_push_limit_outage_uses_no_push(h):
    """Attempts that never reached the service are not pushes: an outage
    must not turn into rate_limited, which failmode=safe and recovery
    codes do not answer."""
    from test_outage import STORM
    down = {"connect_timeout": "1", "unavailable_after": "1",
            "outage_hold": "0", "push_limit": "1/600"}
    # a closed port: no request at all
    c = h.config(api_url="http://127.0.0.1:%d" % free_port(), **down)
    for _ in range(2):
        assert_error(ask(h, c, "alice"), 3, "unavailable")
    # the push request answered 503 every time: given back
    c = h.config(**down)
    h.mock.set("did:bkey:alice", initiate_5xx=STORM)
    for _ in range(2):
        assert_error(ask(h, c, "alice"), 3, "unavailable")
    assert "): 0 of 1 pushes" in admin_pushes(h, c, "alice").stdout
    # the service back: the push goes out and counts
    h.mock.set("did:bkey:alice", outcome="approve", interval=0)
    assert_final(ask(h, c, "alice"), 0, "approved")
    assert_error(ask(h, c, "alice"), 6, "rate_limited")


def test_push_limit_unanswered_push_stays_counted(h):
    """A push request that went out and got no answer (a slow backend, a
    gateway timing out after the push, an answer dropped on the way) may
    have buzzed the phone: it is not given back, so retrying cannot push
    without limit."""
    c = h.config(users=users("plh"), connect_timeout="1",
                 unavailable_after="1", outage_hold="0", push_limit="1/600")
    h.mock.set("did:bkey:plh", hang="initiate", hang_ms=5000)
    assert_error(ask(h, c, "plh"), 3, "unavailable")
    for _ in range(2):
        assert_error(ask(h, c, "plh"), 6, "rate_limited")
    assert len(initiates(h, "did:bkey:plh")) == 1
