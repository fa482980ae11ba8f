/* SPDX-License-Identifier: ISC */
/* Counting pushes per user (pushlimit.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "ciba.h"
#include "fileperm.h"
#include "pushlimit.h"
#include "workdir.h"

#define NAME_BYTES 16
#define FILE_MAX 4096 /* BKEY_PUSH_MAX_MAX lines of an epoch */

static void
warn(const char *why)
{
	char detail[512];

	(void)snprintf(detail, sizeof(detail), "%s/%s: %s", BKEY_WORKDIR,
	    BKEY_PUSH_DIR, why);
	bkey_state_warn("push_limit", detail);
}

/* STATE_DIR/helper/push, created as needed, checked, locked; -1 with
 * *why. owner: whose files these are (the effective uid, or run_as for
 * root looking on). */
static int
open_locked(const char *state_dir, uid_t owner, char *why, size_t whysz)
{
	bkey_error e;
	int wfd, dfd = -1;

	memset(&e, 0, sizeof(e));
	if ((wfd = bkey_workdir_open(state_dir, owner, &e)) < 0) {
		(void)snprintf(why, whysz, "%s", e.detail);
		return -1;
	}
	if (owner == geteuid() && mkdirat(wfd, BKEY_PUSH_DIR, 0700) != 0 &&
	    errno != EEXIST)
		(void)snprintf(why, whysz, "cannot create: %s",
		    strerror(errno));
	else if ((dfd = bkey_open_dir_owned(wfd, BKEY_PUSH_DIR, 0, owner,
		      BKEY_PUSH_DIR, &e)) < 0)
		(void)snprintf(why, whysz, "%s", e.detail);
	else if (flock(dfd, LOCK_EX) != 0) {
		(void)snprintf(why, whysz, "lock: %s", strerror(errno));
		(void)close(dfd);
		dfd = -1;
	}
	(void)close(wfd);
	return dfd;
}

static void
file_name(const char *who, char *dst, size_t dstsz)
{
	unsigned char h[NAME_BYTES];

	(void)crypto_generichash(h, sizeof(h), (const unsigned char *)who,
	    strlen(who), NULL, 0);
	sodium_bin2hex(dst, dstsz, h, sizeof(h));
}

/* The pushes of the window in t[] (at most max); a file not ours
 * (owned by root or owner, written by no one else) or garbled counts as
 * empty, with a warning. */
static size_t
read_pushes(int dfd, const char *name, const struct bkey_config *c, uid_t owner,
    time_t now, long long *t)
{
	char buf[FILE_MAX + 1], *p, *end;
	struct stat st;
	long long v;
	size_t n = 0;
	ssize_t len;
	int fd;

	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (errno != ENOENT)
			warn(strerror(errno));
		return 0;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    bkey_trust_broken(&st, owner, 0) != BKEY_TRUST_OK ||
	    (len = read(fd, buf, FILE_MAX)) < 0) {
		(void)close(fd);
		warn("a count file not ours: ignored");
		return 0;
	}
	(void)close(fd);
	buf[len] = '\0';
	for (p = buf; *p != '\0' && n < (size_t)c->push_max; p = end + 1) {
		v = strtoll(p, &end, 10);
		if (end == p || *end != '\n' || v <= 0) {
			warn("a garbled count file: ignored");
			return 0;
		}
		/* In the window, and not from the future (a clock set back
		 * only makes it count longer, up to one window). */
		if (v > (long long)now - c->push_window &&
		    v <= (long long)now + c->push_window)
			t[n++] = v;
	}
	return n;
}

/* Replace the count file by t[0..n). Failures are warned about. */
static void
write_pushes(int dfd, const char *name, const long long *t, size_t n)
{
	char buf[FILE_MAX], tmp[64];
	size_t len = 0, i;
	int fd, ok, k;

	for (i = 0; i < n; i++) {
		k = snprintf(buf + len, sizeof(buf) - len, "%lld\n", t[i]);
		if (k < 0 || (size_t)k >= sizeof(buf) - len)
			return;
		len += (size_t)k;
	}
	(void)snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	(void)unlinkat(dfd, tmp, 0); /* a killed writer's, under our lock */
	fd = openat(dfd, tmp,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		warn(strerror(errno));
		return;
	}
	ok = bkey_write_all(fd, buf, len) == 0;
	ok = close(fd) == 0 && ok;
	if (!ok || renameat(dfd, tmp, dfd, name) != 0) {
		warn(strerror(errno));
		(void)unlinkat(dfd, tmp, 0);
	}
}

