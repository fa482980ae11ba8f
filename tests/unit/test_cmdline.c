/* SPDX-License-Identifier: ISC */
/* Shell quoting and the phone message of the sudo plugin (pure logic). */
#include "unit.h"
#include "../../sudo_plugin/cmdline.c"

static char *
q(const char *arg)
{
	static char out[1024];
	bkey_buf b;

	bkey_buf_init(&b, 0);
	cmd_quote(&b, arg);
	(void)snprintf(out, sizeof(out), "%s", b.data ? b.data : "");
	bkey_buf_free(&b);
	return out;
}

static void
test_quote_plain(void)
{
	CHECK_STR(q("psql"), "psql");
	CHECK_STR(q("-c"), "-c");
	CHECK_STR(q("/usr/bin/x,y:z=1%@+_."), "/usr/bin/x,y:z=1%@+_.");
	CHECK_STR(q(""), "''");
}

static void
test_quote_single(void)
{
	CHECK_STR(q("DROP TABLE users_archive"), "'DROP TABLE users_archive'");
	CHECK_STR(q("it's"), "'it'\\''s'");
	CHECK_STR(q("a\"b"), "'a\"b'");
	CHECK_STR(q("$(rm -rf /)"), "'$(rm -rf /)'");
	CHECK_STR(q("*"), "'*'");
	CHECK_STR(q("caf\xc3\xa9"), "'caf\xc3\xa9'");	/* UTF-8 kept */
	CHECK_STR(q("a\\b"), "'a\\b'");
}

static void
test_quote_dollar(void)
{
	CHECK_STR(q("a\nb"), "$'a\\nb'");
	CHECK_STR(q("x\x1b[2Jy"), "$'x\\e[2Jy'");
	CHECK_STR(q("t\tr\r"), "$'t\\tr\\r'");
	CHECK_STR(q("it's\n"), "$'it\\'s\\n'");
	CHECK_STR(q("back\\slash\n"), "$'back\\\\slash\\n'");
	CHECK_STR(q("\x01\x7f"), "$'\\x01\\x7f'");
	/* invalid UTF-8, overlong '/', a lone continuation byte */
	CHECK_STR(q("a\xff"), "$'a\\xff'");
	CHECK_STR(q("\xc0\xaf"), "$'\\xc0\\xaf'");
	CHECK_STR(q("\x80"), "$'\\x80'");
	/* RLO, zero-width space, no-break space, C1 CSI, BOM */
	CHECK_STR(q("a\xe2\x80\xaez"), "$'a\\u202ez'");
	CHECK_STR(q("r\xe2\x80\x8bm"), "$'r\\u200bm'");
	CHECK_STR(q("rm\xc2\xa0-rf"), "$'rm\\u00a0-rf'");
	CHECK_STR(q("\xc2\x9b"), "$'\\u009b'");
	CHECK_STR(q("\xef\xbb\xbf"), "$'\\ufeff'");
	CHECK_STR(q("\xf3\xa0\x80\x81"), "$'\\U000e0001'");	/* tag */
}

static void
test_cap(void)
{
	char s[64];

	(void)snprintf(s, sizeof(s), "abcdefghij");
	CHECK(cmd_cap(s, 10) == 10);
	CHECK_STR(s, "abcdefghij");
	CHECK(cmd_cap(s, 8) == 8);
	CHECK_STR(s, "abcde\xe2\x80\xa6");
	/* never split a character: "é" is 2 bytes */
	(void)snprintf(s, sizeof(s), "abcd\xc3\xa9xyz");
	CHECK(cmd_cap(s, 8) == 7);
	CHECK_STR(s, "abcd\xe2\x80\xa6");
}

static void
test_basename_editfiles(void)
{
	char *a1[] = { "vi", "--", "/etc/hosts", "/etc/x", NULL };
	char *a2[] = { "vi", "-n", "/etc/hosts", NULL };
	char *a3[] = { "vi", "-n", "--", "/etc/hosts", NULL };

	CHECK_STR(cmd_basename("/usr/bin/psql"), "psql");
	CHECK_STR(cmd_basename("psql"), "psql");
	CHECK_STR(cmd_basename("/"), "");
	CHECK_STR(cmd_edit_files(a1, 0)[0], "/etc/hosts");
	CHECK_STR(cmd_edit_files(a1, 1)[0], "/etc/x");
	CHECK_STR(cmd_edit_files(a2, 0)[0], "-n");
	CHECK_STR(cmd_edit_files(a2, 1)[0], "/etc/hosts");
	CHECK_STR(cmd_edit_files(a3, 9)[0], "/etc/hosts");	/* nfiles bogus */
}

