# SPDX-License-Identifier: ISC
"""
The licence: LICENSE at the root, and scripts/spdx finds every tracked
source file without its SPDX line (the failure names them; the fix is
"scripts/spdx --add"), adds the line in each comment style without
disturbing a "#!" line, and leaves data files alone.
"""

import os
import shutil
import subprocess

SPDX = "SPDX-License-Identifier: ISC"


def spdx(h, *args):
    return subprocess.run(["/usr/bin/python3",
                           os.path.join(h.root, "scripts", "spdx")] +
                          list(args), capture_output=True, text=True,
                          timeout=30)


def test_license_file_is_isc(h):
    with open(os.path.join(h.root, "LICENSE"), encoding="utf-8") as f:
        text = f.read()
    assert text.startswith("ISC License"), text[:80]
    assert "Permission to use, copy, modify, and distribute" in text


def test_license_every_tracked_source_has_spdx_line(h):
    if shutil.which("git") is None or not os.path.exists(
            os.path.join(h.root, ".git")):
        raise h.Skip("not a git checkout: no list of tracked files")
    p = spdx(h, "--check")
    missing = [line.split(": ", 2)[-1] for line in p.stdout.splitlines()
               if "no SPDX-License-Identifier line" in line]
    assert p.returncode == 0, (
        "%d tracked source file(s) lack the SPDX line (scripts/spdx --add "
        "fixes them): %s" % (len(missing), " ".join(missing)))


SAMPLES = {
    "a.c": ("int x;\n", "/* %s */\nint x;\n" % SPDX),
    "b.h": ("#define B 1\n", "/* %s */\n#define B 1\n" % SPDX),
    "t.py": ("#!/usr/bin/python3\nprint(1)\n",
             "#!/usr/bin/python3\n# %s\nprint(1)\n" % SPDX),
    "s.sh": ("#!/bin/sh\ntrue\n", "#!/bin/sh\n# %s\ntrue\n" % SPDX),
    "Makefile": ("all:\n", "# %s\nall:\n" % SPDX),
    "p.8": (".Dd x\n", '.\\" %s\n.Dd x\n' % SPDX),
}


def test_license_spdx_names_and_fixes_files_without_it(h):
    d = os.path.join(h.tmp, "src")
    os.makedirs(d)
    paths = {}
    for name, (before, _) in SAMPLES.items():
        paths[name] = os.path.join(d, name)
        with open(paths[name], "w") as f:
            f.write(before)
    data = os.path.join(d, "notes.txt")
    with open(data, "w") as f:
        f.write("not source\n")
    files = list(paths.values()) + [data]
    p = spdx(h, "--check", *files)
    assert p.returncode == 1, p.stdout + p.stderr
    for path in paths.values():
        assert path in p.stdout, (path, p.stdout)
    assert data not in p.stdout, p.stdout
    p = spdx(h, "--add", *files)
    assert p.returncode == 0, p.stdout + p.stderr
    for name, (_, after) in SAMPLES.items():
        with open(paths[name]) as f:
            assert f.read() == after, name
    with open(data) as f:
        assert f.read() == "not source\n"
    # Idempotent: a second pass adds nothing and the check passes.
    p = spdx(h, "--add", *files)
    assert p.stdout == "", p.stdout
    p = spdx(h, "--check", *files)
    assert p.returncode == 0, p.stdout
