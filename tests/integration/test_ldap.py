# SPDX-License-Identifier: ISC
"""
The user->DID map in a directory (users_ldap_* in bkey.conf): bkey-approve
against a real slapd the harness starts on loopback (tests/ldapdir.py) and
the mock BKey server, and pam_bkey.so under pam_wrapper sending the user
name instead of a DID. A directory error is an error, never "not enrolled".
"""

import json
import os

from harness import fake_helper, free_port
from ldapdir import ADMIN_DN, ADMIN_PW, BASE
import test_pam as tp


def ldap_conf(h, uri=None, **kw):
    """A config mapping users through slapd; the users file does not
    exist (the helper must not need it)."""
    s = h.slapd()
    kw.setdefault("users_file", os.path.join(h.tmp, "no-such-users-file"))
    kw.setdefault("users_ldap_base", BASE)
    kw.setdefault("users_ldap_attr", "description")
    kw.setdefault("users_ldap_timeout", "3")
    return h.config(users_ldap_uri=uri or s.uri, **kw)


def ask(h, conf, user, *extra):
    return h.cli(["--config", conf, "--json", "--user", user] + list(extra))


def dir_error(h, p, what, asked=0):
    """A directory error: exit 78, reason config, never unknown_user, and
    the phone was not asked (beyond the asked requests made before)."""
    ev = h.assert_error(p, 78, "config")
    assert "unknown_user" not in ev, ev
    assert ev["detail"].startswith("users_ldap_") and what in ev["detail"], \
        (what, ev)
    assert len(h.mock.initiates()) == asked, "the phone was asked: %r" % ev
    return ev


# ---- bkey-approve --user -------------------------------------------------------
def test_ldap_found(h):
    p = ask(h, ldap_conf(h), "alice")
    h.assert_final(p, 0, "approved", sub="did:bkey:alice",
                   did="did:bkey:alice")
    ev = h.events(p.stdout)
    assert ev[0]["event"] == "pending" and ev[0]["did"] == "did:bkey:alice", ev
    hints = [r["json"] or r["form"] for r in h.mock.initiates()]
    assert [x["login_hint"] for x in hints] == ["did:bkey:alice"], hints


def test_ldap_not_found(h):
    p = ask(h, ldap_conf(h), "nosuchuser")
    ev = h.assert_error(p, 78, "config")
    assert ev.get("unknown_user") == 1, ev
    assert "no DID" in ev["detail"], ev
    assert not h.mock.initiates()


def test_ldap_two_entries_is_an_error(h):
    dir_error(h, ask(h, ldap_conf(h), "twice"),
              "2 entries for user 'twice'")


def test_ldap_two_dids_or_none_is_an_error(h):
    conf = ldap_conf(h)
    dir_error(h, ask(h, conf, "twodid"), "must have one description")
    dir_error(h, ask(h, conf, "nodid"), "must have one description")
    dir_error(h, ask(h, conf, "baddid"), "not a valid DID")


def test_ldap_filter_injection(h):
    conf = ldap_conf(h)
    # Refused before any directory search: not a user name at all.
    for user in ("*", ")(uid=*", "alice)(uid=*", "a*", "\\2a"):
        p = ask(h, conf, user)
        h.assert_exit(p, 64)
        assert not h.mock.initiates()
        p = h.cli(["--config", conf, "--request-stdin"],
                  stdin=json.dumps({"user": user}))
        h.assert_error(p, 64, "usage")
    # A filter with more around %u still gets an escaped, exact match.
    conf = ldap_conf(h, users_ldap_filter="(&(objectClass=inetOrgPerson)"
                     "(uid=%u))")
    h.assert_final(ask(h, conf, "bob"), 0, "approved", sub="did:bkey:bob")


def test_ldap_server_down_is_an_error(h):
    conf = ldap_conf(h, uri="ldap://127.0.0.1:%d" % free_port())
    dir_error(h, ask(h, conf, "alice"), "users_ldap_uri")


def test_ldap_ldaps_verified(h):
    s = h.slapd()
    ca = h.tls_files()[0]
    conf = ldap_conf(h, uri=s.tls_uri, cafile=ca)
    h.assert_final(ask(h, conf, "alice"), 0, "approved", sub="did:bkey:alice")
    # Without the throwaway CA the server is not trusted.
    conf = ldap_conf(h, uri=s.tls_uri, cafile=None)
    dir_error(h, ask(h, conf, "alice"), "users_ldap_uri", asked=1)


def test_ldap_starttls_required_off_loopback(h):
    s = h.slapd()
    if s.outside_uri is None:
        raise h.Skip("no non-loopback address on this host")
    # ldap:// to a host that is not loopback: StartTLS, verified; this
    # server's certificate names 127.0.0.1 only, so no plain search.
    conf = ldap_conf(h, uri=s.outside_uri, cafile=h.tls_files()[0])
    dir_error(h, ask(h, conf, "alice"), "StartTLS")


