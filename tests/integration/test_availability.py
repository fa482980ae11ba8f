# SPDX-License-Identifier: ISC
"""
What counts as "unavailable" (exit 3, the one outcome failmode=safe lets
through), and how the helper retries.

Only a real failure to reach the service is exit 3: connection refused or
timed out, a name that does not resolve, a failed TLS handshake, 5xx after
retries, a dropped connection. Running out of memory, threads or
descriptors is exit 70 (internal), whatever curl makes of it: bkey-approve
is run here under prlimit limits that starve it in each way.

Names that go through curl's resolver thread (IP literals and "localhost"
never do) come from a private /etc/hosts in a private mount namespace, so
every look-up is fast and deterministic.
"""

import os
import shutil
import subprocess

from harness import (assert_error, assert_final, assert_no_violations,
                     describe, free_port, sanitized)

CIBA = "urn:openid:params:grant-type:ciba"
PROXY_NAME = "bkey-proxy.test"
NX_NAME = "nx.bkey-test.invalid"


# ---- helpers -----------------------------------------------------------------
def polls(m, did):
    return [r for r in m.requests("/oauth/token")
            if (r["form"] or {}).get("grant_type") == CIBA and
            r.get("did") == did]


def gaps(times):
    return [round(b - a, 4) for a, b in zip(times, times[1:])]


def need_namespace(h):
    if os.geteuid() != 0:
        raise h.Skip("private mount namespaces need root")
    for tool in ("unshare", "mount", "prlimit"):
        if shutil.which(tool) is None:
            raise h.Skip("%s not installed" % tool)
    p = subprocess.run(["unshare", "-m", "true"], capture_output=True,
                       text=True)
    if p.returncode != 0:
        raise h.Skip("unshare -m not permitted here: %s" % p.stderr.strip())


