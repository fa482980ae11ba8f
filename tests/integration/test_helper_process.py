# SPDX-License-Identifier: ISC
"""
bkey-approve as a process under attack: a full state file system, the
root-side monitor and its worker, and a hostile (non-root) caller who
signals, stops or traces the helper while it waits. Each test asserts the
fail-closed outcome.
"""

import json
import os
import signal
import subprocess
import time

from harness import (assert_error, assert_final, children as _children,
                     core_limit, describe, events)

DID = "did:bkey:alice"
CALLER = 4243            # a plain user id with no privilege (no passwd entry)


def _need_root(h):
    if os.geteuid() != 0:
        raise h.Skip("needs root (mounts, other users)")


def _wait_for(pred, what, limit=10):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.02)
    raise AssertionError("timed out waiting for " + what)


def _pending(p):
    """Read p's stdout up to its pending event."""
    line = p.stdout.readline()
    assert '"pending"' in line, "no pending event: %r" % line
    return json.loads(line)


def _finish(p, timeout=15):
    out, err = p.communicate(timeout=timeout)
    return subprocess.CompletedProcess(p.args, p.returncode, out, err)


# ---- a full file system under state_dir ---------------------------------------
FILL_SCRIPT = r"""
set -e
img=$1 mnt=$2 kind=$3; shift 3
if [ "$kind" = ext4 ]; then
    mount -o loop "$img" "$mnt"
else
    mount -t tmpfs -o size=256k,mode=0755 tmpfs "$mnt"
fi
mkdir -m 1777 "$mnt/tmp"
mkdir -m 0700 "$mnt/state"
chown "$STATE_OWNER" "$mnt/state"
# Fill it as FILLER: big blocks, then small ones, until ENOSPC.
setpriv --reuid="$FILLER" --regid="$FILLER" --clear-groups sh -c '
    dd if=/dev/zero of="$1/tmp/fill" bs=64k 2>/dev/null || true
    dd if=/dev/zero of="$1/tmp/fill" bs=1k oflag=append conv=notrunc \
        2>/dev/null || true
    if echo x > "$1/tmp/probe" && sync "$1/tmp/probe"; then
        echo "not full for $(id -u)" >&2; exit 99
    fi' sh "$mnt"
set +e
"$@"
rc=$?
# What the run left under state_dir/jti (records, temporary files).
find "$mnt/state/jti" -type f -printf 'left: %P\n' >&2 2>/dev/null
exit $rc
"""


def _full_fs_run(h, kind, cfg_overrides, filler):
    """Run one approval with state_dir on a full file system (a loop
    ext4 or a tmpfs) in a private mount namespace."""
    _need_root(h)
    mnt = os.path.join(h.tmp, "m")
    os.mkdir(mnt)
    img = os.path.join(h.tmp, "fs.img")
    if kind == "ext4":
        with open(img, "wb") as f:
            f.truncate(8 * 1024 * 1024)
        mk = subprocess.run(["mkfs.ext4", "-q", "-F", "-m", "5", img],
                            capture_output=True, text=True)
        if mk.returncode != 0:
            raise h.Skip("mkfs.ext4 failed: " + mk.stderr.strip())
    cfg = h.config(state_dir=os.path.join(mnt, "state"), **cfg_overrides)
    # state_dir is root's in every layout (the worker's corner in it,
    # state/helper, is made by the helper).
    env = h.cli_env({"FILLER": str(filler), "STATE_OWNER": "0"})
    p = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c",
         FILL_SCRIPT, "sh", img, mnt, kind] + h.cli_argv(
            ["--config", cfg, "--json", "--debug", "--did", DID,
             "--message", "x"]),
        capture_output=True, text=True, timeout=30, env=env,
        stdin=subprocess.DEVNULL)
    if p.returncode == 32 and "mount" in p.stderr:
        raise h.Skip("cannot mount a %s here: %s" % (kind,
                                                     p.stderr.strip()))
    assert p.returncode != 99, "could not fill the file system; " + \
        describe(p)
    return p


def test_full_disk_still_approves_through_the_monitor(h):
    # One unprivileged user fills the file system holding state_dir (an
    # 8 MiB ext4 with 5% reserved for root). The worker (run_as nobody)
    # cannot write there any more, but the monitor makes the record as
    # root, so root's reserve applies: approved, exit 0.
    p = _full_fs_run(h, "ext4", {"run_as": "nobody"}, filler=65534)
    assert_final(p, 0, "approved", sub=DID)
    assert "switched to 'nobody'" in p.stderr, p.stderr
    assert "monitor: record: made" in p.stderr, p.stderr
    left = [l for l in p.stderr.splitlines() if l.startswith("left: ")]
    assert len(left) == 1 and ".tmp." not in left[0], left


