# SPDX-License-Identifier: ISC
"""
The Debian package, tested by installing it (issue 9).

dpkg-buildpackage builds pam-bkey_<version>_<arch>.deb (and -dbgsym) from
a copy of the source tree; lintian must report no error. debootstrap makes
a minimal Debian 12 tree under the build directory, cached between runs
(build/pkgtest/base, rebuilt only when its package list changes); each run
works on a fresh copy of it. The mirror comes from this machine's own apt
sources at run time. Inside the copy (chroot, in a private mount
namespace) the package is installed with "apt-get install ./pam-bkey_*.deb"
(so its dependencies come from its Depends), the PAM profile is enabled
with "pam-auth-update --enable bkey", and then, against the mock on
loopback (the chroot shares the network):
  1. an ssh login to the tree's own sshd through the installed module
     (password, then the phone): approved -> the command runs; denied ->
     refused;
  2. sudo through the installed plugin, with the sudo.conf line from the
     installed example: approved -> runs; denied -> does not;
  3. man pam_bkey and man bkey.conf render;
  4. remove keeps the bkey user and /var/lib/bkey, purge removes them and
     every file of the package, and the PAM stack is back as it was.
The tests share one installed tree, in definition order; a later test
fails with the reason when an earlier step did not work.
"""

import glob
import os
import re
import shutil
import socket
import subprocess
import time

from harness import free_port, wait_listening

SUITE = "bookworm"
INCLUDE = ("openssh-server,openssh-client,sudo,man-db,libpam-runtime,"
           "ca-certificates")
PROMPT = re.compile(rb"Approve on your phone: code ([0-9]{4}), then press "
                    rb"Enter")
PASSWORD = "pkg-test-pw"
STATE = {}          # shared by the tests of one run


# ---- environment ------------------------------------------------------------
def run(argv, timeout=300, **kw):
    return subprocess.run(argv, capture_output=True, text=True,
                          timeout=timeout, errors="replace", **kw)


def desc(p):
    return "exit %s\nstdout: %s\nstderr: %s" % (
        p.returncode, p.stdout[-3000:], p.stderr[-3000:])


def apt_mirror():
    """The first Debian mirror this machine's apt sources use for SUITE."""
    files = glob.glob("/etc/apt/sources.list.d/*.sources")
    for path in sorted(files):
        with open(path) as f:
            for stanza in re.split(r"\n\s*\n", f.read()):
                fields = dict(re.findall(r"^([A-Za-z-]+):[ \t]*(.*)$",
                                         stanza, re.M))
                if "deb" in fields.get("Types", "").split() and \
                        SUITE in fields.get("Suites", "").split() and \
                        "main" in fields.get("Components", "").split():
                    return fields["URIs"].split()[0]
    for path in ["/etc/apt/sources.list"] + sorted(
            glob.glob("/etc/apt/sources.list.d/*.list")):
        try:
            with open(path) as f:
                text = f.read()
        except OSError:
            continue
        m = re.search(r"^deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+%s\s.*\bmain\b" %
                      SUITE, text, re.M)
        if m:
            return m.group(1)
    return None


def require(h):
    """Skips (with the reason) where the package test cannot run; the
    verdict is kept, so every later step of the run skips the same way."""
    if "skip" not in STATE:
        try:
            check_can_run(h)
            STATE["skip"] = None
        except h.Skip as e:
            STATE["skip"] = str(e)
    if STATE["skip"]:
        raise h.Skip(STATE["skip"])


def check_can_run(h):
    if os.geteuid() != 0:
        raise h.Skip("needs root (debootstrap, chroot)")
    for tool in ("dpkg-buildpackage", "debootstrap", "chroot", "unshare",
                 "git", "ssh"):
        if shutil.which(tool) is None:
            raise h.Skip("%s not installed (scripts/install-deps.sh)" % tool)
    try:
        import pexpect  # noqa: F401
    except ImportError:
        raise h.Skip("python3-pexpect not installed")
    p = run(["unshare", "-m", "--propagation", "private", "true"])
    if p.returncode != 0:
        raise h.Skip("unshare -m not permitted: %s" % p.stderr.strip())
    ldd = run(["ldd", os.path.join(h.build, "bkey-approve")]).stdout
    if "libasan" in ldd:
        raise h.Skip("sanitized build dir: the package test runs once, in "
                     "the release check")
    if apt_mirror() is None:
        raise h.Skip("no Debian 12 (%s main) mirror in this machine's apt "
                     "sources" % SUITE)


