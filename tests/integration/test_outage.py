# SPDX-License-Identifier: ISC
"""
Bad days (issue 11): an outage is decided within the outage budget
(unavailable_after), not the whole timeout, and the circuit breaker in
state_dir (outage_hold) answers later approvals at once with no network
attempt, except one probe per hold period.

Tests count attempts and read the breaker's file; how fast is measured by
bench/run.py, not here. Each run uses --timeout 20 with connect_timeout 1
and unavailable_after 1: before the budget, every outage here took the
whole 20 s. The budget is one per approval: the time the service spends
not answering (from the start of a failed attempt to its next answer),
added up over every request of the run and never given back.
"""

import hashlib
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import assert_error, assert_final, describe, free_port  # noqa
from test_availability import NX_NAME, run as ns_run  # noqa: E402

TIMEOUT = 20
LOOSE = 10.0            # seconds: far under TIMEOUT, far over the budget
FAST = {"connect_timeout": "1", "unavailable_after": "1"}
STORM = 100000          # 503s before success: every attempt of a run


def conf(h, hold=0, **kw):
    settings = dict(FAST, outage_hold=str(hold))
    settings.update(kw)
    return h.config(**settings)


def approve(h, c, did, wall=TIMEOUT + 10):
    t0 = time.monotonic()
    p = h.cli(["--config", c, "--json", "--did", did, "--timeout",
               str(TIMEOUT)], timeout=wall)
    return p, time.monotonic() - t0


def initiates(h, did):
    return [r for r in h.mock.requests("/oauth/bc-authorize")
            if (r["json"] or {}).get("login_hint") == did]


def conf_value(c, key):
    with open(c) as f:
        for line in f:
            k, _, v = line.partition("=")
            if k.strip() == key:
                return v.strip()
    raise KeyError(key)


def breaker_path(c):
    """The breaker of c's service: one per api_url, root's, in
    state_dir/breaker (helper/breaker.h)."""
    url = conf_value(c, "api_url").encode()
    name = hashlib.blake2b(url, digest_size=8).hexdigest()
    return os.path.join(os.path.dirname(c), "state", "breaker", name)


def breaker_until(c):
    with open(breaker_path(c)) as f:
        text = f.read()
    assert text.startswith("bkey-breaker 1 ") and text.endswith("\n"), text
    return int(text.split()[2])


# ---- the outage budget ---------------------------------------------------------
# Attempts are counted, never timed: a slower machine only makes fewer of
# them fit. With unavailable_after 1 and the backoff 250, 500, 1000 ms, a
# failing stretch has attempts at 0, 0.25 and 0.75 s, at most 3.
ATTEMPTS = re.compile(r"\((?:the last: .*; )?(\d+) attempts?\)$")


def attempts(ev):
    m = ATTEMPTS.search(ev["detail"])
    assert m, ev
    return int(m.group(1))


def token_posts(h):
    return [r for r in h.mock.requests("/oauth/token")
            if (r["form"] or {}).get("grant_type") == "client_credentials"]


def test_budget_503_storm(h):
    did = "did:bkey:storm"
    h.mock.set(did, initiate_5xx=STORM)
    p, _ = approve(h, conf(h), did)
    ev = assert_error(p, 3, "unavailable")
    n = len(initiates(h, did))
    # within unavailable_after of the first failure, not also
    # connect_timeout (that made 4)
    assert 1 <= n <= 3, (n, describe(p))
    # a last retry begun with the budget all but spent may give up before
    # the mock reads it: counted by the helper, unseen by the mock
    assert n <= attempts(ev) <= n + 1, (n, describe(p))


def test_budget_server_that_never_answers(h):
    did = "did:bkey:hang"
    h.mock.set(did, hang="initiate", hang_ms=30000)
    p, _ = approve(h, conf(h), did)
    ev = assert_error(p, 3, "unavailable")
    assert "timed out" in ev["detail"], describe(p)
    # one attempt of connect_timeout + unavailable_after, no second
    assert len(initiates(h, did)) == 1, h.mock.requests()