def test_full_tmpfs_fails_closed_and_says_why(h):
    # A tmpfs has no reserve for anyone: the record cannot be written.
    # Fail closed (exit 70, reason internal), say why and where, and leave
    # no record behind -- with and without the monitor.
    for over in ({"run_as": ""}, {"run_as": "nobody"}):
        h.mock.reset()
        p = _full_fs_run(h, "tmpfs", over, filler=0)
        ev = assert_error(p, 70, "internal")
        assert "No space left on device" in ev["detail"], ev
        assert os.path.join(h.tmp, "m", "state", "jti") in ev["detail"], ev
        assert "approved" not in p.stdout, p.stdout
        assert "left: " not in p.stderr, p.stderr
        os.rmdir(os.path.join(h.tmp, "m"))


# ---- the monitor and its worker -----------------------------------------------
REQUEST = json.dumps({"did": DID, "message": "x"})


def _start(h, cfg, ruid=None, uid=None):
    """bkey-approve --request-stdin as the modules start it. ruid: a real
    uid for a helper started with euid 0 by a setuid host (su, sudo);
    uid: run it entirely as that user."""
    def pre():
        if uid is not None:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
        elif ruid is not None:
            os.setresuid(ruid, 0, 0)
    p = subprocess.Popen(
        h.cli_argv(["--config", cfg, "--request-stdin"]),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=h.cli_env(), encoding="utf-8", errors="replace",
        start_new_session=True, preexec_fn=pre)
    h.track(p)
    p.stdin.write(REQUEST)
    p.stdin.close()
    p.stdin = None          # so communicate() does not touch it
    return p


def _monitor_and_worker(h, cfg, ruid=None):
    p = _start(h, cfg, ruid=ruid)
    _pending(p)
    worker = _wait_for(lambda: _children(p.pid), "the worker")
    assert len(worker) == 1, worker
    return p, worker[0]


def test_worker_killed_monitor_reports_a_denial(h):
    # The worker dies without its final event: the monitor writes one (an
    # error with the reason), exits 70, and nobody is left behind.
    _, cfg = h.nobody_config()
    h.mock.set(DID, outcome="never")
    p, worker = _monitor_and_worker(h, cfg)
    os.kill(worker, signal.SIGKILL)
    r = _finish(p)
    ev = assert_error(r, 70, "internal")
    assert ev["detail"] == "the worker was killed by signal 9", ev
    assert [e["event"] for e in events(r.stdout)] == ["error"], r.stdout
    assert not _children(p.pid)


def test_monitor_forwards_cancel_to_the_worker(h):
    # SIGINT or SIGTERM to the helper (the monitor: what the modules
    # started) reaches the worker: cancelled (exit 5), both reaped.
    _, cfg = h.nobody_config()
    for sig in (signal.SIGTERM, signal.SIGINT):
        h.mock.set(DID, outcome="never")
        p, worker = _monitor_and_worker(h, cfg)
        t0 = time.monotonic()
        os.kill(p.pid, sig)
        r = _finish(p)
        assert_error(r, 5, "cancelled")
        assert time.monotonic() - t0 < 2, "cancel took too long"
        assert not os.path.exists("/proc/%d/stat" % worker) or \
            open("/proc/%d/stat" % worker).read().split()[2] == "Z"


def test_worker_dies_with_the_monitor(h):
    # SIGKILL to the monitor (as the modules do after 200 ms): the worker
    # gets its parent-death signal and does not poll on alone.
    _, cfg = h.nobody_config()
    h.mock.set(DID, outcome="never")
    p, worker = _monitor_and_worker(h, cfg)
    os.kill(p.pid, signal.SIGKILL)
    p.wait(5)

    def gone():
        try:
            with open("/proc/%d/stat" % worker) as f:
                return f.read().rsplit(")", 1)[1].split()[0] in "ZX"
        except FileNotFoundError:
            return True
    _wait_for(gone, "the worker to die", limit=3)


