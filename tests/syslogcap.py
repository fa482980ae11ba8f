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


class Capture:
    """A /dev/log of ours for every command wrapped by argv(); lines()
    takes what came so far. Needs root (a mount namespace). The socket
    lives in a short directory of its own (a socket's path has 107 bytes
    at most), open to all: a helper that dropped root logs too."""

    def __init__(self, rundir):
        self.short = tempfile.mkdtemp(prefix="bkl.", dir="/tmp")
        os.chmod(self.short, 0o755)
        self.sock = os.path.join(self.short, "log")
        self.save = tempfile.mkdtemp(prefix="dev.real.", dir=rundir)
        self.log = Syslog(self.sock)
        self.log.start()

    def argv(self, argv):
        """argv wrapped to run with our /dev/log."""
        return ["unshare", "-m", "--propagation", "private", "sh", "-c",
                NS_SETUP, "sh", self.save, self.sock] + list(argv)

    def lines(self):
        return self.log.take()

    def close(self):
        self.log.close()
        shutil.rmtree(self.short, ignore_errors=True)


def run(rundir, argv, **kw):
    """subprocess.run(argv, **kw) with syslog caught: (completed, lines)."""
    cap = Capture(rundir)
    try:
        p = subprocess.run(cap.argv(argv), **kw)
        return p, cap.lines()
    finally:
        cap.close()
