/* SPDX-License-Identifier: ISC */
/* Unit tests: jti replay records (helper/jti.c). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "unit.h"
#include "jti.h"

static char dir[64];
static char expect[512];

/* Path of the record for jti under state. */
static void
record_path(char *out, size_t n, const char *state, const char *jti)
{
	unsigned char h[crypto_generichash_BYTES];
	char hex[sizeof(h) * 2 + 1];

	crypto_generichash(h, sizeof(h), (const unsigned char *)jti,
	    strlen(jti), NULL, 0);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	snprintf(out, n, "%s/jti/%.2s/%s", state, hex, hex);
}

static int
shard_of(const char *jti)
{
	unsigned char h[crypto_generichash_BYTES];

	crypto_generichash(h, sizeof(h), (const unsigned char *)jti,
	    strlen(jti), NULL, 0);
	return h[0];
}

/* A jti, different from base, that lands in base's shard. */
static void
same_shard(char *out, size_t n, const char *base, const char *prefix)
{
	int want = shard_of(base), i;

	for (i = 0; i < 100000; i++) {
		snprintf(out, n, "%s-%d", prefix, i);
		if (strcmp(out, base) != 0 && shard_of(out) == want)
			return;
	}
	out[0] = '\0';
}

static void
make_state(char *out, size_t n, const char *name, mode_t mode)
{
	snprintf(out, n, "%s/%s", dir, name);
	if (mkdir(out, 0700) != 0 || chmod(out, mode) != 0) {
		perror(out);
		exit(2);
	}
}

static void
rm_rf(const char *path)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "rm -rf %s failed\n", path);
}

static void
test_first_and_replay(void)
{
	char state[128], rec[256], text[64];
	time_t exp = time(NULL) + 300;
	struct stat st;
	bkey_error e;
	ssize_t n;
	int fd;

	make_state(state, sizeof(state), "s1", 0755);
	memset(&e, 0, sizeof(e));
	CHECK(bkey_jti_record(state, "jti-1", exp, &e) == 0);
	CHECK(bkey_jti_record(state, "jti-1", exp, &e) == 1);
	CHECK(bkey_jti_record(state, "jti-1", exp + 999, &e) == 1);
	CHECK(bkey_jti_record(state, "jti-2", exp, &e) == 0);
	CHECK(bkey_jti_record(state, "jti-2", exp, &e) == 1);
	CHECK(bkey_jti_record(state, "jti-1", exp, &e) == 1);

	/* the record: 0600, mtime = exp, the exp as text */
	record_path(rec, sizeof(rec), state, "jti-1");
	CHECK(lstat(rec, &st) == 0);
	CHECK(S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0600);
	CHECK(st.st_mtime == exp);
	fd = open(rec, O_RDONLY);
	CHECK(fd >= 0);
	n = fd >= 0 ? read(fd, text, sizeof(text) - 1) : -1;
	if (fd >= 0)
		close(fd);
	CHECK(n > 0);
	text[n > 0 ? n : 0] = '\0';
	snprintf(expect, sizeof(expect), "%lld\n", (long long)exp);
	CHECK_STR(text, expect);
	snprintf(rec, sizeof(rec), "%s/jti", state);
	CHECK(lstat(rec, &st) == 0 && S_ISDIR(st.st_mode) &&
	    (st.st_mode & 07777) == 0700);
	rm_rf(state);
}

static void
test_prune(void)
{
	char state[128], old[64], recent[64], live[64], trigger[64], rec[256];
	time_t now = time(NULL);
	struct stat st;
	bkey_error e;

	make_state(state, sizeof(state), "s2", 0700);
	snprintf(old, sizeof(old), "old-token");
	same_shard(recent, sizeof(recent), old, "recent");
	same_shard(live, sizeof(live), old, "live");
	same_shard(trigger, sizeof(trigger), old, "trigger");
	CHECK(recent[0] != '\0' && live[0] != '\0' && trigger[0] != '\0');

	/* expired two days ago: past the one-day grace */
	CHECK(bkey_jti_record(state, old, now - 2 * 86400, &e) == 0);
	/* expired an hour ago: still inside the grace */
	CHECK(bkey_jti_record(state, recent, now - 3600, &e) == 0);
	CHECK(bkey_jti_record(state, live, now + 300, &e) == 0);
	/* recording "recent" and "live" pruned the old one already */
	record_path(rec, sizeof(rec), state, old);
	CHECK(lstat(rec, &st) == -1 && errno == ENOENT);
	CHECK(bkey_jti_record(state, trigger, now + 300, &e) == 0);
	record_path(rec, sizeof(rec), state, recent);
	CHECK(lstat(rec, &st) == 0);
	CHECK(bkey_jti_record(state, recent, now - 3600, &e) == 1);
	CHECK(bkey_jti_record(state, live, now + 300, &e) == 1);
	/* the pruned one can be recorded afresh */
	CHECK(bkey_jti_record(state, old, now - 2 * 86400, &e) == 0);

	/* stray files in a shard are left alone */
	record_path(rec, sizeof(rec), state, old);
	rec[strlen(rec) - 64] = '\0';
	strncat(rec, "README", sizeof(rec) - strlen(rec) - 1);
	{
		int fd = open(rec, O_WRONLY | O_CREAT | O_EXCL, 0600);
		struct timespec ts[2] = { { 1, 0 }, { 1, 0 } };

		CHECK(fd >= 0 && futimens(fd, ts) == 0);
		if (fd >= 0)
			close(fd);
	}
	CHECK(bkey_jti_record(state, trigger, now + 300, &e) == 1);
	same_shard(trigger, sizeof(trigger), old, "trigger2");
	CHECK(bkey_jti_record(state, trigger, now + 300, &e) == 0);
	CHECK(lstat(rec, &st) == 0);
	rm_rf(state);
}

