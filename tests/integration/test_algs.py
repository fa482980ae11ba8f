# SPDX-License-Identifier: ISC
"""
Issue 13: tokens signed with ES256, ES384, RS256 and PS256 behind the
token_algs allow-list, against the mock signing with each (behaviour
"alg"). Each verifies when listed and is refused (exit 4) when not; every
algorithm/key confusion is refused with exit 4; EdDSA alone (the default)
behaves as before.
"""

from harness import Skip, assert_error, assert_final, \
    assert_no_violations, describe, events

DID = "did:bkey:alice"
OTHERS = ("ES256", "ES384", "RS256", "PS256")
ALL = "EdDSA ES256 ES384 RS256 PS256"


def approve(h, cfg):
    return h.cli(["--config", cfg, "--json", "--did", DID, "--message",
                  "Test action"], timeout=20)


def have_cryptography():
    try:
        import cryptography  # noqa: F401  (the mock signs with it)
    except ImportError:
        return False
    return True


def need_cryptography():
    if not have_cryptography():
        raise Skip("python3-cryptography is not installed "
                   "(scripts/install-deps.sh)")


def refused_token(h, p):
    """Exit 4, reason token, and no approved event."""
    assert not any(e["event"] == "approved" for e in events(p.stdout)), \
        describe(p)
    ev = assert_error(p, 4, "token")
    assert_no_violations(h.mock)
    return ev


def test_each_alg_verifies_when_listed(h):
    need_cryptography()
    for alg in OTHERS:
        h.mock.set(DID, alg=alg)
        p = approve(h, h.config(token_algs=alg))
        assert_final(p, 0, "approved", sub=DID)
        p = approve(h, h.config(token_algs=ALL))
        assert_final(p, 0, "approved", sub=DID)


def test_each_alg_refused_when_not_listed(h):
    need_cryptography()
    for alg in OTHERS:
        h.mock.set(DID, alg=alg)
        # The default, EdDSA alone: refused as any non-EdDSA token was.
        refused_token(h, approve(h, h.config()))
        rest = " ".join(a for a in ALL.split() if a != alg)
        ev = refused_token(h, approve(h, h.config(token_algs=rest)))
        assert "not in token_algs" in ev["detail"], ev


def test_eddsa_default_unchanged(h):
    """EdDSA alone, as before: approved, and an EdDSA token is refused by
    a list without EdDSA."""
    p = approve(h, h.config())
    assert_final(p, 0, "approved", sub=DID)
    if not have_cryptography():
        return
    # id_token_alg publishes an RSA key beside the Ed25519 one.
    h.mock.set(DID, id_token_alg="RS256")
    ev = refused_token(h, approve(h, h.config(token_algs="RS256 ES256")))
    assert "not in token_algs" in ev["detail"], ev


def _confusion(h, alg, bad, detail):
    h.mock.set(DID, alg=alg, bad_token=bad)
    ev = refused_token(h, approve(h, h.config(token_algs=ALL)))
    assert detail in ev["detail"], (alg, bad, ev)


def test_bad_signature_each_alg(h):
    need_cryptography()
    for alg in ("EdDSA",) + OTHERS:
        _confusion(h, alg, "bad_sig", "token signature invalid")
        _confusion(h, alg, "wrong_key", "token signature invalid")
        _confusion(h, alg, "unknown_kid", "does not publish")


def test_header_alg_not_the_keys(h):
    need_cryptography()
    for alg in ("EdDSA",) + OTHERS:
        _confusion(h, alg, "alg_mismatch",
                   "token algorithm does not match the key")


def test_weak_or_broken_keys_not_used(h):
    """An RSA key of 1024 bits and an EC point off the curve are skipped:
    the token is signed by a key the issuer does not (usably) publish."""
    need_cryptography()
    for bad in ("rsa_1024", "ec_off_curve"):
        _confusion(h, "RS256", bad, "does not publish")


def test_ecdsa_der_signature_refused(h):
    need_cryptography()
    for alg in ("ES256", "ES384"):
        _confusion(h, alg, "ecdsa_der", "token signature invalid")


