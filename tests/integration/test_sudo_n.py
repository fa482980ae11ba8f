# SPDX-License-Identifier: ISC
"""
sudo -n (issue 11): automation (Ansible "become" uses -n) must not block
on a phone nobody watches. sudo puts noninteractive=true in the plugin's
settings; the plugin then refuses at once, with no push, any command that
needs an approval ("approval needed; not asked because of -n"). Commands
a rule allows or denies are decided as before.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_sudo import (E2E, PSQL, SUDO, desc, drive,  # noqa: E402
                       initiates)

NOT_ASKED = "approval needed; not asked because of -n"


def test_sudo_n_drv_refuses_without_a_push(h):
    h.mock.set("did:bkey:alice", outcome="approve", interval=0)
    r = drive(h, [PSQL], pre=["--setting", "noninteractive=true"])
    assert r.checks == [0], str(r)
    assert r.errstrs[1] == NOT_ASKED, str(r)
    assert any(NOT_ASKED in c for c in r.conv), str(r)
    assert initiates(h) == []
    # "false" (or no setting) asks as before
    r = drive(h, [PSQL], pre=["--setting", "noninteractive=false"])
    assert r.checks == [1], str(r)
    assert len(initiates(h)) == 1


def test_sudo_n_drv_rules_still_decide(h):
    rules = ("command=/usr/bin/true allow\n"
             "command=/usr/bin/psql deny reason=no-psql\n")
    r = drive(h, [(["true"], {"command": "/usr/bin/true"}), PSQL],
              rules=rules, pre=["--setting", "noninteractive=true"])
    assert r.checks == [1, 0], str(r)
    assert r.errstrs[3] == "command denied by bkey rule", str(r)
    assert initiates(h) == []


def test_sudo_n_e2e_refuses_at_once(h):
    e = E2E(h)
    h.mock.set("did:bkey:alice", outcome="approve", interval=0)
    marker = os.path.join(h.tmp, "ran")
    t0 = time.monotonic()
    p = e.run([SUDO, "-n", "/usr/bin/touch", marker])
    took = time.monotonic() - t0
    assert p.returncode == 1, desc(p)
    assert not os.path.exists(marker), desc(p)
    assert "bkey: " + NOT_ASKED in p.stderr, desc(p)
    assert initiates(h) == []
    assert took < 10.0, took
    # without -n the same command is asked for, and runs
    p = e.run([SUDO, "/usr/bin/touch", marker])
    assert p.returncode == 0 and os.path.exists(marker), desc(p)
    assert len(initiates(h)) == 1