def test_budget_closed_port(h):
    # a refused connection costs unavailable_after, not connect_timeout
    # more: with connect_timeout 5 that was 5 attempts
    c = conf(h, api_url="http://127.0.0.1:%d" % free_port(),
             connect_timeout="5")
    p, _ = approve(h, c, "did:bkey:alice")
    ev = assert_error(p, 3, "unavailable")
    assert ev["detail"].startswith("client token: "), describe(p)
    assert 1 <= attempts(ev) <= 3, describe(p)


def test_budget_zero_is_one_attempt(h):
    c = conf(h, api_url="http://127.0.0.1:%d" % free_port(),
             unavailable_after="0")
    p, _ = approve(h, c, "did:bkey:alice")
    ev = assert_error(p, 3, "unavailable")
    assert attempts(ev) == 1, describe(p)


def test_budget_tls_failure(h):
    c = conf(h, api_url="https://127.0.0.1:%d" % h.mock.port,
             issuer=h.mock.url, connect_timeout="5")
    p, _ = approve(h, c, "did:bkey:alice")
    ev = assert_error(p, 3, "unavailable")
    assert 1 <= attempts(ev) <= 3, describe(p)


def test_budget_dns_failure(h):
    # files only in a private namespace: the proxy's name is unknown
    c = conf(h, proxy="http://%s:8080" % NX_NAME)
    p = ns_run(h, c, "did:bkey:alice", timeout_s=TIMEOUT, wall=TIMEOUT + 10)
    ev = assert_error(p, 3, "unavailable")
    assert "resolve proxy" in ev["detail"], describe(p)
    assert 1 <= attempts(ev) <= 3, describe(p)
    assert h.mock.requests() == []
    # and the service's own name (https: no plain http off loopback)
    c = conf(h, api_url="https://%s" % NX_NAME, issuer=h.mock.url)
    p = ns_run(h, c, "did:bkey:alice", timeout_s=TIMEOUT, wall=TIMEOUT + 10)
    ev = assert_error(p, 3, "unavailable")
    assert "resolve host" in ev["detail"], describe(p)
    assert 1 <= attempts(ev) <= 3, describe(p)


def test_budget_is_one_per_approval(h):
    # The client token fails 3 times (0, 0.25, 0.75 s) and then answers
    # (1.75 s): 1.75 of the 3 s are spent, and the initiate's retries get
    # what is left (attempts at +0, +0.25, +0.75), not a budget of their
    # own (+1.75 too), so a flapping service cannot chain budgets.
    did = "did:bkey:flap"
    h.mock.set(did, token_5xx=3, initiate_5xx=STORM)
    p, _ = approve(h, conf(h, unavailable_after="3"), did)
    ev = assert_error(p, 3, "unavailable")
    assert ev["detail"].startswith("initiate: HTTP 503"), describe(p)
    assert len(token_posts(h)) == 4, h.mock.requests()
    n = len(initiates(h, did))
    assert 1 <= n <= 3, (n, describe(p))


def test_budget_is_one_per_vault_access(h):
    h.mock.set("did:bkey:alice", token_5xx=3)
    h.mock._call("POST", "/_mock/vault",
                 {"item": "db", "spec": {"fault": "request_5xx"}})
    c = conf(h, unavailable_after="3")
    p = h.cli(["--config", c, "--json", "--user", "alice", "--vault",
               "db:password", "--env", "PW", "--", "/bin/true"],
              timeout=TIMEOUT + 10)
    ev = assert_error(p, 3, "unavailable")
    assert ev["detail"].startswith("vault request: HTTP 503"), describe(p)
    assert len(token_posts(h)) == 4, h.mock.requests()
    n = len(h.mock.requests("/v1/vault/access"))
    assert 1 <= n <= 3, (n, describe(p))


def test_budget_leaves_the_phone_wait_alone(h):
    # a person who takes longer than the budget is still waited for
    did = "did:bkey:slowperson"
    h.mock.set(did, outcome="approve", delay_ms=3000, interval=1)
    p, took = approve(h, conf(h), did)
    assert_final(p, 0, "approved")
    assert took >= 3.0, took


