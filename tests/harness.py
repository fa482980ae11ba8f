# SPDX-License-Identifier: ISC
"""
The test harness object `h` handed to every integration test (see HARNESS.md).
Debian's /usr/bin/python3, stdlib only (the mock process adds python3-nacl).
"""

import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MOCK = os.path.join(HERE, "mock", "mock_bkey.py")
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") \
    else sys.executable
NO_SUCH_USER = "bkey-test-nosuchuser"
CLIENT_ID = "pam-bkey-test"


class Skip(Exception):
    """raise h.Skip("why") to skip a test."""


class Mock:
    """A running mock_bkey.py process and its control endpoints."""

    def __init__(self, rundir, name, client_secret, cert=None, key=None,
                 ca_file=None, demo=False):
        self.dir = os.path.join(rundir, name)
        os.makedirs(self.dir, exist_ok=True)
        self.client_id = CLIENT_ID
        self.client_secret = client_secret
        self.ca_file = ca_file
        self.dialect = "bkey"
        self.log = os.path.join(self.dir, "mock.log")
        portf = os.path.join(self.dir, "port")
        cmd = [PYTHON, MOCK, "--port", "0", "--port-file", portf,
               "--client-id", self.client_id, "--exit-with-parent"]
        if cert:
            cmd += ["--cert", cert, "--key", key]
        if demo:
            cmd.append("--demo")
        env = dict(os.environ, MOCK_CLIENT_SECRET=client_secret)
        self._logf = open(self.log, "ab")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=self._logf, stderr=self._logf,
                                     env=env, start_new_session=True)
        deadline = time.monotonic() + 15
        while not os.path.exists(portf):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("mock did not start; see " + self.log)
            time.sleep(0.02)
        with open(portf) as f:
            self.port = int(f.read())
        scheme = "https" if cert else "http"
        self.url = "%s://127.0.0.1:%d" % (scheme, self.port)
        self._ctx = None
        if cert:
            self._ctx = ssl.create_default_context(cafile=ca_file)

    # ---- control endpoints -------------------------------------------------
    def _call(self, method, path, obj=None):
        data = None if obj is None else json.dumps(obj).encode()
        req = urllib.request.Request(self.url + path, data=data,
                                     method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        # No proxy: tests set https_proxy for the CLI, never for us.
        opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}),
            urllib.request.HTTPSHandler(context=self._ctx))
        try:
            with opener.open(req, timeout=10) as r:
                return json.loads(r.read().decode())
        except urllib.error.HTTPError as e:
            raise AssertionError("mock control %s %s: %s %s" % (
                method, path, e.code, e.read().decode(errors="replace")))

    def set(self, did, **behaviour):
        """Behaviour for one DID (replaces what was set before)."""
        self._call("POST", "/_mock/behaviour",
                   {"did": did, "behaviour": behaviour})

    def config(self, **settings):
        if "dialect" in settings:
            self.dialect = settings["dialect"]
        return self._call("POST", "/_mock/config", settings)

    def info(self):
        return self._call("GET", "/_mock/config")

    def requests(self, path=None):
        q = "?" + urllib.parse.urlencode({"path": path}) if path else ""
        return self._call("GET", "/_mock/requests" + q)

    def violations(self):
        return self._call("GET", "/_mock/violations")

    def initiates(self):
        """The recorded bc-authorize requests."""
        return self.requests("/oauth/bc-authorize")

    def initiate_bodies(self):
        """The bc-authorize bodies: the JSON object (bkey dialect) or the
        form (ciba dialect)."""
        return [r["json"] if r["json"] is not None else r["form"]
                for r in self.initiates()]

    def stats(self):
        """Connections and TLS handshakes since the mock started, and the
        answer_ms every answer waits (mock.config(answer_ms=N); reset: 0)."""
        return self._call("GET", "/_mock/stats")

    def reset(self):
        self.dialect = "bkey"
        self._call("POST", "/_mock/reset", {})

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(3)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._logf.close()


