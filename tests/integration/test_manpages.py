# SPDX-License-Identifier: ISC
"""
The manual pages in man/: mandoc finds nothing to warn about, man-db renders
them, make install puts them in place, the rules in the examples load, and
every name the code accepts has an entry in its page.

The names are read from the C sources with regular expressions (comments
removed first), so a new config key, module argument, option or rules key
without an entry fails here. Each extraction must find a plausible number
of names: a pattern broken by a rewrite fails rather than passing on an
empty list.

An entry is a word of a ".It" line (the head of a list item): "Cm conf Ns =
Ns Ar file" documents conf, "Fl -config Ar file" documents config. Prose
mentions do not count.
"""

import os
import re
import shutil
import stat
import subprocess

PAGES = ("bkey-approve.1", "bkey.conf.5", "bkey-sudo.rules.5",
         "bkey_approval.8", "pam_bkey.8", "bkey-admin.8")


# ---- helpers -----------------------------------------------------------------
def page_path(h, name):
    return os.path.join(h.root, "man", name)


def page_text(h, name):
    path = page_path(h, name)
    assert os.path.isfile(path), "missing manual page %s" % path
    with open(path, encoding="utf-8") as f:
        return f.read()


def c_source(h, rel):
    """A C file without its comments: a name in a comment is not code."""
    with open(os.path.join(h.root, rel), encoding="utf-8") as f:
        return re.sub(r"/\*.*?\*/", " ", f.read(), flags=re.S)


def found(rel, what, names, minimum):
    """The names an extraction found, checked for plausibility."""
    names = sorted(set(names))
    assert len(names) >= minimum, (
        "%s: found only %d %s (%s), expected at least %d: has the code "
        "changed shape?" % (rel, len(names), what, names, minimum))
    return names


def entries(text, section=None):
    """The words of the .It lines of a page (of one .Sh section if given),
    with leading dashes and anything from '=' on removed."""
    words = set()
    current = None
    for line in text.splitlines():
        m = re.match(r"\.Sh\s+(.*)$", line)
        if m:
            current = m.group(1).strip().strip('"')
            continue
        if not re.match(r"\.It(\s|$)", line):
            continue
        if section is not None and current != section:
            continue
        for w in re.split(r"[\s,|\[\]]+", line[3:]):
            w = re.sub(r"=.*$", "", w.replace("\\&", "").strip('"'))
            w = w.lstrip("-")
            if w:
                words.add(w)
    return words


# ---- the pages as files --------------------------------------------------------
def test_mandoc_lint(h):
    mandoc = shutil.which("mandoc")
    if mandoc is None:
        raise h.Skip("mandoc is not installed (Debian package mandoc, "
                     "see scripts/install-deps.sh)")
    for name in PAGES:
        path = page_path(h, name)
        assert os.path.isfile(path), "missing manual page %s" % path
        p = subprocess.run([mandoc, "-Tlint", "-W", "warning", path],
                           capture_output=True, text=True, timeout=30)
        out = (p.stdout + p.stderr).strip()
        findings = [l for l in out.splitlines() if name in l]
        assert p.returncode == 0 and not findings, \
            "mandoc -Tlint -W warning %s: exit %d\n%s" % (name, p.returncode,
                                                          out)


def test_man_db_renders(h):
    if shutil.which("man") is None:
        raise h.Skip("man (Debian package man-db) is not installed")
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "MANWIDTH": "80",
           "MANPAGER": "cat", "PAGER": "cat", "HOME": h.tmp}
    for name in PAGES:
        p = subprocess.run(["man", "--warnings", "-l", page_path(h, name)],
                           capture_output=True, text=True, timeout=30,
                           env=env, stdin=subprocess.DEVNULL)
        assert p.returncode == 0 and p.stderr.strip() == "", \
            "man -l %s: exit %d\n%s" % (name, p.returncode, p.stderr)
        title = name.rsplit(".", 1)[0].upper()
        assert p.stdout.startswith(title + "("), p.stdout[:200]
        for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "SEE ALSO"):
            assert re.search(r"^%s$" % section, p.stdout, re.M), \
                "%s: no %s section in\n%s" % (name, section, p.stdout[:400])