static void
test_bad_state_dir(void)
{
	char state[128], sub[256], target[128];
	bkey_error e;
	int fd;

	/* missing */
	snprintf(state, sizeof(state), "%s/missing", dir);
	memset(&e, 0, sizeof(e));
	CHECK(bkey_jti_record(state, "j", 1, &e) == -1);
	snprintf(expect, sizeof(expect),
	    "%s: cannot open: No such file or directory", state);
	CHECK_STR(e.detail, expect);
	CHECK(e.code == BKEY_ERR_CONFIG);
	/* not created on demand */
	CHECK(access(state, F_OK) == -1);

	/* a regular file */
	snprintf(state, sizeof(state), "%s/file", dir);
	fd = open(state, O_WRONLY | O_CREAT | O_EXCL, 0600);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	CHECK(bkey_jti_record(state, "j", 1, &e) == -1);
	snprintf(expect, sizeof(expect), "%s: is not a directory", state);
	CHECK_STR(e.detail, expect);
	CHECK(e.code == BKEY_ERR_CONFIG);
	unlink(state);

	/* world writable */
	make_state(state, sizeof(state), "ww", 0777);
	CHECK(bkey_jti_record(state, "j", 1, &e) == -1);
	snprintf(expect, sizeof(expect),
	    "%s: is group or world writable (mode 0777)", state);
	CHECK_STR(e.detail, expect);
	CHECK(e.code == BKEY_ERR_CONFIG);
	rm_rf(state);

	/* group writable jti subdirectory */
	make_state(state, sizeof(state), "gw", 0700);
	snprintf(sub, sizeof(sub), "%s/jti", state);
	CHECK(mkdir(sub, 0700) == 0 && chmod(sub, 0770) == 0);
	CHECK(bkey_jti_record(state, "j", 1, &e) == -1);
	snprintf(expect, sizeof(expect),
	    "%s: is group or world writable (mode 0770)", sub);
	CHECK_STR(e.detail, expect);
	rm_rf(state);

	/* jti subdirectory is a symbolic link */
	make_state(target, sizeof(target), "elsewhere", 0700);
	make_state(state, sizeof(state), "ln", 0700);
	snprintf(sub, sizeof(sub), "%s/jti", state);
	CHECK(symlink(target, sub) == 0);
	CHECK(bkey_jti_record(state, "j", 1, &e) == -1);
	snprintf(expect, sizeof(expect), "%s: is not a directory", sub);
	CHECK_STR(e.detail, expect);
	CHECK(e.code == BKEY_ERR_CONFIG);
	rm_rf(state);

	/* state_dir itself may be a symbolic link to a good directory */
	snprintf(state, sizeof(state), "%s/statelink", dir);
	CHECK(symlink(target, state) == 0);
	CHECK(bkey_jti_record(state, "j", time(NULL) + 60, &e) == 0);
	CHECK(bkey_jti_record(state, "j", time(NULL) + 60, &e) == 1);
	unlink(state);
	rm_rf(target);

	if (geteuid() == 0) {
		make_state(state, sizeof(state), "owner", 0700);
		CHECK(chown(state, 65534, 65534) == 0);
		CHECK(bkey_jti_record(state, "j", 1, &e) == -1);
		snprintf(expect, sizeof(expect),
		    "%s: is owned by uid 65534, not root or uid 0", state);
		CHECK_STR(e.detail, expect);
		rm_rf(state);
	}

	/* bad arguments */
	CHECK(bkey_jti_record("", "j", 1, &e) == -1);
	CHECK(e.code == BKEY_ERR_CONFIG);
	make_state(state, sizeof(state), "args", 0700);
	CHECK(bkey_jti_record(state, "", 1, &e) == -1);
	CHECK(e.code == BKEY_ERR_INTERNAL);
	CHECK(bkey_jti_record(state, NULL, 1, &e) == -1);
	rm_rf(state);
}

