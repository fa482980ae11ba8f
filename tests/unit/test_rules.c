/* SPDX-License-Identifier: ISC */
/* The sudo plugin's rules file: parsing, errors naming the line, matching. */
#include <errno.h>
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "../../sudo_plugin/cmdpath.c"
#include "../../sudo_plugin/rules.c"

static bkey_error rerr;

/*
 * The group database of these tests, in place of NSS (account.c calls
 * this): "ops" is 4242, "users" 100, "ldapdown" fails the way an
 * unreachable directory does, anything else does not exist.
 */
int
getgrnam_r(const char *name, struct group *gr, char *buf, size_t len,
    struct group **res)
{
	*res = NULL;
	if (strcmp(name, "ldapdown") == 0)
		return EIO;
	if (strcmp(name, "ops") != 0 && strcmp(name, "users") != 0)
		return 0;
	if (len < strlen(name) + 1)
		return ERANGE;
	memset(gr, 0, sizeof(*gr));
	memcpy(buf, name, strlen(name) + 1);
	gr->gr_name = buf;
	gr->gr_gid = strcmp(name, "ops") == 0 ? 4242 : 100;
	*res = gr;
	return 0;
}

static int
parse(struct rules *rs, const char *text)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int rc;

	memset(&rerr, 0, sizeof(rerr));
	if (f == NULL)
		return -2;
	rc = rules_parse(rs, f, "t.rules", &rerr);
	fclose(f);
	return rc;
}

/* Parse must fail and the message must start with want. */
static int
fails_with(const char *text, const char *want)
{
	struct rules rs;
	int ok = parse(&rs, text) == -1 &&
	    strncmp(rerr.detail, want, strlen(want)) == 0;

	if (!ok)
		printf("  (got: %s)\n", rerr.detail);
	rules_free(&rs);
	return ok;
}

static struct rule_subject
subj(const char *user, const char *runas, const char *cmd, const char *args)
{
	struct rule_subject s;

	memset(&s, 0, sizeof(s));
	s.user = user;
	s.runas = runas;
	s.command = cmd;
	/* The usual case: a root-owned program that is not a link. */
	s.resolved = cmd != NULL && cmd[0] == '/' ? cmd : NULL;
	s.trusted = s.resolved != NULL;
	s.args = args;
	return s;
}

static const char example[] =
    "# comment line\n"
    "\n"
    "   # indented comment\n"
    "command=/usr/bin/psql iargs=\"(DROP|TRUNCATE)\" approve "
    "scope=approve:db:drop   # trailing comment\n"
    "user=junior approve approver=lead\n"
    "user=%ops,carol runas=root command=/usr/bin/systemctl "
    "args=\"^(status|show) \" allow\n"
    "command=reboot deny reason=\"no reboots, open a ticket\"\n"
    "user=%#4242 command=/bin/* deny\n"
    "user=* runas=postgres approve scope=approve:db\n";

static void
test_parse_example(void)
{
	struct rules rs;

	CHECK(parse(&rs, example) == 0);
	CHECK(rs.n == 6);
	CHECK(rs.uses_groups == 1);
	CHECK(rs.v[0].line == 4 && rs.v[0].action == RULE_APPROVE);
	CHECK_STR(rs.v[0].scope, "approve:db:drop");
	CHECK(rs.v[0].has_args && rs.v[0].args_icase);
	CHECK(rs.v[1].line == 5);
	CHECK_STR(rs.v[1].approver, "lead");
	CHECK_STR(rs.v[1].scope, "approve:sudo");
	CHECK(rs.v[2].action == RULE_ALLOW && rs.v[2].nusers == 2);
	CHECK_STR(rs.v[3].reason, "no reboots, open a ticket");
	CHECK(rs.v[4].action == RULE_DENY && rs.v[4].reason == NULL);
	rules_free(&rs);
}

