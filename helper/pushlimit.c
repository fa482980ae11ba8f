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
#include "sanitize.h"

#define NAME_BYTES 16
#define FILE_MAX 4096 /* BKEY_PUSH_MAX_MAX lines of an epoch */

static void
warn(const char *state_dir, const char *why)
{
	char raw[512], clean[512];

	(void)snprintf(raw, sizeof(raw), "push_limit: %s/%s: %s", state_dir,
	    BKEY_PUSH_DIR, why);
	bkey_sanitize_into(clean, sizeof(clean), raw, strlen(raw));
	bkey_ciba_debug("%s", clean);
	(void)fprintf(stderr, "bkey-approve: warning: %s\n", clean);
}

/* STATE_DIR/push, created as needed, checked, locked; -1 with *why. */
static int
open_locked(const char *state_dir, char *why, size_t whysz)
{
	bkey_error e;
	int dfd;

	memset(&e, 0, sizeof(e));
	if ((dfd = bkey_open_state_sub(state_dir, BKEY_PUSH_DIR, 1, &e)) < 0)
		(void)snprintf(why, whysz, "%s", e.detail);
	else if (flock(dfd, LOCK_EX) != 0) {
		(void)snprintf(why, whysz, "lock: %s", strerror(errno));
		(void)close(dfd);
		dfd = -1;
	}
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

/* The pushes of the window in t[] (at most max); a file not ours or
 * garbled counts as empty, with a warning. */
static size_t
read_pushes(int dfd, const char *name, const struct bkey_config *c, time_t now,
    long long *t)
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
			warn(c->state_dir, strerror(errno));
		return 0;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    bkey_trust_broken(&st, geteuid(), 0) != BKEY_TRUST_OK ||
	    (len = read(fd, buf, FILE_MAX)) < 0) {
		(void)close(fd);
		warn(c->state_dir, "a count file not ours: ignored");
		return 0;
	}
	(void)close(fd);
	buf[len] = '\0';
	for (p = buf; *p != '\0' && n < (size_t)c->push_max; p = end + 1) {
		v = strtoll(p, &end, 10);
		if (end == p || *end != '\n' || v <= 0) {
			warn(c->state_dir, "a garbled count file: ignored");
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
write_pushes(int dfd, const char *name, const char *state_dir,
    const long long *t, size_t n)
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
		warn(state_dir, strerror(errno));
		return;
	}
	ok = bkey_write_all(fd, buf, len) == 0;
	ok = close(fd) == 0 && ok;
	if (!ok || renameat(dfd, tmp, dfd, name) != 0) {
		warn(state_dir, strerror(errno));
		(void)unlinkat(dfd, tmp, 0);
	}
}

int
bkey_push_take(const struct bkey_config *c, const char *who, bkey_error *err)
{
	long long t[BKEY_PUSH_MAX_MAX + 1], wait;
	char name[NAME_BYTES * 2 + 1], why[BKEY_DETAIL_MAX];
	time_t now = time(NULL);
	size_t n;
	int dfd, rc = 0;

	if (c->push_max <= 0 || who == NULL || c->state_dir == NULL)
		return 0;
	if ((dfd = open_locked(c->state_dir, why, sizeof(why))) < 0) {
		warn(c->state_dir, why);
		return 0;
	}
	file_name(who, name, sizeof(name));
	n = read_pushes(dfd, name, c, now, t);
	if (n >= (size_t)c->push_max) {
		wait = t[0] + c->push_window - (long long)now;
		rc = bkey_seterr(err, BKEY_ERR_RATE_LIMITED,
		    "push_limit "
		    "reached: %ld pushes in %ld s for %s; next in %lld s",
		    c->push_max, c->push_window, who, wait > 0 ? wait : 1);
	} else {
		t[n++] = (long long)now;
		write_pushes(dfd, name, c->state_dir, t, n);
	}
	(void)close(dfd); /* releases the flock */
	return rc;
}

int
bkey_push_count(const struct bkey_config *c, const char *who, int reset,
    size_t *n, long long *oldest, bkey_error *err)
{
	long long t[BKEY_PUSH_MAX_MAX + 1];
	char name[NAME_BYTES * 2 + 1], why[BKEY_DETAIL_MAX];
	size_t i;
	int dfd, rc = 0;

	*n = 0;
	*oldest = 0;
	if (c->push_max <= 0 || c->state_dir == NULL)
		return 0;
	if ((dfd = open_locked(c->state_dir, why, sizeof(why))) < 0)
		return bkey_seterr(err, BKEY_ERR_CONFIG, "%s/%s: %s",
		    c->state_dir, BKEY_PUSH_DIR, why);
	file_name(who, name, sizeof(name));
	*n = read_pushes(dfd, name, c, time(NULL), t);
	for (i = 0; i < *n; i++)
		if (*oldest == 0 || t[i] < *oldest)
			*oldest = t[i];
	if (reset && unlinkat(dfd, name, 0) != 0 && errno != ENOENT)
		rc = bkey_seterr(err, BKEY_ERR_CONFIG,
		    "%s/%s: cannot reset: %s", c->state_dir, BKEY_PUSH_DIR,
		    strerror(errno));
	(void)close(dfd);
	return rc;
}
