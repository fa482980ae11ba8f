/* SPDX-License-Identifier: ISC */
/* Remember windows: the key, the record's text, the record file checks. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"
#include "../../sudo_plugin/remember.c"

static const unsigned char hash_a[RULES_TEXT_HASH] = { 1, 2, 3 };
static const unsigned char hash_b[RULES_TEXT_HASH] = { 1, 2, 4 };

static struct remember_key
base(void)
{
	struct remember_key k;

	memset(&k, 0, sizeof(k));
	k.uid = 1000;
	k.sid = 4242;
	k.sid_start = 123456;
	k.tty = "/dev/pts/1";
	k.rule_line = 3;
	k.rule_hash = hash_a;
	k.runas = "root";
	k.runas_group = NULL;
	k.scope = "approve:sudo";
	return k;
}

/* 1 if k names another record than base(). */
static int
differs(const struct remember_key *k)
{
	struct remember_key b = base();
	char n1[REMEMBER_NAME], n2[REMEMBER_NAME];

	remember_name(&b, n1);
	remember_name(k, n2);
	return strcmp(n1, n2) != 0;
}

static void
test_key_parts(void)
{
	struct remember_key k = base();
	char n[REMEMBER_NAME];

	CHECK(!differs(&k));
	remember_name(&k, n);
	CHECK(strlen(n) == 64 && strspn(n, "0123456789abcdef") == 64);
	k = base(), k.uid = 1001;
	CHECK(differs(&k));
	k = base(), k.sid = 4243;
	CHECK(differs(&k));
	k = base(), k.sid_start = 123457;	/* a recycled sid */
	CHECK(differs(&k));
	k = base(), k.tty = "/dev/pts/2";
	CHECK(differs(&k));
	k = base(), k.tty = "";
	CHECK(differs(&k));
	k = base(), k.rule_line = 4;
	CHECK(differs(&k));
	k = base(), k.rule_hash = hash_b;	/* an edited rule */
	CHECK(differs(&k));
	k = base(), k.runas = "postgres";
	CHECK(differs(&k));
	k = base(), k.runas_group = "";
	CHECK(differs(&k));
	k = base(), k.runas_group = "shadow";
	CHECK(differs(&k));
	k = base(), k.scope = "approve:db";
	CHECK(differs(&k));
	/* parts cannot run into each other */
	k = base(), k.tty = "/dev/pts/1r", k.runas = "oot";
	CHECK(differs(&k));
}

static void
test_parse(void)
{
	CHECK(remember_parse("v1 1700000000\n", 14) == 1700000000LL);
	CHECK(remember_parse("v1 0\n", 5) == 0);
	CHECK(remember_parse("v1 \n", 4) == -1);
	CHECK(remember_parse("v1 17x\n", 7) == -1);
	CHECK(remember_parse("v1 17", 5) == -1);
	CHECK(remember_parse("v2 17\n", 6) == -1);
	CHECK(remember_parse("v1 -17\n", 7) == -1);
	CHECK(remember_parse("v1 12345678901234\n", 18) == -1);
	CHECK(remember_parse("", 0) == -1);
}

static void
test_proc_start(void)
{
	unsigned long long a = 0, b = 0;

	CHECK(remember_proc_start((long)getpid(), &a) == 0 && a > 0);
	CHECK(remember_proc_start((long)getpid(), &b) == 0 && a == b);
	CHECK(remember_proc_start(0, &a) == -1);
	CHECK(remember_proc_start(-1, &a) == -1);
	CHECK(remember_proc_start(999999999, &a) == -1);
}

/* A store removes the records whose window has ended (by the clock),
 * and keeps the open ones and those it cannot read. */