static void
test_match(void)
{
	struct rules rs;
	struct rule_subject s;
	gid_t ops_gids[] = { 100, 4242 };
	const struct rule *r;

	CHECK(parse(&rs, example) == 0);
	CHECK(rules_resolve_groups(&rs, &rerr) == 0);
	/* case-insensitive args regex */
	s = subj("alice", "postgres", "/usr/bin/psql", "-c drop table x");
	r = rules_match(&rs, &s);
	CHECK(r->line == 4);
	/* no DROP: falls to the postgres rule */
	s = subj("alice", "postgres", "/usr/bin/psql", "-c select 1");
	CHECK(rules_match(&rs, &s)->line == 9);
	/* another path does not match an absolute glob */
	s = subj("alice", "postgres", "/tmp/psql", "-c DROP x");
	CHECK(rules_match(&rs, &s)->line == 9);
	/* junior needs the lead */
	s = subj("junior", "root", "/usr/bin/id", "");
	CHECK(rules_match(&rs, &s)->line == 5);
	/* group member, runas root, args anchored */
	s = subj("dave", "root", "/usr/bin/systemctl", "status nginx");
	s.gids = ops_gids;
	s.ngroups = 2;
	CHECK(rules_match(&rs, &s)->line == 6);
	/* case-sensitive args: "STATUS" is not allowed */
	s.args = "STATUS nginx";
	CHECK(rules_match(&rs, &s)->line == 0);
	/* %#gid matches by id; the glob star does not cross a slash */
	s = subj("dave", "root", "/bin/ls", "");
	s.gids = ops_gids;
	s.ngroups = 2;
	CHECK(rules_match(&rs, &s)->line == 8);
	s.command = "/bin/sub/ls";
	s.resolved = s.command;
	CHECK(rules_match(&rs, &s)->line == 0);
	/* not in the group: carol by name instead */
	s = subj("carol", "root", "/usr/bin/systemctl", "show x");
	CHECK(rules_match(&rs, &s)->line == 6);
	s = subj("eve", "root", "/usr/bin/systemctl", "show x");
	CHECK(rules_match(&rs, &s)->line == 0);
	/* a bare name matches the basename anywhere */
	s = subj("eve", "root", "/usr/sbin/reboot", "");
	CHECK(rules_match(&rs, &s)->line == 7);
	/* runas mismatch */
	s = subj("carol", "www-data", "/usr/bin/systemctl", "status x");
	CHECK(rules_match(&rs, &s)->line == 0);
	rules_free(&rs);
}

/* A group that cannot be looked up is an error, never "not a member". */
static void
test_groups(void)
{
	struct rules rs;
	struct rule_subject s = subj("dave", "root", "/bin/rm", "");
	gid_t gids[] = { 100, 4242 };

	s.gids = gids;
	s.ngroups = 2;
	CHECK(parse(&rs, "user=%nosuch deny\nuser=%ops allow\n") == 0);
	CHECK(rules_resolve_groups(&rs, &rerr) == 0);
	CHECK(rules_match(&rs, &s)->line == 2);
	s.ngroups = 1;			/* not in ops */
	CHECK(rules_match(&rs, &s)->line == 0);
	rules_free(&rs);
	/* the deny on line 2 cannot be evaluated: refuse to decide */
	CHECK(parse(&rs, "user=bob allow\nuser=%ldapdown deny\nallow\n") ==
	    0);
	CHECK(rules_resolve_groups(&rs, &rerr) == -1);
	CHECK_STR(rerr.detail, "t.rules:2: cannot look up group ldapdown");
	rules_free(&rs);
	/* %#gid is checked when parsed */
	CHECK(fails_with("user=%#12x allow\n", "t.rules:1: bad user list"));
	CHECK(fails_with("user=%#4294967295 allow\n",
	    "t.rules:1: bad user list"));
	CHECK(fails_with("user=%# allow\n", "t.rules:1: bad user list"));
}