def test_ldap_bind(h):
    pw = os.path.join(h.tmp, "bindpw")
    with open(pw, "w") as f:
        f.write(ADMIN_PW + "\n")
    os.chmod(pw, 0o600)
    conf = ldap_conf(h, users_ldap_binddn=ADMIN_DN, users_ldap_bindpw_file=pw)
    h.assert_final(ask(h, conf, "alice"), 0, "approved", sub="did:bkey:alice")
    with open(pw, "w") as f:
        f.write("wrong\n")
    p = ask(h, conf, "alice")
    dir_error(h, p, "bind failed", asked=1)
    assert ADMIN_PW not in p.stdout + p.stderr
    # Same file checks as client_secret_file.
    os.chmod(pw, 0o644)
    p = ask(h, conf, "alice")
    h.assert_error(p, 78, "config")
    assert pw in h.final_event(p)["detail"], h.final_event(p)


def test_ldap_config_errors(h):
    bad = [
        dict(uri="ldap://192.0.2.1:389/dc=x??sub?(uid=*)"),
        dict(uri="ldapi:///var/run/slapd/ldapi"),
        dict(uri="http://127.0.0.1/"),
        dict(uri="ldaps://user@127.0.0.1/"),
        dict(users_ldap_filter="uid=%u"),
        dict(users_ldap_filter="(cn=*)"),
        dict(users_ldap_filter="(|(uid=%u)(mail=%s))"),
        dict(users_ldap_attr="desc ription"),
        dict(users_ldap_base=None),
        dict(users_ldap_binddn=ADMIN_DN),
        dict(users_ldap_timeout="0"),
    ]
    for kw in bad:
        conf = ldap_conf(h, **kw)
        p = ask(h, conf, "alice")
        ev = h.assert_error(p, 78, "config")
        assert conf + ":" in ev["detail"], (kw, ev)
    # users_ldap_* without the URI is a mistake, not silently ignored.
    conf = h.config(users_ldap_base=BASE)
    ev = h.assert_error(ask(h, conf, "alice"), 78, "config")
    assert "needs users_ldap_uri" in ev["detail"], ev


# ---- pam_bkey: the module sends the user, checks the DID the helper asked ---
def test_ldap_pam_found(h):
    conf = ldap_conf(h)
    c = tp.cue_run(h, tp.service(h, conf=conf), opts=["-e"])
    assert c.result == "PAM_SUCCESS", tp.tail(c.p)
    assert c.env["BKEY_APPROVED_BY"] == "did:bkey:alice", c.env
    assert tp.decision(c.p)[1]["outcome"] == "approved"


def test_ldap_pam_sends_the_user(h):
    helper, d = fake_helper(h, [
        tp.PENDING[:-1] + ',"did":"did:bkey:alice"}',
        tp.approved()[:-1] + ',"did":"did:bkey:alice"}'])
    c = tp.cue_run(h, tp.service(h, conf=ldap_conf(h), helper=helper),
                   opts=["-e"])
    assert c.result == "PAM_SUCCESS", tp.tail(c.p)
    with open(os.path.join(d, "request")) as f:
        req = json.load(f)
    assert req["user"] == "alice" and "did" not in req, req


def test_ldap_pam_checks_the_reported_did(h):
    conf = ldap_conf(h)
    for lines in (
            # approved for another DID than the one the helper asked
            [tp.approved("did:bkey:bob")[:-1] + ',"did":"did:bkey:alice"}'],
            # no DID reported at all
            [tp.approved()],
            # a DID that is no DID
            [tp.approved("x")[:-1] + ',"did":"x"}']):
        helper, _ = fake_helper(h, [tp.PENDING] + lines)
        c = tp.cue_run(h, tp.service(h, conf=conf, helper=helper),
                       opts=["-e"])
        assert c.result == "PAM_AUTH_ERR" and not c.env, (lines, tp.tail(c.p))


def test_ldap_pam_not_found(h):
    conf = ldap_conf(h)
    p = tp.pamtester(h, tp.service(h, conf=conf), user="nosuchuser")
    tp.assert_pamtester(p, "PAM_USER_UNKNOWN")
    assert tp.decision(p)[1]["outcome"] == "unknown_user", tp.tail(p)
    svc = tp.service(h, "nouserok", conf=conf, stack=[tp.permit_line()])
    p = tp.pamtester(h, svc, user="nosuchuser")
    tp.assert_pamtester(p, "PAM_SUCCESS")
    assert tp.decision(p)[1]["outcome"] == "ignored", tp.tail(p)
    assert not h.mock.initiates()


def test_ldap_pam_directory_error_is_not_nouserok(h):
    for user, uri in (("twice", None),
                      ("alice", "ldap://127.0.0.1:%d" % free_port())):
        conf = ldap_conf(h, uri=uri)
        svc = tp.service(h, "nouserok failmode=safe", conf=conf,
                         stack=[tp.permit_line()])
        p = tp.pamtester(h, svc, user=user)
        assert p.returncode != 0, (user, tp.tail(p))
        assert tp.decision(p)[1]["outcome"] == "config", tp.tail(p)


