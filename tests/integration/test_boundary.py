# SPDX-License-Identifier: ISC
"""
The module/helper boundary, held by the build: the PAM module and the sudo
plugin link common/ only. They never load libcurl, carry no helper/ code
(network, CIBA, JWKS, JWT, replay store) and a module that calls helper
code fails to link (-z defs), rather than failing when sshd or sudo loads it.
"""

import os
import re
import shutil
import subprocess

MODULES = ("pam_bkey.so", "bkey_approval.so")


# ---- helpers -----------------------------------------------------------------
def module(h, name):
    path = os.path.join(h.build, name)
    assert os.path.isfile(path), "%s is not built" % path
    return path


def tool(name):
    path = shutil.which(name)
    if not path:
        raise AssertionError("%s not found (binutils / libc-bin)" % name)
    return path


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=120,
                          **kw)


def archive_symbols(h, archive):
    """The global symbols an archive of the build defines."""
    lib = os.path.join(h.build, archive)
    assert os.path.isfile(lib), "%s is not built" % lib
    p = run([tool("nm"), "--defined-only", "-g", lib])
    assert p.returncode == 0, p.stderr
    names = {f[2] for f in (l.split() for l in p.stdout.splitlines())
             if len(f) == 3 and f[1] in "TDBR"}
    assert len(names) >= 20, "%s: only %d symbols: %s" % (
        archive, len(names), sorted(names))
    return names


def symbols(path, dynamic):
    """Every symbol name of a shared object (its dynamic table, or the full
    table, locals included, unless it is stripped)."""
    args = [tool("nm")] + (["-D"] if dynamic else []) + [path]
    p = run(args)
    if not dynamic and "no symbols" in p.stderr:
        return None
    assert p.returncode == 0, p.stderr
    return {l.split()[-1].split("@")[0] for l in p.stdout.splitlines()
            if l.split()}


def probe(h, stray):
    """Link the probe module with the modules' own recipe, against the
    common archive already built; returns the make process."""
    core = os.path.join(h.build, "libbkeycore.a")
    assert os.path.isfile(core), "%s is not built" % core
    with open(os.path.join(h.build, "paths.stamp")) as f:
        stamp = f.read()
    out = os.path.join(h.tmp, "b")
    args = ["make", "-s", "-C", h.root, "B=" + out, "CORE_LIB=" + core,
            "-o", core, os.path.join(out, "tests", "boundary_probe.so")]
    if "sanitize=1" in stamp.split():
        args.append("SANITIZE=1")
    if stray:
        args.append("CPPFLAGS=-DPROBE_STRAY")
    return run(args)


# ---- tests -------------------------------------------------------------------
def test_modules_never_load_libcurl(h):
    for name in MODULES:
        path = module(h, name)
        p = run([tool("readelf"), "-d", path])
        assert p.returncode == 0, p.stderr
        needed = re.findall(r"\(NEEDED\).*\[(.*)\]", p.stdout)
        assert needed, "%s: no NEEDED entries read" % name
        assert not [n for n in needed if "curl" in n], (name, needed)
        p = run([tool("ldd"), path])
        assert p.returncode == 0, p.stderr
        assert "libsodium" in p.stdout, p.stdout
        assert "curl" not in p.stdout, "%s loads libcurl:\n%s" % (name,
                                                                  p.stdout)


def test_modules_carry_no_helper_code(h):
    helper = archive_symbols(h, "libbkeyhelper.a")
    common = archive_symbols(h, "libbkeycore.a")
    for name in MODULES:
        path = module(h, name)
        dyn = symbols(path, dynamic=True)
        assert not dyn & helper, "%s references %s" % (name,
                                                       sorted(dyn & helper))
        assert not [s for s in dyn if s.startswith("curl_")], (name, dyn)
        full = symbols(path, dynamic=False)
        if full is None:
            continue  # stripped: the dynamic table above is all there is
        assert len(full & common) >= 10, (
            "%s: its symbol table shows no common/ code: is nm reading it?"
            % name)
        assert not full & helper, "%s contains %s" % (name,
                                                      sorted(full & helper))


def test_module_calling_helper_code_fails_to_link(h):
    p = probe(h, stray=False)
    assert p.returncode == 0, "the probe does not link even without the " \
        "stray call:\n%s%s" % (p.stdout, p.stderr)
    p = probe(h, stray=True)
    assert p.returncode != 0, "a module calling bkey_http_free linked"
    assert "undefined reference to `bkey_http_free'" in p.stderr, p.stderr


test_module_calling_helper_code_fails_to_link.timeout = 120
