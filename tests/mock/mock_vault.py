# SPDX-License-Identifier: ISC
"""
The mock's vault (issue 12): POST /v1/vault/access and GET
/v1/vault/access/{id}, with a simulated phone that encrypts a configured
secret as BKey's phone does:
  base64( phonePublicKey(32) || iv(12) || tag(16) || ciphertext )
  key = SHA-256( X25519(phone private, client's ephemeral public) ),
  AES-256-GCM, no additional data.
Items are configured through POST /_mock/vault {"item": NAME, "spec": {...}}
(keys in VAULT_DEFAULTS); GET /_mock/vault gives the phone's public key.
Request bodies are checked against the OpenAPI schema (extra members
refused); polls sooner than the interval are recorded violations.
Needs python3-cryptography (AES-GCM) besides python3-nacl.
"""

import base64
import json
import secrets
import threading
import time
import uuid

import nacl.bindings
import nacl.public
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VAULT_DEFAULTS = {
    "secret": "s3cret", "field": None, "outcome": "approve",
    "pending_polls": 0, "interval": None, "fault": None, "poll_5xx": 0,
    "hang_ms": 60000,
}
VAULT_OUTCOMES = ("approve", "deny", "expire", "never")
VAULT_FAULTS = ("consumed_null", "bad_tag", "wrong_key", "truncated",
                "non_utf8", "nul", "hang", "request_5xx")
ACCESS_KEYS = {"itemName": 128, "fieldPath": 64, "purpose": 512,
               "ephemeralPublicKey": 256}
POLL_GAP = 3.0          # BKey's clients; a spec's interval overrides
TOLERANCE = 0.05


class Vault:
    def __init__(self):
        self.lock = threading.RLock()
        self.reset()

    def reset(self):
        with self.lock:
            self.phone = nacl.public.PrivateKey.generate()
            self.impostor = nacl.public.PrivateKey.generate()
            self.items = {}
            self.access = {}

    def set_item(self, name, spec):
        s = dict(VAULT_DEFAULTS)
        for k, v in (spec or {}).items():
            if k not in VAULT_DEFAULTS:
                raise ValueError("unknown vault key %r" % k)
            s[k] = v
        if s["outcome"] not in VAULT_OUTCOMES:
            raise ValueError("bad vault outcome %r" % s["outcome"])
        if s["fault"] is not None and s["fault"] not in VAULT_FAULTS:
            raise ValueError("bad vault fault %r" % s["fault"])
        with self.lock:
            self.items[name] = s

    def info(self):
        with self.lock:
            return {"phone_public_key": base64.b64encode(
                bytes(self.phone.public_key)).decode(),
                "items": self.items}

    def seal(self, spec, client_pk):
        """The phone's answer for spec's secret, with its faults."""
        phone = self.impostor if spec["fault"] == "wrong_key" else self.phone
        shared = nacl.bindings.crypto_scalarmult(bytes(phone), client_pk)
        key = __import__("hashlib").sha256(shared).digest()
        plain = spec["secret"].encode()
        if spec["fault"] == "non_utf8":
            plain = b"\xff\xfe" + plain
        elif spec["fault"] == "nul":
            plain = plain + b"\x00tail"
        iv = secrets.token_bytes(12)
        ct = AESGCM(key).encrypt(iv, plain, None)
        body, tag = ct[:-16], ct[-16:]
        if spec["fault"] == "bad_tag":
            tag = bytes([tag[0] ^ 1]) + tag[1:]
        blob = bytes(phone.public_key) + iv + tag + body
        if spec["fault"] == "truncated":
            blob = blob[:50]
        return base64.b64encode(blob).decode()