def test_make_install_pages(h):
    if shutil.which("make") is None:
        raise h.Skip("make is not installed")
    stage = os.path.join(h.tmp, "stage")
    p = subprocess.run(["make", "-s", "-C", h.root, "install-man",
                        "DESTDIR=" + stage, "PREFIX=/usr"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    for name in PAGES:
        path = os.path.join(stage, "usr/share/man", "man" + name[-1], name)
        assert os.path.isfile(path), "make install-man did not install " + path
        mode = stat.S_IMODE(os.stat(path).st_mode)
        assert mode == 0o644, "%s has mode %04o, not 0644" % (path, mode)


def test_rules_page_examples_load(h):
    """Every rule line in the EXAMPLES of bkey-sudo.rules(5) loads."""
    so = os.path.join(h.build, "bkey_approval.so")
    drv = os.path.join(h.build, "tests", "sudo_driver")
    for p in (so, drv):
        if not os.path.exists(p):
            raise h.Skip("%s not built" % p)
    text = page_text(h, "bkey-sudo.rules.5")
    examples = text.split("\n.Sh EXAMPLES\n", 1)[1].split("\n.Sh ", 1)[0]
    blocks = re.findall(r"^\.Bd -literal[^\n]*\n(.*?)^\.Ed$", examples,
                        re.S | re.M)
    rules = "".join(blocks).replace("\\e", "\\").replace("\\(dq", '"') \
        .replace("\\&", "")
    assert len(rules.splitlines()) >= 8, rules
    path = os.path.join(h.tmp, "page.rules")
    with open(path, "w") as f:
        f.write(rules)
    os.chmod(path, 0o644)
    p = subprocess.run([drv, so, "--opt", "conf=" + h.config(),
                        "--opt", "rules=" + path,
                        "--opt", "helper=" + os.path.join(h.build,
                                                          "bkey-approve"),
                        "--show-version"],
                       capture_output=True, text=True, timeout=30,
                       stdin=subprocess.DEVNULL)
    assert p.returncode == 0 and re.search(r"^open=1 ", p.stdout, re.M), \
        "the example rules do not load:\n%s\n%s%s" % (rules, p.stdout,
                                                      p.stderr)


# ---- every name in the code has an entry -----------------------------------------
# (what, source, page, patterns whose group 1 is a name, at least, one known
# name[, a pattern whose group 1 is the part of the source to search])
NAMES = (
    ("config keys", "common/config.c", "bkey.conf.5",
     [r'"([a-z][a-z0-9_]*)"'], 15, "run_as",
     r"\bkey_names\s*\[[^\]]*\]\s*=\s*\{(.*?)\}\s*;"),
    ("module arguments", "pam_bkey/args.c", "pam_bkey.8",
     [r'\bstrcmp\s*\(\s*arg\s*,\s*"([a-z_]+)"\s*\)',
      r'\bbkey_modopt_value\s*\(\s*arg\s*,\s*"([a-z_]+)"\s*\)'], 5,
     "nouserok"),
    ("module argument values", "pam_bkey/args.c", "pam_bkey.8",
     [r'\bstrcmp\s*\(\s*v\s*,\s*"([a-z_]+)"\s*\)'], 4, "prompt"),
    ("long options", "cli/bkey-approve.c", "bkey-approve.1",
     [r'\{\s*"([a-z][a-z0-9-]*)"\s*,\s*(?:no|required|optional)_argument'],
     10, "request-stdin"),
    ("admin options", "admin/admin.c", "bkey-admin.8",
     [r'\{\s*"([a-z][a-z0-9-]*)"\s*,\s*(?:no|required|optional)_argument'],
     4, "quiet"),
    ("plugin options", "sudo_plugin/options.c", "bkey_approval.8",
     [r'\bstrn?cmp\s*\(\s*opt\s*,\s*"([a-z_]+)=?"'], 1, "rules"),
    # the options both modules take: one parser, both pages
    *[row for page in ("pam_bkey.8", "bkey_approval.8") for row in (
        ("shared module options", "common/modopts.c", page,
         [r'\{\s*"([a-z_]+)"\s*,\s*SEEN_',
          r'\bstrcmp\s*\(\s*arg\s*,\s*"([a-z_]+)"\s*\)'], 5,
         "failmode"),
        ("shared module option values", "common/modopts.c", page,
         [r'\bstrcmp\s*\(\s*v\s*,\s*"([a-z_]+)"\s*\)'], 2, "safe"))],
    ("rules keys", "sudo_plugin/rules.c", "bkey-sudo.rules.5",
     [r'\{\s*"([a-z_]+)"\s*,\s*(?:KEY_SUBJECT|RULE_[A-Z]+)\s*,'], 8, "env"),
    ("rules actions", "sudo_plugin/rules.c", "bkey-sudo.rules.5",
     [r'\bstrcmp\s*\(\s*t\s*,\s*"([a-z]+)"\s*\)'], 3, "deny"),
)


def check_names(h, source):
    """Every name of the NAMES rows for source has an entry in its page."""
    rows = [r for r in NAMES if r[1] == source]
    assert rows, source
    for what, rel, page, patterns, minimum, known, *within in rows:
        src = c_source(h, rel)
        if within:
            m = re.search(within[0], src, re.S)
            assert m, "%s: no match for %s" % (rel, within[0])
            src = m.group(1)
        names = found(rel, what, [n for p in patterns
                                  for n in re.findall(p, src)], minimum)
        assert known in names, "%s: %s not among the %s found: %s" % (
            rel, known, what, names)
        missing = [n for n in names if n not in entries(page_text(h, page))]
        assert not missing, "%s in %s but without an entry in man/%s: %s" \
            % (what, rel, page, ", ".join(missing))


def test_config_keys_documented(h):
    check_names(h, "common/config.c")


def test_pam_args_documented(h):
    check_names(h, "pam_bkey/args.c")


def test_cli_options_documented(h):
    check_names(h, "cli/bkey-approve.c")


def test_admin_options_documented(h):
    check_names(h, "admin/admin.c")


def test_sudo_options_documented(h):
    check_names(h, "sudo_plugin/options.c")


def test_shared_module_options_documented(h):
    check_names(h, "common/modopts.c")


def test_rules_keys_documented(h):
    check_names(h, "sudo_plugin/rules.c")


def test_cli_exit_statuses_documented(h):
    rel = "common/result.c"
    rows = re.findall(r'\{\s*BKEY_[A-Z_]+\s*,\s*(\d+)\s*,\s*"([a-z]+)"\s*\}',
                      c_source(h, rel))
    codes = found(rel, "exit statuses", [c for c, _ in rows], 8)
    words = found(rel, "reason words", [w for _, w in rows], 9)
    text = page_text(h, "bkey-approve.1")
    listed = entries(text, "EXIT STATUS")
    missing = [c for c in codes if c not in listed]
    assert not missing, "exit statuses in %s without an entry in EXIT " \
        "STATUS of man/bkey-approve.1: %s" % (rel, ", ".join(missing))
    missing = [w for w in words if not re.search(r"\b%s\b" % w, text)]
    assert not missing, "result words in %s not in man/bkey-approve.1: %s" \
        % (rel, ", ".join(missing))