def pkgdir(h):
    d = os.path.join(h.build, "pkgtest")
    os.makedirs(d, exist_ok=True)
    return d


def earlier(h, key):
    require(h)
    if key not in STATE:
        raise AssertionError("an earlier package test did not get this "
                             "far (%s): see its failure" % key)
    return STATE[key]


# ---- the tree ---------------------------------------------------------------
def base_tree(h):
    """The cached debootstrap tree (with apt lists); made when missing."""
    base = os.path.join(pkgdir(h), "base")
    stamp = os.path.join(pkgdir(h), "base.stamp")
    want = "%s %s\n" % (SUITE, INCLUDE)
    if os.path.isdir(base) and os.path.exists(stamp) and \
            open(stamp).read() == want:
        return base
    tmp = base + ".tmp"
    for d in (base, tmp):
        shutil.rmtree(d, ignore_errors=True)
    p = run(["debootstrap", "--variant=minbase", "--include=" + INCLUDE,
             SUITE, tmp, apt_mirror()], timeout=900)
    if p.returncode != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        STATE["skip"] = "debootstrap cannot run here: %s" % (
            p.stdout + p.stderr).strip()[-500:]
        raise h.Skip(STATE["skip"])
    shutil.copy("/etc/resolv.conf", os.path.join(tmp, "etc", "resolv.conf"))
    p = inroot(tmp, ["apt-get", "update", "-qq"], timeout=300)
    assert p.returncode == 0, desc(p)
    os.rename(tmp, base)
    with open(stamp, "w") as f:
        f.write(want)
    return base


def inroot(tree, argv, timeout=120, env=None, **kw):
    """argv inside tree, chrooted, with /dev and /proc, in a private mount
    namespace (nothing is mounted on the host)."""
    script = ('mount --rbind /dev "$1/dev" && mount -t proc proc "$1/proc"'
              ' && exec chroot "$@"')
    e = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
         "DEBIAN_FRONTEND": "noninteractive", "HOME": "/root"}
    e.update(env or {})
    return run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                script, "sh", tree] + list(argv), timeout=timeout, env=e,
               **kw)


def tree_file(rel):
    assert "tree" in STATE, "no tree: an earlier package test failed"
    return os.path.join(STATE["tree"], rel.lstrip("/"))


def read(rel):
    with open(tree_file(rel)) as f:
        return f.read()