def make_tls(dirpath):
    """A throwaway CA and a server cert for 127.0.0.1 / localhost (SAN).
    Returns (ca_file, cert, key)."""
    os.makedirs(dirpath, exist_ok=True)
    ca_key = os.path.join(dirpath, "ca.key")
    ca = os.path.join(dirpath, "ca.pem")
    key = os.path.join(dirpath, "server.key")
    csr = os.path.join(dirpath, "server.csr")
    cert = os.path.join(dirpath, "server.pem")
    ext = os.path.join(dirpath, "server.ext")
    with open(ext, "w") as f:
        f.write("basicConstraints=critical,CA:FALSE\n"
                "keyUsage=critical,digitalSignature\n"
                "extendedKeyUsage=serverAuth\n"
                "subjectAltName=IP:127.0.0.1,DNS:localhost\n")

    def run(*cmd):
        p = subprocess.run(("openssl",) + cmd, capture_output=True,
                           text=True)
        if p.returncode:
            raise RuntimeError("openssl %s: %s" % (cmd[0], p.stderr))
    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
          "-nodes")
    run("req", "-x509", *ec, "-keyout", ca_key, "-out", ca, "-days", "2",
        "-subj", "/CN=pam_bkey throwaway test CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    run("req", *ec, "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1")
    run("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key,
        "-CAcreateserial", "-out", cert, "-days", "2", "-extfile", ext)
    os.chmod(key, 0o600)
    return ca, cert, key


class Harness:
    Skip = Skip

    def __init__(self, build, rundir, keep=False):
        self.build = os.path.abspath(build)
        self.root = ROOT
        self.rundir = rundir
        self.keep = keep
        self.tmp = None
        self.test_name = None
        self._mock = None
        self._mock_tls = None
        self._tls = None
        self._slapd = None
        self._procs = []
        self.client_secret = "s3cr3t-" + os.urandom(12).hex()
        self.cli_path = os.path.join(self.build, "bkey-approve")
        # e.g. BKEY_CLI_WRAPPER="valgrind -q --error-exitcode=99"
        self.cli_wrapper = os.environ.get("BKEY_CLI_WRAPPER", "").split()

    # ---- per-test lifecycle (run.py calls these) ---------------------------
    def begin(self, name):
        self.test_name = name
        safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)
        self.tmp = tempfile.mkdtemp(prefix=safe[:60] + ".", dir=self.rundir)
        os.chmod(self.tmp, 0o755)
        for m in (self._mock, self._mock_tls):
            if m is not None:
                if not m.alive():
                    raise RuntimeError("mock died; see " + m.log)
                m.reset()

    def end(self):
        for p in self._procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    p.kill()
                p.wait()
        self._procs = []
        if not self.keep and self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def close(self):
        for m in (self._mock, self._mock_tls, self._slapd):
            if m is not None:
                m.stop()
        self._mock = self._mock_tls = self._slapd = None

    def slapd(self):
        """A real slapd on loopback (tests/ldapdir.py), started on first
        use with the directory cases loaded; skips if slapd is missing."""
        if self._slapd is None:
            sys.path.insert(0, HERE)
            import ldapdir
            try:
                self._slapd = ldapdir.Slapd(self.rundir, self.tls_files())
            except ldapdir.Skip as e:
                raise Skip(str(e))
        if not self._slapd.alive():
            raise RuntimeError("slapd died; see " + self._slapd.log)
        return self._slapd

    # ---- the mock ----------------------------------------------------------
    @property
    def mock(self):
        if self._mock is None:
            self._mock = Mock(self.rundir, "mock-http", self.client_secret)
        return self._mock

    def mock_tls(self):
        if self._mock_tls is None:
            ca, cert, key = self.tls_files()
            self._mock_tls = Mock(self.rundir, "mock-https",
                                  self.client_secret, cert=cert, key=key,
                                  ca_file=ca)
        return self._mock_tls

    def tls_files(self):
        if self._tls is None:
            self._tls = make_tls(os.path.join(self.rundir, "tls"))
        return self._tls

    # ---- configuration -----------------------------------------------------
    def config(self, mock=None, users=None, extra_lines=(), secret_file=False,
               **overrides):
        """Write bkey.conf (0600), users (0644) and a state dir (0700) into a
        fresh dir under h.tmp, all owned by root (or the current user).
        overrides: any config key; value None omits the key.
        secret_file=True: the secret goes in client_secret_file (0600).
        users: dict name -> DID added to (or replacing) alice and bob."""
        m = mock or self.mock
        d = tempfile.mkdtemp(prefix="conf.", dir=self.tmp)
        os.chmod(d, 0o755)
        uid = os.getuid()
        gid = 0 if uid == 0 else os.getgid()
        umap = {"alice": "did:bkey:alice", "bob": "did:bkey:bob"}
        umap.update(users or {})
        users_path = os.path.join(d, "users")
        self._write(users_path, "# test users\n" + "".join(
            "%s %s\n" % (k, v) for k, v in umap.items() if v is not None),
            0o644, uid, gid)
        state = os.path.join(d, "state")
        os.mkdir(state, 0o700)
        os.chown(state, uid, gid)
        conf = {
            "api_url": m.url,
            "client_id": m.client_id,
            "client_secret": m.client_secret,
            "dialect": m.dialect,
            "users_file": users_path,
            "state_dir": state,
            # Empty: the helper runs as the caller; tests that want the
            # root-side monitor and a real drop set run_as themselves.
            "run_as": "",
            "connect_timeout": "3",
            # Tests approve one user many times: push_limit (default 5
            # per 600 s) only where a test sets it (None: the default).
            "push_limit": "0/600",
        }
        if m.ca_file:
            conf["cafile"] = m.ca_file
        if secret_file:
            sp = os.path.join(d, "client_secret")
            self._write(sp, m.client_secret + "\n", 0o600, uid, gid)
            conf.pop("client_secret")
            conf["client_secret_file"] = sp
        conf.update(overrides)
        lines = ["# written by tests/harness.py for %s" % self.test_name]
        lines += [("%s = %s" % (k, v)).rstrip() for k, v in conf.items()
                  if v is not None]
        lines += list(extra_lines)
        path = os.path.join(d, "bkey.conf")
        self._write(path, "\n".join(lines) + "\n", 0o600, uid, gid)
        return path

    def nobody_config(self, **overrides):
        """A config with run_as = nobody (a real drop, so the root-side
        monitor runs) and the installed layout: state_dir root's, the
        network side's files in state_dir/helper, which the helper hands
        to nobody itself. (pwd entry, path). Skips when not root or there
        is no nobody."""
        import pwd
        if os.getuid() != 0:
            raise Skip("needs root (a privilege drop)")
        try:
            pw = pwd.getpwnam("nobody")
        except KeyError:
            raise Skip("no 'nobody' user")
        overrides.setdefault("run_as", "nobody")
        return pw, self.config(**overrides)

    @staticmethod
    def _write(path, text, mode, uid, gid):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        os.chown(path, uid, gid)

    # ---- running bkey-approve ----------------------------------------------
    def cli_env(self, env=None):
        base = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
                "HOME": self.tmp or "/nonexistent"}
        # Under SANITIZE=1 a sanitizer report must not pass for an exit
        # status a test expects (ASan's default 1 is "denied").
        base["ASAN_OPTIONS"] = "exitcode=86:detect_leaks=1"
        base["UBSAN_OPTIONS"] = "halt_on_error=1:exitcode=86:print_stacktrace=1"
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k in os.environ:
                base[k] = os.environ[k]
        base.update(env or {})
        return base

    def traced_env(self, env=None):
        """cli_env for a program run under strace: LeakSanitizer cannot
        work under ptrace, so leak checking is off (the rest of ASan and
        UBSan stays on)."""
        e = self.cli_env(env)
        e["ASAN_OPTIONS"] += ":detect_leaks=0"
        return e

    def cli_argv(self, args):
        if not os.path.exists(self.cli_path):
            raise Skip("%s not built" % self.cli_path)
        return self.cli_wrapper + [self.cli_path] + [str(a) for a in args]

    def cli(self, args, stdin=None, timeout=20, env=None):
        """Run bkey-approve to completion (CompletedProcess, text mode).
        A sanitizer or valgrind report on stderr fails the test."""
        p = subprocess.run(self.cli_argv(args), input=stdin,
                           capture_output=True, timeout=timeout,
                           env=self.cli_env(env), encoding="utf-8",
                           errors="replace",
                           stdin=None if stdin is not None
                           else subprocess.DEVNULL)
        check_sanitizer(p.stderr)
        return p

    def cli_start(self, args, env=None, stdin_data=None):
        """Start bkey-approve in the background (Popen, text pipes); it is
        killed at the end of the test."""
        p = subprocess.Popen(self.cli_argv(args), stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=self.cli_env(env), encoding="utf-8",
                             errors="replace", start_new_session=True)
        self._procs.append(p)
        if stdin_data is not None:
            p.stdin.write(stdin_data)
        p.stdin.close()
        return p

    def track(self, proc):
        """Kill this Popen at the end of the test."""
        self._procs.append(proc)
        return proc

    @staticmethod
    def events(stdout):
        return events(stdout)


SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                   "runtime error:", "== Invalid read", "== Invalid write",
                   "definitely lost: ", "Conditional jump or move")


def account_files(h, accounts):
    """Copies of /etc/passwd, group and shadow in h.tmp with accounts
    (a list of (name, uid, home)) added, same modes and owners, for a
    bind mount over the real ones inside a private mount namespace.
    Returns the (copy, original) pairs."""
    lines = {
        "passwd": "".join("%s:x:%d:%d::%s:/bin/sh\n" % (n, u, u, home)
                          for n, u, home in accounts),
        "group": "".join("%s:x:%d:\n" % (n, u) for n, u, _ in accounts),
        "shadow": "".join("%s:*:19000:0:99999:7:::\n" % n
                          for n, _, _ in accounts)}
    pairs = []
    for name, text in lines.items():
        src = "/etc/" + name
        if not os.path.exists(src):
            raise Skip("%s missing" % src)
        dst = os.path.join(h.tmp, name)
        shutil.copy2(src, dst)
        with open(dst, "a") as f:
            f.write(text)
        os.chmod(dst, os.stat(src).st_mode & 0o777)
        os.chown(dst, 0, os.stat(src).st_gid)
        pairs.append((dst, src))
    return pairs


def sanitized(path):
    """True when the program or module at path was built with SANITIZE=1:
    slower, and unloadable by the real sudo and sshd."""
    with open(path, "rb") as f:
        return b"__asan_init" in f.read()


