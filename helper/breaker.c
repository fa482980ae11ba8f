/* SPDX-License-Identifier: ISC */
/*
 * The circuit breaker's file (breaker.h). Every read-modify-write of the
 * state holds an exclusive flock of the lock file, so two helpers never
 * both take the probe of one period; the state itself is replaced by
 * rename(), so a reader never sees half a file.
 */
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

#include "breaker.h"
#include "ciba.h"
#include "fileperm.h"
#include "workdir.h"

#define STATE_MAX 64
#define MAGIC "bkey-breaker 1 "
#define LOCK_NAME "lock"

/* The state file of this configuration's service: HEX of api_url. */
static void
state_name(const struct bkey_config *c, char *dst, size_t dstsz)
{
	unsigned char h[8];
	char hex[sizeof(h) * 2 + 1];
	const char *url = c->api_url != NULL ? c->api_url : "";

	(void)crypto_generichash(h, sizeof(h), (const unsigned char *)url,
	    strlen(url), NULL, 0);
	(void)sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	(void)snprintf(dst, dstsz, "%s", hex);
}

static void
warn(const char *name, const char *what, const char *why)
{
	char detail[512];

	(void)snprintf(detail, sizeof(detail), "%s/%s %s%s%s", BKEY_BREAKER_DIR,
	    name, what, why[0] ? ": " : "", why);
	bkey_state_warn("circuit breaker", detail);
}

/* STATE_DIR/breaker (root's, or ours without root; made as needed) with
 * the lock held; -1 when there is none to use (warned: the breaker is
 * off). */
static int
lock_dir(const char *state_dir, int *lockfd)
{
	bkey_error e;
	int dfd;

	*lockfd = -1;
	memset(&e, 0, sizeof(e));
	if ((dfd = bkey_open_state_sub(state_dir, BKEY_BREAKER_DIR, 1, &e)) <
	    0) {
		bkey_state_warn("circuit breaker not used", e.detail);
		return -1;
	}
	*lockfd = openat(dfd, LOCK_NAME,
	    O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0600);
	if (*lockfd < 0 || flock(*lockfd, LOCK_EX) != 0) {
		(void)snprintf(e.detail, sizeof(e.detail), "%s/%s: %s",
		    BKEY_BREAKER_DIR, LOCK_NAME, strerror(errno));
		bkey_state_warn("circuit breaker not used", e.detail);
		if (*lockfd >= 0)
			(void)close(*lockfd);
		*lockfd = -1;
		(void)close(dfd);
		return -1;
	}
	return dfd;
}

static void
unlock_dir(int dfd, int lockfd)
{
	if (lockfd >= 0)
		(void)close(lockfd); /* releases the flock */
	if (dfd >= 0)
		(void)close(dfd);
}

/* 0 with *until (0: no file), -1 when the file is not to be trusted. */
static int
read_state(int dfd, const char *name, long hold, time_t now, long long *until)
{
	char buf[STATE_MAX + 1], *end;
	struct stat st;
	ssize_t n;
	int fd;

	*until = 0;
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0) {
		warn(name, "ignored", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    bkey_trust_broken(&st, geteuid(), 0) != BKEY_TRUST_OK) {
		(void)close(fd);
		warn(name, "ignored", "not a regular file of ours");
		return -1;
	}
	n = read(fd, buf, STATE_MAX);
	(void)close(fd);
	if (n > 0)
		buf[n] = '\0';
	if (n <= 0 || strncmp(buf, MAGIC, strlen(MAGIC)) != 0 ||
	    (*until = strtoll(buf + strlen(MAGIC), &end, 10)) <= 0 ||
	    strcmp(end, "\n") != 0 || *until > (long long)now + hold) {
		warn(name, "ignored", "garbled or from the future");
		*until = 0;
		return -1;
	}
	return 0;
}

/* Replace the state by one saying "nobody probes before until". */
static void
write_state(int dfd, const char *name, long long until)
{
	char text[STATE_MAX], tmp[BKEY_BREAKER_NAME_MAX + 8];
	int fd, n, ok;

	n = snprintf(text, sizeof(text), MAGIC "%lld\n", until);
	/* One writer at a time (the flock): a fixed name, and what a killed
	 * writer left is ours to remove. */
	(void)snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	(void)unlinkat(dfd, tmp, 0);
	fd = openat(dfd, tmp,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		warn(name, "not written", strerror(errno));
		return;
	}
	ok = n > 0 && (size_t)n < sizeof(text) &&
	    bkey_write_all(fd, text, (size_t)n) == 0;
	ok = close(fd) == 0 && ok;
	if (!ok || renameat(dfd, tmp, dfd, name) != 0) {
		warn(name, "not written", strerror(errno));
		(void)unlinkat(dfd, tmp, 0);
	}
}

enum bkey_breaker
bkey_breaker_begin(struct bkey_breaker_run *b, const struct bkey_config *c,
    bkey_error *err)
{
	time_t now = time(NULL);
	long long until;
	int dfd, lockfd;

	memset(b, 0, sizeof(*b));
	if (c->outage_hold <= 0 || c->state_dir == NULL)
		return BKEY_BREAKER_CLOSED;
	if ((dfd = lock_dir(c->state_dir, &lockfd)) < 0)
		return BKEY_BREAKER_CLOSED;
	state_name(c, b->name, sizeof(b->name));
	b->hold = c->outage_hold;
	if ((b->state_dir = strdup(c->state_dir)) == NULL)
		goto out; /* off for this run: no memory to record it */
	if (read_state(dfd, b->name, b->hold, now, &until) != 0 || until == 0)
		goto out;
	if ((long long)now < until) {
		b->state = BKEY_BREAKER_OPEN;
		bkey_seterr(err, BKEY_ERR_UNAVAILABLE,
		    "service unavailable "
		    "(circuit breaker open for %lld s more: not asked)",
		    until - (long long)now);
		goto out;
	}
	/* This run is the period's probe: hold the others off meanwhile. */
	b->state = BKEY_BREAKER_PROBE;
	write_state(dfd, b->name, (long long)now + b->hold);
	bkey_ciba_debug("circuit breaker: probing the service");
out:
	unlock_dir(dfd, lockfd);
	return b->state;
}

void
bkey_breaker_end(struct bkey_breaker_run *b, bkey_result res)
{
	int dfd, lockfd, reached;

	if (b->state_dir == NULL || b->state == BKEY_BREAKER_OPEN)
		goto out;
	reached = res == BKEY_APPROVED || res == BKEY_DENIED ||
	    res == BKEY_EXPIRED || res == BKEY_ERR_PROTOCOL ||
	    res == BKEY_ERR_TOKEN;
	/* Nothing learnt: a probe that ended before the service could tell
	 * hands the probe on (now: the next run probes), else no change. */
	if (res != BKEY_ERR_UNAVAILABLE && !reached &&
	    b->state != BKEY_BREAKER_PROBE)
		goto out;
	if ((dfd = lock_dir(b->state_dir, &lockfd)) < 0)
		goto out;
	if (reached) {
		if (unlinkat(dfd, b->name, 0) != 0 && errno != ENOENT)
			warn(b->name, "not removed", strerror(errno));
	} else
		write_state(dfd, b->name,
		    (long long)time(NULL) +
			(res == BKEY_ERR_UNAVAILABLE ? b->hold : 0));
	unlock_dir(dfd, lockfd);
out:
	bkey_breaker_drop(b);
}

void
bkey_breaker_drop(struct bkey_breaker_run *b)
{
	free(b->state_dir);
	memset(b, 0, sizeof(*b));
}