def write(rel, text, mode=0o644):
    path = tree_file(rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    os.chown(path, 0, 0)


def makefile_version(h):
    with open(os.path.join(h.root, "Makefile")) as f:
        return re.search(r"^VERSION\s*:?=\s*(\S+)", f.read(), re.M).group(1)


# ---- 0. build ---------------------------------------------------------------
def test_package_builds_deb_and_dbgsym(h):
    require(h)
    d = pkgdir(h)
    src = os.path.join(d, "src")
    shutil.rmtree(src, ignore_errors=True)
    files = run(["git", "-C", h.root, "ls-files", "-co",
                 "--exclude-standard", "-z"]).stdout.split("\0")
    for rel in filter(None, files):
        if not os.path.isfile(os.path.join(h.root, rel)):
            continue
        dst = os.path.join(src, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy2(os.path.join(h.root, rel), dst)
    for old in glob.glob(os.path.join(d, "pam-bkey*")):
        os.remove(old)
    p = run(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=src, timeout=600,
            env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"})
    assert p.returncode == 0, desc(p)
    arch = run(["dpkg", "--print-architecture"]).stdout.strip()
    ver = makefile_version(h)
    deb = os.path.join(d, "pam-bkey_%s_%s.deb" % (ver, arch))
    dbg = os.path.join(d, "pam-bkey-dbgsym_%s_%s.deb" % (ver, arch))
    assert os.path.exists(deb), (os.listdir(d), "debian/changelog and the "
                                 "Makefile's VERSION must agree")
    assert os.path.exists(dbg), os.listdir(d)
    # dpkg-buildflags reached the compiler, the helper path is Debian's.
    assert "-ffile-prefix-map=" in p.stdout and \
        "-DBKEY_HELPER_PATH='\"/usr/libexec/bkey/bkey-approve\"'" in \
        p.stdout, p.stdout[-3000:]
    STATE["deb"] = deb
    STATE["changes"] = os.path.join(d, "pam-bkey_%s_%s.changes" % (ver,
                                                                    arch))
test_package_builds_deb_and_dbgsym.timeout = 600


def test_package_lintian_no_errors(h):
    earlier(h, "deb")
    if shutil.which("lintian") is None:
        raise h.Skip("lintian not installed (scripts/install-deps.sh)")
    p = run(["lintian", "--fail-on", "error", STATE["changes"]])
    errors = [x for x in p.stdout.splitlines() if x.startswith("E:")]
    assert p.returncode == 0 and not errors, desc(p)
test_package_lintian_no_errors.timeout = 300


def test_package_layout(h):
    deb = earlier(h, "deb")
    p = run(["dpkg-deb", "-c", deb])
    assert p.returncode == 0, desc(p)
    entries = {}
    for line in p.stdout.splitlines():
        f = line.split(None, 5)
        name = f[5].split(" -> ")[0].lstrip(".")
        entries[name] = (f[0], f[1], f[5])
    arch = run(["dpkg-architecture", "-qDEB_HOST_MULTIARCH"]).stdout.strip()
    want = {
        "/usr/libexec/bkey/bkey-approve": "-rwxr-xr-x",
        "/lib/%s/security/pam_bkey.so" % arch: "-rw-r--r--",
        "/usr/libexec/sudo/bkey_approval.so": "-rw-r--r--",
        "/usr/share/pam-configs/bkey": "-rw-r--r--",
    }
    for ex in ("bkey.conf", "users", "sudo.rules", "sudo.conf",
               "sshd_config"):
        want["/usr/share/doc/pam-bkey/examples/" + ex] = "-rw-r--r--"
    for path, mode in want.items():
        assert path in entries, (path, sorted(entries))
        assert entries[path][:2] == (mode, "root/root"), (path, entries[path])
    link = entries.get("/usr/bin/bkey-approve")
    assert link and link[0].startswith("l") and \
        link[2].endswith("-> ../libexec/bkey/bkey-approve"), link
    assert not [n for n in entries if n.startswith(("/etc/bkey/", "/var"))
                and not n.endswith("/")], sorted(entries)
    assert "/etc/sudo.conf" not in entries
    # stripped by debhelper (the symbols are in -dbgsym)
    tmp = os.path.join(h.tmp, "x")
    assert run(["dpkg-deb", "-x", deb, tmp]).returncode == 0
    for rel in want:
        if rel.endswith((".so", "approve")):
            out = run(["file", "-L", tmp + rel]).stdout
            assert "not stripped" not in out and "stripped" in out, out


# ---- 1. install -------------------------------------------------------------
def test_package_installs_with_apt_off_by_default(h):
    deb = earlier(h, "deb")
    t0 = time.monotonic()
    base = base_tree(h)
    work = os.path.join(pkgdir(h), "tree")
    shutil.rmtree(work, ignore_errors=True)
    p = run(["cp", "-a", base, work])
    assert p.returncode == 0, desc(p)
    STATE["tree"] = work
    with open(tree_file("/etc/pam.d/common-auth")) as f:
        STATE["common-auth"] = f.read()
    STATE["sudo.conf"] = read("/etc/sudo.conf")
    shutil.copy(deb, tree_file("/tmp"))
    argv = ["apt-get", "install", "-y", "-q", "--no-install-recommends",
            "/tmp/" + os.path.basename(deb)]
    p = inroot(work, argv, timeout=600)
    if p.returncode != 0 and "404" in p.stdout + p.stderr:
        inroot(work, ["apt-get", "update", "-qq"], timeout=300)
        p = inroot(work, argv, timeout=600)
    assert p.returncode == 0, desc(p)
    print("package test: tree copied, package installed in %.1f s" %
          (time.monotonic() - t0), flush=True)
    # Installing changes nobody's login, nor sudo.conf.
    assert read("/etc/pam.d/common-auth") == STATE["common-auth"]
    assert read("/etc/sudo.conf") == STATE["sudo.conf"]
    p = inroot(work, ["getent", "passwd", "bkey"])
    assert p.returncode == 0, desc(p)
    pw = p.stdout.strip().split(":")
    assert pw[5] == "/var/lib/bkey" and pw[6].endswith("nologin"), pw
    # state_dir is root's (the helper hands bkey its own helper/ in it);
    # an upgrade from 0.2.0, which made it bkey's, gives it back to root.
    st = os.stat(tree_file("/var/lib/bkey"))
    assert st.st_mode & 0o7777 == 0o700 and st.st_uid == 0, \
        (oct(st.st_mode), st.st_uid, pw)
    os.chown(tree_file("/var/lib/bkey"), int(pw[2]), int(pw[3]))
    p = inroot(work, ["/var/lib/dpkg/info/pam-bkey.postinst", "configure",
                      "0.2.0"])
    assert p.returncode == 0, desc(p)
    st = os.stat(tree_file("/var/lib/bkey"))
    assert st.st_mode & 0o7777 == 0o700 and st.st_uid == 0, \
        (oct(st.st_mode), st.st_uid, pw)
    p = inroot(work, ["pam-auth-update", "--enable", "bkey"])
    assert p.returncode == 0, desc(p)
    auth = read("/etc/pam.d/common-auth")
    lines = [x for x in auth.splitlines() if x and not x.startswith("#")]
    bk = [i for i, x in enumerate(lines) if "pam_bkey.so" in x]
    ux = [i for i, x in enumerate(lines) if "pam_unix.so" in x]
    assert len(bk) == 1 and ux and bk[0] > ux[0], auth
    assert lines[bk[0]].split()[:2] == ["auth", "required"], lines[bk[0]]
    configure(h)
    # The tree lives under the build dir: make must not read its *.d
    # directories (pam.d, rc2.d) as dependency files.
    p = run(["make", "-C", h.root, "-n", "B=" + h.build, "all"])
    assert p.returncode == 0, desc(p)
test_package_installs_with_apt_off_by_default.timeout = 900


def configure(h):
    """What the admin does after installing: config, users, a user."""
    m = h.mock
    write("/etc/bkey/bkey.conf", "".join("%s = %s\n" % kv for kv in (
        ("api_url", m.url), ("client_id", m.client_id),
        ("client_secret", m.client_secret), ("dialect", m.dialect),
        ("connect_timeout", "3"))), 0o600)
    write("/etc/bkey/users", "alice did:bkey:alice\nroot did:bkey:root\n")
    write("/etc/bkey/sudo.rules", "approve\n")
    hosts = read("/etc/hosts") if os.path.exists(
        tree_file("/etc/hosts")) else "127.0.0.1 localhost\n"
    if socket.gethostname() not in hosts.split():
        write("/etc/hosts", hosts + "127.0.1.1 %s\n" % socket.gethostname())
    p = inroot(earlier(h, "tree"), [
        "sh", "-c", "id alice >/dev/null 2>&1 || useradd -m -s /bin/sh "
        "alice; echo alice:%s | chpasswd" % PASSWORD])
    assert p.returncode == 0, desc(p)
    STATE["configured"] = True


# ---- 2. ssh -----------------------------------------------------------------
class TreeSshd:
    """The tree's own sshd, chrooted, on a loopback port, using the tree's
    /etc/pam.d/sshd (common-auth: the password, then pam_bkey)."""

    def __init__(self, h):
        earlier(h, "configured")
        self.h = h
        self.port = free_port()
        write("/etc/ssh/sshd_pkgtest", "\n".join([
            "Port %d" % self.port, "ListenAddress 127.0.0.1",
            "PidFile /run/sshd_pkgtest.pid",
            "UsePAM yes", "KbdInteractiveAuthentication yes",
            "PasswordAuthentication no", "PubkeyAuthentication no",
            "AuthenticationMethods keyboard-interactive",
            "MaxAuthTries 2", "UseDNS no", "LogLevel VERBOSE", ""]), 0o600)
        os.makedirs(tree_file("/run/sshd"), exist_ok=True)
        self.log = os.path.join(h.tmp, "sshd.log")
        self.logf = open(self.log, "wb")
        tree = earlier(h, "tree")
        script = ('mount --rbind /dev "$1/dev" && mount -t proc proc '
                  '"$1/proc" && exec chroot "$1" /usr/sbin/sshd -D -e -f '
                  '/etc/ssh/sshd_pkgtest')
        self.proc = h.track(subprocess.Popen(
            ["unshare", "-m", "--propagation", "private", "sh", "-c", script,
             "sh", tree], stdin=subprocess.DEVNULL, stdout=self.logf,
            stderr=self.logf, start_new_session=True,
            env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}))
        wait_listening(self.proc, self.port, "sshd", self.text)

    def text(self):
        if not self.logf.closed:
            self.logf.flush()
        with open(self.log, "rb") as f:
            return f.read().decode("utf-8", "replace")[-4000:]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.logf.close()

    def login(self):
        """ssh alice@127.0.0.1 echo OK: the password at each password
        prompt, Enter at each phone prompt. (status, transcript, codes)"""
        import pexpect
        home = os.path.join(self.h.tmp, "home")
        os.makedirs(home, exist_ok=True)
        child = pexpect.spawn("ssh", [
            "-F", "/dev/null", "-p", str(self.port),
            "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
            "-o", "PreferredAuthentications=keyboard-interactive",
            "-o", "ConnectTimeout=10", "alice@127.0.0.1", "echo", "OK"],
            env={"PATH": "/usr/bin:/bin", "HOME": home, "TERM": "dumb"},
            timeout=30)
        codes, out = [], b""
        try:
            for _ in range(8):
                i = child.expect([rb"[Pp]assword: ?", PROMPT, pexpect.EOF])
                out += child.before + (child.after if i < 2 else b"")
                if i == 2:
                    break
                if i == 1:
                    codes.append(child.match.group(1).decode())
                    child.sendline("")
                else:
                    child.sendline(PASSWORD)
        finally:
            child.close()
        return child.exitstatus, out.decode("utf-8", "replace"), codes


def ssh_login(h, outcome):
    h.mock.set("did:bkey:alice", outcome=outcome, delay_ms=100)
    sshd = TreeSshd(h)
    try:
        status, text, codes = sshd.login()
    finally:
        sshd.stop()
    return sshd, status, text, codes


def test_package_ssh_login_approved(h):
    sshd, status, text, codes = ssh_login(h, "approve")
    assert status == 0 and re.search(r"^OK\r?$", text, re.M), \
        "ssh exit %s: %r\nsshd: %s" % (status, text, sshd.text())
    assert len(codes) == 1, codes
    req = [r for r in h.mock.requests() if r["path"].endswith(
        "/bc-authorize")]
    assert len(req) == 1 and (req[0]["json"] or req[0]["form"])[
        "login_hint"] == "did:bkey:alice", req
    # The installed layout at work: the network side's files are bkey's,
    # the replay record root's.
    bkey = int(inroot(earlier(h, "tree"), ["id", "-u", "bkey"]).stdout)
    st = os.stat(tree_file("/var/lib/bkey/helper"))
    assert (st.st_uid, st.st_mode & 0o7777) == (bkey, 0o700), st
    assert os.stat(tree_file("/var/lib/bkey/jti")).st_uid == 0
test_package_ssh_login_approved.timeout = 120


def test_package_ssh_login_denied(h):
    sshd, status, text, codes = ssh_login(h, "deny")
    assert status == 255 and not re.search(r"^OK\r?$", text, re.M), \
        "ssh exit %s: %r" % (status, text)
    assert codes, "no phone prompt: %r\nsshd: %s" % (text, sshd.text())
    assert "Accepted keyboard-interactive" not in sshd.text()
test_package_ssh_login_denied.timeout = 120


# ---- 3. sudo ----------------------------------------------------------------
def sudo_conf_line():
    """The Plugin line of the installed example, as the admin adds it."""
    text = read("/usr/share/doc/pam-bkey/examples/sudo.conf")
    lines = [x for x in text.splitlines() if x.startswith("Plugin ")]
    assert len(lines) == 1, text
    return lines[0]


def sudo(h, outcome):
    earlier(h, "configured")
    write("/etc/sudo.conf", STATE["sudo.conf"] + sudo_conf_line() + "\n")
    h.mock.set("did:bkey:root", outcome=outcome, delay_ms=100)
    marker = tree_file("/tmp/sudo-ran")
    if os.path.exists(marker):
        os.remove(marker)
    p = inroot(earlier(h, "tree"), ["sudo", "/usr/bin/touch",
                                 "/tmp/sudo-ran"], timeout=60)
    return p, os.path.exists(marker)


def test_package_sudo_approved_runs(h):
    p, ran = sudo(h, "approve")
    assert p.returncode == 0 and ran, desc(p)
    assert re.search(r"bkey: approve on your phone: code [0-9]{4}",
                     p.stderr), desc(p)
test_package_sudo_approved_runs.timeout = 120


def test_package_sudo_denied_does_not_run(h):
    p, ran = sudo(h, "deny")
    assert p.returncode == 1 and not ran, desc(p)
    assert "bkey: approval denied" in p.stderr, desc(p)
test_package_sudo_denied_does_not_run.timeout = 120


# ---- 4. man -----------------------------------------------------------------
def test_package_man_pages_render(h):
    earlier(h, "configured")
    for page, words in (("pam_bkey", ("PAM_BKEY", "cue")),
                        ("bkey.conf", ("BKEY.CONF", "client_id"))):
        p = inroot(earlier(h, "tree"), ["man", "-P", "cat", page],
                   env={"MANWIDTH": "80", "TERM": "dumb"})
        assert p.returncode == 0, desc(p)
        for w in words:
            assert w in p.stdout, (page, w, p.stdout[:500])


# ---- 5. remove, purge -------------------------------------------------------
def owned_elsewhere(tree, path):
    p = inroot(tree, ["dpkg-query", "-S", path])
    return p.returncode == 0


def test_package_remove_keeps_user_purge_removes_all(h):
    tree = earlier(h, "tree")
    earlier(h, "configured")
    files = [f for f in inroot(tree, ["dpkg-query", "-L", "pam-bkey"])
             .stdout.splitlines() if f not in ("/.", "")]
    assert "/usr/share/pam-configs/bkey" in files, files
    # The admin's own files go (they are not the package's); the sudo.conf
    # line is still there: remove says so and leaves the file alone.
    conf = STATE["sudo.conf"] + sudo_conf_line() + "\n"
    write("/etc/sudo.conf", conf)
    for f in ("bkey.conf", "users", "sudo.rules"):
        os.remove(tree_file("/etc/bkey/" + f))
    p = inroot(tree, ["dpkg", "--remove", "pam-bkey"])
    assert p.returncode == 0, desc(p)
    assert "remove the bkey_approval Plugin line from /etc/sudo.conf" in \
        p.stderr, desc(p)
    assert read("/etc/sudo.conf") == conf
    write("/etc/sudo.conf", STATE["sudo.conf"])
    assert read("/etc/pam.d/common-auth") == STATE["common-auth"], \
        read("/etc/pam.d/common-auth")
    assert inroot(tree, ["getent", "passwd", "bkey"]).returncode == 0
    assert os.path.isdir(tree_file("/var/lib/bkey"))
    p = inroot(tree, ["dpkg", "--purge", "pam-bkey"])
    assert p.returncode == 0, desc(p)
    left = [f for f in files if os.path.lexists(tree_file(f)) and not (
        os.path.isdir(tree_file(f)) and owned_elsewhere(tree, f))]
    assert not left, left
    assert inroot(tree, ["getent", "passwd", "bkey"]).returncode == 2
    assert inroot(tree, ["getent", "group", "bkey"]).returncode == 2
    assert not os.path.lexists(tree_file("/var/lib/bkey"))
    assert read("/etc/pam.d/common-auth") == STATE["common-auth"]
test_package_remove_keeps_user_purge_removes_all.timeout = 120