def check_sanitizer(stderr):
    for mark in SANITIZER_MARKS:
        if mark in (stderr or ""):
            if mark == "definitely lost: " and \
                    "definitely lost: 0 bytes" in stderr:
                continue
            raise AssertionError("sanitizer/valgrind report: " +
                                 stderr[stderr.index(mark):][:1500])


def children(pid):
    """The pids of pid's children (from /proc)."""
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def core_limit(pid):
    """pid's RLIMIT_CORE from /proc: [soft, hard] as written there."""
    with open("/proc/%d/limits" % pid) as f:
        for line in f:
            if line.startswith("Max core file size"):
                return line.split()[4:6]
    return None


def multiarch():
    """The Debian multiarch triplet (x86_64-linux-gnu, aarch64-linux-gnu)."""
    for cmd in (["cc", "-print-multiarch"],
                ["dpkg-architecture", "-qDEB_HOST_MULTIARCH"]):
        try:
            p = subprocess.run(cmd, capture_output=True, text=True)
        except OSError:
            continue
        if p.returncode == 0 and p.stdout.strip():
            return p.stdout.strip()
    raise Skip("cannot tell the multiarch directory")


def pam_module(name):
    """The path of a system PAM module, e.g. pam_module("pam_permit.so")."""
    for d in ("/lib", "/usr/lib"):
        path = os.path.join(d, multiarch(), "security", name)
        if os.path.exists(path):
            return path
    raise Skip("%s not installed" % name)