# ---- the sudo plugin: the same, through the dlopen driver -------------------
def test_ldap_sudo_found(h):
    import test_sudo as ts
    r = ts.drive(h, [ts.PSQL], conf=ldap_conf(h), opts=["debug"])
    assert r.checks == [1], str(r)
    assert [x["login_hint"] for x in ts.initiates(h)] == ["did:bkey:alice"]
    # The log line names the DID the helper asked.
    assert "outcome=approved" in r.out and \
        "approver=did:bkey:alice " in r.out, str(r)
    # A denial too: the DID came with the pending event.
    h.mock.set("did:bkey:alice", outcome="deny", interval=0)
    r = ts.drive(h, [ts.PSQL], conf=ldap_conf(h), opts=["debug"])
    assert r.checks == [0], str(r)
    assert "outcome=denied" in r.out and \
        "approver=did:bkey:alice " in r.out, str(r)


def test_ldap_sudo_not_found_and_errors(h):
    import test_sudo as ts
    r = ts.drive(h, [ts.PSQL], conf=ldap_conf(h), uinfo=["user=mallory"])
    assert r.checks == [0], str(r)
    assert r.errstrs[1] == "no BKey identity for the approver", str(r)
    # Two entries, or the directory down: an error, not "not enrolled".
    for user, uri in (("twice", None),
                      ("alice", "ldap://127.0.0.1:%d" % free_port())):
        r = ts.drive(h, [ts.PSQL], conf=ldap_conf(h, uri=uri),
                     uinfo=["user=" + user], opts=["failmode=safe"])
        assert r.checks == [-1], (user, str(r))
        assert r.errstrs[1] != "no BKey identity for the approver", str(r)
    assert ts.initiates(h) == []


# ---- bkey-admin list reads the directory -------------------------------------
def test_ldap_admin_list(h):
    from test_admin import admin
    conf = ldap_conf(h, users_ldap_base="ou=staff," + BASE)
    p = admin(h, ["list", "--config", conf])
    assert p.returncode == 0, p.stderr
    assert p.stdout == "twice did:bkey:twice2\n", p.stdout
    p = admin(h, ["list", "--config", conf, "--json"])
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == [
        {"user": "twice", "did": "did:bkey:twice2"}], p.stdout
    # Nobody enrolled under a base: an empty list, not an error.
    conf = ldap_conf(h, users_ldap_base="ou=people," + BASE,
                     users_ldap_attr="title")
    p = admin(h, ["list", "--config", conf, "--json"])
    assert p.returncode == 0 and json.loads(p.stdout) == [], p.stdout


def test_ldap_admin_list_problems(h):
    from test_admin import admin
    p = admin(h, ["list", "--config", ldap_conf(h)])
    assert p.returncode == 78 and p.stdout == "", (p.stdout, p.stderr)
    for what in ("twice: more than one entry",
                 "uid=twodid,ou=people,%s: not one valid DID" % BASE,
                 "uid=baddid,ou=people,%s: not one valid DID" % BASE):
        assert what in p.stderr, (what, p.stderr)
    for name in ("alice", "bob", "nodid"):
        assert name + ":" not in p.stderr, p.stderr
    conf = ldap_conf(h, uri="ldap://127.0.0.1:%d" % free_port())
    p = admin(h, ["list", "--config", conf])
    assert p.returncode == 78 and "users_ldap_uri" in p.stderr, p.stderr


def test_ldap_reads_no_ldaprc(h):
    # libldap would read /etc/ldap/ldap.conf, ~/.ldaprc and ./ldaprc (the
    # caller's working directory): only bkey.conf may decide whom TLS
    # trusts and what the search does. Proof: the files are never opened.
    import shutil
    import subprocess
    strace = shutil.which("strace")
    if strace is None:
        raise h.Skip("strace not installed (scripts/install-deps.sh)")
    cwd = os.path.join(h.tmp, "cwd")
    os.mkdir(cwd)
    for name in ("ldaprc", ".ldaprc"):
        with open(os.path.join(cwd, name), "w") as f:
            f.write("TLS_REQCERT never\n")
    log = os.path.join(h.tmp, "strace.log")
    p = subprocess.run([strace, "-f", "-qq", "-e", "trace=open,openat",
                        "-o", log, h.cli_path, "--config", ldap_conf(h),
                        "--json", "--user", "alice"], cwd=cwd,
                       env=h.traced_env(),
                       capture_output=True, text=True,
                       timeout=30, stdin=subprocess.DEVNULL)
    h.assert_final(p, 0, "approved", sub="did:bkey:alice")
    import re
    with open(log) as f:
        paths = re.findall(r'open(?:at)?\((?:AT_FDCWD, )?"([^"]*)"', f.read())
    assert any(x.endswith("/bkey.conf") for x in paths), paths
    opened = [x for x in paths if os.path.basename(x) in
              ("ldaprc", ".ldaprc", "ldap.conf")]
    assert not opened, opened
