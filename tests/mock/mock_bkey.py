#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""
A mock BKey issuer: OpenID CIBA (poll mode) with EdDSA-signed JWTs.

Speaks the BKey API as docs/protocol.md describes it, in its two
dialects:
  bkey  client token (client_credentials) first, then a JSON bc-authorize
        with "Authorization: Bearer <client token>"; polls carry
        client_id/client_secret in the form body (client_secret_post) or
        HTTP Basic.
  ciba  a standard CIBA provider: form-encoded bc-authorize and polls, both
        authenticated with HTTP Basic (client_secret_basic); no client token.

It refuses, with the real API's error and a recorded violation, every request
the real API would reject (see STRICTNESS below), so a test cannot pass with a
wrong client. Behaviour is chosen per DID (login_hint) through /_mock/ control
endpoints; tests/HARNESS.md documents the keys.

Debian's /usr/bin/python3, stdlib + python3-nacl; python3-cryptography
only when a token is signed with ES256, ES384, RS256 or PS256 (behaviour or
setting "alg"; issue 13).

STRICTNESS (beyond the letter of the public docs, to catch client bugs):
  - bc-authorize members: login_hint, scope, binding_message,
    action_details, requested_expiry, client_id (must match); anything else
    (client_secret above all) is invalid_request.
  - scope: space-separated, must hold "openid" and at least one action scope
    "approve:<x>" (x of [A-Za-z0-9:_.-]); no other scopes.
  - binding_message: non-empty string, at most 256 bytes of UTF-8, no C0/C1
    control characters, DEL or ESC (clients must sanitize).
  - action_details (optional): a JSON object (in the ciba dialect a form field
    holding JSON text) of at most 2048 bytes; keys [A-Za-z0-9_.-]{1,64};
    type, description, currency, resource, recipient must be strings;
    amount a number or a decimal string ("29.99"); other ("free") keys may be
    strings or numbers; no nested objects, arrays, booleans or null; strings
    without control characters.
  - requested_expiry (optional): integer 30..600 (a digit string in a form).
  - the first poll must come no sooner than `interval` after the initiate,
    each next poll no sooner than `interval` after the previous one, and a
    slow_down adds 5 s (50 ms tolerance); early polls get slow_down.
  - a parameter repeated in a form is invalid_request (docs/protocol.md
    "Dialects": the OAuth rule for token-endpoint forms).
  - the client secret must never appear in a JSON body or a query string.
