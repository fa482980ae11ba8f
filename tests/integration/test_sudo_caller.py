# SPDX-License-Identifier: ISC
"""
The sudo plugin against a hostile caller: a normal account with a sudoers
entry and a shell, using the real setuid sudo in a private mount namespace.
Each test is an attack that once ran root code without the approval it
needed, or showed the phone something other than what ran; each asserts
the fail-closed outcome.
"""

import os
import shlex
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import account_files  # noqa: E402
from test_sudo import (E2E, SUDO, desc, initiates, real,  # noqa: E402
                       write_file)

CALLER, CALLER_UID = "bkeyatk", 47123


class CallerE2E(E2E):
    """E2E run by CALLER (home under h.tmp), with root setup lines run
    inside the namespace (setup) before the command."""

    def __init__(self, h, setup="", sudoers_extra="", **kw):
        kw.setdefault("users", {CALLER: "did:bkey:alice"})
        super().__init__(h, sudoers_extra=sudoers_extra +
                         "%s ALL=(ALL) NOPASSWD: ALL\n" % CALLER, **kw)
        self.setup = setup
        self.home = os.path.join(h.tmp, "home")
        os.makedirs(self.home, exist_ok=True)
        os.chown(self.home, CALLER_UID, CALLER_UID)
        self.mounts += account_files(h, [(CALLER, CALLER_UID, self.home)])

    def argv(self, cmd, prefix=()):
        script = "".join("mount --bind %s %s && " % (shlex.quote(s),
                                                       shlex.quote(d))
                         for s, d in self.mounts) + self.setup + 'exec "$@"'
        return ["unshare", "-m", "sh", "-c", script, "sh", "setpriv",
                "--reuid=%d" % CALLER_UID, "--regid=%d" % CALLER_UID,
                "--init-groups"] + list(prefix) + list(cmd)

    def urun(self, cmd, env=None, cwd=None, timeout=40):
        e = dict(self.env(), HOME=self.home)
        e.update(env or {})
        return subprocess.run(self.argv(cmd), capture_output=True,
                              timeout=timeout, encoding="utf-8",
                              errors="replace", stdin=subprocess.DEVNULL,
                              env=e, cwd=cwd or self.home)

    def own(self, path):
        subprocess.run(["chown", "-R", "-h", "%d:%d" % (CALLER_UID,
                                                        CALLER_UID), path],
                       check=True)
        return path


def marker_script(h, name="evil.sh"):
    marker = os.path.join(h.tmp, "pwned")
    script = write_file(os.path.join(h.tmp, name),
                        "#!/bin/sh\nid -u > %s\n" % marker, 0o755)
    return marker, script


def assert_not_run(marker, p):
    assert not os.path.exists(marker), "root code ran (%s): %s" % (
        open(marker).read().strip(), desc(p))


# A root-owned tmpfs at /mnt with a root-owned script, for allow rules.
TRUSTED_MNT = ("mount -t tmpfs -o mode=755 none /mnt && mkdir -p /mnt/bin && "
               "printf '#!/usr/bin/python3\\nprint(\"report\")\\n' "
               "> /mnt/bin/report && chmod 755 /mnt/bin/report && ")

# Passes a descriptor of a file the caller made, in a user namespace of
# its own, at a path that reads like /usr/bin/id, as sudo's stdin.
FDPASS = r'''
import ctypes, os, socket, subprocess, sys
fake, src, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
if os.fork() == 0:
    uid, gid = os.getuid(), os.getgid()
    if ctypes.CDLL(None).unshare(0x10000000 | 0x00020000) != 0:
        os._exit(3)
    open("/proc/self/setgroups", "w").write("deny")
    open("/proc/self/uid_map", "w").write("0 %d 1" % uid)
    open("/proc/self/gid_map", "w").write("0 %d 1" % gid)
    subprocess.run(["mount", "-t", "tmpfs", "none", "/mnt"], check=True)
    os.makedirs("/mnt" + os.path.dirname(fake))
    with open("/mnt" + fake, "wb") as f:
        f.write(open(src, "rb").read())
    os.chmod("/mnt" + fake, 0o755)
    socket.send_fds(b, [b"x"], [os.open("/mnt" + fake, os.O_RDONLY)])
    os._exit(0)
try:
    _, fds, _, _ = socket.recv_fds(a, 10, 1)
except Exception:
    sys.exit(3)
os.dup2(fds[0], 0)
os.execv(cmd[0], cmd)
'''