def helper_procs(conf=None, parent=None, exe=None):
    """Running helpers a module started (an argument is --request-stdin),
    narrowed to those with conf as an argument, parent as their parent
    and exe as their executable: other tests may run helpers meanwhile."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                argv = f.read().split(b"\0")
            if exe is not None and os.readlink("/proc/%s/exe" % d) != exe:
                continue
            if parent is not None:
                with open("/proc/%s/stat" % d) as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                if ppid != parent:
                    continue
        except (OSError, ValueError):
            continue
        if b"--request-stdin" not in argv:
            continue
        if conf is not None and conf.encode() not in argv:
            continue
        out.append(int(d))
    return out


def fake_helper(h, lines=(), then="exit 0"):
    """A root-owned 0755 shell script standing in for bkey-approve: saves
    its argv and stdin in its dir, prints lines, then runs the shell text
    `then`. Returns (path, dir)."""
    d = os.path.join(h.tmp, "fake")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "bkey-approve")
    with open(path, "w") as f:
        f.write("#!/bin/sh\n"
                "printf '%%s\\n' \"$*\" > %s/argv\n"
                "cat > %s/request\n" % (d, d) +
                "".join("printf '%%s\\n' '%s'\n" % l for l in lines) +
                then + "\n")
    os.chmod(path, 0o755)
    return path, d


def free_port():
    """A loopback TCP port nothing listens on (for "server down" tests and
    servers a test starts itself)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_listening(proc, port, what, log_text, timeout=10):
    """Until something accepts on 127.0.0.1:port; AssertionError with the
    server's log (log_text()) if proc exits first or timeout passes."""
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise AssertionError("%s exited: %s" % (what, log_text()))
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise AssertionError("%s not listening: %s" %
                                     (what, log_text()))
            time.sleep(0.05)


# ---- assertion helpers (plain functions; also reachable as h.<name>) -------
def events(stdout):
    """Every line of stdout as a JSON object (a non-JSON line fails)."""
    out = []
    for line in stdout.splitlines():
        if not line.strip():
            continue
        try:
            ev = json.loads(line)
        except ValueError:
            raise AssertionError("stdout line is not JSON: %r" % line[:200])
        if not isinstance(ev, dict) or "event" not in ev:
            raise AssertionError("stdout line is not an event: %r" % line)
        out.append(ev)
    return out


def describe(p):
    return "exit %s\nstdout: %s\nstderr: %s" % (
        p.returncode, p.stdout[-1500:], (p.stderr or "")[-1500:])


def assert_exit(p, code):
    assert p.returncode == code, "want exit %d, got %s" % (code, describe(p))


def final_event(p):
    evs = events(p.stdout)
    assert evs, "no events; " + describe(p)
    return evs[-1]


def assert_final(p, code, event, **fields):
    """Exit status, final event name, and exact values of some members."""
    assert_exit(p, code)
    ev = final_event(p)
    assert ev.get("event") == event, "want event %s, got %r; %s" % (
        event, ev, describe(p))
    for k, v in fields.items():
        assert ev.get(k) == v, "event %s: want %r, got %r; %s" % (
            k, v, ev.get(k), describe(p))
    return ev


def assert_error(p, code, reason):
    return assert_final(p, code, "error", reason=reason)


def assert_no_violations(mock):
    v = mock.violations()
    assert not v, "mock saw requests the real API would reject: %r" % v


def assert_eq(a, b, what=""):
    assert a == b, "%s: %r != %r" % (what or "values", a, b)


for _f in (assert_exit, final_event, assert_final, assert_error,
           assert_no_violations, assert_eq, describe, free_port):
    setattr(Harness, _f.__name__, staticmethod(_f))