/* Entries in the record's shard directory (".", ".." not counted). */
static int
shard_entries(const char *state, const char *jti)
{
	char rec[256];
	struct dirent *de;
	DIR *d;
	int n = 0;

	record_path(rec, sizeof(rec), state, jti);
	rec[strlen(rec) - 65] = '\0';
	if ((d = opendir(rec)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/*
 * A write that fails leaves no record (nor a temporary file) behind, and
 * the error names the path and says why; the jti can be recorded later.
 */
static void
test_failed_write_leaves_nothing(void)
{
	char state[128], rec[256];
	struct rlimit old, small = { 0, 0 };
	struct stat st;
	bkey_error e;
	int rc;

	make_state(state, sizeof(state), "fsize", 0700);
	/* The shard exists, so only the file write meets the limit. */
	CHECK(bkey_jti_record(state, "warm-up", time(NULL) + 60, &e) == 0);
	same_shard(rec, sizeof(rec), "warm-up", "big");
	signal(SIGXFSZ, SIG_IGN);
	CHECK(getrlimit(RLIMIT_FSIZE, &old) == 0);
	small.rlim_max = old.rlim_max;
	CHECK(setrlimit(RLIMIT_FSIZE, &small) == 0);
	memset(&e, 0, sizeof(e));
	rc = bkey_jti_record(state, rec, time(NULL) + 60, &e);
	CHECK(setrlimit(RLIMIT_FSIZE, &old) == 0);
	signal(SIGXFSZ, SIG_DFL);
	CHECK(rc == -1);
	CHECK(e.code == BKEY_ERR_INTERNAL);
	CHECK(strstr(e.detail, strerror(EFBIG)) != NULL);
	CHECK(strstr(e.detail, state) != NULL);
	CHECK(shard_entries(state, rec) == 1);
	{
		char path[256];

		record_path(path, sizeof(path), state, rec);
		CHECK(lstat(path, &st) == -1 && errno == ENOENT);
	}
	/* Nothing was recorded: the same jti is new, not a replay. */
	CHECK(bkey_jti_record(state, rec, time(NULL) + 60, &e) == 0);
	CHECK(shard_entries(state, rec) == 2);
	rm_rf(state);
}

static char full_state[128];

/* A private mount namespace with a 64 KiB tmpfs at full_state. */
static int
mount_small_tmpfs(void)
{
	make_state(full_state, sizeof(full_state), "full", 0700);
	if (unshare(CLONE_NEWNS) != 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
	    mount("tmpfs", full_state, "tmpfs", 0, "size=64k,mode=0700") != 0) {
		rm_rf(full_state);
		return -1;
	}
	return 0;
}

/* A full tmpfs (no reserve for anyone): ENOSPC, said, nothing left. */
static void
test_full_filesystem(void)
{
	char fill[256], buf[4096];
	const char *state = full_state;
	bkey_error e;
	int fd;

	snprintf(fill, sizeof(fill), "%s/fill", state);
	fd = open(fill, O_WRONLY | O_CREAT | O_EXCL, 0600);
	CHECK(fd >= 0);
	memset(buf, 'x', sizeof(buf));
	while (fd >= 0 && write(fd, buf, sizeof(buf)) > 0)
		;
	if (fd >= 0)
		close(fd);
	memset(&e, 0, sizeof(e));
	CHECK(bkey_jti_record(state, "full-jti", time(NULL) + 60, &e) == -1);
	CHECK(e.code == BKEY_ERR_INTERNAL);
	CHECK(strstr(e.detail, "No space left on device") != NULL);
	CHECK(strstr(e.detail, state) != NULL);
	CHECK(shard_entries(state, "full-jti") == 0);
	/* Room again: recorded, so nothing was taken for seen. */
	CHECK(unlink(fill) == 0);
	CHECK(bkey_jti_record(state, "full-jti", time(NULL) + 60, &e) == 0);
	CHECK(bkey_jti_record(state, "full-jti", time(NULL) + 60, &e) == 1);
	CHECK(umount(state) == 0);
	rm_rf(state);
}

int
main(void)
{
	unit_suite = "jti";
	if (sodium_init() < 0)
		return 2;
	snprintf(dir, sizeof(dir), "/tmp/bkey-test-jti.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}

	RUN(test_first_and_replay);
	RUN(test_prune);
	RUN(test_bad_state_dir);
	RUN(test_failed_write_leaves_nothing);
	if (geteuid() != 0)
		SKIP(test_full_filesystem, "needs root to mount a tmpfs");
	else if (mount_small_tmpfs() != 0)
		SKIP(test_full_filesystem, "cannot mount a tmpfs here");
	else
		RUN(test_full_filesystem);

	rm_rf(dir);
	UNIT_DONE();
}
