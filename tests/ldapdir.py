# SPDX-License-Identifier: ISC
"""A throwaway OpenLDAP server for the users_ldap_* tests: Debian's slapd
with a slapd.conf and an mdb data base in a temp dir, data loaded with
slapadd before it starts, listening on loopback only (ldap:// and ldaps://
with the harness's throwaway CA), plus an ldap:// listener on a
non-loopback address of this host when there is one (StartTLS tests)."""
import os
import socket
import subprocess

from harness import free_port, wait_listening

SLAPD = "/usr/sbin/slapd"
SLAPADD = "/usr/sbin/slapadd"
BASE = "dc=example,dc=test"
ADMIN_DN = "cn=admin," + BASE
ADMIN_PW = "adm1n-" + os.urandom(6).hex()

# uid -> list of (ou, [description values]): every directory case.
ENTRIES = {
    "alice": [("people", ["did:bkey:alice"])],
    "bob": [("people", ["did:bkey:bob"])],
    "twice": [("people", ["did:bkey:twice1"]), ("staff", ["did:bkey:twice2"])],
    "twodid": [("people", ["did:bkey:one", "did:bkey:two"])],
    "nodid": [("people", [])],
    "baddid": [("people", ["not a did"])],
}


class Skip(Exception):
    pass


def outside_address():
    """A non-loopback IPv4 address of this host, or None."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect(("192.0.2.1", 9))	# no packet is sent
        a = s.getsockname()[0]
    except OSError:
        return None
    finally:
        s.close()
    return None if a.startswith("127.") else a


def _ldif():
    out = ["dn: %s\nobjectClass: dcObject\nobjectClass: organization\n"
           "o: test\ndc: example\n" % BASE]
    for ou in ("people", "staff"):
        out.append("dn: ou=%s,%s\nobjectClass: organizationalUnit\n"
                   "ou: %s\n" % (ou, BASE, ou))
    for uid, rows in ENTRIES.items():
        for ou, dids in rows:
            out.append("dn: uid=%s,ou=%s,%s\nobjectClass: inetOrgPerson\n"
                       "uid: %s\ncn: %s\nsn: %s\n" % (uid, ou, BASE, uid,
                                                    uid, uid) +
                       "".join("description: %s\n" % d for d in dids))
    return "\n".join(out)


class Slapd:
    def __init__(self, rundir, tls):
        if not os.access(SLAPD, os.X_OK) or not os.access(SLAPADD, os.X_OK):
            raise Skip("slapd not installed (scripts/install-deps.sh)")
        self.dir = os.path.join(rundir, "slapd")
        os.makedirs(os.path.join(self.dir, "db"), exist_ok=True)
        self.ca, cert, key = tls
        self.port, self.tls_port = free_port(), free_port()
        self.outside = outside_address()
        self.outside_port = free_port()
        self.uri = "ldap://127.0.0.1:%d" % self.port
        self.tls_uri = "ldaps://127.0.0.1:%d" % self.tls_port
        self.outside_uri = ("ldap://%s:%d" % (self.outside, self.outside_port)
                            if self.outside else None)
        self.log = os.path.join(self.dir, "slapd.log")
        self.conf = os.path.join(self.dir, "slapd.conf")
        self._write_conf(cert, key)
        self._load()
        self._start()

    def _write_conf(self, cert, key):
        with open(self.conf, "w") as f:
            f.write("include /etc/ldap/schema/core.schema\n"
                    "include /etc/ldap/schema/cosine.schema\n"
                    "include /etc/ldap/schema/inetorgperson.schema\n"
                    "modulepath /usr/lib/ldap\nmoduleload back_mdb\n"
                    "pidfile %s/slapd.pid\n"
                    "TLSCACertificateFile %s\nTLSCertificateFile %s\n"
                    "TLSCertificateKeyFile %s\n"
                    "database mdb\nmaxsize 10485760\nsuffix \"%s\"\n"
                    "rootdn \"%s\"\nrootpw %s\ndirectory %s/db\n"
                    "index uid eq\n" % (self.dir, self.ca, cert, key, BASE,
                                        ADMIN_DN, ADMIN_PW, self.dir))

    def _load(self):
        p = subprocess.run([SLAPADD, "-f", self.conf, "-q"], input=_ldif(),
                           capture_output=True, text=True, timeout=30)
        if p.returncode:
            raise RuntimeError("slapadd: " + p.stderr)

    def _start(self):
        urls = [self.uri + "/", "ldaps://127.0.0.1:%d/" % self.tls_port]
        if self.outside_uri:
            urls.append(self.outside_uri + "/")
        with open(self.log, "w") as log:
            self.proc = subprocess.Popen(
                [SLAPD, "-f", self.conf, "-h", " ".join(urls), "-d", "0"],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_listening(self.proc, self.port, "slapd",
                       lambda: "see " + self.log)

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        # A throwaway data base: nothing to flush, no reason to wait.
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