def name_files(h, dns=False):
    """/etc/hosts naming PROXY_NAME, nsswitch with files only (or files
    and dns with a resolver on a closed loopback port): (src, dst) pairs."""
    hosts = os.path.join(h.tmp, "hosts")
    with open(hosts, "w") as f:
        f.write("127.0.0.1 localhost %s\n::1 localhost\n" % PROXY_NAME)
    nss = os.path.join(h.tmp, "nsswitch.conf")
    with open(nss, "w") as f:
        f.write("hosts: files%s\n" % (" dns" if dns else ""))
    res = os.path.join(h.tmp, "resolv.conf")
    with open(res, "w") as f:
        # Port 53 on 127.0.0.1 is closed here (checked below): refused
        # at once, "temporary failure in name resolution".
        f.write("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
    return [(hosts, "/etc/hosts"), (nss, "/etc/nsswitch.conf"),
            (res, "/etc/resolv.conf")]


def in_namespace(h, argv, mounts):
    """argv wrapped to run in a private mount namespace with mounts."""
    script = "".join('mount --bind "%s" "%s" && ' % m for m in mounts)
    return ["unshare", "-m", "sh", "-c", script + 'exec "$@"', "sh"] + argv


def run(h, conf, did, limits=(), mounts=None, timeout_s=2, wall=30):
    """bkey-approve in a private namespace under prlimit limits."""
    need_namespace(h)
    argv = h.cli_argv(["--config", conf, "--json", "--did", did,
                       "--timeout", str(timeout_s)])
    if limits:
        argv = ["prlimit"] + list(limits) + ["--"] + argv
    p = subprocess.run(in_namespace(h, argv, mounts or name_files(h)),
                       capture_output=True, timeout=wall,
                       env=h.cli_env(), encoding="utf-8", errors="replace",
                       stdin=subprocess.DEVNULL)
    return p


def proxied_conf(h, **kw):
    """A config whose every request goes through a proxy named
    PROXY_NAME (so through curl's resolver thread) to the mock."""
    return h.config(proxy="http://%s:%d" % (PROXY_NAME, h.mock.port), **kw)


def sanitizer_build(h):
    return sanitized(os.path.join(h.build, "bkey-approve"))


# ---- real outages: exit 3 ----------------------------------------------------
def test_unavailable_connection_refused(h):
    conf = h.config(api_url="http://127.0.0.1:%d" % free_port())
    p = run(h, conf, "did:bkey:alice")
    ev = assert_error(p, 3, "unavailable")
    assert "Couldn't connect" in ev["detail"], describe(p)


def test_unavailable_name_not_found(h):
    # files only: the proxy's name is not in our /etc/hosts
    conf = h.config(proxy="http://%s:8080" % NX_NAME)
    p = run(h, conf, "did:bkey:alice")
    ev = assert_error(p, 3, "unavailable")
    assert "resolve proxy" in ev["detail"] and \
        "Name or service not known" in ev["detail"], describe(p)
    assert h.mock.requests() == []


def test_unavailable_name_server_down(h):
    # files, then DNS on a closed port: no name service at all
    port53 = subprocess.run(["sh", "-c", "ss -Hlun 'sport = :53' | "
                             "grep -c 127.0.0.1"], capture_output=True,
                            text=True)
    if port53.stdout.strip() not in ("", "0"):
        raise h.Skip("something listens on 127.0.0.1:53 here")
    conf = h.config(proxy="http://%s:8080" % NX_NAME)
    p = run(h, conf, "did:bkey:alice", mounts=name_files(h, dns=True))
    ev = assert_error(p, 3, "unavailable")
    assert "Temporary failure in name resolution" in ev["detail"], \
        describe(p)


def test_unavailable_tls_handshake_failed(h):
    # https to a plain-HTTP server: the handshake fails
    conf = h.config(api_url="https://127.0.0.1:%d" % h.mock.port,
                    issuer=h.mock.url)
    p = run(h, conf, "did:bkey:alice")
    assert_error(p, 3, "unavailable")
    # and a server whose certificate we cannot verify
    m = h.mock_tls()
    p = run(h, h.config(mock=m, cafile=None), "did:bkey:alice")
    ev = assert_error(p, 3, "unavailable")
    assert "certificate" in ev["detail"], describe(p)


def test_through_the_resolver_thread_it_works(h):
    # the control case for the starvation tests below: the same setup,
    # unstarved, approves
    p = run(h, proxied_conf(h), "did:bkey:alice")
    assert_final(p, 0, "approved")


# ---- a starved helper: exit 70, never 3 ----------------------------------------
def starved(h, conf, flag, values, did="did:bkey:alice"):
    """Run under each limit; return {value: (exit, detail)}."""
    seen = {}
    for v in values:
        p = run(h, conf, did, limits=["--%s=%s" % (flag, v)])
        assert p.returncode != 3, "--%s=%s read as unavailable: %s" % (
            flag, v, describe(p))
        assert p.returncode in (0, 70, 127), "--%s=%s: %s" % (
            flag, v, describe(p))
        detail = ""
        if p.returncode == 70:
            detail = h.final_event(p)["detail"]
        seen[v] = (p.returncode, detail)
    return seen


def test_address_space_too_small_for_the_resolver_is_internal(h):
    if sanitizer_build(h):
        raise h.Skip("an ASan build cannot run under an address space "
                     "limit")
    seen = starved(h, proxied_conf(h), "as",
                   [22000000, 24000000, 26000000])
    code, detail = seen[22000000]
    assert code == 70 and "thread" in detail, seen


def test_too_few_descriptors_is_internal(h):
    # straight to 127.0.0.1 (socket() fails) and through the proxy
    # (the resolver's socket pair fails), at every small limit
    for conf in (h.config(), proxied_conf(h)):
        seen = starved(h, conf, "nofile", range(4, 10))
        assert any(c == 70 and ("socket" in d or "thread" in d or
                                "descriptor" in d)
                   for c, d in seen.values()), seen


def test_no_thread_for_the_run_as_user_is_internal(h):
    # RLIMIT_NPROC counts the run_as user's processes: after the drop
    # the helper (one) cannot start curl's resolver thread (two)
    if sanitizer_build(h):
        raise h.Skip("ASan starts threads of its own")
    conf = proxied_conf(h, run_as="nobody")
    p = run(h, conf, "did:bkey:alice", limits=["--nproc=1"])
    ev = assert_error(p, 70, "internal")
    assert "thread" in ev["detail"], describe(p)


# ---- retries keep the poll interval ----------------------------------------
def approve_did(h, did, timeout_s, **behaviour):
    h.mock.set(did, **behaviour)
    return h.cli(["--config", h.config(), "--json", "--did", did,
                  "--timeout", str(timeout_s)])


def poll_times(h, did):
    """The initiate's and each poll's arrival time, and the polls."""
    ps = polls(h.mock, did)
    return [h.mock.requests("/oauth/bc-authorize")[0]["t"]] + \
        [r["t"] for r in ps], ps


def test_poll_retry_after_5xx_keeps_interval(h):
    did = "did:bkey:retry5xx"
    p = approve_did(h, did, 20, interval=1, poll_5xx=2)
    assert_final(p, 0, "approved")
    t, ps = poll_times(h, did)
    # Both clocks are the same CLOCK_MONOTONIC and the helper waits from
    # the end of each answer, rounded up: no jitter to allow for.
    assert min(gaps(t)) >= 1.0, gaps(t)
    assert [r["status"] for r in ps] == [503, 503, 200], ps
    assert_no_violations(h.mock)


def test_poll_retry_after_drop_keeps_interval(h):
    did = "did:bkey:retrydrop"
    p = approve_did(h, did, 5, interval=1, drop="poll")
    assert_error(p, 3, "unavailable")
    t, ps = poll_times(h, did)
    assert min(gaps(t)) >= 1.0, gaps(t)
    assert len(ps) >= 3 and all(r["status"] == "dropped" for r in ps), ps
    assert_no_violations(h.mock)


def test_initiate_retry_keeps_its_backoff(h):
    # Initiate (and client-token) retries are not polls: they back off
    # from 250 ms, well under an interval (3 s, to leave a slow machine
    # room between the two).
    p = approve_did(h, "did:bkey:init5xx", 20, interval=3, initiate_5xx=2)
    assert_final(p, 0, "approved")
    t = [r["t"] for r in h.mock.requests("/oauth/bc-authorize")]
    assert len(t) == 3 and max(gaps(t)) < 2.0, gaps(t)