/* cmd_message with a trusted resolved path equal to command (the usual
 * case of a system program), host "h" and runas "root" unless given. */
static char *
show(const char *user, const char *runas, const char *host, const char *cmd,
    const char *resolved, int trusted, char *const *argv,
    char *const *edit, char *const *env, size_t max)
{
	struct cmd_view v;
	char *out;

	memset(&v, 0, sizeof(v));
	v.user = user;
	v.runas = runas != NULL ? runas : "root";
	v.host = host != NULL ? host : "h";
	v.command = cmd;
	v.resolved = resolved;
	v.trusted = trusted;
	v.argv = argv;
	v.edit_files = edit;
	v.env = env;
	if (cmd_message(&v, max, &out) != 0)
		return NULL;
	return out;
}

static void
test_message_example(void)
{
	char *argv[] = { "psql", "-c", "DROP TABLE users_archive", NULL };
	char *m = show("alice", "postgres", "db-prod-1", "/usr/bin/psql",
	    "/usr/bin/psql", 1, argv, NULL, NULL, 256);

	CHECK_STR(m, "alice \xe2\x86\x92 postgres on db-prod-1: psql -c "
	    "'DROP TABLE users_archive'");
	free(m);
}

static void
test_message_hostile(void)
{
	char *argv[] = { "sh", "-c", "echo ok\nrm -rf /", "\x1b]0;pwn\x07",
	    "a b", NULL };
	char *m = show("al ice", NULL, NULL, "/bin/sh", "/bin/sh", 1, argv,
	    NULL, NULL, 256);

	CHECK_STR(m, "'al ice' \xe2\x86\x92 root on h: sh -c "
	    "$'echo ok\\nrm -rf /' $'\\e]0;pwn\\x07' 'a b'");
	free(m);
}

/* Quotation-mark look-alikes would make one argument read as two. */
static void
test_message_quote_lookalikes(void)
{
	char *argv[] = { "rm", "-rf", "/srv/old\xe2\x80\x99 \xe2\x80\x98/",
	    "\xef\xbc\x87x", "\xc2\xabx\xc2\xbb", NULL };
	char *m = show("u", NULL, NULL, "/usr/bin/rm", "/usr/bin/rm", 1, argv,
	    NULL, NULL, 256);

	CHECK_STR(m, "u \xe2\x86\x92 root on h: rm -rf "
	    "$'/srv/old\\u2019 \\u2018/' $'\\uff07x' $'\\u00abx\\u00bb'");
	free(m);
}

static void
test_message_sudoedit(void)
{
	char *argv[] = { "/usr/bin/vi", "--", "/etc/hosts", "/etc/my file",
	    NULL };
	char *m = show("bob", NULL, "web1", "/usr/bin/vi", "/usr/bin/vi", 1,
	    argv, cmd_edit_files(argv, 0), NULL, 256);

	CHECK_STR(m, "bob \xe2\x86\x92 root on web1: edit /etc/hosts "
	    "'/etc/my file'");
	free(m);
}

static void
test_message_capped(void)
{
	static char big[5000];
	char *argv[] = { "x", big, NULL };
	char *m;

	memset(big, 'A', sizeof(big) - 1);
	m = show("u", NULL, NULL, "/bin/x", "/bin/x", 1, argv, NULL, NULL,
	    256);
	CHECK(m != NULL && strlen(m) == 256);
	CHECK(m != NULL && strcmp(m + 253, "\xe2\x80\xa6") == 0);
	free(m);
	/* a huge argument full of control bytes still fits and is capped */
	memset(big, '\n', sizeof(big) - 1);
	m = show("u", NULL, NULL, "/bin/x", "/bin/x", 1, argv, NULL, NULL,
	    256);
	CHECK(m != NULL && strlen(m) <= 256);
	CHECK(m != NULL && strstr(m, "$'\\n\\n") != NULL);
	free(m);
	m = cmd_full("/bin/x", argv, 1024);
	CHECK(m != NULL && strlen(m) <= 1024 && strncmp(m, "/bin/x $'", 9)
	    == 0);
	free(m);
}