/* sudo passes the command as typed: other spellings of a path. */
static void
test_path_spellings(void)
{
	struct rules rs;
	struct rule_subject s = subj("a", "root", "/usr/bin/shred", "");
	/* each with the cwd it is typed in */
	static const char *const denied[][2] = {
	    { "/usr/bin//shred", "/" }, { "/usr/bin/./shred", "/" },
	    { "/usr/sbin/../bin/shred", "/" }, { "//usr/bin/shred", "/" },
	    { "./shred", "/usr/bin" }, { "../bin/shred", "/usr/sbin" },
	    { "bin/../bin/shred", "/usr" }, { "shred", "/usr/bin" } };
	size_t i;

	CHECK(parse(&rs, "command=/usr/bin/shred deny\n"
	    "command=/usr/bin/uptime allow\n"
	    "command=/usr/bin/* approve scope=approve:bin\n") == 0);
	CHECK(rules_match(&rs, &s)->line == 1);
	for (i = 0; i < sizeof(denied) / sizeof(denied[0]); i++) {
		s.command = denied[i][0];
		s.cwd = denied[i][1];
		if (rules_match(&rs, &s)->line != 1)
			printf("  (%s not denied)\n", denied[i][0]);
		CHECK(rules_match(&rs, &s)->line == 1);
	}
	/* an allow applies to the resolved file, whatever the spelling */
	s.cwd = "/usr";
	s.command = "/usr/bin/uptime";
	s.resolved = "/usr/bin/uptime";
	CHECK(rules_match(&rs, &s)->line == 2);
	s.command = "/usr/bin//uptime";
	CHECK(rules_match(&rs, &s)->line == 2);
	s.command = "bin/uptime";
	CHECK(rules_match(&rs, &s)->line == 2);
	/* ... only when it is known and only root can change it */
	s.trusted = 0;
	CHECK(rules_match(&rs, &s)->line == 3);
	s.trusted = 1;
	s.resolved = NULL;
	CHECK(rules_match(&rs, &s)->line == 3);
	/* ".." above the root stays at the root */
	s.resolved = NULL;
	s.command = "/../../usr/bin/shred";
	CHECK(rules_match(&rs, &s)->line == 1);
	/* no cwd for a relative path: the raw text only */
	s.cwd = NULL;
	s.command = "./shred";
	CHECK(rules_match(&rs, &s)->line == 0);
	rules_free(&rs);
	/* a bare name in an allow rule is refused */
	CHECK(fails_with("allow\ncommand=uptime allow\n",
	    "t.rules:2: allow needs an absolute command path"));
	CHECK(parse(&rs, "command=uptime deny\n") == 0);
	s.cwd = "/usr";
	s.command = "/usr/bin//uptime";
	CHECK(rules_match(&rs, &s)->line == 1);
	rules_free(&rs);
}

/* The same program under another name: the resolved file decides. */
static void
test_resolved_file(void)
{
	struct rules rs;
	struct rule_subject s = subj("a", "root", "/bin/shred", "");

	CHECK(parse(&rs, "command=/usr/bin/shred deny\n"
	    "command=vim.basic deny\n"
	    "command=/usr/bin/id allow\n"
	    "command=/bin/true allow\n") == 0);
	/* merged /usr: /bin/shred is /usr/bin/shred */
	s.resolved = "/usr/bin/shred";
	CHECK(rules_match(&rs, &s)->line == 1);
	/* a link the caller controls still meets the deny it points at */
	s.command = "/home/a/harmless";
	s.trusted = 0;
	CHECK(rules_match(&rs, &s)->line == 1);
	/* a bare name matches the resolved file's name too (vi -> vim) */
	s = subj("a", "root", "/usr/bin/vi", "");
	s.resolved = "/usr/bin/vim.basic";
	CHECK(rules_match(&rs, &s)->line == 2);
	/* allow: the rule's path must be the resolved file */
	s = subj("a", "root", "/bin/id", "");
	s.resolved = "/usr/bin/id";
	CHECK(rules_match(&rs, &s)->line == 3);
	s = subj("a", "root", "/bin/true", "");
	s.resolved = "/usr/bin/true";
	CHECK(rules_match(&rs, &s)->line == 0);
	/* a caller's link to an allowed program: not allowed */
	s = subj("a", "root", "/home/a/id", "");
	s.resolved = "/usr/bin/id";
	s.trusted = 0;
	CHECK(rules_match(&rs, &s)->line == 0);
	rules_free(&rs);
}

