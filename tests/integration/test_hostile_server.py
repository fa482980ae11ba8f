# SPDX-License-Identifier: ISC
"""
A hostile or broken BKey server, end to end: the mock really redirects,
sends gzip nobody asked for, streams a body past the cap with no
Content-Length, drips one byte at a time, or publishes two keys under one
kid (test_mock.py checks that it does). Each must end in a denial with a
reason that names the fault, within the request's deadline, and none of
them may pass for "unavailable" (the one outcome failmode=safe lets
through) except the drip, which is a timeout like any other.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import assert_final, assert_error, describe  # noqa: E402
from test_pam import (assert_pamtester, decision, pamtester,  # noqa: E402
                      service)

DID = "did:bkey:alice"


def approve(h, timeout_s=3, **behaviour):
    """bkey-approve against the mock with behaviour set; (process, secs)."""
    h.mock.reset()
    if behaviour:
        h.mock.set(DID, **behaviour)
    t0 = time.monotonic()
    p = h.cli(["--config", h.config(), "--json", "--did", DID,
               "--timeout", str(timeout_s)], timeout=30)
    return p, time.monotonic() - t0


def approvals(h):
    return [r for r in h.mock.requests("/oauth/token")
            if (r["form"] or {}).get("grant_type", "").endswith(":ciba")]


def test_redirects_are_not_followed(h):
    # on every endpoint, with every 3xx: no second request anywhere
    for endpoint, status in (("token", 302), ("initiate", 307),
                             ("poll", 301), ("jwks", 308)):
        p, _ = approve(h, redirect=[endpoint], redirect_status=status,
                       redirect_to="http://127.0.0.1:%d/oauth/jwks" %
                       h.mock.port)
        ev = assert_error(p, 4, "protocol")
        assert "HTTP %d redirect" % status in ev["detail"] and \
            "not followed" in ev["detail"], describe(p)
        # the Location points back at the mock: following it would show
        # as a second /oauth/jwks request (or a first one, for token)
        jw = h.mock.requests("/oauth/jwks")
        assert len(jw) == (1 if endpoint == "jwks" else 0), (endpoint, jw)


def test_gzip_bomb_is_not_inflated(h):
    # 10 MiB of JSON gzipped to a few KiB: taken as the bytes it is
    p, _ = approve(h, gzip=["jwks"])
    ev = assert_error(p, 4, "protocol")
    assert ev["detail"] == "JWKS is not valid JSON", describe(p)
    p, _ = approve(h, gzip=["poll"], big_bytes=200000)
    ev = assert_error(p, 4, "protocol")
    assert "not a JSON object" in ev["detail"], describe(p)


def test_body_past_the_cap_is_refused(h):
    # chunked (no Content-Length to refuse up front) and announced
    for behaviour in ({"chunked": ["jwks"], "big_bytes": 200000},
                      {"chunked": ["poll"], "big_bytes": 200000},
                      {"huge": ["jwks"]}):
        p, secs = approve(h, **behaviour)
        ev = assert_error(p, 4, "protocol")
        assert ev["detail"].endswith("response too large"), \
            (behaviour, describe(p))


def test_slow_drip_ends_at_the_deadline(h):
    # a byte every 100 ms would take far longer than the 3 s asked for:
    # the person's time is up first (expired, exit 2), which failmode=safe
    # does not let through as it would an outage
    for endpoint in ("jwks", "poll"):
        p, secs = approve(h, timeout_s=3, drip=[endpoint], drip_ms=100)
        assert_final(p, 2, "expired")
        assert secs < 3 + 4, (endpoint, secs)


def test_two_keys_under_one_kid_is_refused(h):
    # the first key signs, so a verifier taking the first match would
    # accept: the ambiguity itself is the error
    p, _ = approve(h, dup_kid=True)
    ev = assert_error(p, 4, "protocol")
    assert ev["detail"] == "JWKS has two keys with one kid", describe(p)
    assert approvals(h), "the JWKS is fetched after the approval"


def test_failmode_safe_does_not_let_a_hostile_server_through(h):
    svc = service(h, "timeout=3 failmode=safe")
    for behaviour in ({"redirect": ["poll"]}, {"gzip": ["jwks"]},
                      {"huge": ["jwks"]}, {"dup_kid": True}):
        h.mock.reset()
        h.mock.set(DID, **behaviour)
        p = pamtester(h, svc)
        assert_pamtester(p, "PAM_AUTH_ERR")
        assert decision(p)[1]["outcome"] == "protocol", (behaviour,
                                                         decision(p))