def test_sudo_caller_proc_fd_link_is_not_trusted(h):
    # /proc/self/fd/0 reads as /usr/bin/id but is the caller's own file
    e = CallerE2E(h, rules="command=%s allow\n" % real("/usr/bin/id"))
    marker, evil = marker_script(h)
    fdpass = write_file(os.path.join(h.tmp, "fdpass.py"), FDPASS, 0o755)
    p = e.urun(["/usr/bin/python3", fdpass, "/usr/bin/id", evil, SUDO,
                "/proc/self/fd/0", "-u"])
    if p.returncode == 3:
        raise h.Skip("no unprivileged user namespaces here: %s" % desc(p))
    assert_not_run(marker, p)
    assert p.returncode == 1 and "bkey: cannot tell which file" in \
        p.stderr, desc(p)
    assert initiates(h) == []


def test_sudo_caller_home_and_path_are_the_callers(h):
    # HOME (sudo -E, --preserve-env, env_keep) lets python load the
    # caller's site-packages as root; the caller's PATH (no secure_path)
    # picks the caller's programs: no allow applies, the phone names them
    e = CallerE2E(h, setup=TRUSTED_MNT, rules="command=/mnt/bin/report "
                  "allow\n", sudoers_extra="Defaults env_keep+=HOME\n")
    p = e.urun([SUDO, "/usr/bin/true"], env={"HOME": "/"})
    assert p.returncode == 0, desc(p)
    h.mock.reset()
    bindir = os.path.join(e.home, "bin")
    os.makedirs(bindir, exist_ok=True)
    e.own(bindir)
    for argv, env, word in (
            ([SUDO, "-E", "/mnt/bin/report"], {}, "HOME=" + e.home),
            ([SUDO, "--preserve-env=HOME", "/mnt/bin/report"], {},
             "HOME=" + e.home),
            ([SUDO, "/mnt/bin/report"], {}, "HOME=" + e.home),
            ([SUDO, "/mnt/bin/report"],
             {"HOME": "/", "PATH": bindir + ":/usr/bin:/bin"},
             "PATH=%s:/usr/bin:/bin" % bindir)):
        h.mock.reset()
        p = e.urun(argv, env=env)
        q = initiates(h)
        assert len(q) == 1, (argv, env, desc(p))
        # long values are cut on the phone, never the name
        assert word[:40] in q[0]["binding_message"], q[0]["binding_message"]
    # root's own directories give nothing: the allow applies
    h.mock.reset()
    p = e.urun([SUDO, "/mnt/bin/report"],
               env={"HOME": "/", "PATH": "/usr/bin:/bin"})
    assert p.returncode == 0 and p.stdout == "report\n", desc(p)
    assert initiates(h) == []


def test_sudo_caller_relative_command_with_runcwd(h):
    # sudo -D DIR ./true runs DIR/true: judged there, not in the caller's cwd
    e = CallerE2E(h, rules="command=%s allow\n" % real("/usr/bin/true"),
                  sudoers_extra="Defaults runcwd=*\n")
    marker, _ = marker_script(h)
    e.own(write_file(os.path.join(e.home, "true"),
                     "#!/bin/sh\nid -u > %s\n" % marker, 0o755))
    h.mock.set("did:bkey:alice", outcome="deny")
    p = e.urun([SUDO, "-D", e.home, "./true"], cwd="/usr/bin")
    assert_not_run(marker, p)
    q = initiates(h)
    assert len(q) == 1 and e.home + "/true" in q[0]["binding_message"], \
        (q, desc(p))


def test_sudo_caller_sudoedit_files_with_runcwd_and_long_names(h):
    # sudoedit opens files from the caller's cwd whatever runcwd says; a
    # name too long to normalize is refused, never matched as typed
    e = CallerE2E(h, rules="command=sudoedit args=\"^%s/secret$\" deny "
                  "reason=\"not that file\"\n" % h.tmp,
                  sudoers_extra="Defaults runcwd=/\n")
    secret = write_file(os.path.join(h.tmp, "secret"), "orig\n", 0o600)
    ed = write_file(os.path.join(h.tmp, "ed.sh"),
                    "#!/bin/sh\necho EDITED > \"$1\"\n", 0o755)
    p = e.urun([SUDO, "-e", "secret"], cwd=h.tmp,
               env={"SUDO_EDITOR": ed})
    assert p.returncode == 1 and "bkey: not that file" in p.stderr, desc(p)
    p = e.urun([SUDO, "-e", h.tmp + "/" + "./" * 2100 + "secret"],
               env={"SUDO_EDITOR": ed})
    assert p.returncode == 1 and "too long to judge" in p.stderr, desc(p)
    assert open(secret).read() == "orig\n"
    assert initiates(h) == []