/* Variables the caller set: no allow, matched by env=. */
static void
test_env_rules(void)
{
	struct rules rs;
	struct rule_subject s = subj("a", "root", "/usr/bin/id", "");
	char *env[] = { "PGHOST=evil", "LD_PRELOAD=./x.so", NULL };
	char *pg[] = { "PGHOST=evil", NULL };

	CHECK(parse(&rs, "env=\"^LD_\" deny reason=\"no loader tricks\"\n"
	    "command=/usr/bin/psql env=\"^PG\" approve scope=approve:db\n"
	    "command=/usr/bin/id allow\n") == 0);
	CHECK(rules_match(&rs, &s)->line == 3);
	s.env = env;
	CHECK(rules_match(&rs, &s)->line == 1);
	/* an allow never applies while the caller sets variables */
	s.env = pg;
	CHECK(rules_match(&rs, &s)->line == 0);
	s = subj("a", "root", "/usr/bin/psql", "");
	CHECK(rules_match(&rs, &s)->line == 0);
	s.env = pg;
	CHECK(rules_match(&rs, &s)->line == 2);
	rules_free(&rs);
	CHECK(fails_with("env=\"^LD_\" allow\n",
	    "t.rules:1: env= cannot be used with allow"));
	CHECK(fails_with("env=\"(\" deny\n",
	    "t.rules:1: bad regular expression"));
	CHECK(fails_with("env=a env=b deny\n", "t.rules:1: 'env=b' given "
	    "twice"));
	CHECK(fails_with("deny env=a\n",
	    "t.rules:1: env= must come before the action"));
}

/* sudoedit's files: deny and approve see both forms, allow the absolute. */
static void
test_sudoedit_forms(void)
{
	struct rules rs;
	struct rule_subject s = subj("a", "root", "sudoedit", "shadow");

	s.resolved = NULL;
	s.args_norm = "/etc/shadow";
	CHECK(parse(&rs, "command=sudoedit args=\"^/etc/shadow$\" deny\n"
	    "command=/usr/bin/sudoedit args=x allow\n"
	    "args=\"^/etc/motd$\" allow\n") == 0);
	CHECK(rules_match(&rs, &s)->line == 1);
	s.args = "/etc/motd";
	s.args_norm = "/etc/motd";
	CHECK(rules_match(&rs, &s)->line == 3);
	/* a typed form that looks allowed but names another file */
	s.args = "/etc/motd";
	s.args_norm = "/srv/motd";
	CHECK(rules_match(&rs, &s)->line == 0);
	rules_free(&rs);
}

static void
test_default(void)
{
	struct rules rs;
	struct rule_subject s = subj("a", "root", "/bin/true", "");
	const struct rule *r;

	rules_init(&rs);
	r = rules_match(&rs, &s);
	CHECK(r != NULL && r->line == 0 && r->action == RULE_APPROVE);
	CHECK_STR(r->scope, "approve:sudo");
	CHECK(r->approver == NULL);
	CHECK(parse(&rs, "# only comments\n\n") == 0 && rs.n == 0);
	rules_free(&rs);
	/* a catch-all rule */
	CHECK(parse(&rs, "allow\n") == 0);
	CHECK(rules_match(&rs, &s)->action == RULE_ALLOW);
	rules_free(&rs);
}

