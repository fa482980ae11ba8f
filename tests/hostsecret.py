# SPDX-License-Identifier: ISC
"""
Checks that a host process (pamtester, the sudo driver) never reads the
client secret: the files it opened (an strace -e trace=open* log of that
process alone) and its live memory (/proc/PID/maps + /proc/PID/mem, as
root). Stdlib only.
"""

import re
import time

MAPS_RE = re.compile(r"^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$")


def regions(pid):
    """(start, end, name) of every readable mapping."""
    out = []
    with open("/proc/%d/maps" % pid) as f:
        for line in f:
            m = MAPS_RE.match(line)
            if not m or m.group(3)[0] != "r":
                continue
            name = m.group(4).strip()
            if name in ("[vvar]", "[vsyscall]"):
                continue
            out.append((int(m.group(1), 16), int(m.group(2), 16), name))
    return out


CHUNK = 16 << 20
MAX_REGION = 1 << 30    # larger ones are reservations (ASan), not data


def find(pid, needle):
    """Names of the mappings of pid that hold needle (bytes)."""
    hits = []
    with open("/proc/%d/mem" % pid, "rb", 0) as mem:
        for start, end, name in regions(pid):
            if end - start > MAX_REGION:
                continue
            tail = b""
            at = start
            while at < end:
                try:
                    mem.seek(at)
                    data = mem.read(min(CHUNK, end - at))
                except (OSError, ValueError, OverflowError):
                    break
                if not data:
                    break
                if needle in tail + data:
                    hits.append(name or "anon@%x" % start)
                    break
                tail = data[-len(needle):]
                at += len(data)
    return hits


STRACE = ["strace", "-qq", "-e", "trace=open,openat,openat2", "-o"]


def assert_not_opened(trace, conf, secret_file):
    """The traced process opened conf but never secret_file (None: the
    secret is inline)."""
    with open(trace) as f:
        opened = f.read()
    assert conf in opened, "the trace missed the config: " + opened
    if secret_file is not None:
        assert secret_file not in opened, opened


def assert_secret_not_held(h, proc, secret, own, what):
    """Once the mock has the request proc's helper sent (proc waits for
    the phone), proc's memory holds own (bytes it must have: the scan
    sees its data) and not secret."""
    deadline = time.monotonic() + 10
    while not h.mock.requests("/oauth/bc-authorize"):
        assert time.monotonic() < deadline and proc.poll() is None, \
            "no request while the %s waits" % what
        time.sleep(0.05)
    assert find(proc.pid, own), "the scan cannot see the %s's data" % what
    assert find(proc.pid, secret) == [], \
        "the secret is in the %s's memory" % what