def test_sudo_caller_deep_link_chain_is_refused(h):
    # links whose real path is longer than PATH_MAX, ending at shred
    e = CallerE2E(h, rules="command=/usr/bin/shred deny reason=\"no "
                  "shred\"\n")
    comp = "d" * 250
    half = "/".join([comp] * 10)
    old = os.getcwd()
    os.chdir(e.home)
    try:
        for _ in range(10):
            os.mkdir(comp)
            os.chdir(comp)
        os.symlink(half, "M")
        for _ in range(10):
            os.mkdir(comp)
            os.chdir(comp)
        os.symlink("/usr/bin/shred", "s")
    finally:
        os.chdir(old)
    os.symlink(half, os.path.join(e.home, "L"))
    e.own(e.home)
    p = e.urun([SUDO, os.path.join(e.home, "L/M/s"), "--version"])
    assert p.returncode == 1 and p.stdout == "", desc(p)
    assert "bkey: cannot tell which file" in p.stderr, desc(p)
    assert initiates(h) == []


def test_sudo_caller_link_swapped_during_the_wait(h):
    # approved for what ~/t named when asked; swapped for shred meanwhile
    e = CallerE2E(h, rules="command=/usr/bin/shred deny reason=\"no "
                  "shred\"\n")
    h.mock.set("did:bkey:alice", outcome="approve", delay_ms=1500,
               interval=0)
    link = os.path.join(e.home, "t")
    os.symlink("/usr/bin/true", link)
    os.lchown(link, CALLER_UID, CALLER_UID)
    p = subprocess.Popen(e.argv([SUDO, link, "--version"]),
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, encoding="utf-8",
                         env=dict(e.env(), HOME=e.home), cwd=e.home,
                         start_new_session=True)
    h.track(p)
    deadline = time.monotonic() + 15
    while not initiates(h) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert initiates(h), "no request sent"
    os.symlink("/usr/bin/shred", link + ".new")
    os.rename(link + ".new", link)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 1 and "shred" not in out, (out, err)
    assert "changed while waiting for the approval" in err, err


def test_sudo_caller_every_variable_is_named(h):
    # a long variable cannot push PYTHONPATH off the phone
    e = CallerE2E(h)
    p = e.urun([SUDO, "A=" + "x" * 400, "PYTHONPATH=/home/evil",
                "/usr/bin/id", "-u"])
    assert p.returncode == 0, desc(p)
    q = initiates(h)[0]
    assert "PYTHONPATH=" in q["binding_message"], q["binding_message"]
    assert "PYTHONPATH=/home/evil" in q["action_details"]["env"], q
    # more names than the phone can show: refused, nothing asked
    h.mock.reset()
    many = ["V%02d_%s=1" % (i, "n" * 20) for i in range(30)]
    p = e.urun([SUDO] + many + ["/usr/bin/id"])
    assert p.returncode == 1 and "too many environment variables" in \
        p.stderr, desc(p)
    assert initiates(h) == []


def test_sudo_caller_intercept_child_env(h):
    # an approved shell that runs a child with LD_PRELOAD: the child
    # meets the env= deny
    e = CallerE2E(h, rules="env=\"^LD_\" deny reason=\"no loader\"\n",
                  sudoers_extra="Defaults intercept\n")
    p = e.urun([SUDO, "/bin/sh", "-c",
                "LD_PRELOAD=/nonexistent/x.so /usr/bin/id -u; echo done"])
    assert p.stdout == "done\n", desc(p)
    assert "bkey: no loader" in p.stderr, desc(p)


def test_sudo_caller_allow_without_command_needs_a_root_path(h):
    # "args=... allow" (no command=) never allows a program the caller can
    # change; "command=sudoedit allow" scopes an allow to sudoedit
    e = CallerE2E(h, rules="command=sudoedit args=\"^/etc/motd$\" allow\n"
                  "args=\"^/srv/www/\" allow\n")
    marker, _ = marker_script(h)
    evil = e.own(write_file(os.path.join(e.home, "evil"),
                            "#!/bin/sh\nid -u > %s\n" % marker, 0o755))
    h.mock.set("did:bkey:alice", outcome="deny")
    p = e.urun([SUDO, evil, "/srv/www/x"])
    assert_not_run(marker, p)
    assert len(initiates(h)) == 1, desc(p)