/* Ordinary expressions, with literals that look like repetition, pass. */
static void
test_regex_complexity_allows_normal(void)
{
	static const char *ok[] = {
		"iargs=\"\\b(DROP|TRUNCATE)\\b\" deny\n",
		"args=\"[+*?{]+\" deny\n",
		"args=\"\\++\\*?x\" deny\n",
		"args=\"^-c .*(FLUSHALL|FLUSHDB)\" deny\n",
		"args=\"a{2,5}b{3}\" deny\n",
		"args=\"[[:alpha:]]+[]x]*\" deny\n",
	};
	struct rules rs;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (parse(&rs, ok[i]) != 0) {
			printf("# refused: %s", ok[i]);
			CHECK(0);
			continue;
		}
		rules_free(&rs);
	}
}

static void
test_errors(void)
{
	CHECK(fails_with("allow\nbogus\n",
	    "t.rules:2: expected key=value or an action"));
	CHECK(fails_with("\n\ncolour=red allow\n", "t.rules:3: unknown key"));
	CHECK(fails_with("user=alice\n", "t.rules:1: no action"));
	CHECK(fails_with("args=\"(\" allow\n",
	    "t.rules:1: bad regular expression"));
	/* glibc's regcomp is exponential in these: refused up front. */
	CHECK(fails_with("args=\"a++++++++++++++++++++\" allow\n",
	    "t.rules:1: regular expression too complex: a repetition of a "
	    "repetition"));
	CHECK(fails_with("args=\"((((((((a+)+)+)+)+)+)+)+)+\" deny\n",
	    "t.rules:1: regular expression too complex: more than 6 "
	    "repeated groups"));
	CHECK(fails_with("args=\"a{256}\" deny\n",
	    "t.rules:1: regular expression too complex: a {m,n} bound over "
	    "255"));
	CHECK(fails_with("args=\"a{2}{3}\" deny\n",
	    "t.rules:1: regular expression too complex: a repetition of a "
	    "repetition"));
	CHECK(fails_with("command=/bin/x args=\"unterminated allow\n",
	    "t.rules:1: unterminated quote"));
	CHECK(fails_with("approve scope=\"bad scope\"\n",
	    "t.rules:1: bad scope"));
	CHECK(fails_with("approve approver=\"not a name!\"\n",
	    "t.rules:1: approver must be"));
	CHECK(fails_with("approve approver=did:bad\n",
	    "t.rules:1: approver must be"));
	CHECK(fails_with("allow scope=approve:x\n", "t.rules:1: unknown key"));
	CHECK(fails_with("deny user=bob\n",
	    "t.rules:1: user= must come before"));
	CHECK(fails_with("scope=approve:x approve\n",
	    "t.rules:1: scope= must follow"));
	CHECK(fails_with("user=a user=b allow\n", "t.rules:1: 'user=b' given"));
	CHECK(fails_with("command=bin/ls allow\n",
	    "t.rules:1: command must be"));
	CHECK(fails_with("user=%bad! allow\n", "t.rules:1: bad user list"));
	CHECK(fails_with("user=a,,b allow\n", "t.rules:1: bad user list"));
	CHECK(fails_with("runas=%wheel allow\n", "t.rules:1: bad runas"));
	CHECK(fails_with("approve approve\n", "t.rules:1: expected"));
	CHECK(fails_with("allow\ncommand=/x\x01 allow\n",
	    "t.rules:2: control character"));
	CHECK(fails_with("approve scope=a scope=b\n",
	    "t.rules:1: scope given twice"));
	CHECK(fails_with("deny reason=\"\"\n", "t.rules:1: reason must be"));
}

