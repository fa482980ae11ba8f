# SPDX-License-Identifier: ISC
"""
The mock must refuse what the real BKey API refuses, or the CLI tests could
pass against a wrong client. These tests talk to the mock directly (stdlib
HTTP client) and assert its answers and its violation log.
"""

import base64
import http.client
import json
import time
import urllib.parse

import nacl.exceptions
import nacl.signing

CIBA = "urn:openid:params:grant-type:ciba"


def _req(m, method, path, body=None, headers=None):
    u = urllib.parse.urlsplit(m.url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        try:
            obj = json.loads(data) if data else None
        except ValueError:
            obj = None
        return r.status, obj
    finally:
        c.close()


def _form(m, path, fields, headers=None):
    hd = {"Content-Type": "application/x-www-form-urlencoded"}
    hd.update(headers or {})
    return _req(m, "POST", path, urllib.parse.urlencode(fields), hd)


def _client_token(m):
    st, obj = _form(m, "/oauth/token", {
        "grant_type": "client_credentials", "client_id": m.client_id,
        "client_secret": m.client_secret})
    assert st == 200, (st, obj)
    assert obj["token_type"] == "Bearer" and obj["expires_in"] == 3600
    return obj["access_token"]


def _initiate(m, tok, body, ctype="application/json"):
    raw = json.dumps(body) if ctype == "application/json" \
        else urllib.parse.urlencode(body)
    return _req(m, "POST", "/oauth/bc-authorize", raw, {
        "Content-Type": ctype, "Authorization": "Bearer " + tok})


GOOD = {"login_hint": "did:bkey:alice", "scope": "openid approve:login",
        "binding_message": "[1234] Log in to host", "requested_expiry": 60,
        "action_details": {"type": "login", "description": "ssh",
                           "amount": 1.5, "service": "sshd"}}


def _poll(m, rid, secret=None, client_id=None):
    return _form(m, "/oauth/token", {
        "grant_type": CIBA, "auth_req_id": rid,
        "client_id": client_id or m.client_id,
        "client_secret": secret or m.client_secret})


def _b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def _verify(m, tok):
    """Verify an EdDSA JWT against the mock's JWKS; return the payload."""
    st, jwks = _req(m, "GET", "/oauth/jwks")
    assert st == 200
    h, p, s = tok.split(".")
    hdr = json.loads(_b64d(h))
    assert hdr["alg"] == "EdDSA"
    key = [k for k in jwks["keys"] if k["kid"] == hdr["kid"]][0]
    assert "d" not in key and key["kty"] == "OKP" and key["crv"] == "Ed25519"
    vk = nacl.signing.VerifyKey(_b64d(key["x"]))
    vk.verify((h + "." + p).encode(), _b64d(s))
    return json.loads(_b64d(p))


def _reasons(m):
    return [v["reason"] for v in m.violations()]


def test_discovery_and_jwks(h):
    m = h.mock
    st, d = _req(m, "GET", "/.well-known/openid-configuration")
    assert st == 200
    for k in ("issuer", "userinfo_endpoint", "jwks_uri", "token_endpoint",
              "device_authorization_endpoint",
              "backchannel_authentication_endpoint", "revocation_endpoint",
              "grant_types_supported",
              "backchannel_token_delivery_modes_supported",
              "token_endpoint_auth_methods_supported", "scopes_supported",
              "response_types_supported", "subject_types_supported",
              "id_token_signing_alg_values_supported"):
        assert k in d, k
    assert d["issuer"] == m.url
    assert d["backchannel_token_delivery_modes_supported"] == ["poll"]
    assert CIBA in d["grant_types_supported"]
    st, j = _req(m, "GET", "/oauth/jwks")
    assert st == 200 and len(j["keys"]) == 1
    k = j["keys"][0]
    assert k["kty"] == "OKP" and k["crv"] == "Ed25519" and "d" not in k
    assert len(_b64d(k["x"])) == 32


def test_good_flow_approves_with_verifiable_token(h):
    m = h.mock
    tok = _client_token(m)
    st, r = _initiate(m, tok, GOOD)
    assert st == 200, r
    assert r["expires_in"] == 60 and r["interval"] == 0
    assert r["auth_req_id"].startswith("ciba_")
    st, t = _poll(m, r["auth_req_id"])
    assert st == 200, t
    assert t["token_type"] == "Bearer" and t["scope"] == "approve:login"
    assert "id_token" not in t
    p = _verify(m, t["access_token"])
    assert p["iss"] == m.url and p["sub"] == "did:bkey:alice"
    assert p["aud"] == m.client_id and p["scope"] == "approve:login"
    assert p["exp"] - p["iat"] == 300 and p["jti"]
    assert m.violations() == []
    # A poll after the final answer is invalid_grant and a violation.
    st, e = _poll(m, r["auth_req_id"])
    assert (st, e["error"]) == (400, "invalid_grant")
    assert len(m.violations()) == 1


def test_pending_then_deny_and_status_shape(h):
    m = h.mock
    m.set("did:bkey:alice", outcome="deny", delay_ms=300)
    tok = _client_token(m)
    st, r = _initiate(m, tok, GOOD)
    st, e = _poll(m, r["auth_req_id"])
    assert (st, e["error"]) == (400, "authorization_pending")
    time.sleep(0.35)
    st, e = _poll(m, r["auth_req_id"])
    assert (st, e["error"]) == (400, "access_denied")
    m.set("did:bkey:alice", status_shape=True)
    st, r = _initiate(m, tok, GOOD)
    st, t = _poll(m, r["auth_req_id"])
    assert st == 200 and t["status"] == "approved", t
    assert _verify(m, t["access_token"])["sub"] == "did:bkey:alice"
    assert m.violations() == []


def test_form_encoded_initiate_refused_in_bkey_dialect(h):
    m = h.mock
    tok = _client_token(m)
    body = dict(GOOD, action_details=json.dumps(GOOD["action_details"]))
    st, e = _initiate(m, tok, body, "application/x-www-form-urlencoded")
    assert (st, e["error"]) == (400, "invalid_request"), (st, e)
    assert "Content-Type" in _reasons(m)[0]


def test_missing_or_unknown_bearer_refused(h):
    m = h.mock
    st, e = _req(m, "POST", "/oauth/bc-authorize", json.dumps(GOOD),
                 {"Content-Type": "application/json"})
    assert (st, e["error"]) == (401, "invalid_client")
    st, e = _initiate(m, "eyJhbGciOiJFZERTQSJ9.e30.AAAA", GOOD)
    assert (st, e["error"]) == (401, "invalid_client")
    assert len(m.violations()) == 2


def test_secret_in_json_body_refused(h):
    m = h.mock
    tok = _client_token(m)
    st, e = _initiate(m, tok, dict(GOOD, client_secret=m.client_secret))
    assert (st, e["error"]) == (400, "invalid_request")
    # Even smuggled inside another member.
    st, e = _initiate(m, tok, dict(GOOD, binding_message="[1234] " +
                                   m.client_secret))
    assert (st, e["error"]) == (400, "invalid_request")
    assert all("secret" in r for r in _reasons(m)), _reasons(m)


def test_wrong_secret_is_401(h):
    m = h.mock
    st, e = _form(m, "/oauth/token", {
        "grant_type": "client_credentials", "client_id": m.client_id,
        "client_secret": "wrong"})
    assert (st, e["error"]) == (401, "invalid_client")
    tok = _client_token(m)
    st, r = _initiate(m, tok, GOOD)
    st, e = _poll(m, r["auth_req_id"], secret="wrong")
    assert (st, e["error"]) == (401, "invalid_client")
    assert len(m.violations()) == 2


def test_token_endpoint_requires_form(h):
    m = h.mock
    st, e = _req(m, "POST", "/oauth/token", json.dumps({
        "grant_type": "client_credentials", "client_id": m.client_id}),
        {"Content-Type": "application/json"})
    assert (st, e["error"]) == (400, "invalid_request")
    assert len(m.violations()) == 1


def test_initiate_validation(h):
    m = h.mock
    tok = _client_token(m)
    bad = [
        (dict(GOOD, scope="approve:login"), "invalid_scope"),
        (dict(GOOD, scope="openid"), "invalid_scope"),
        (dict(GOOD, scope="openid profile"), "invalid_scope"),
        (dict(GOOD, requested_expiry=29), "invalid_request"),
        (dict(GOOD, requested_expiry=601), "invalid_request"),
        (dict(GOOD, requested_expiry="300"), "invalid_request"),
        (dict(GOOD, binding_message=""), "invalid_request"),
        ({k: v for k, v in GOOD.items() if k != "binding_message"},
         "invalid_request"),
        (dict(GOOD, binding_message="x" * 257), "invalid_request"),
        (dict(GOOD, binding_message="[1] \x1b[2Jhi"), "invalid_request"),
        (dict(GOOD, login_hint="alice"), "invalid_request"),
        (dict(GOOD, action_details={"amount": "lots"}), "invalid_request"),
        (dict(GOOD, action_details={"type": 5}), "invalid_request"),
        (dict(GOOD, action_details={"nested": {"a": 1}}), "invalid_request"),
        (dict(GOOD, action_details={"x": True}), "invalid_request"),
        (dict(GOOD, action_details="type=login"), "invalid_request"),
        (dict(GOOD, extra_member=1), "invalid_request"),
    ]
    for body, err in bad:
        st, e = _initiate(m, tok, body)
        assert (st, e["error"]) == (400, err), (body, st, e)
    assert len(m.violations()) == len(bad)
    st, r = _initiate(m, tok, dict(GOOD, action_details={"amount": "29.99"}))
    assert st == 200, r
    st, r = _initiate(m, tok, {k: v for k, v in GOOD.items()
                               if k not in ("action_details",
                                            "requested_expiry")})
    assert st == 200 and r["expires_in"] == 300, r
    assert len(m.violations()) == len(bad)


VAULT_GOOD = {"itemName": "prod-db", "fieldPath": "password",
              "purpose": "[1234] Drop table users_archive",
              # "+" and "/" in it: the URL-safe spelling must be refused
              "ephemeralPublicKey": base64.b64encode(
                  b"\xfb\xff\xbf" * 10 + b"\xfb\xff").decode(),
              "expiresInSecs": 120}


def _vault_post(m, tok, body):
    return _req(m, "POST", "/v1/vault/access", json.dumps(body), {
        "Content-Type": "application/json", "Authorization": "Bearer " + tok})


def test_vault_access_schema(h):
    """POST /v1/vault/access is checked against BKey's OpenAPI schema:
    each refusal is a 400 and a recorded violation; the good body is
    answered and adds none."""
    m = h.mock
    m._call("POST", "/_mock/vault", {"item": "prod-db", "spec": {}})
    tok = _client_token(m)
    key = VAULT_GOOD["ephemeralPublicKey"]
    bad = [
        (dict(VAULT_GOOD, extra=1), "unknown members"),
        (dict(VAULT_GOOD, ephemeralPublicKey="not base64!"), "base64"),
        (dict(VAULT_GOOD, ephemeralPublicKey=key.replace("+", "-")
              .replace("/", "_")), "base64"),
        (dict(VAULT_GOOD, ephemeralPublicKey=key.rstrip("=")), "base64"),
        (dict(VAULT_GOOD, ephemeralPublicKey=base64.b64encode(
            bytes(31)).decode()), "32 bytes"),
        (dict(VAULT_GOOD, expiresInSecs=29), "expiresInSecs"),
        (dict(VAULT_GOOD, expiresInSecs=601), "expiresInSecs"),
        (dict(VAULT_GOOD, expiresInSecs="120"), "expiresInSecs"),
        (dict(VAULT_GOOD, expiresInSecs=True), "expiresInSecs"),
        (dict(VAULT_GOOD, expiresInSecs=120.5), "expiresInSecs"),
        (dict(VAULT_GOOD, itemName="x" * 129), "itemName"),
        (dict(VAULT_GOOD, purpose=""), "purpose"),
        ({k: v for k, v in VAULT_GOOD.items() if k != "fieldPath"},
         "fieldPath"),
    ]
    assert "+" in key and "/" in key, key
    for body, why in bad:
        st, e = _vault_post(m, tok, body)
        assert (st, e["error"]) == (400, "invalid_request"), (body, st, e)
        assert why in e["error_description"], (body, e)
    assert len(m.violations()) == len(bad)
    for e in (30, 600, None):
        body = dict(VAULT_GOOD, expiresInSecs=e)
        if e is None:
            del body["expiresInSecs"]
        st, r = _vault_post(m, tok, body)
        assert st == 200 and r["status"] == "pending", (st, r)
    assert len(m.violations()) == len(bad)


def test_early_poll_gets_slow_down(h):
    m = h.mock
    m.set("did:bkey:alice", interval=1)
    tok = _client_token(m)
    st, r = _initiate(m, tok, GOOD)
    assert r["interval"] == 1
    st, e = _poll(m, r["auth_req_id"])
    assert (st, e["error"]) == (400, "slow_down")
    assert "interval" in _reasons(m)[0]
    # The interval is now 6 s: a poll 1 s later is still too early.
    time.sleep(1.0)
    st, e = _poll(m, r["auth_req_id"])
    assert (st, e["error"]) == (400, "slow_down")
    assert len(m.violations()) == 2


def test_unknown_and_foreign_auth_req_id(h):
    m = h.mock
    st, e = _poll(m, "ciba_nosuchthing")
    assert (st, e["error"]) == (400, "invalid_grant")
    tok = _client_token(m)
    st, r = _initiate(m, tok, GOOD)
    # The same secret now belongs to another client: its poll of our
    # auth_req_id is invalid_grant.
    m.config(client_id="another-client")
    st, e = _poll(m, r["auth_req_id"], client_id="another-client")
    assert (st, e["error"]) == (400, "invalid_grant")
    st, e = _poll(m, r["auth_req_id"])  # old client id now unknown
    assert (st, e["error"]) == (401, "invalid_client")
    assert len(m.violations()) == 3


def test_ciba_dialect_requires_basic_and_form(h):
    m = h.mock
    m.config(dialect="ciba")
    basic = "Basic " + base64.b64encode(
        ("%s:%s" % (m.client_id, m.client_secret)).encode()).decode()
    form = dict(GOOD, action_details=json.dumps(GOOD["action_details"]),
                requested_expiry="60")
    # No client-token step for a standard CIBA client.
    st, e = _form(m, "/oauth/token", {"grant_type": "client_credentials"},
                  {"Authorization": basic})
    assert (st, e["error"]) == (400, "unauthorized_client")
    # JSON body refused.
    st, e = _req(m, "POST", "/oauth/bc-authorize", json.dumps(GOOD),
                 {"Content-Type": "application/json", "Authorization": basic})
    assert (st, e["error"]) == (400, "invalid_request")
    # Secret in the form (client_secret_post) refused.
    st, e = _form(m, "/oauth/bc-authorize", dict(
        form, client_id=m.client_id, client_secret=m.client_secret))
    assert (st, e["error"]) == (401, "invalid_client")
    assert len(m.violations()) == 3
    st, r = _form(m, "/oauth/bc-authorize", form, {"Authorization": basic})
    assert st == 200, r
    st, e = _form(m, "/oauth/token", {
        "grant_type": CIBA, "auth_req_id": r["auth_req_id"],
        "client_id": m.client_id, "client_secret": m.client_secret})
    assert (st, e["error"]) == (401, "invalid_client")
    st, t = _form(m, "/oauth/token", {
        "grant_type": CIBA, "auth_req_id": r["auth_req_id"]},
        {"Authorization": basic})
    assert st == 200, t
    idt = _verify(m, t["id_token"])
    assert idt["aud"] == m.client_id
    assert idt["urn:openid:params:jwt:claim:auth_req_id"] == r["auth_req_id"]
    assert len(m.violations()) == 4


def test_bad_tokens_are_bad(h):
    """Each bad_token variant really fails verification (or the check it
    names), so a CLI that accepts one has a real bug."""
    m = h.mock
    tok = _client_token(m)

    def approve(bad):
        m.set("did:bkey:alice", bad_token=bad)
        st, r = _initiate(m, tok, GOOD)
        st, t = _poll(m, r["auth_req_id"])
        assert st == 200, t
        return t, r["auth_req_id"]

    t, _ = approve(None)
    first = _verify(m, t["access_token"])
    for bad in ("bad_sig", "unknown_kid", "alg_none", "alg_none_empty",
                "hs256", "hs256_hmac", "jwk_private"):
        t, _ = approve(bad)
        try:
            _verify(m, t["access_token"])
        except (AssertionError, IndexError, nacl.exceptions.BadSignatureError,
                ValueError):
            continue
        raise AssertionError("%s verified" % bad)
    m.reset()
    checks = {
        "wrong_iss": lambda p: p["iss"] != m.url,
        "wrong_sub": lambda p: p["sub"] != "did:bkey:alice",
        "wrong_aud": lambda p: p["aud"] != m.client_id,
        "missing_scope": lambda p: "approve:login" not in p["scope"].split(),
        "expired": lambda p: p["exp"] < time.time() - 60,
        "not_yet_valid": lambda p: p["nbf"] > time.time() + 60,
        "no_sub": lambda p: "sub" not in p,
        "no_aud": lambda p: "aud" not in p,
        "str_exp": lambda p: isinstance(p["exp"], str),
        "big": lambda p: True,
    }
    for bad, ok in checks.items():
        t, _ = approve(bad)
        assert ok(_verify(m, t["access_token"])), bad
    t, _ = approve(None)
    prev = _verify(m, t["access_token"])["jti"]
    t, _ = approve("reuse_jti")
    assert _verify(m, t["access_token"])["jti"] == prev
    assert prev != first["jti"]
    t, _ = approve("big")
    assert len(t["access_token"]) > 8192
    for bad in ("id_token_wrong_aud", "id_token_wrong_auth_req_id"):
        t, rid = approve(bad)
        p = _verify(m, t["id_token"])
        assert p["aud"] != m.client_id or \
            p["urn:openid:params:jwt:claim:auth_req_id"] != rid, bad
    t, _ = approve("id_token_bad_sig")
    try:
        _verify(m, t["id_token"])
        raise AssertionError("id_token_bad_sig verified")
    except nacl.exceptions.BadSignatureError:
        pass
    assert m.violations() == []


def test_faults(h):
    m = h.mock
    m.set("did:bkey:alice", initiate_5xx=2, malformed="poll")
    tok = _client_token(m)
    assert _initiate(m, tok, GOOD)[0] == 503
    assert _initiate(m, tok, GOOD)[0] == 503
    st, r = _initiate(m, tok, GOOD)
    assert st == 200
    st, e = _poll(m, r["auth_req_id"])
    assert st == 200 and e is None        # not JSON
    m.set("did:bkey:alice", oversized="jwks")
    u = urllib.parse.urlsplit(m.url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    c.request("GET", "/oauth/jwks")
    assert len(c.getresponse().read()) > 64 * 1024
    c.close()
    m.set("did:bkey:alice", drop="token")
    try:
        _client_token(m)
        raise AssertionError("no drop")
    except (http.client.HTTPException, ConnectionError):
        pass
    m.set("did:bkey:alice", hang="initiate", hang_ms=300)
    t0 = time.monotonic()
    try:
        _initiate(m, tok, GOOD)
        raise AssertionError("no hang")
    except (http.client.HTTPException, ConnectionError):
        pass
    assert time.monotonic() - t0 >= 0.25
    assert m.violations() == []


def test_records_requests(h):
    m = h.mock
    tok = _client_token(m)
    _initiate(m, tok, GOOD)
    reqs = m.requests("/oauth/bc-authorize")
    assert len(reqs) == 1
    r = reqs[0]
    assert r["method"] == "POST" and r["rejected"] is None
    assert r["headers"]["authorization"] == "Bearer " + tok
    assert r["json"]["login_hint"] == "did:bkey:alice"
    assert r["form"] is None and isinstance(r["t"], float)
    t = m.requests("/oauth/token")[0]
    assert t["form"]["grant_type"] == "client_credentials"
    assert len(m.requests()) == 2


def test_tls_mock_serves_with_test_ca(h):
    import ssl
    import urllib.request
    m = h.mock_tls()
    ctx = ssl.create_default_context(cafile=m.ca_file)
    def opener(c):
        return urllib.request.build_opener(
            urllib.request.ProxyHandler({}),
            urllib.request.HTTPSHandler(context=c))
    with opener(ctx).open(m.url + "/oauth/jwks", timeout=10) as r:
        assert json.loads(r.read())["keys"][0]["kty"] == "OKP"
    try:
        opener(ssl.create_default_context()).open(m.url + "/oauth/jwks",
                                                  timeout=10)
        raise AssertionError("TLS accepted without the test CA")
    except urllib.error.URLError as e:
        assert isinstance(e.reason, ssl.SSLCertVerificationError), e


# ---- a hostile server (issue 7 item 6): the mock really does it -------------
def _open(m, path):
    """GET path; (connection, response) with the body not yet read."""
    u = urllib.parse.urlsplit(m.url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    c.request("GET", path)
    return c, c.getresponse()


def _jwks_raw(m):
    c, r = _open(m, "/oauth/jwks")
    try:
        return r, r.read()
    finally:
        c.close()


def test_hostile_redirect(h):
    m = h.mock
    for status in (301, 302, 307, 308):
        m.set("did:bkey:alice", redirect="jwks", redirect_status=status,
              redirect_to="https://evil.example/keys")
        r, _ = _jwks_raw(m)
        assert r.status == status, r.status
        assert r.getheader("Location") == "https://evil.example/keys"
    m.set("did:bkey:alice", redirect=["token"])
    st, _ = _form(m, "/oauth/token", {
        "grant_type": "client_credentials", "client_id": m.client_id,
        "client_secret": m.client_secret})
    assert st == 302
    st, obj = _req(m, "POST", "/_mock/behaviour", json.dumps(
        {"did": "did:bkey:x", "behaviour": {"redirect_status": 200}}))
    assert st == 400, (st, obj)


def test_hostile_big_bodies(h):
    import gzip
    m = h.mock
    m.set("did:bkey:alice", gzip="jwks")
    r, raw = _jwks_raw(m)
    assert r.getheader("Content-Encoding") == "gzip"
    assert len(raw) < 64 * 1024, len(raw)           # a bomb: small ...
    big = gzip.decompress(raw)
    assert len(big) > 10 << 20, len(big)            # ... inflating past 10 MiB
    assert json.loads(big)["keys"][0]["kty"] == "OKP"
    m.set("did:bkey:alice", chunked="jwks", big_bytes=200000)
    r, raw = _jwks_raw(m)
    assert r.getheader("Transfer-Encoding") == "chunked"
    assert r.getheader("Content-Length") is None
    assert len(raw) > 200000 and json.loads(raw)["keys"]
    m.set("did:bkey:alice", huge="jwks")
    r, raw = _jwks_raw(m)
    assert int(r.getheader("Content-Length")) == len(raw) > 10 << 20
    assert json.loads(raw)["keys"]


def test_hostile_drip(h):
    m = h.mock
    m.set("did:bkey:alice", drip="jwks", drip_ms=100)
    # timed from the request: the drip starts with the headers, and a
    # slow reader must not see the bytes arrive all at once
    t0 = time.monotonic()
    c, r = _open(m, "/oauth/jwks")
    try:
        assert r.status == 200 and int(r.getheader("Content-Length")) > 10
        first = r.read(4)
        took = time.monotonic() - t0
        assert first == b'{"ke', first
        assert 0.35 <= took < 3, took           # one byte per 100 ms
        m.reset()                               # ends the drip
        try:
            r.read()
            raise AssertionError("the drip ran to the end")
        except http.client.IncompleteRead:
            pass
    finally:
        c.close()
    reqs = m.requests("/oauth/jwks")
    assert reqs == [], reqs                     # reset cleared the log


def test_hostile_dup_kid(h):
    m = h.mock
    _, raw = _jwks_raw(m)
    assert len(json.loads(raw)["keys"]) == 1
    m.set("did:bkey:alice", dup_kid=True)
    _, raw = _jwks_raw(m)
    keys = json.loads(raw)["keys"]
    assert len(keys) == 2 and keys[0]["kid"] == keys[1]["kid"] == \
        m.info()["kid"], keys
    assert keys[0]["x"] != keys[1]["x"]
    # the first one is the key that signs
    tok = _client_token(m)
    hd, p, s = tok.split(".")
    nacl.signing.VerifyKey(_b64d(keys[0]["x"])).verify(
        (hd + "." + p).encode(), _b64d(s))
    try:
        nacl.signing.VerifyKey(_b64d(keys[1]["x"])).verify(
            (hd + "." + p).encode(), _b64d(s))
        raise AssertionError("the impostor key verifies")
    except nacl.exceptions.BadSignatureError:
        pass