int
bkey_push_take(const struct bkey_config *c, const char *did, long long *stamp,
    bkey_error *err)
{
	long long t[BKEY_PUSH_MAX_MAX + 1], wait;
	char name[NAME_BYTES * 2 + 1], why[BKEY_DETAIL_MAX];
	time_t now = time(NULL);
	size_t n;
	int dfd, rc = 0;

	*stamp = 0;
	if (c->push_max <= 0 || did == NULL || c->state_dir == NULL)
		return 0;
	if ((dfd = open_locked(c->state_dir, geteuid(), why, sizeof(why))) <
	    0) {
		warn(why);
		return 0;
	}
	file_name(did, name, sizeof(name));
	n = read_pushes(dfd, name, c, geteuid(), now, t);
	if (n >= (size_t)c->push_max) {
		wait = t[0] + c->push_window - (long long)now;
		rc = bkey_seterr(err, BKEY_ERR_RATE_LIMITED,
		    "push_limit reached: %ld pushes in %ld s for %s; next in "
		    "%lld s",
		    c->push_max, c->push_window, did, wait > 0 ? wait : 1);
	} else {
		t[n++] = (long long)now;
		write_pushes(dfd, name, t, n);
		*stamp = (long long)now;
	}
	(void)close(dfd); /* releases the flock */
	return rc;
}

void
bkey_push_give_back(const struct bkey_config *c, const char *did,
    long long stamp)
{
	long long t[BKEY_PUSH_MAX_MAX + 1];
	char name[NAME_BYTES * 2 + 1], why[BKEY_DETAIL_MAX];
	size_t n, i;
	int dfd;

	if (stamp == 0 || c->push_max <= 0 || did == NULL)
		return;
	if ((dfd = open_locked(c->state_dir, geteuid(), why, sizeof(why))) <
	    0) {
		warn(why);
		return;
	}
	file_name(did, name, sizeof(name));
	n = read_pushes(dfd, name, c, geteuid(), time(NULL), t);
	/* One entry of that second is ours; which one does not matter. */
	for (i = 0; i < n && t[i] != stamp; i++)
		;
	if (i < n) {
		memmove(&t[i], &t[i + 1], (n - i - 1) * sizeof(t[0]));
		write_pushes(dfd, name, t, n - 1);
	}
	(void)close(dfd);
}

int
bkey_push_count(const struct bkey_config *c, const char *did, uid_t owner,
    int reset, size_t *n, long long *oldest, bkey_error *err)
{
	long long t[BKEY_PUSH_MAX_MAX + 1];
	char name[NAME_BYTES * 2 + 1], why[BKEY_DETAIL_MAX];
	struct stat st;
	size_t i;
	int dfd, rc = 0;

	*n = 0;
	*oldest = 0;
	if (c->push_max <= 0 || c->state_dir == NULL)
		return 0;
	/* Looking on (root, for run_as): nothing counted yet is no error. */
	(void)snprintf(why, sizeof(why), "%s/%s/%s", c->state_dir, BKEY_WORKDIR,
	    BKEY_PUSH_DIR);
	if (owner != geteuid() &&
	    fstatat(AT_FDCWD, why, &st, AT_SYMLINK_NOFOLLOW) != 0 &&
	    errno == ENOENT)
		return 0;
	if ((dfd = open_locked(c->state_dir, owner, why, sizeof(why))) < 0)
		return bkey_seterr(err, BKEY_ERR_CONFIG, "%s/%s/%s: %s",
		    c->state_dir, BKEY_WORKDIR, BKEY_PUSH_DIR, why);
	file_name(did, name, sizeof(name));
	*n = read_pushes(dfd, name, c, owner, time(NULL), t);
	for (i = 0; i < *n; i++)
		if (*oldest == 0 || t[i] < *oldest)
			*oldest = t[i];
	if (reset && unlinkat(dfd, name, 0) != 0 && errno != ENOENT)
		rc = bkey_seterr(err, BKEY_ERR_CONFIG,
		    "%s/%s/%s: cannot reset: %s", c->state_dir, BKEY_WORKDIR,
		    BKEY_PUSH_DIR, strerror(errno));
	(void)close(dfd);
	return rc;
}
