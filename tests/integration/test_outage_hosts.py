# SPDX-License-Identifier: ISC
"""
An outage and the circuit breaker (issue 11) as the hosts see them:
pamtester under pam_wrapper and the real sudo (in its private mount
namespace, see test_sudo.py), both against a closed port.

The first decision finds the service unreachable and opens the breaker
(root's, in state_dir/breaker); the next one is answered by the breaker. Under
failmode=secure that is a denial, under failmode=safe a logged allow.
That the breaker answered, with no network attempt, is shown by a
listener put on the closed port after the first decision: nothing ever
connects to it. No assertion rests on how fast anything was.
"""

import os
import select
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import free_port  # noqa: E402
from test_pam import (assert_pamtester, decision, pamtester,  # noqa: E402
                      service, tail)
from test_sudo import E2E, SUDO, desc  # noqa: E402

LOG_WARNING = 4
BREAKER = "circuit breaker open"


def down(h, **kw):
    """A config whose api_url is a closed port: (config, port)."""
    port = free_port()
    c = h.config(api_url="http://127.0.0.1:%d" % port, connect_timeout="1",
                 unavailable_after="1", outage_hold="60", **kw)
    return c, port


def breaker_file(c):
    from test_outage import breaker_path
    return breaker_path(c)


class Watch:
    """A listener on the once-closed port: any network attempt from now
    on shows as a pending connection."""

    def __init__(self, port):
        self.s = socket.socket()
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.s.bind(("127.0.0.1", port))
        self.s.listen(8)

    def attempts(self):
        n = 0
        self.s.setblocking(False)
        while select.select([self.s], [], [], 0)[0]:
            try:
                conn, _ = self.s.accept()
            except BlockingIOError:
                break
            conn.close()
            n += 1
        return n

    def close(self):
        self.s.close()


# ---- pamtester under pam_wrapper ---------------------------------------------
def pam_twice(h, args):
    """Two logins against the closed port; the second with a Watch on it.
    Returns (first, second, attempts during the second)."""
    c, port = down(h)
    svc = service(h, "timeout=5 " + args, conf=c)
    first = pamtester(h, svc)
    assert os.path.exists(breaker_file(c)), tail(first)
    w = Watch(port)
    try:
        second = pamtester(h, svc)
        n = w.attempts()
    finally:
        w.close()
    return first, second, n


def test_outage_hosts_pam_secure_denies_from_the_breaker(h):
    first, second, n = pam_twice(h, "")
    assert_pamtester(first, "PAM_AUTHINFO_UNAVAIL")
    f = decision(first)[1]
    assert f["outcome"] == "unavailable" and BREAKER not in f["detail"], \
        tail(first)
    assert_pamtester(second, "PAM_AUTHINFO_UNAVAIL")
    f = decision(second)[1]
    assert f["outcome"] == "unavailable" and BREAKER in f["detail"], \
        tail(second)
    assert n == 0, "%d network attempts while the breaker was open" % n


def test_outage_hosts_pam_safe_allows_logged_from_the_breaker(h):
    first, second, n = pam_twice(h, "failmode=safe")
    for p in (first, second):
        assert_pamtester(p, "PAM_SUCCESS")
        pr, f, text = decision(p)
        assert f["outcome"] == "unavailable_allowed", text
        assert pr == LOG_WARNING, (pr, text)
    assert n == 0, "%d network attempts while the breaker was open" % n


# ---- the real sudo -----------------------------------------------------------
def sudo_twice(h, options):
    """Two sudo runs of touch against the closed port; the second with a
    Watch on it. Returns (first, second, attempts, marker path)."""
    c, port = down(h, users={"root": "did:bkey:alice"})
    e = E2E(h, conf=c, options=["timeout=5"] + list(options))
    marker = os.path.join(h.tmp, "ran")
    first = e.run([SUDO, "/usr/bin/touch", marker])
    assert os.path.exists(breaker_file(c)), desc(first)
    ran_first = os.path.exists(marker)
    if ran_first:
        os.unlink(marker)
    w = Watch(port)
    try:
        second = e.run([SUDO, "/usr/bin/touch", marker])
        n = w.attempts()
    finally:
        w.close()
    return first, ran_first, second, os.path.exists(marker), n


def test_outage_hosts_sudo_secure_denies_from_the_breaker(h):
    first, ran1, second, ran2, n = sudo_twice(h, [])
    assert first.returncode == 1 and not ran1, desc(first)
    assert "bkey: approval service unavailable (" in first.stderr and \
        BREAKER not in first.stderr, desc(first)
    assert second.returncode == 1 and not ran2, desc(second)
    assert "bkey: approval service unavailable (" in second.stderr and \
        BREAKER in second.stderr and "command refused" in second.stderr, \
        desc(second)
    assert n == 0, "%d network attempts while the breaker was open" % n


def test_outage_hosts_sudo_safe_runs_logged_from_the_breaker(h):
    first, ran1, second, ran2, n = sudo_twice(h, ["failmode=safe"])
    warn = "bkey: WARNING: approval service unavailable ("
    assert first.returncode == 0 and ran1, desc(first)
    assert warn in first.stderr, desc(first)
    assert second.returncode == 0 and ran2, desc(second)
    assert warn in second.stderr and BREAKER in second.stderr and \
        "running without approval (failmode=safe)" in second.stderr, \
        desc(second)
    assert n == 0, "%d network attempts while the breaker was open" % n