def polls(h):
    return [r for r in h.mock.requests("/oauth/token")
            if (r["form"] or {}).get("grant_type", "").endswith(":ciba")]


def test_budget_wait_is_not_outage(h):
    # The token fails once (a quarter of the budget spent), the person
    # then takes longer than the whole budget, and a poll fails: the
    # wait spent nothing, so the poll is retried (200 ms polls, backoff
    # 250 ms) and the approval goes through.
    did = "did:bkey:waitblip"
    h.mock.set(did, outcome="approve", delay_ms=3000, interval=0,
               token_5xx=1)
    run = h.cli_start(["--config", conf(h), "--json", "--did", did,
                       "--timeout", str(TIMEOUT)])
    for _ in range(200):                # until 1.2 s of pending polls
        if len(polls(h)) >= 6:
            break
        time.sleep(0.05)
    # the request under way keeps its behaviour; the 5xx count is new
    h.mock.set(did, poll_5xx=1)
    assert run.wait(timeout=TIMEOUT) == 0, run.stdout.read()
    codes = [r["status"] for r in polls(h)]
    assert 503 in codes and codes[-1] == 200, codes
    assert len(token_posts(h)) == 2, h.mock.requests()


def test_budget_grants_a_lost_poll_its_retry(h):
    # The poll interval (2 s) is longer than the whole budget (1 s): a
    # poll's retry must wait the interval, so without a grant one lost
    # poll during the person's wait would end the approval.
    did = "did:bkey:lostpoll"
    h.mock.set(did, outcome="approve", delay_ms=2500, interval=2,
               poll_5xx=1)
    p, _ = approve(h, conf(h), did)
    assert_final(p, 0, "approved")
    codes = [r["status"] for r in polls(h)]
    assert codes[0] == 503 and codes[-1] == 200, codes
    # and the retry kept the interval
    t = [r["t"] for r in polls(h)]
    assert t[1] - t[0] >= 2.0, t


# ---- the circuit breaker -------------------------------------------------------
HOLD = 30


def write_breaker(c, text, uid=0, mode=0o600):
    path = breaker_path(c)
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    os.chown(path, uid, 0)
    return path


def expired_breaker(c):
    """A breaker whose hold period is over: the next run is the probe."""
    return write_breaker(c, "bkey-breaker 1 %d\n" % (int(time.time()) - 1))


def test_breaker_opens_and_answers_without_asking(h):
    did = "did:bkey:stormhold"
    h.mock.set(did, initiate_5xx=STORM)
    c = conf(h, hold=HOLD)
    p, _ = approve(h, c, did)
    assert_error(p, 3, "unavailable")
    now = int(time.time())
    st = os.stat(breaker_path(c))
    assert st.st_mode & 0o777 == 0o600 and st.st_uid == os.geteuid(), st
    assert now < breaker_until(c) <= now + HOLD, (now, breaker_until(c))
    seen = len(h.mock.requests())
    for _ in range(3):
        p, took = approve(h, c, did)
        ev = assert_error(p, 3, "unavailable")
        assert "circuit breaker open" in ev["detail"], describe(p)
        assert took < LOOSE, took
    assert len(h.mock.requests()) == seen, "a network attempt while open"


def test_breaker_probe_closes_on_success(h):
    did = "did:bkey:probeok"
    h.mock.set(did, outcome="approve", interval=0)
    c = conf(h, hold=HOLD)
    expired_breaker(c)
    p, _ = approve(h, c, did)
    assert_final(p, 0, "approved")
    assert not os.path.exists(breaker_path(c))


def test_breaker_probe_that_fails_reopens(h):
    did = "did:bkey:probebad"
    h.mock.set(did, initiate_5xx=STORM)
    c = conf(h, hold=HOLD)
    expired_breaker(c)
    p, _ = approve(h, c, did)
    assert_error(p, 3, "unavailable")
    assert len(initiates(h, did)) >= 1, "no probe was made"
    assert breaker_until(c) > int(time.time())


