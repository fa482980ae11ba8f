# SPDX-License-Identifier: ISC
"""
Catching what a program sends to syslog, without touching the machine's
/dev or syslog daemon: the program runs in a private mount namespace with
a small /dev of its own (the real device nodes bound in) whose /dev/log is
a socket we read. Used by make demo and by tests of log lines written by
bkey-approve (whose stderr a module sends to /dev/null).
"""

import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time

PRIORITIES = ("emerg", "alert", "crit", "err", "warning", "notice", "info",
              "debug")

# Runs inside the private mount namespace: $1 where the real /dev is kept,
# $2 the socket; the rest is the command.
NS_SETUP = r'''
set -e
save=$1; sock=$2; shift 2
mount --rbind /dev "$save"
mount -t tmpfs -o mode=0755,size=1m bkey-test-dev /dev
for n in null zero full random urandom tty; do
	[ -e "$save/$n" ] || continue
	: > "/dev/$n"; mount --bind "$save/$n" "/dev/$n"
done
for d in pts shm mqueue; do
	[ -d "$save/$d" ] || continue
	mkdir "/dev/$d"; mount --rbind "$save/$d" "/dev/$d"
done
# a ptmx node of our own finds the devpts instance at /dev/pts
mknod -m 0666 /dev/ptmx c 5 2
ln -s /proc/self/fd /dev/fd
ln -s "$sock" /dev/log
exec "$@"
'''


class Syslog(threading.Thread):
    """A /dev/log of our own: keeps every line sent to it, as
    "PRIORITY TEXT" (PRIORITY a word: "alert", "warning", ...)."""

    LINE = re.compile(r"^<(\d+)>(?:\w{3} [ \d]\d \d\d:\d\d:\d\d )?(.*)$",
                      re.S)

    def __init__(self, path):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        os.chmod(path, 0o666)
        self.lines = []
        self.lock = threading.Lock()

    def run(self):
        while True:
            try:
                data = self.sock.recv(8192)
            except OSError:
                return
            m = self.LINE.match(data.decode("utf-8", "replace"))
            if not m:
                continue
            text = "%-7s %s" % (PRIORITIES[int(m.group(1)) & 7],
                                m.group(2).rstrip("\n"))
            with self.lock:
                self.lines.append(text)

    def take(self, settle=0.3):
        time.sleep(settle)      # the last datagram of what just ended
        with self.lock:
            out, self.lines = self.lines, []
        return out

    def close(self):
        self.sock.close()


def argv_in_namespace(rundir, sock, argv):
    """argv wrapped to run with our /dev/log (root only)."""
    save = os.path.join(rundir, "dev.real.%d" % time.monotonic_ns())
    os.mkdir(save, 0o700)
    return ["unshare", "-m", "--propagation", "private", "sh", "-c",
            NS_SETUP, "sh", save, sock] + list(argv)


def run(rundir, argv, **kw):
    """subprocess.run(argv, **kw) with syslog caught: (completed, lines).
    Needs root (a mount namespace). The socket lives in a short temporary
    directory (a socket's path has 107 bytes at most)."""
    short = tempfile.mkdtemp(prefix="bkl.", dir="/tmp")
    os.chmod(short, 0o755)      # a helper that dropped root logs too
    sock = os.path.join(short, "log")
    log = Syslog(sock)
    log.start()
    try:
        p = subprocess.run(argv_in_namespace(rundir, sock, argv), **kw)
        return p, log.take()
    finally:
        log.close()
        shutil.rmtree(short, ignore_errors=True)
