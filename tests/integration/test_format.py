# SPDX-License-Identifier: ISC
"""
The C style is .clang-format's: every product file but those in
scripts/format-pending (written before it, reformatted one by one) must
match it, and a pending file that already matches must leave the list.
"""

import os
import shutil
import subprocess


def check_format(h, *files):
    if shutil.which("clang-format") is None:
        raise h.Skip("clang-format not installed (scripts/install-deps.sh)")
    return subprocess.run(["sh", os.path.join(h.root, "scripts",
                                              "check-format")] + list(files),
                          capture_output=True, text=True, cwd=h.root)


def test_product_files_match_the_style(h):
    p = check_format(h)
    assert p.returncode == 0, p.stdout + p.stderr


def test_a_misformatted_file_is_caught(h):
    bad = os.path.join(h.tmp, "bad.c")
    with open(bad, "w") as f:
        f.write("int f(int a){if(a) return 1; return 0;}\n")
    p = check_format(h, bad)
    assert p.returncode == 1 and "differ" in p.stderr, p.stdout + p.stderr
    good = os.path.join(h.tmp, "good.c")
    with open(good, "w") as f:
        f.write("int\nf(int a)\n{\n\tif (a)\n\t\treturn 1;\n\treturn 0;\n}\n")
    p = check_format(h, good)
    assert p.returncode == 0, p.stdout + p.stderr