static void
test_sweep(const char *dir)
{
	char ended[REMEMBER_NAME], live[REMEMBER_NAME], path[256], why[256];
	long long now = (long long)time(NULL);

	memset(ended, 'e', REMEMBER_NAME - 1);
	ended[REMEMBER_NAME - 1] = '\0';
	memset(live, 'f', REMEMBER_NAME - 1);
	live[REMEMBER_NAME - 1] = '\0';
	CHECK(remember_store(dir, ended, now - 1, why, sizeof(why)) == 0);
	CHECK(remember_store(dir, live, now + 60, why, sizeof(why)) == 0);
	(void)snprintf(path, sizeof(path), "%s/%s/%s", dir, REMEMBER_DIR,
	    ended);
	CHECK(access(path, F_OK) != 0);
	CHECK(remember_open_at(dir, live, now, 300, why, sizeof(why)) == 1);
	/* one not to believe is left for the warning, not removed */
	CHECK(remember_store(dir, ended, now - 1, why, sizeof(why)) == 0);
	CHECK(chmod(path, 0640) == 0);
	CHECK(remember_forget(dir, live, why, sizeof(why)) == 0);
	CHECK(remember_store(dir, live, now + 60, why, sizeof(why)) == 0);
	CHECK(access(path, F_OK) == 0);
	CHECK(unlink(path) == 0);
}

static void
test_records(void)
{
	char dir[] = "/tmp/bkey-remember-XXXXXX", path[256], why[256];
	const char *name = "abc";
	long long now = 1700000000LL;
	int fd;

	if (geteuid() != 0) {
		printf("# records: not root, owner checks not run\n");
		return;
	}
	CHECK(mkdtemp(dir) != NULL);
	CHECK(remember_open_at(dir, name, now, 300, why, sizeof(why)) == 0);
	CHECK(why[0] == '\0');			/* no directory: no window */
	CHECK(remember_store(dir, name, now + 60, why, sizeof(why)) == 0);
	CHECK(remember_open_at(dir, name, now, 300, why, sizeof(why)) == 1);
	CHECK(remember_open_at(dir, name, now + 60, 300, why,
	    sizeof(why)) == 0);			/* ended */
	CHECK(remember_open_at(dir, name, now, 30, why, sizeof(why)) == 0);
	CHECK(strstr(why, "too far") != NULL);
	(void)snprintf(path, sizeof(path), "%s/%s/%s", dir, REMEMBER_DIR, name);
	CHECK(chmod(path, 0640) == 0);
	CHECK(remember_open_at(dir, name, now, 300, why, sizeof(why)) == 0);
	CHECK(strstr(why, "not root's own") != NULL);
	CHECK(chmod(path, 0600) == 0 && chown(path, 1000, 1000) == 0);
	CHECK(remember_open_at(dir, name, now, 300, why, sizeof(why)) == 0);
	CHECK(why[0] != '\0');
	CHECK(remember_forget(dir, name, why, sizeof(why)) == 0);
	CHECK(access(path, F_OK) != 0);
	CHECK(remember_forget(dir, name, why, sizeof(why)) == 0);
	CHECK(symlink("/etc/passwd", path) == 0);
	CHECK(remember_open_at(dir, name, now, 300, why, sizeof(why)) == 0);
	CHECK(why[0] != '\0');
	/* a store replaces the link, never writes through it */
	CHECK(remember_store(dir, name, now + 60, why, sizeof(why)) == 0);
	CHECK(remember_open_at(dir, name, now, 300, why, sizeof(why)) == 1);
	test_sweep(dir);
	(void)snprintf(path, sizeof(path), "%s/%s", dir, REMEMBER_DIR);
	CHECK(chmod(path, 0750) == 0);
	CHECK(remember_open_at(dir, name, now, 300, why, sizeof(why)) == 0);
	CHECK(strstr(why, "0700") != NULL);
	CHECK(remember_store(dir, name, now + 60, why, sizeof(why)) == -1);
	(void)snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	fd = system(path);
	CHECK(fd == 0);
}

int
main(void)
{
	unit_suite = "remember";
	if (sodium_init() < 0)
		return 1;
	RUN(test_key_parts);
	RUN(test_parse);
	RUN(test_proc_start);
	RUN(test_records);
	UNIT_DONE();
}