"""

import argparse
import base64
import gzip
import hashlib
import hmac
import json
import os
import re
import secrets
import signal
import socket
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import nacl.signing

import mock_vault

CIBA_GRANT = "urn:openid:params:grant-type:ciba"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
AUTH_REQ_CLAIM = "urn:openid:params:jwt:claim:auth_req_id"
MAX_BODY = 1 << 20
DID_RE = re.compile(r"^did:[a-z0-9]+:[A-Za-z0-9._:%-]{1,200}$")
SCOPE_RE = re.compile(r"^approve:[A-Za-z0-9:_.-]{1,64}$")
KEY_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
NUM_RE = re.compile(r"^-?[0-9]{1,12}(\.[0-9]{1,6})?$")
CTRL_RE = re.compile("[\x00-\x1f\x7f-\x9f]")
STRING_DETAILS = ("type", "description", "currency", "resource", "recipient")
TOLERANCE = 0.05
ENDPOINTS = ("token", "initiate", "poll", "jwks", "device")
BAD_TOKENS = (
    "bad_sig", "alg_none", "alg_none_empty", "hs256", "hs256_hmac",
    "unknown_kid", "wrong_iss", "wrong_sub", "wrong_aud", "missing_scope",
    "expired", "not_yet_valid", "reuse_jti", "no_sub", "no_aud", "str_exp",
    "id_token_bad_sig", "id_token_wrong_auth_req_id", "id_token_wrong_aud",
    "jwk_private", "big", "access_token_wrong_auth_req_id",
    # issue 13, for any alg: another key of the alg under the published
    # kid; a header alg the key is not for; an RS256 key of 1024 bits; an
    # EC key whose published point is off the curve; an ECDSA signature in
    # DER; alg HS256 keyed with the RSA public key (PEM) as HMAC secret.
    "wrong_key", "alg_mismatch", "rsa_1024", "ec_off_curve", "ecdsa_der",
    "hs256_rsa_pub")
ALGS = ("EdDSA", "ES256", "ES384", "RS256", "PS256")
# alg_mismatch: the header claims this instead of the key's own alg.
ALG_SWAP = {"EdDSA": "ES256", "ES256": "ES384", "ES384": "ES256",
            "RS256": "PS256", "PS256": "RS256"}
BEHAVIOUR_DEFAULTS = {
    "outcome": "approve", "delay_ms": 0, "interval": 0, "expires_in": None,
    "slow_down": 0, "status_shape": False, "initiate_5xx": 0,
    "token_5xx": 0, "poll_5xx": 0, "drop": None, "hang": None,
    "malformed": None, "oversized": None, "initiate_error": None,
    "bad_token": None, "id_token": None, "hang_ms": 60000,
    "alg": None, "id_token_alg": None,
}
OUTCOMES = ("approve", "deny", "expire", "never")
# A hostile server (issue 7 item 6): more faults by endpoint name, and
# their settings. dup_kid (bool) makes the JWKS publish a second key under
# the signing key's kid.
HOSTILE = ("redirect", "drip", "gzip", "chunked", "huge")
FAULTS = ("drop", "hang", "malformed", "oversized") + HOSTILE
REDIRECTS = (301, 302, 303, 307, 308)
BEHAVIOUR_DEFAULTS.update({
    "redirect": None, "redirect_status": 302,
    "redirect_to": "https://evil.example/oauth/token",
    "drip": None, "drip_ms": 1000, "gzip": None, "chunked": None,
    "huge": None, "big_bytes": 10 << 20, "dup_kid": False,
})


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jdump(obj):
    return json.dumps(obj, separators=(",", ":"))


class Key:
    alg = "EdDSA"

    def __init__(self):
        self.kid = secrets.token_hex(8)
        self.sk = nacl.signing.SigningKey.generate()

    def sign(self, si, der=False):
        return self.sk.sign(si).signature

    def jwk(self, private=False):
        k = {"kty": "OKP", "crv": "Ed25519",
             "x": b64u(bytes(self.sk.verify_key)),
             "kid": self.kid, "alg": "EdDSA", "use": "sig"}
        if private:
            k["d"] = b64u(bytes(self.sk))
        return k


class AlgKey:
    """An EC (ES256, ES384) or RSA (RS256, PS256) signing key."""

    def __init__(self, alg, bits=2048):
        from cryptography.hazmat.primitives.asymmetric import ec, rsa
        self.alg = alg
        self.kid = alg.lower() + "-" + secrets.token_hex(6)
        if alg.startswith("ES"):
            self.clen = 32 if alg == "ES256" else 48
            self.sk = ec.generate_private_key(
                ec.SECP256R1() if alg == "ES256" else ec.SECP384R1())
        else:
            self.sk = rsa.generate_private_key(65537, bits)

    def jwk(self, off_curve=False):
        pub = self.sk.public_key().public_numbers()
        k = {"kid": self.kid, "alg": self.alg, "use": "sig"}
        if self.alg.startswith("ES"):
            y = pub.y ^ 1 if off_curve else pub.y
            k.update(kty="EC", crv="P-256" if self.clen == 32 else "P-384",
                     x=b64u(pub.x.to_bytes(self.clen, "big")),
                     y=b64u(y.to_bytes(self.clen, "big")))
        else:
            k.update(kty="RSA",
                     n=b64u(pub.n.to_bytes((pub.n.bit_length() + 7) // 8,
                                           "big")),
                     e=b64u(pub.e.to_bytes(3, "big")))
        return k

    def public_pem(self):
        from cryptography.hazmat.primitives import serialization
        return self.sk.public_key().public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo)

    def sign(self, si, der=False):
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec, padding
        from cryptography.hazmat.primitives.asymmetric import utils
        h = hashes.SHA384() if self.alg == "ES384" else hashes.SHA256()
        if self.alg.startswith("ES"):
            sig = self.sk.sign(si, ec.ECDSA(h))
            if der:
                return sig
            r, s = utils.decode_dss_signature(sig)
            return r.to_bytes(self.clen, "big") + s.to_bytes(self.clen, "big")
        if self.alg == "PS256":
            return self.sk.sign(si, padding.PSS(
                mgf=padding.MGF1(h), salt_length=32), h)
        return self.sk.sign(si, padding.PKCS1v15(), h)


class State:
    """Everything the server knows; guarded by self.lock."""

    def __init__(self, args):
        self.lock = threading.RLock()
        self.args = args
        self.stop = threading.Event()
        self.release = threading.Event()    # set on reset/shutdown: ends hangs
        self.key = Key()                    # publishes and signs
        self.unpublished = Key()            # for unknown_kid
        self.privkey = Key()                # for jwk_private
        self.impostor = Key()               # for dup_kid
        # issue 13: made on first use, kept across resets (RSA key
        # generation is slow); published while self.published has them.
        self.alg_keys = {}                  # name -> AlgKey
        self.issued_jtis = []               # survives reset (reuse_jti)
        self.client_tokens = {}             # token -> (client_id, exp)
        self.base_url = None
        self.vault = mock_vault.Vault()     # issue 12 (mock_vault.py)
        # For the benchmark: accepted connections and TLS handshakes since
        # the start (reset keeps them), and how long every answer waits.
        self.stats = {"connections": 0, "tls_handshakes": 0}
        self.answer_ms = 0
        self.reset()

    def reset(self):
        with self.lock:
            self.settings = {
                "dialect": self.args.dialect,
                "issuer": self.args.issuer,
                "client_id": self.args.client_id,
                "client_secret": self.args.client_secret,
                # Seconds added to the Date header (a skewed server clock).
                "date_offset": 0,
                # Who approves a device-authorization request (enroll):
                # that DID's behaviour drives the grant.
                "device_did": "did:bkey:enrolled",
                # What discovery names as revocation_endpoint (None: ours).
                "revocation_endpoint": None,
            }
            self.behaviours = {}            # did -> behaviour (ordered)
            self.counters = {}              # did -> remaining 5xx counts
            self.requests = []
            self.violations = []
            self.auth = {}                  # auth_req_id -> dict
            self.jwks_private = False
            self.settings["alg"] = "EdDSA"  # what tokens are signed with
            self.published = []             # alg_keys names in the JWKS
            self.extra_jwks = []            # rsa_1024, ec_off_curve
            self.answer_ms = 0
            if hasattr(self, "vault"):
                self.vault.reset()
            self.release.set()
            self.release = threading.Event()

    def issuer(self):
        return self.settings["issuer"] or self.base_url

    def behaviour(self, did):
        b = self.behaviours.get(did)
        if b is not None:
            return b
        b = dict(BEHAVIOUR_DEFAULTS)
        tail = did.rsplit(":", 1)[-1] if did else ""
        if tail in OUTCOMES:
            b["outcome"] = tail
        return b

    def set_behaviour(self, did, spec):
        b = dict(BEHAVIOUR_DEFAULTS)
        for k, v in spec.items():
            if k not in BEHAVIOUR_DEFAULTS:
                raise ValueError("unknown behaviour key %r" % k)
            b[k] = v
        if b["outcome"] not in OUTCOMES:
            raise ValueError("bad outcome %r" % b["outcome"])
        if b["bad_token"] is not None and b["bad_token"] not in BAD_TOKENS:
            raise ValueError("bad bad_token %r" % b["bad_token"])
        for k in ("alg", "id_token_alg"):
            if b[k] is not None and b[k] not in ALGS:
                raise ValueError("bad %s %r" % (k, b[k]))
            if b[k] not in (None, "EdDSA"):
                self.signing_key(b[k])      # made now, not mid-poll
        if b["redirect_status"] not in REDIRECTS:
            raise ValueError("bad redirect_status %r" % b["redirect_status"])
        for k in FAULTS:
            v = b[k]
            if v is None:
                continue
            vals = [v] if isinstance(v, str) else v
            for e in vals:
                if e not in ENDPOINTS:
                    raise ValueError("bad endpoint %r for %s" % (e, k))
            b[k] = list(vals)
        with self.lock:
            self.behaviours.pop(did, None)
            self.behaviours[did] = b
            self.counters[did] = {k: int(b[k] or 0) for k in
                                  ("initiate_5xx", "token_5xx", "poll_5xx")}

    def fault(self, did, endpoint):
        """The fault (drop/hang/malformed/oversized) for this endpoint, or
        None. Requests without a DID (token, jwks) take it from any DID's
        behaviour that names the endpoint, the most recently set first."""
        with self.lock:
            if did is not None:
                cands = [self.behaviour(did)]
            else:
                cands = list(reversed(list(self.behaviours.values())))
            for b in cands:
                for f in FAULTS:
                    if b.get(f) and endpoint in b[f]:
                        return f, b
        return None, None

    def take_5xx(self, did, name):
        with self.lock:
            dids = [did] if did is not None else \
                list(reversed(list(self.counters.keys())))
            for d in dids:
                c = self.counters.get(d)
                if c and c.get(name, 0) > 0:
                    c[name] -= 1
                    return True
        return False

    # ---- tokens ----------------------------------------------------------
    def sign(self, header, payload, key, der=False):
        si = (b64u(jdump(header).encode()) + "." +
              b64u(jdump(payload).encode())).encode()
        return si.decode() + "." + b64u(key.sign(si, der))

    def alg_key(self, name, alg, bits=2048):
        """The AlgKey called name (made on first use), not published."""
        with self.lock:
            if name not in self.alg_keys:
                self.alg_keys[name] = AlgKey(alg, bits)
            return self.alg_keys[name]

    def signing_key(self, alg, publish=True):
        """The published key that signs alg tokens."""
        if alg == "EdDSA":
            return self.key
        k = self.alg_key(alg, alg)
        with self.lock:
            if publish and alg not in self.published:
                self.published.append(alg)
        return k

    def alg_bad_token(self, bad, alg, hdr, key):
        """Issue 13's bad tokens: (key, der) to sign with, hdr changed."""
        with self.lock:
            if bad == "wrong_key":
                key = self.unpublished if alg == "EdDSA" else \
                    self.alg_key("other-" + alg, alg)
            elif bad == "unknown_kid" and alg != "EdDSA":
                key = self.alg_key("other-" + alg, alg)
                hdr["kid"] = key.kid
            elif bad == "alg_mismatch":
                hdr["alg"] = ALG_SWAP[alg]
            elif bad in ("rsa_1024", "ec_off_curve"):
                key = self.alg_key(bad, "RS256" if bad == "rsa_1024" else
                                   "ES256", 1024)
                hdr["alg"], hdr["kid"] = key.alg, key.kid
                jwk = key.jwk(off_curve=bad == "ec_off_curve")
                if jwk not in self.extra_jwks:
                    self.extra_jwks.append(jwk)
            elif bad == "ecdsa_der" and not alg.startswith("ES"):
                key = self.signing_key("ES256")
                hdr["alg"], hdr["kid"] = key.alg, key.kid
        return key, bad == "ecdsa_der"

    def hs256_rsa_pub(self, hdr, p):
        """alg HS256 under the RSA key's kid, its public key as secret."""
        rsa = self.signing_key("RS256")
        hdr = dict(hdr, alg="HS256", kid=rsa.kid)
        head = b64u(jdump(hdr).encode()) + "." + b64u(jdump(p).encode())
        mac = hmac.new(rsa.public_pem(), head.encode(),
                       hashlib.sha256).digest()
        return head + "." + b64u(mac)

    def client_token(self, client_id):
        now = int(time.time())
        tok = self.sign({"alg": "EdDSA", "kid": self.key.kid, "typ": "JWT"},
                        {"iss": self.issuer(), "sub": client_id,
                         "aud": self.issuer(), "client_id": client_id,
                         "scope": "", "jti": secrets.token_hex(12),
                         "iat": now, "exp": now + 3600}, self.key)
        with self.lock:
            self.client_tokens[tok] = (client_id, now + 3600)
        return tok

    def approval_tokens(self, req, b):
        """(access_token, id_token or None) for an approved request."""
        bad = b.get("bad_token")
        now = int(time.time())
        cid = req["client_id"]
        granted = " ".join(s for s in req["scope"].split() if s != "openid")
        jti = "jti_" + secrets.token_hex(16)
        with self.lock:
            if bad == "reuse_jti" and self.issued_jtis:
                jti = self.issued_jtis[-1]
            else:
                self.issued_jtis.append(jti)
        alg = b.get("alg") or self.settings["alg"]
        key = self.signing_key(alg)
        hdr = {"alg": alg, "kid": key.kid, "typ": "JWT"}
        p = {"iss": self.issuer(), "sub": req["did"], "aud": cid,
             "scope": granted, "jti": jti, "iat": now, "exp": now + 300}
        key, der = self.alg_bad_token(bad, alg, hdr, key)
        if bad == "wrong_iss":
            p["iss"] = "https://evil.example"
        elif bad == "wrong_sub":
            p["sub"] = "did:bkey:mallory"
        elif bad == "wrong_aud":
            p["aud"] = "some-other-client"
        elif bad == "missing_scope":
            p["scope"] = "approve:something-else"
        elif bad == "expired":
            p["iat"], p["exp"] = now - 900, now - 600
        elif bad == "not_yet_valid":
            p["nbf"] = now + 600
        elif bad == "no_sub":
            del p["sub"]
        elif bad == "no_aud":
            del p["aud"]
        elif bad == "str_exp":
            p["exp"] = str(p["exp"])
        elif bad == "unknown_kid" and alg == "EdDSA":
            key = self.unpublished
            hdr["kid"] = key.kid
        elif bad == "jwk_private":
            key = self.privkey
            hdr["kid"] = key.kid
            with self.lock:
                self.jwks_private = True
        elif bad == "big":
            p["pad"] = "x" * 9000
        elif bad == "access_token_wrong_auth_req_id":
            p[AUTH_REQ_CLAIM] = "ciba_someone_elses"
        if bad in ("alg_none", "alg_none_empty"):
            hdr["alg"] = "none"
        elif bad in ("hs256", "hs256_hmac"):
            hdr["alg"] = "HS256"
        tok = self.sign(hdr, p, key, der)
        if bad == "hs256_rsa_pub":
            tok = self.hs256_rsa_pub(hdr, p)
        if bad == "bad_sig":
            head, sig = tok.rsplit(".", 1)
            raw = bytearray(base64.urlsafe_b64decode(sig + "=="))
            raw[7] ^= 0x01
            tok = head + "." + b64u(bytes(raw))
        elif bad == "alg_none_empty":
            tok = tok.rsplit(".", 1)[0] + "."
        elif bad == "hs256_hmac":
            head = tok.rsplit(".", 1)[0]
            mac = hmac.new(bytes(self.key.sk.verify_key), head.encode(),
                           hashlib.sha256).digest()
            tok = head + "." + b64u(mac)
        want_id = b.get("id_token")
        if want_id is None:
            want_id = self.settings["dialect"] == "ciba"
        idt = None
        if want_id or (bad or "").startswith("id_token_"):
            ip = {"iss": self.issuer(), "sub": req["did"], "aud": cid,
                  "iat": now, "exp": now + 300,
                  AUTH_REQ_CLAIM: req["auth_req_id"]}
            if bad == "id_token_wrong_auth_req_id":
                ip[AUTH_REQ_CLAIM] = "ciba_someone_elses"
            elif bad == "id_token_wrong_aud":
                ip["aud"] = "some-other-client"
            ialg = b.get("id_token_alg") or alg
            ikey = self.signing_key(ialg)
            idt = self.sign({"alg": ialg, "kid": ikey.kid,
                             "typ": "JWT"}, ip, ikey)
            if bad == "id_token_bad_sig":
                head, sig = idt.rsplit(".", 1)
                raw = bytearray(base64.urlsafe_b64decode(sig + "=="))
                raw[3] ^= 0x80
                idt = head + "." + b64u(bytes(raw))
        return tok, idt, granted

    def jwks(self):
        with self.lock:
            keys = [self.key.jwk()]
            keys += [self.alg_keys[a].jwk() for a in self.published]
            keys += self.extra_jwks
            if self.jwks_private:
                keys.append(self.privkey.jwk(private=True))
                keys[0] = self.key.jwk(private=True)
        return {"keys": keys}

    def rotate(self):
        with self.lock:
            self.key = Key()

    def dup_kid(self):
        """True if any DID's behaviour asks for a duplicate kid."""
        with self.lock:
            return any(b.get("dup_kid") for b in self.behaviours.values())