def test_breaker_one_probe_per_period(h):
    # while the period's probe hangs, the others answer at once
    did = "did:bkey:probehang"
    h.mock.set(did, hang="initiate", hang_ms=4000)
    c = conf(h, hold=HOLD)
    expired_breaker(c)
    probe = h.cli_start(["--config", c, "--json", "--did", did,
                         "--timeout", str(TIMEOUT)])
    for _ in range(100):
        if initiates(h, did):
            break
        time.sleep(0.05)
    assert len(initiates(h, did)) == 1, "the probe never arrived"
    for _ in range(3):
        p, _ = approve(h, c, did)
        ev = assert_error(p, 3, "unavailable")
        assert "circuit breaker open" in ev["detail"], describe(p)
    assert len(initiates(h, did)) == 1, "a second probe in one period"
    assert probe.wait(timeout=TIMEOUT) == 3, probe.stdout.read()


def ignored(h, c, did):
    """The breaker file is ignored with a warning: the service is asked."""
    h.mock.set(did, outcome="approve", interval=0)
    p, _ = approve(h, c, did)
    assert_final(p, 0, "approved")
    assert "warning: circuit breaker" in p.stderr and "ignored" in p.stderr, \
        describe(p)
    assert len(initiates(h, did)) == 1


def test_breaker_corrupt_file_is_ignored(h):
    until = int(time.time()) + 10
    for i, text in enumerate(["garbage\n", "bkey-breaker 1 %dx\n" % until,
                              "bkey-breaker 1 %d" % until, "",
                              # further ahead than one hold: not ours
                              "bkey-breaker 1 %d\n" % (until + 10 * HOLD)]):
        c = conf(h, hold=HOLD)
        write_breaker(c, text)
        ignored(h, c, "did:bkey:corrupt%d" % i)


def test_breaker_foreign_file_is_ignored(h):
    if os.geteuid() != 0:
        raise h.Skip("chown to another user needs root")
    text = "bkey-breaker 1 %d\n" % (int(time.time()) + 10)
    c = conf(h, hold=HOLD)
    write_breaker(c, text, uid=65534)
    ignored(h, c, "did:bkey:foreign")
    c = conf(h, hold=HOLD)
    write_breaker(c, text, mode=0o622)
    ignored(h, c, "did:bkey:writable")
    c = conf(h, hold=HOLD)
    other = os.path.join(h.tmp, "elsewhere")
    with open(other, "w") as f:
        f.write(text)
    os.makedirs(os.path.dirname(breaker_path(c)), mode=0o700)
    os.symlink(other, breaker_path(c))
    ignored(h, c, "did:bkey:symlink")


def test_breaker_is_per_service(h):
    # Two configurations share a state_dir: one service's outage must not
    # answer for the other (under failmode=safe that would be an allow
    # nobody was asked for).
    down = conf(h, hold=HOLD, api_url="http://127.0.0.1:%d" % free_port())
    state = os.path.join(os.path.dirname(down), "state")
    p, _ = approve(h, down, "did:bkey:alice")
    assert_error(p, 3, "unavailable")
    assert os.path.exists(breaker_path(down)), os.listdir(state)
    up = conf(h, hold=HOLD, state_dir=state)
    did = "did:bkey:otherservice"
    h.mock.set(did, outcome="approve", interval=0)
    p, _ = approve(h, up, did)
    assert_final(p, 0, "approved")
    assert len(initiates(h, did)) == 1
    # and the one that is down still answers at once
    p, _ = approve(h, down, "did:bkey:alice")
    ev = assert_error(p, 3, "unavailable")
    assert "circuit breaker open" in ev["detail"], describe(p)


def test_breaker_off_with_zero_hold(h):
    did = "did:bkey:nohold"
    h.mock.set(did, initiate_5xx=STORM)
    c = conf(h, hold=0)
    approve(h, c, did)
    assert not os.path.exists(breaker_path(c))
    n = len(initiates(h, did))
    p, _ = approve(h, c, did)
    assert_error(p, 3, "unavailable")
    assert len(initiates(h, did)) > n