# ---- a hostile caller ---------------------------------------------------------
CALLER_PROBE = r"""
import ctypes, errno, json, os, signal, sys
libc = ctypes.CDLL(None, use_errno=True)
out = {}
for pid in map(int, sys.argv[1:]):
    r = {}
    for name, sig in (("stop", signal.SIGSTOP), ("cont", signal.SIGCONT),
                      ("term", signal.SIGTERM)):
        try:
            os.kill(pid, sig)
            r[name] = "sent"
        except OSError as e:
            r[name] = errno.errorcode[e.errno]
    for name, req in (("attach", 16), ("seize", 0x4206)):
        rc = libc.ptrace(req, pid, None, None)
        r[name] = "ok" if rc == 0 else errno.errorcode[ctypes.get_errno()]
    for f in ("environ", "cmdline", "mem"):
        try:
            with open("/proc/%d/%s" % (pid, f), "rb") as fh:
                fh.read(1)
            r[f] = "read"
        except OSError as e:
            r[f] = errno.errorcode[e.errno]
    out[pid] = r
print(json.dumps(out))
"""


def _as_caller(pids):
    p = subprocess.run(
        ["setpriv", "--reuid=%d" % CALLER, "--regid=%d" % CALLER,
         "--clear-groups", "/usr/bin/python3", "-c", CALLER_PROBE] +
        [str(x) for x in pids], capture_output=True, text=True, timeout=10)
    assert p.returncode == 0, p.stderr
    return {int(k): v for k, v in json.loads(p.stdout).items()}


def test_caller_cannot_stop_trace_or_read_the_helper(h):
    # Started with euid 0 and the caller's real uid, as a setuid host
    # (su, sudo) starts it: the caller can neither signal (SIGSTOP past a
    # timeout could turn into "unavailable"), trace nor read the monitor
    # or the worker; neither dumps core; no secret in environ/cmdline; and
    # the outcome is the phone's denial.
    _need_root(h)
    _, cfg = h.nobody_config(secret_file=True)
    # the denial comes long after the probe, however slow this machine:
    # a reaped worker would answer ESRCH, not EPERM
    h.mock.set(DID, outcome="deny", delay_ms=4000, interval=0)
    p, worker = _monitor_and_worker(h, cfg, ruid=CALLER)
    pids = [p.pid, worker]
    seen = _as_caller(pids)
    for pid in pids:
        r = seen[pid]
        for k in ("stop", "cont", "term", "attach", "seize"):
            assert r[k] == "EPERM", (pid, k, r)
        for k in ("environ", "mem"):
            assert r[k] in ("EPERM", "EACCES"), (pid, k, r)
        assert core_limit(pid) == ["0", "0"], core_limit(pid)
        for f in ("environ", "cmdline"):
            with open("/proc/%d/%s" % (pid, f), "rb") as fh:
                data = fh.read()
            assert h.client_secret.encode() not in data, (pid, f)
        with open("/proc/%d/status" % pid) as f:
            ids = [l.split()[1:] for l in f if l.startswith("Uid:")][0]
        assert CALLER not in map(int, ids), (pid, ids)
    r = _finish(p)
    assert_final(r, 1, "denied")


def test_caller_who_owns_the_helper_still_gets_the_denial(h):
    # Run by the user, as the user: they can stop and continue it, and
    # the answer is still the phone's (denied), never an approval or an
    # "unavailable" that failmode=safe would let through.
    _need_root(h)
    cfg = h.config()
    d = os.path.dirname(cfg)
    for f in ("bkey.conf", "state"):
        os.chown(os.path.join(d, f), CALLER, CALLER)
    # no answer ever: only the probe's SIGTERM can end this run (a zombie
    # left by an early denial would take the signals too)
    h.mock.set(DID, outcome="never", interval=0)
    p = _start(h, cfg, uid=CALLER)
    _pending(p)
    seen = _as_caller([p.pid])[p.pid]
    assert seen["stop"] == "sent" and seen["cont"] == "sent", seen
    r = _finish(p)
    # SIGTERM was sent too: cancelled
    assert_error(r, 5, "cancelled")
    h.mock.reset()
    h.mock.set(DID, outcome="deny", delay_ms=500, interval=0)
    p = _start(h, cfg, uid=CALLER)
    _pending(p)
    os.kill(p.pid, signal.SIGSTOP)
    time.sleep(0.7)
    os.kill(p.pid, signal.SIGCONT)
    assert_final(_finish(p), 1, "denied")