def test_hs256_with_rsa_public_key_refused(h):
    """The classic confusion: HS256 keyed with the RSA public key."""
    need_cryptography()
    _confusion(h, "RS256", "hs256_rsa_pub", "not in token_algs")
    h.mock.set(DID, alg="RS256", bad_token="hs256_rsa_pub")
    refused_token(h, approve(h, h.config()))


def test_id_token_uses_the_allow_list(h):
    """ciba: the id_token's alg may differ from the access token's; both
    must be listed."""
    need_cryptography()
    h.mock.config(dialect="ciba")
    h.mock.set(DID, alg="ES256", id_token_alg="RS256")
    p = approve(h, h.config(token_algs="ES256 RS256"))
    assert_final(p, 0, "approved", sub=DID)
    ev = refused_token(h, approve(h, h.config(token_algs="ES256")))
    assert "id_token" in ev["detail"], ev
    h.mock.set(DID, alg="RS256", id_token_alg="PS256")
    ev = refused_token(h, approve(h, h.config(token_algs="PS256")))
    assert "access token" in ev["detail"], ev


def test_token_algs_config_errors(h):
    never = "none and HS* are never accepted"
    for v, why in (("none", never), ("HS256", never), ("EdDSA hs384", never),
                   ("RS512", "unknown algorithm"), ("", "empty value")):
        p = approve(h, h.config(token_algs=v))
        assert p.returncode == 78, (v, describe(p))
        assert why in p.stdout and "token_algs" in p.stdout, (v, describe(p))
    p = approve(h, h.config(token_algs="EdDSA ES256"))
    assert_final(p, 0, "approved", sub=DID)

def _self_test_jwks(h, cfg):
    """bkey-admin self-test's jwks step (a dict: result, detail)."""
    import json
    import os
    import subprocess
    path = os.path.join(h.build, "bkey-admin")
    if not os.path.exists(path):
        raise Skip("%s not built" % path)
    p = subprocess.run(h.cli_wrapper + [path, "self-test", "--config", cfg,
                                        "--json"],
                       capture_output=True, timeout=20, env=h.cli_env(None),
                       encoding="utf-8")
    out = [json.loads(line) for line in p.stdout.splitlines()]
    s = [x for x in out if x.get("step") == "jwks"]
    assert len(s) == 1, (p.returncode, p.stdout, p.stderr)
    return s[0]


def test_self_test_reports_offered_algs(h):
    """self-test names the algorithms the JWKS offers, and warns when none
    of them is in token_algs."""
    need_cryptography()
    s = _self_test_jwks(h, h.config())
    assert s["result"] == "ok" and "1 usable Ed25519 key" in s["detail"], s
    h.mock.set(DID, alg="RS256", id_token_alg="ES256")   # published
    s = _self_test_jwks(h, h.config())
    assert s["result"] == "ok", s
    # The mock's RSA key names its alg (RS256): PS256 is not offered.
    assert "3 usable keys for EdDSA ES256 RS256; token_algs EdDSA" \
        in s["detail"], s
    s = _self_test_jwks(h, h.config(token_algs="ES384 RS256"))
    assert s["result"] == "ok", s
    s = _self_test_jwks(h, h.config(token_algs="ES384 PS256"))
    assert s["result"] == "warn", s
    assert "token_algs ES384 PS256: none of them allowed" in s["detail"], s


def test_enroll_uses_the_allow_list(h):
    """bkey-admin enroll verifies the device grant's token with the same
    list."""
    import os
    import subprocess
    need_cryptography()
    path = os.path.join(h.build, "bkey-admin")
    if not os.path.exists(path):
        raise Skip("%s not built" % path)
    h.mock.config(device_did="did:bkey:phone")
    h.mock.set("did:bkey:phone", alg="RS256", interval=0)
    for algs, code in ((None, 4), ("ES256", 4), ("EdDSA RS256", 0)):
        cfg = h.config(token_algs=algs)
        p = subprocess.run(h.cli_wrapper + [path, "enroll", "dave",
                                            "--config", cfg],
                           capture_output=True, timeout=20,
                           env=h.cli_env(None), encoding="utf-8")
        assert p.returncode == code, (algs, p.returncode, p.stdout,
                                      p.stderr)