def check_access_body(obj):
    """The OpenAPI schema of POST /v1/vault/access; a reason, or None."""
    extra = set(obj) - set(ACCESS_KEYS) - {"expiresInSecs"}
    if extra:
        return "unknown members %s" % sorted(extra)
    for k, mx in ACCESS_KEYS.items():
        v = obj.get(k)
        if not isinstance(v, str) or not 1 <= len(v) <= mx:
            return "%s must be a string of 1..%d characters" % (k, mx)
    e = obj.get("expiresInSecs", 120)
    if type(e) is not int or not 30 <= e <= 600:
        return "expiresInSecs must be an integer 30..600"
    try:
        pk = base64.b64decode(obj["ephemeralPublicKey"], validate=True)
    except ValueError:
        return "ephemeralPublicKey is not standard base64"
    if len(pk) != 32:
        return "ephemeralPublicKey is not 32 bytes"
    return None


def vault_error(h, status, code, message):
    h.send_json(status, {"success": False,
                         "error": {"code": code, "message": message}})


def access_post(h, Reject):
    st = h.server.state
    v = st.vault
    h.bearer_client()
    obj = h.parse_json()
    why = check_access_body(obj)
    if why is not None:
        raise Reject(400, "invalid_request", "vault access: " + why)
    with v.lock:
        spec = v.items.get(obj["itemName"])
        if spec is not None and spec["fault"] == "request_5xx":
            return vault_error(h, 503, "unavailable", "try later")
        if spec is None or (spec["field"] or obj["fieldPath"]) != \
                obj["fieldPath"]:
            return vault_error(h, 404, "not_found", "no such item")
        rid = str(uuid.uuid4())
        now = time.time()
        exp = now + obj.get("expiresInSecs", 120)
        v.access[rid] = {"spec": dict(spec), "body": obj, "polls": 0,
                         "last": time.monotonic(), "consumed": False,
                         "exp": exp,
                         "client_pk": base64.b64decode(
                             obj["ephemeralPublicKey"])}
    iso = lambda t: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
    resp = {"id": rid, "status": "pending",
            "challengeHex": secrets.token_hex(32),
            "ephemeralPublicKey": obj["ephemeralPublicKey"],
            "expiresAt": iso(exp), "createdAt": iso(now)}
    if spec["interval"] is not None:
        resp["interval"] = spec["interval"]
    h.demo("\n  [phone] vault: release %s:%s?  \"%s\"  -> %s" % (
        obj["itemName"], obj["fieldPath"], obj["purpose"], spec["outcome"]))
    h.send_json(200, resp)


def poll_status(a):
    spec = a["spec"]
    if a["consumed"]:
        return "consumed", None
    if a["polls"] <= spec["pending_polls"] or spec["outcome"] == "never":
        return "pending", None
    if spec["outcome"] == "deny":
        return "denied", None
    if spec["outcome"] == "expire":
        return "expired", None
    a["consumed"] = True
    return "consumed", "sealed"


def access_get(h, rid):
    st = h.server.state
    v = st.vault
    h.bearer_client()
    with v.lock:
        a = v.access.get(rid)
        if a is None:
            return vault_error(h, 404, "not_found", "no such request")
        now = time.monotonic()
        gap = a["spec"]["interval"]
        gap = POLL_GAP if gap is None else float(gap)
        if now - a["last"] < gap - TOLERANCE:
            h.violation("vault poll %.3f s after the last, interval %g s"
                        % (now - a["last"], gap))
        a["last"] = now
        a["polls"] += 1
        spec = a["spec"]
        if spec["poll_5xx"] > 0:
            spec["poll_5xx"] -= 1
            return vault_error(h, 503, "unavailable", "try later")
        if spec["fault"] == "hang":
            hang = True
        else:
            hang = False
            status, ct = poll_status(a)
            if ct is not None:
                ct = None if spec["fault"] == "consumed_null" else \
                    v.seal(spec, a["client_pk"])
    if hang:
        return h.hang({"hang_ms": spec["hang_ms"]})
    h.send_json(200, {"id": rid, "status": status, "e2eeCiphertext": ct,
                      "expiresAt": time.strftime(
                          "%Y-%m-%dT%H:%M:%SZ", time.gmtime(a["exp"]))})


def control(h, body):
    v = h.server.state.vault
    if h.command == "POST":
        v.set_item(body["item"], body.get("spec") or {})
    return h.send_json(200, v.info())