/* Two different commands never show as the same text. */
static void
test_message_command_name(void)
{
	char *argv[] = { "psql", "-c", "x", NULL };
	char *files[] = { "vi", "--", "/etc/shadow", NULL };
	char *edit[] = { "edit", "/etc/shadow", NULL };
	char *a, *b;

	a = show("u", NULL, NULL, "/usr/bin/psql", "/usr/bin/psql", 1, argv,
	    NULL, NULL, 256);
	b = show("u", NULL, NULL, "/home/u/psql", "/home/u/psql", 0, argv,
	    NULL, NULL, 256);
	CHECK_STR(a, "u \xe2\x86\x92 root on h: psql -c x");
	CHECK_STR(b, "u \xe2\x86\x92 root on h: /home/u/psql -c x");
	free(a);
	free(b);
	/* odd spellings of a system path show the file they name */
	a = show("u", NULL, NULL, "/usr/bin//psql", "/usr/bin/psql", 1, argv,
	    NULL, NULL, 256);
	CHECK_STR(a, "u \xe2\x86\x92 root on h: psql -c x");
	free(a);
	/* another spelling of the same name: once (merged /usr) */
	a = show("u", NULL, NULL, "/bin/psql", "/usr/bin/psql", 1, argv,
	    NULL, NULL, 256);
	CHECK_STR(a, "u \xe2\x86\x92 root on h: psql -c x");
	free(a);
	/* a link to a program of another name: both */
	a = show("u", NULL, NULL, "/usr/bin/vi", "/usr/bin/vim.basic", 1,
	    argv, NULL, NULL, 256);
	CHECK_STR(a, "u \xe2\x86\x92 root on h: vi (vim.basic) -c x");
	free(a);
	a = show("u", NULL, NULL, "/usr/bin/psql",
	    "/usr/share/postgresql-common/pg_wrapper", 1, argv, NULL, NULL,
	    256);
	CHECK_STR(a, "u \xe2\x86\x92 root on h: psql "
	    "(/usr/share/postgresql-common/pg_wrapper) -c x");
	free(a);
	/* the same name in another directory: the file's whole path */
	a = show("u", NULL, NULL, "/usr/local/bin/psql", "/opt/pg/psql", 1,
	    argv, NULL, NULL, 256);
	CHECK_STR(a, "u \xe2\x86\x92 root on h: /opt/pg/psql -c x");
	free(a);
	/* a path the caller can change: as given, and what it named */
	a = show("u", NULL, NULL, "./psql", "/home/u/bin/psql", 0, argv,
	    NULL, NULL, 256);
	CHECK_STR(a, "u \xe2\x86\x92 root on h: ./psql (now "
	    "/home/u/bin/psql) -c x");
	free(a);
	a = show("u", NULL, NULL, "/home/u/ls", "/usr/bin/rm", 0, argv,
	    NULL, NULL, 256);
	CHECK_STR(a, "u \xe2\x86\x92 root on h: /home/u/ls (now "
	    "/usr/bin/rm) -c x");
	free(a);
	/* a path that does not resolve: as given, whole */
	a = show("u", NULL, NULL, "/usr/bin/gone", NULL, 0, argv, NULL, NULL,
	    256);
	CHECK_STR(a, "u \xe2\x86\x92 root on h: /usr/bin/gone -c x");
	free(a);
	/* sudoedit /etc/shadow vs sudo edit /etc/shadow (run-mailcap) */
	a = show("u", NULL, NULL, "/usr/bin/vi", "/usr/bin/vi", 1, files,
	    cmd_edit_files(files, 1), NULL, 256);
	b = show("u", NULL, NULL, "/usr/bin/edit", "/usr/bin/edit", 1, edit,
	    NULL, NULL, 256);
	CHECK_STR(a, "u \xe2\x86\x92 root on h: edit /etc/shadow");
	CHECK_STR(b, "u \xe2\x86\x92 root on h: /usr/bin/edit /etc/shadow");
	free(a);
	free(b);
}