class Reject(Exception):
    def __init__(self, status, error, description, violation=True):
        super().__init__(description)
        self.status, self.error = status, error
        self.description, self.violation = description, violation


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without TCP_NODELAY the body
    # waits for the client's delayed ACK (40 ms a request on loopback).
    disable_nagle_algorithm = True
    server_version = "mock-bkey/1"
    sys_version = ""

    def date_time_string(self, timestamp=None):
        off = self.server.state.settings.get("date_offset", 0)
        return super().date_time_string((timestamp or time.time()) + off)

    def log_message(self, fmt, *args):       # quiet; the log is /_mock/
        if self.server.state.args.verbose:
            sys.stderr.write("mock: " + (fmt % args) + "\n")

    # ---- plumbing --------------------------------------------------------
    def read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if te == "chunked":
            out = b""
            while True:
                line = self.rfile.readline(100)
                n = int(line.split(b";")[0].strip() or b"0", 16)
                if n == 0:
                    while self.rfile.readline(1000) not in (b"\r\n", b"\n",
                                                            b""):
                        pass
                    return out
                out += self.rfile.read(n)
                self.rfile.readline(10)
                if len(out) > MAX_BODY:
                    raise Reject(413, "invalid_request", "body too large")
        n = int(self.headers.get("Content-Length") or 0)
        if n > MAX_BODY:
            raise Reject(413, "invalid_request", "body too large")
        return self.rfile.read(n) if n > 0 else b""

    def send_raw(self, status, body, ctype="application/json",
                 extra=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.rec["status"] = status
        if not self.rec["path"].startswith("/_mock/"):
            self.rec["response"] = body[:20000].decode("utf-8", "replace")

    def send_json(self, status, obj, extra=None):
        self.send_raw(status, jdump(obj).encode(), extra=extra)

    def send_error_json(self, status, error, description=None, extra=None):
        obj = {"error": error}
        if description:
            obj["error_description"] = description
        if status == 401 and extra is None:
            extra = {"WWW-Authenticate": 'Basic realm="bkey"'}
        self.send_json(status, obj, extra)

    def drop(self):
        self.close_connection = True
        self.rec["status"] = "dropped"
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def hang(self, b):
        st = self.server.state
        self.rec["status"] = "hung"
        limit = min(float(b.get("hang_ms") or 60000) / 1000.0, 60.0)
        ev = st.release
        ev.wait(limit)
        self.drop()

    def apply_fault(self, fault, b, good_obj):
        """Serve an injected fault; True if the request is answered."""
        if fault is None:
            return False
        if fault == "drop":
            self.drop()
        elif fault == "hang":
            self.hang(b)
        elif fault == "malformed":
            self.send_raw(200, b'{"access_token": "eyJ, "keys": [{"kty":')
        elif fault == "oversized":
            obj = dict(good_obj)
            obj["padding"] = "A" * (70 * 1024)
            self.send_json(200, obj)
        elif fault in HOSTILE:
            getattr(self, "hostile_" + fault)(b, good_obj)
        return True

    # ---- a hostile server ------------------------------------------------
    def hostile_redirect(self, b, good_obj):
        """The answer is elsewhere: a 3xx to redirect_to."""
        self.send_raw(b["redirect_status"], b'{"moved":true}',
                      extra={"Location": b["redirect_to"]})

    def hostile_drip(self, b, good_obj):
        """A 200 whose body comes one byte per drip_ms (slowloris); reset
        or shutdown ends it."""
        body = jdump(good_obj).encode()
        ev = self.server.state.release
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.flush()
        self.rec["status"] = "dripping"
        for i in range(len(body)):
            if ev.wait(float(b["drip_ms"]) / 1000.0):
                return self.drop()
            self.wfile.write(body[i:i + 1])
            self.wfile.flush()
        self.rec["status"] = "dripped"

    def padded(self, b, good_obj):
        """The good answer padded to big_bytes of valid JSON."""
        return jdump(dict(good_obj, padding="A" * int(b["big_bytes"])))

    def hostile_gzip(self, b, good_obj):
        """Content-Encoding gzip never asked for: a small body that inflates
        to big_bytes (a decompression bomb)."""
        body = gzip.compress(self.padded(b, good_obj).encode(), 9)
        self.send_raw(200, body, extra={"Content-Encoding": "gzip"})
        self.rec["response"] = "(gzip, %d bytes)" % len(body)

    def hostile_chunked(self, b, good_obj):
        """big_bytes of JSON, chunked: no Content-Length to refuse early."""
        body = self.padded(b, good_obj).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.rec["status"] = 200
        self.rec["response"] = "(chunked, %d bytes)" % len(body)
        for i in range(0, len(body), 16384):
            part = body[i:i + 16384]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
        self.wfile.write(b"0\r\n\r\n")

    def hostile_huge(self, b, good_obj):
        """big_bytes of JSON with its Content-Length."""
        self.rec["status"] = 200        # if the client hangs up mid-way
        self.send_raw(200, self.padded(b, good_obj).encode())
        self.rec["response"] = "(huge)"

    def violation(self, reason):
        st = self.server.state
        self.rec["rejected"] = reason
        with st.lock:
            st.violations.append({"reason": reason, "method": self.command,
                                  "path": self.rec["path"],
                                  "t": self.rec["t"]})
        if st.args.verbose or st.args.demo:
            sys.stderr.write("mock: VIOLATION %s %s: %s\n" %
                             (self.command, self.rec["path"], reason))

    def demo(self, text):
        if self.server.state.args.demo:
            sys.stderr.write(text + "\n")
            sys.stderr.flush()

    def handle_one(self):
        st = self.server.state
        url = urllib.parse.urlsplit(self.path)
        self.rec = {"method": self.command, "path": url.path,
                    "query": url.query,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": "", "form": None, "json": None,
                    "t": time.monotonic(), "rejected": None, "status": None}
        control = url.path.startswith("/_mock/")
        if not control:
            with st.lock:
                st.requests.append(self.rec)
        try:
            raw = self.read_body()
            self.rec["body"] = raw.decode("utf-8", "replace")
            self.raw = raw
            if control:
                return self.control(url)
            if (st.settings["client_secret"] and
                    st.settings["client_secret"] in urllib.parse.unquote_plus(
                        url.query)):
                raise Reject(400, "invalid_request",
                             "client secret in the query string")
            route = {("GET", "/.well-known/openid-configuration"):
                     self.discovery,
                     ("GET", "/oauth/jwks"): self.jwks,
                     ("POST", "/oauth/token"): self.token,
                     ("POST", "/oauth/bc-authorize"): self.bc_authorize,
                     ("POST", "/oauth/device/code"): self.device_code,
                     ("POST", "/oauth/revoke"): self.revoke}
            fn = route.get((self.command, url.path))
            if (self.command, url.path) == ("POST", "/v1/vault/access"):
                fn = lambda: mock_vault.access_post(self, Reject)
            elif self.command == "GET" and url.path.startswith(
                    "/v1/vault/access/"):
                rid = url.path[len("/v1/vault/access/"):]
                fn = lambda: mock_vault.access_get(self, rid)
            if fn is None:
                known = {p for (_, p) in route}
                if url.path in known:
                    raise Reject(405, "invalid_request", "method not allowed")
                raise Reject(404, "not_found", "no such endpoint")
            fn()
        except Reject as r:
            if r.violation:
                self.violation(r.description)
            else:
                self.rec["rejected"] = r.description
            self.send_error_json(r.status, r.error, r.description)
        except (ConnectionError, ssl.SSLError, socket.timeout):
            self.close_connection = True

    def setup(self):
        """Count connections; do the TLS handshake here so it is counted
        (one per connection: a client that keeps its connection alive
        shakes hands once)."""
        super().setup()
        st = self.server.state
        with st.lock:
            st.stats["connections"] += 1
            self.conn_no = st.stats["connections"]
        self.handshake_ms = 0.0
        if isinstance(self.connection, ssl.SSLSocket):
            # the server's own CPU for it: the wall time would include
            # the client's share of the exchange
            t0 = time.thread_time()
            self.connection.do_handshake()
            self.handshake_ms = (time.thread_time() - t0) * 1000.0
            with st.lock:
                st.stats["tls_handshakes"] += 1

    def handle_timed(self):
        """handle_one, after the answer_ms the benchmark asked for; the
        record gets served_ms, the time the server took (wait included;
        the first request of a connection also the handshake's)."""
        t0 = time.monotonic()
        wait_ms = self.server.state.answer_ms
        if wait_ms and not self.path.startswith("/_mock/"):
            time.sleep(wait_ms / 1000.0)
        self.handle_one()
        if getattr(self, "rec", None) is not None:
            self.rec["served_ms"] = (time.monotonic() - t0) * 1000.0 + \
                self.handshake_ms
            self.handshake_ms = 0.0
            self.rec["connection"] = self.conn_no

    do_GET = do_POST = do_PUT = do_DELETE = handle_timed

    # ---- request helpers -------------------------------------------------
    def ctype(self):
        return (self.headers.get("Content-Type") or "").split(";")[0] \
            .strip().lower()

    def parse_form(self):
        if self.ctype() != "application/x-www-form-urlencoded":
            raise Reject(400, "invalid_request",
                         "Content-Type must be application/x-www-form-"
                         "urlencoded, got %r" % self.ctype())
        try:
            pairs = urllib.parse.parse_qsl(self.raw.decode("utf-8"),
                                           keep_blank_values=True,
                                           strict_parsing=bool(self.raw),
                                           errors="strict")
        except (UnicodeDecodeError, ValueError) as e:
            raise Reject(400, "invalid_request", "bad form body: %s" % e)
        form = {}
        for k, v in pairs:
            if k in form:
                raise Reject(400, "invalid_request",
                             "parameter %r repeated" % k)
            form[k] = v
        self.rec["form"] = form
        return form

    def parse_json(self):
        if self.ctype() != "application/json":
            raise Reject(400, "invalid_request",
                         "Content-Type must be application/json, got %r" %
                         self.ctype())
        try:
            obj = json.loads(self.raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise Reject(400, "invalid_request", "bad JSON body: %s" % e)
        if not isinstance(obj, dict):
            raise Reject(400, "invalid_request", "body is not a JSON object")
        self.rec["json"] = obj
        sec = self.server.state.settings["client_secret"]
        if sec and sec in self.rec["body"]:
            raise Reject(400, "invalid_request",
                         "client secret inside a JSON body")
        return obj

    def basic_auth(self):
        """(client_id, secret) from HTTP Basic, None if absent."""
        h = self.headers.get("Authorization") or ""
        if not h.lower().startswith("basic "):
            return None
        try:
            dec = base64.b64decode(h[6:].strip(), validate=True).decode()
            cid, sec = dec.split(":", 1)
        except (ValueError, UnicodeDecodeError):
            raise Reject(401, "invalid_client", "malformed Basic credentials")
        return (urllib.parse.unquote_plus(cid),
                urllib.parse.unquote_plus(sec))

    def check_client(self, cid, sec):
        st = self.server.state.settings
        if cid != st["client_id"]:
            raise Reject(401, "invalid_client", "unknown client_id %r" % cid)
        if not hmac.compare_digest(sec.encode(),
                                   st["client_secret"].encode()):
            raise Reject(401, "invalid_client", "wrong client secret")
        return cid

    def form_client(self, form):
        """Authenticate a token-endpoint request per the dialect."""
        dialect = self.server.state.settings["dialect"]
        basic = self.basic_auth()
        in_form = "client_secret" in form
        if basic and in_form:
            raise Reject(400, "invalid_request",
                         "more than one client authentication method")
        if dialect == "ciba":
            if in_form:
                raise Reject(401, "invalid_client",
                             "client_secret_post not allowed for this client "
                             "(client_secret_basic only)")
            if not basic:
                raise Reject(401, "invalid_client",
                             "missing HTTP Basic client authentication")
        if basic:
            if "client_id" in form and form["client_id"] != basic[0]:
                raise Reject(400, "invalid_request",
                             "client_id in form differs from Basic")
            return self.check_client(*basic)
        if not in_form or "client_id" not in form:
            raise Reject(401, "invalid_client",
                         "missing client authentication")
        return self.check_client(form["client_id"], form["client_secret"])

    # ---- endpoints -------------------------------------------------------
    def discovery(self):
        st = self.server.state
        base = st.base_url
        basic_only = st.settings["dialect"] == "ciba"
        self.send_json(200, {
            "issuer": st.issuer(),
            "userinfo_endpoint": base + "/oauth/userinfo",
            "jwks_uri": base + "/oauth/jwks",
            "token_endpoint": base + "/oauth/token",
            "device_authorization_endpoint": base + "/oauth/device/code",
            "backchannel_authentication_endpoint": base + "/oauth/bc-authorize",
            "revocation_endpoint": st.settings["revocation_endpoint"] or
            base + "/oauth/revoke",
            "grant_types_supported": [
                "client_credentials", "refresh_token",
                "urn:ietf:params:oauth:grant-type:device_code", CIBA_GRANT],
            "backchannel_token_delivery_modes_supported": ["poll"],
            "token_endpoint_auth_methods_supported":
                ["client_secret_basic"] if basic_only else
                ["client_secret_post", "client_secret_basic"],
            "scopes_supported": ["openid", "approve:action",
                                 "approve:payment", "approve:deploy",
                                 "approve:login", "approve:sudo"],
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["EdDSA"],
        })

    def jwks(self):
        st = self.server.state
        good = st.jwks()
        if st.dup_kid():
            # A second key under the signing key's kid, after the real one:
            # a verifier that takes the first match would still accept.
            extra = dict(st.impostor.jwk(), kid=st.key.kid)
            good = {"keys": good["keys"] + [extra]}
        fault, b = st.fault(None, "jwks")
        if self.apply_fault(fault, b, good):
            return
        self.send_json(200, good)

    def revoke(self):
        form = self.parse_form()
        self.form_client(form)
        self.send_raw(200, b"")

    def token(self):
        form = self.parse_form()
        grant = form.get("grant_type")
        if grant == "client_credentials":
            return self.client_credentials(form)
        if grant == CIBA_GRANT:
            return self.poll(form)
        if grant == DEVICE_GRANT:
            if "auth_req_id" in form:
                raise Reject(400, "invalid_request",
                             "auth_req_id in a device_code grant")
            return self.poll(form, form.get("device_code"))
        if not grant:
            raise Reject(400, "invalid_request", "missing grant_type")
        self.form_client(form)
        raise Reject(400, "unsupported_grant_type",
                     "grant_type %r not supported by the mock" % grant)

    def client_credentials(self, form):
        st = self.server.state
        cid = self.form_client(form)
        if st.settings["dialect"] == "ciba":
            raise Reject(400, "unauthorized_client",
                         "client_credentials not enabled for this client "
                         "(ciba dialect has no client-token step)")
        if st.take_5xx(None, "token_5xx"):
            return self.send_error_json(503, "temporarily_unavailable",
                                        "injected 5xx")
        good = {"access_token": "", "token_type": "Bearer",
                "expires_in": 3600}
        fault, b = st.fault(None, "token")
        if fault is None:
            good["access_token"] = st.client_token(cid)
        elif self.apply_fault(fault, b, dict(good, access_token="x")):
            return
        self.send_json(200, good)

    def bearer_client(self):
        st = self.server.state
        h = self.headers.get("Authorization") or ""
        if not h.startswith("Bearer "):
            raise Reject(401, "invalid_client",
                         "missing Bearer client token")
        tok = h[7:].strip()
        with st.lock:
            ent = st.client_tokens.get(tok)
        if ent is None:
            raise Reject(401, "invalid_client", "unknown Bearer token")
        cid, exp = ent
        if exp < time.time():
            raise Reject(401, "invalid_client", "expired Bearer token")
        if cid != st.settings["client_id"]:
            raise Reject(401, "invalid_client", "token of another client")
        return cid

    def bc_authorize(self):
        st = self.server.state
        dialect = st.settings["dialect"]
        if dialect == "bkey":
            cid = self.bearer_client()
            body = self.parse_json()
            if "client_id" in body and body["client_id"] != cid:
                raise Reject(400, "invalid_request",
                             "client_id differs from the token's")
        else:
            if (self.headers.get("Authorization") or "").startswith("Bearer"):
                raise Reject(401, "invalid_client",
                             "Bearer not accepted: client_secret_basic only")
            body = self.parse_form()
            cid = self.form_client(body)
        req = self.validate_initiate(body, dialect)
        did = req["did"]
        b = st.behaviour(did)
        if st.take_5xx(did, "initiate_5xx"):
            return self.send_error_json(503, "temporarily_unavailable",
                                        "injected 5xx")
        if b.get("initiate_error"):
            e = b["initiate_error"]
            status = 401 if e in ("invalid_client",
                                  "unauthorized_client") else 400
            self.rec["rejected"] = "injected " + e
            return self.send_error_json(status, e, "injected error")
        auth_req_id = "ciba_" + secrets.token_urlsafe(18)
        expires_in = b["expires_in"] if b["expires_in"] is not None \
            else req["requested_expiry"]
        resp = {"auth_req_id": auth_req_id, "expires_in": expires_in}
        if self.offer(did, b, resp, "initiate"):
            return
        now = time.monotonic()
        req.update({"auth_req_id": auth_req_id, "client_id": cid,
                    "created": now, "last": now,
                    "interval": float(b["interval"] or 0),
                    "expires_at": now + float(expires_in),
                    "behaviour": b, "polls": 0, "slow_downs": 0,
                    "final": None})
        with st.lock:
            st.auth[auth_req_id] = req
        self.rec["auth_req_id"] = auth_req_id
        # One line for tests/demo.py, which draws the phone's screen.
        self.demo("  [phone-request] " + jdump({
            "did": did, "message": req["binding_message"],
            "details": req["action_details"] or {}}))
        self.send_json(200, resp)

    def offer(self, did, b, resp, endpoint):
        """Add the behaviour's interval to a started request's answer and
        serve the endpoint's fault instead if there is one (True)."""
        if b["interval"] is not None:
            resp["interval"] = b["interval"]
        fault, _ = self.server.state.fault(did, endpoint)
        return self.apply_fault(fault, b, resp)

    def device_code(self):
        """RFC 8628 device authorization: the settings' device_did approves
        (its behaviour: outcome, delay_ms, interval, expires_in, slow_down,
        bad_token, faults under "device"); polled with DEVICE_GRANT."""
        st = self.server.state
        form = self.parse_form()
        cid = self.form_client(form)
        for k in form:
            if k not in ("client_id", "client_secret", "scope",
                         "device_name"):
                raise Reject(400, "invalid_request", "unknown parameter %r"
                             % k)
        did = st.settings["device_did"]
        b = st.behaviour(did)
        code = "dev_" + secrets.token_urlsafe(18)
        user_code = "%s-%s" % (secrets.token_hex(2).upper(),
                               secrets.token_hex(2).upper())
        expires_in = b["expires_in"] if b["expires_in"] is not None else 300
        uri = st.base_url + "/device"
        resp = {"device_code": code, "user_code": user_code,
                "verification_uri": uri,
                "verification_uri_complete": uri + "?user_code=" + user_code,
                "expires_in": expires_in}
        if self.offer(did, b, resp, "device"):
            return
        now = time.monotonic()
        req = {"did": did, "scope": form.get("scope") or "openid",
               "auth_req_id": code, "client_id": cid, "created": now,
               "last": now,
               "interval": float(5 if b["interval"] is None
                                 else b["interval"]),
               "expires_at": now + float(expires_in), "behaviour": b,
               "polls": 0, "slow_downs": 0, "final": None,
               "device_name": form.get("device_name")}
        with st.lock:
            st.auth[code] = req
        self.rec["device_code"] = code
        self.send_json(200, resp)

    def validate_initiate(self, body, dialect):
        allowed = {"login_hint", "scope", "binding_message", "action_details",
                   "requested_expiry", "client_id"}
        for k in body:
            if k == "client_secret":
                raise Reject(400, "invalid_request",
                             "client_secret in the bc-authorize body")
            if k not in allowed:
                raise Reject(400, "invalid_request", "unknown member %r" % k)
        hint = body.get("login_hint")
        if not isinstance(hint, str) or not DID_RE.match(hint):
            raise Reject(400, "invalid_request",
                         "login_hint must be a DID, got %r" % (hint,))
        scope = body.get("scope")
        if not isinstance(scope, str) or not scope:
            raise Reject(400, "invalid_scope", "missing scope")
        parts = scope.split(" ")
        if "openid" not in parts:
            raise Reject(400, "invalid_scope", "scope lacks openid")
        actions = [p for p in parts if p != "openid"]
        if not actions:
            raise Reject(400, "invalid_scope", "scope lacks an action scope")
        for p in actions:
            if not SCOPE_RE.match(p):
                raise Reject(400, "invalid_scope", "bad scope %r" % p)
        msg = body.get("binding_message")
        if not isinstance(msg, str) or not msg:
            raise Reject(400, "invalid_request",
                         "missing or empty binding_message")
        if len(msg.encode("utf-8", "surrogatepass")) > 256:
            raise Reject(400, "invalid_request",
                         "binding_message longer than 256 bytes")
        if CTRL_RE.search(msg):
            raise Reject(400, "invalid_request",
                         "binding_message has control characters")
        exp = body.get("requested_expiry", 300)
        if dialect == "ciba" and isinstance(exp, str):
            if not re.match(r"^[0-9]{1,6}$", exp):
                raise Reject(400, "invalid_request",
                             "requested_expiry not an integer")
            exp = int(exp)
        if isinstance(exp, bool) or not isinstance(exp, int) or \
                not 30 <= exp <= 600:
            raise Reject(400, "invalid_request",
                         "requested_expiry must be an integer 30..600")
        det = body.get("action_details")
        if det is not None:
            if dialect == "ciba":
                if not isinstance(det, str):
                    raise Reject(400, "invalid_request", "bad action_details")
                try:
                    det = json.loads(det)
                except ValueError:
                    raise Reject(400, "invalid_request",
                                 "action_details is not JSON")
            self.validate_details(det)
        return {"did": hint, "scope": scope, "binding_message": msg,
                "requested_expiry": exp, "action_details": det}

    def validate_details(self, det):
        if not isinstance(det, dict):
            raise Reject(400, "invalid_request",
                         "action_details is not an object")
        if len(jdump(det).encode()) > 2048:
            raise Reject(400, "invalid_request",
                         "action_details larger than 2048 bytes")
        for k, v in det.items():
            if not KEY_RE.match(k):
                raise Reject(400, "invalid_request",
                             "action_details key %r" % k)
            if k in STRING_DETAILS and not isinstance(v, str):
                raise Reject(400, "invalid_request",
                             "action_details.%s must be a string" % k)
            if k == "amount":
                ok = (isinstance(v, (int, float)) and
                      not isinstance(v, bool)) or \
                    (isinstance(v, str) and NUM_RE.match(v))
                if not ok:
                    raise Reject(400, "invalid_request",
                                 "action_details.amount must be a number")
            if isinstance(v, bool) or not isinstance(v, (str, int, float)):
                raise Reject(400, "invalid_request",
                             "action_details.%s has a wrong type" % k)
            if isinstance(v, str) and CTRL_RE.search(v):
                raise Reject(400, "invalid_request",
                             "action_details.%s has control characters" % k)

    def poll(self, form, device_code=None):
        st = self.server.state
        cid = self.form_client(form)
        rid = device_code if device_code is not None else \
            form.get("auth_req_id")
        if not rid:
            raise Reject(400, "invalid_request", "missing auth_req_id")
        now = time.monotonic()
        with st.lock:
            req = st.auth.get(rid)
            if req is None:
                raise Reject(400, "invalid_grant", "unknown auth_req_id")
            if req["client_id"] != cid:
                raise Reject(400, "invalid_grant",
                             "auth_req_id of another client")
            if req["final"]:
                raise Reject(400, "invalid_grant",
                             "auth_req_id already answered (%s)" %
                             req["final"])
            gap = now - req["last"]
            need = req["interval"]
            req["last"] = now
            req["polls"] += 1
            self.rec["auth_req_id"] = rid
            self.rec["did"] = req["did"]
            if gap + TOLERANCE < need:
                req["interval"] += 5
                self.violation("poll %.3f s after the last, interval %g s"
                               % (gap, need))
                return self.send_error_json(400, "slow_down",
                                            "polling too fast")
            b = req["behaviour"]
            did = req["did"]
        if st.take_5xx(did, "poll_5xx"):
            return self.send_error_json(503, "temporarily_unavailable",
                                        "injected 5xx")
        fault, _ = st.fault(did, "poll")
        if fault:
            return self.apply_fault(fault, b, {"error":
                                               "authorization_pending"})
        with st.lock:
            if req["slow_downs"] < int(b["slow_down"] or 0):
                req["slow_downs"] += 1
                req["interval"] += 5
                return self.answer(req, b, "slow_down")
            elapsed_ms = (now - req["created"]) * 1000.0
            if now >= req["expires_at"]:
                state = "expired"
            elif elapsed_ms < float(b["delay_ms"] or 0) or \
                    b["outcome"] == "never":
                state = "pending"
            else:
                state = {"approve": "approved", "deny": "denied",
                         "expire": "expired"}[b["outcome"]]
            if state != "pending":
                req["final"] = state
        return self.answer(req, b, state)

    def answer(self, req, b, state):
        if state in ("approved", "denied", "expired"):
            self.demo("  [phone] %s: %s" % (req["did"], state))
        if b.get("status_shape") and state != "slow_down":
            obj = {"status": state}
            if state == "approved":
                tok, idt, granted = self.server.state.approval_tokens(req, b)
                obj.update(access_token=tok, token_type="Bearer",
                           expires_in=300, scope=granted)
                if idt:
                    obj["id_token"] = idt
            return self.send_json(200, obj)
        if state == "approved":
            tok, idt, granted = self.server.state.approval_tokens(req, b)
            obj = {"access_token": tok, "token_type": "Bearer",
                   "expires_in": 300, "scope": granted}
            if idt:
                obj["id_token"] = idt
            return self.send_json(200, obj)
        err = {"pending": "authorization_pending", "slow_down": "slow_down",
               "denied": "access_denied", "expired": "expired_token"}[state]
        return self.send_error_json(400, err)

    # ---- control ---------------------------------------------------------
    def control(self, url):
        st = self.server.state
        p = url.path
        q = urllib.parse.parse_qs(url.query)
        body = {}
        if self.raw:
            try:
                body = json.loads(self.raw.decode())
            except ValueError:
                return self.send_json(400, {"error": "bad control JSON"})
        try:
            if p == "/_mock/behaviour" and self.command == "POST":
                st.set_behaviour(body["did"], body.get("behaviour") or {})
                return self.send_json(200, {"ok": True})
            if p == "/_mock/vault":
                return mock_vault.control(self, body)
            if p == "/_mock/behaviour":
                with st.lock:
                    return self.send_json(200, st.behaviours)
            if p == "/_mock/config" and self.command == "POST":
                for k, v in body.items():
                    if k == "rotate_keys":
                        if v:
                            st.rotate()
                    elif k == "dialect" and v in ("bkey", "ciba"):
                        st.settings[k] = v
                    elif k in ("issuer", "client_id", "client_secret"):
                        st.settings[k] = v
                    elif k == "answer_ms" and isinstance(v, int) and \
                            0 <= v <= 10000:
                        st.answer_ms = v
                    elif k == "date_offset" and isinstance(v, int):
                        st.settings[k] = v
                    elif k == "device_did" and isinstance(v, str):
                        st.settings[k] = v
                    elif k == "alg" and v in ALGS:
                        st.signing_key(v)
                        st.settings[k] = v
                    elif k == "revocation_endpoint" and (
                            v is None or isinstance(v, str)):
                        st.settings[k] = v
                    else:
                        raise ValueError("bad setting %r=%r" % (k, v))
            if p == "/_mock/config":
                with st.lock:
                    return self.send_json(200, dict(
                        st.settings, base_url=st.base_url,
                        issuer_effective=st.issuer(), kid=st.key.kid))
            if p == "/_mock/requests":
                with st.lock:
                    reqs = [r for r in st.requests
                            if not q.get("path") or r["path"] == q["path"][0]]
                    return self.send_json(200, reqs)
            if p == "/_mock/stats":
                with st.lock:
                    return self.send_json(200, dict(
                        st.stats, answer_ms=st.answer_ms))
            if p == "/_mock/violations":
                with st.lock:
                    return self.send_json(200, st.violations)
            if p == "/_mock/reset" and self.command == "POST":
                st.reset()
                return self.send_json(200, {"ok": True})
        except (KeyError, ValueError, TypeError, AttributeError) as e:
            return self.send_json(400, {"error": str(e)})
        return self.send_json(404, {"error": "no such control endpoint"})


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def handle_error(self, request, client_address):
        # TLS handshakes that fail (a client without our CA) and resets
        # are expected in tests: one line, not a traceback.
        e = sys.exc_info()[1]
        if self.state.args.verbose or not isinstance(
                e, (OSError, ssl.SSLError, ValueError)):
            sys.stderr.write("mock: %s: %r\n" % (client_address, e))


def main():
    ap = argparse.ArgumentParser(description="mock BKey CIBA issuer")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--client-id", default="pam-bkey-test")
    ap.add_argument("--client-secret",
                    default=os.environ.get("MOCK_CLIENT_SECRET") or
                    secrets.token_urlsafe(24))
    ap.add_argument("--issuer", default=None)
    ap.add_argument("--dialect", choices=("bkey", "ciba"), default="bkey")
    ap.add_argument("--demo", action="store_true",
                    help="show what the phone would show on stderr")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--exit-with-parent", action="store_true",
                    help="stop when the starting process goes away")
    args = ap.parse_args()
    ppid = os.getppid()

    st = State(args)
    srv = Server((args.host, args.port), Handler)
    srv.state = st
    scheme = "http"
    if args.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(args.cert, args.key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True,
                                     do_handshake_on_connect=False)
        scheme = "https"
    port = srv.server_address[1]
    host = args.host if ":" not in args.host else "[%s]" % args.host
    st.base_url = "%s://%s:%d" % (scheme, host, port)
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, args.port_file)

    def on_signal(signum, frame):
        st.stop.set()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    t = threading.Thread(target=srv.serve_forever, kwargs={
        "poll_interval": 0.2}, daemon=True)
    t.start()
    if args.demo or args.verbose:
        sys.stderr.write("mock: %s (dialect %s, client %s)\n" %
                         (st.base_url, args.dialect, args.client_id))
    while not st.stop.wait(1.0):
        if args.exit_with_parent and os.getppid() != ppid:
            break
    st.release.set()
    srv.shutdown()
    srv.server_close()


if __name__ == "__main__":
    main()