/* remember=SECONDS (issue 11): 0..900 plain digits, approve rules only. */
static void
test_remember_key(void)
{
	struct rules rs;
	static const char *const bad[] = {
		"remember=901", "remember=-1", "remember=+5", "remember=5s",
		"remember=x", "remember=", "remember=0x10", "remember=1e2",
		"remember=99999999999999999999",
	};
	char text[128], want[128];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "allow\napprove %s\n", bad[i]);
		snprintf(want, sizeof(want),
		    "t.rules:2: remember must be 0..900 seconds, not '%.20s'",
		    bad[i] + strlen("remember="));
		CHECK(fails_with(text, want));
	}
	CHECK(fails_with("approve remember=5 remember=6\n",
	    "t.rules:1: 'remember=6' given twice"));
	/* a 0 given first is given all the same */
	CHECK(fails_with("approve remember=0 remember=5\n",
	    "t.rules:1: 'remember=5' given twice"));
	CHECK(fails_with("allow remember=5\n", "t.rules:1: unknown key"));
	CHECK(fails_with("deny remember=5\n", "t.rules:1: unknown key"));
	CHECK(parse(&rs, "approve remember=900\n") == 0 &&
	    rs.n == 1 && rs.v[0].remember == 900);
	rules_free(&rs);
	CHECK(parse(&rs, "approve remember=0\n") == 0 && rs.n == 1 &&
	    rs.v[0].remember == 0);
	rules_free(&rs);
	CHECK(parse(&rs, "approve\n") == 0 && rs.v[0].remember == 0);
	rules_free(&rs);
}

static void
test_quotes(void)
{
	struct rules rs;
	struct rule_subject s = subj("a", "root", "/bin/echo",
	    "say \"hi\" \\o/");

	CHECK(parse(&rs, "args=\"\\\"hi\\\" \\\\\\\\o\" deny\n") == 0);
	CHECK(rules_match(&rs, &s)->action == RULE_DENY);
	rules_free(&rs);
	/* '#' inside a value is not a comment */
	CHECK(parse(&rs, "args=a#b deny\n") == 0);
	s.args = "xa#bx";
	CHECK(rules_match(&rs, &s)->action == RULE_DENY);
	rules_free(&rs);
}

static void
test_long_line(void)
{
	static char text[RULES_LINE_MAX + 64];
	struct rules rs;

	memset(text, ' ', sizeof(text));
	memcpy(text, "allow", 5);
	text[sizeof(text) - 2] = '\n';
	text[sizeof(text) - 1] = '\0';
	CHECK(parse(&rs, text) == -1);
	CHECK(strstr(rerr.detail, "t.rules:1: line too long") != NULL);
}

static void
test_load_checks(void)
{
	char dir[] = "/tmp/test_rules.XXXXXX", path[128];
	struct rules rs;
	FILE *f;

	if (mkdtemp(dir) == NULL) {
		unit_cur_failed = 1;
		return;
	}
	(void)snprintf(path, sizeof(path), "%s/sudo.rules", dir);
	/* missing file: an error, never "no rules" */
	CHECK(rules_load(&rs, path, &rerr) == -1);
	CHECK(strstr(rerr.detail, path) != NULL);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f != NULL) {
		fputs("deny\n", f);
		fclose(f);
	}
	CHECK(chmod(path, 0644) == 0);
	CHECK(rules_load(&rs, path, &rerr) == 0);
	CHECK(rs.n == 1);
	rules_free(&rs);
	/* group- or world-writable: refused */
	CHECK(chmod(path, 0664) == 0);
	CHECK(rules_load(&rs, path, &rerr) == -1);
	CHECK(chmod(path, 0646) == 0);
	CHECK(rules_load(&rs, path, &rerr) == -1);
	/* relative path refused */
	CHECK(rules_load(&rs, "sudo.rules", &rerr) == -1);
	(void)unlink(path);
	(void)rmdir(dir);
}

int
main(void)
{
	unit_suite = "rules";
	RUN(test_parse_example);
	RUN(test_match);
	RUN(test_groups);
	RUN(test_path_spellings);
	RUN(test_resolved_file);
	RUN(test_env_rules);
	RUN(test_sudoedit_forms);
	RUN(test_default);
	RUN(test_errors);
	RUN(test_remember_key);
	RUN(test_regex_complexity_allows_normal);
	RUN(test_quotes);
	RUN(test_long_line);
	RUN(test_load_checks);
	UNIT_DONE();
}
