# SPDX-License-Identifier: ISC
"""
No product function over 80 lines (scripts/long-functions.sh, Universal
Ctags): tests/ are not product code. The functions still over the limit
are listed below with their length today; the list may only shrink. A
new long function fails, a listed one that grew fails, and one that got
under the limit fails until it leaves the list.
"""

import os
import re
import shutil
import subprocess

LIMIT = 80

# Functions allowed over the limit for now (none: keep it that way).
STILL_LONG = {}


def long_functions(h, *args):
    if not shutil.which("ctags"):
        raise h.Skip("ctags is not installed (Debian package "
                     "universal-ctags, scripts/install-deps.sh)")
    script = os.path.join(h.root, "scripts", "long-functions.sh")
    p = subprocess.run([script] + list(args), capture_output=True,
                       text=True, timeout=60)
    if p.returncode == 2 and "Universal Ctags" in p.stderr:
        raise h.Skip(p.stderr.strip())
    assert p.returncode == 0 and p.stderr == "", (p.returncode, p.stderr)
    found = {}
    for line in p.stdout.splitlines():
        m = re.match(r"^(\d+) (\S+):\d+ (\S+)$", line)
        assert m, "unexpected line from long-functions.sh: %r" % line
        found["%s:%s" % (m.group(2), m.group(3))] = int(m.group(1))
    return found


def test_script_measures_functions(h):
    """The script sees functions at all: with a limit of 20 it must find
    the parsers known to be longer (a broken ctags call finds none)."""
    found = long_functions(h, "-n", "20")
    assert len(found) >= 30, found
    assert "sudo_plugin/rules.c:parse_token" in found, sorted(found)


def test_no_new_function_over_80_lines(h):
    found = long_functions(h)
    new = {f: n for f, n in found.items() if f not in STILL_LONG}
    assert not new, "functions over %d lines: %s" % (LIMIT, new)
    grew = {f: (STILL_LONG[f], n) for f, n in found.items()
            if n > STILL_LONG[f]}
    assert not grew, "listed functions that grew (was, now): %s" % grew
    done = sorted(f for f in STILL_LONG if f not in found)
    assert not done, "now within %d lines: remove from STILL_LONG in %s: " \
        "%s" % (LIMIT, __file__, done)