/* Caller-set variables are named, quoted, and never cut away. */
static void
test_message_env(void)
{
	static char big[3000];
	char *argv[] = { "uptime", NULL };
	char *longv[] = { "x", big, NULL };
	char *env[] = { "LD_PRELOAD=./x.so", "PGOPTIONS=-c x", NULL };
	char *benv[] = { big, "PYTHONPATH=/home/evil", NULL };
	char *many[40];
	char names[40][16];
	struct cmd_view v;
	char *m;
	size_t i;

	m = show("u", NULL, NULL, "/usr/bin/uptime", "/usr/bin/uptime", 1,
	    argv, NULL, env, 256);
	CHECK_STR(m, "u \xe2\x86\x92 root on h: uptime (env: "
	    "LD_PRELOAD=./x.so 'PGOPTIONS=-c x')");
	free(m);
	/* a long command leaves the variables their half */
	memset(big, 'A', sizeof(big) - 1);
	m = show("u", NULL, NULL, "/bin/x", "/bin/x", 1, longv, NULL, env,
	    256);
	CHECK(m != NULL && strlen(m) <= 256);
	CHECK(m != NULL && strstr(m, "\xe2\x80\xa6 (env: LD_PRELOAD=./x.so "
	    "'PGOPTIONS=-c x')") != NULL);
	free(m);
	/* a long value is cut, the next variable's name still shows */
	memcpy(big, "HUGE=", 5);
	m = show("u", NULL, NULL, "/usr/bin/uptime", "/usr/bin/uptime", 1,
	    argv, NULL, benv, 256);
	CHECK(m != NULL && strlen(m) <= 256);
	CHECK(m != NULL && strstr(m, ": uptime (env: 'HUGE=AAA") != NULL);
	CHECK(m != NULL && strstr(m, "\xe2\x80\xa6' PYTHONPATH=") != NULL);
	free(m);
	/* more names than a message can show: it cannot be asked */
	for (i = 0; i < 39; i++) {
		(void)snprintf(names[i], sizeof(names[i]), "VARIABLE%02zu=1",
		    i);
		many[i] = names[i];
	}
	many[39] = NULL;
	memset(&v, 0, sizeof(v));
	v.user = "u";
	v.runas = "root";
	v.host = "h";
	v.command = "/usr/bin/id";
	v.argv = argv;
	v.env = many;
	CHECK(cmd_message(&v, 256, &m) == 1 && m == NULL);
	CHECK(cmd_env_words(env, 384, &m) == 0);
	CHECK_STR(m, "LD_PRELOAD=./x.so 'PGOPTIONS=-c x'");
	free(m);
	/* values cut down to "…", all names kept */
	CHECK(cmd_env_words(benv, 40, &m) == 0);
	CHECK(m != NULL && strstr(m, "'HUGE=") == m &&
	    strstr(m, " 'PYTHONPATH=") != NULL && strlen(m) <= 40);
	free(m);
	CHECK(cmd_env_words(benv, 10, &m) == 1);
}

static void
test_join_args(void)
{
	char *argv[] = { "psql", "-c", "drop table x", NULL };
	char *none[] = { "ls", NULL };
	char *s = cmd_join_args(argv + 1);

	CHECK_STR(s, "-c drop table x");
	free(s);
	s = cmd_join_args(none + 1);
	CHECK_STR(s, "");
	free(s);
}

int
main(void)
{
	unit_suite = "cmdline";
	RUN(test_quote_plain);
	RUN(test_quote_single);
	RUN(test_quote_dollar);
	RUN(test_cap);
	RUN(test_basename_editfiles);
	RUN(test_message_example);
	RUN(test_message_hostile);
	RUN(test_message_quote_lookalikes);
	RUN(test_message_sudoedit);
	RUN(test_message_capped);
	RUN(test_message_command_name);
	RUN(test_message_env);
	RUN(test_join_args);
	UNIT_DONE();
}