# ---- the breaker cannot be held open -----------------------------------------
def test_breaker_probe_ended_early_is_handed_on(h):
    # The hold is over: the next run is the probe. A caller whose own
    # push_limit is spent takes it and ends rate_limited, before the
    # service could tell anything: the probe goes to the next run, and a
    # healthy service is asked again (not "unavailable" for another hold,
    # which failmode=safe would let everyone through).
    c = conf(h, hold=HOLD, push_limit="1/600")
    for d in ("did:bkey:mallory", "did:bkey:bob"):
        h.mock.set(d, outcome="approve", interval=0)
    assert_final(approve(h, c, "did:bkey:mallory")[0], 0, "approved")
    expired_breaker(c)
    assert_error(approve(h, c, "did:bkey:mallory")[0], 6, "rate_limited")
    p, _ = approve(h, c, "did:bkey:bob")
    assert_final(p, 0, "approved")
    assert not os.path.exists(breaker_path(c))


def test_breaker_is_root_s_not_the_workers(h):
    # The network side (run_as) cannot reach the breaker: a file it made
    # in its own directory is nothing, and the breaker run_as could write
    # is never read. Under failmode=safe a planted "open" would let
    # everyone in without a phone.
    pw, c = h.nobody_config(outage_hold=str(HOLD), connect_timeout="1",
                            unavailable_after="1")
    state = os.path.join(os.path.dirname(c), "state")
    helper = os.path.join(state, "helper")
    os.makedirs(helper, 0o700)
    os.chown(helper, pw.pw_uid, pw.pw_gid)
    until = int(time.time()) + HOLD - 1
    for name in ("breaker", os.path.basename(breaker_path(c))):
        path = os.path.join(helper, name)
        with open(path, "w") as f:
            f.write("bkey-breaker 1 %d\n" % until)
        os.chown(path, pw.pw_uid, pw.pw_gid)
    did = "did:bkey:planted"
    h.mock.set(did, outcome="approve", interval=0)
    assert_final(approve(h, c, did)[0], 0, "approved")
    # a breaker file run_as owns where root's lives: not believed either
    os.makedirs(os.path.dirname(breaker_path(c)), 0o700, exist_ok=True)
    write_breaker(c, "bkey-breaker 1 %d\n" % until, uid=pw.pw_uid)
    p, _ = approve(h, c, did)
    assert_final(p, 0, "approved")
    assert "ignored" in p.stderr, describe(p)
    # an outage seen by the worker opens it, root's
    down = h.nobody_config(outage_hold=str(HOLD), connect_timeout="1",
                           unavailable_after="1", state_dir=state,
                           api_url="http://127.0.0.1:%d" % free_port())[1]
    assert_error(approve(h, down, did)[0], 3, "unavailable")
    st = os.stat(os.path.join(state, "breaker",
                              os.path.basename(breaker_path(down))))
    assert (st.st_uid, st.st_mode & 0o777) == (0, 0o600), st
    p, _ = approve(h, down, did)
    assert "circuit breaker open" in assert_error(p, 3, "unavailable")[
        "detail"], describe(p)


def test_slow_last_poll_is_no_outage(h):
    # The phone never answers; the service answers everything, each time
    # after 800 ms. The last poll, begun shortly before the person's
    # deadline, is cut by it: that is an expiry, not an outage. As
    # "unavailable" it would be a login under failmode=safe and open the
    # breaker for everyone.
    import test_pam as tpam
    did = "did:bkey:never"
    h.mock.set(did, outcome="never", interval=1, expires_in=300)
    h.mock.config(answer_ms=800)
    c = h.config(users={"alice": did}, connect_timeout="3",
                 unavailable_after="5", outage_hold="60")
    p = h.cli(["--config", c, "--json", "--did", did, "--timeout", "3"])
    assert_final(p, 2, "expired")
    assert not os.path.exists(breaker_path(c))
    p = tpam.pamtester(h, tpam.service(h, "timeout=3 failmode=safe",
                                       conf=c))
    tpam.assert_pamtester(p, "PAM_AUTH_ERR")
    assert tpam.decision(p)[1]["outcome"] == "expired", tpam.tail(p)
