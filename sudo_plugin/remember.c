/* SPDX-License-Identifier: ISC */
/* Remember windows: keys and records (remember.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "fileperm.h"
#include "remember.h"
#include "result.h"
#include "rules.h"

#define RECORD_MAX 64

int
remember_proc_start(long pid, unsigned long long *start)
{
	char path[64], buf[1024], *p, *end;
	ssize_t len;
	int fd, field;

	if (pid <= 0)
		return -1;
	(void)snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	len = read(fd, buf, sizeof(buf) - 1);
	(void)close(fd);
	if (len <= 0)
		return -1;
	buf[len] = '\0';
	/* The name (field 2) may hold anything: count after its last ')'. */
	if ((p = strrchr(buf, ')')) == NULL)
		return -1;
	for (field = 2; field < 22 && p != NULL; field++)
		p = strchr(p + 1, ' ');
	if (p == NULL)
		return -1;
	errno = 0;
	*start = strtoull(p + 1, &end, 10);
	return errno == 0 && end != p + 1 && *end == ' ' ? 0 : -1;
}

/* Each part with its length, so that no two keys encode alike. */
static void
put(crypto_generichash_state *s, const void *p, size_t n)
{
	unsigned char len[8];
	size_t i;

	for (i = 0; i < sizeof(len); i++)
		len[i] = (unsigned char)((unsigned long long)n >> (8 * i));
	(void)crypto_generichash_update(s, len, sizeof(len));
	(void)crypto_generichash_update(s, p, n);
}

static void
put_str(crypto_generichash_state *s, const char *v)
{
	/* NULL and "" differ: a group given is a privilege too. */
	put(s, v != NULL ? "s" : "n", 1);
	if (v != NULL)
		put(s, v, strlen(v));
}

void
remember_name(const struct remember_key *k, char name[REMEMBER_NAME])
{
	crypto_generichash_state s;
	unsigned char h[32];
	char num[96];

	(void)crypto_generichash_init(&s, NULL, 0, sizeof(h));
	put(&s, "bkey-remember-v1", 16);
	(void)snprintf(num, sizeof(num), "%lu %ld %llu %d",
	    (unsigned long)k->uid, k->sid, k->sid_start, k->rule_line);
	put_str(&s, num);
	put(&s, k->rule_hash, RULES_TEXT_HASH);
	put_str(&s, k->tty);
	put_str(&s, k->runas);
	put_str(&s, k->runas_group);
	put_str(&s, k->scope);
	(void)crypto_generichash_final(&s, h, sizeof(h));
	sodium_bin2hex(name, REMEMBER_NAME, h, sizeof(h));
}

long long
remember_parse(const char *text, size_t len)
{
	long long v = 0;
	size_t i;

	if (len < 5 || memcmp(text, "v1 ", 3) != 0 || text[len - 1] != '\n')
		return -1;
	for (i = 3; i < len - 1; i++) {
		if (text[i] < '0' || text[i] > '9' || i > 3 + 12)
			return -1;
		v = v * 10 + (text[i] - '0');
	}
	return v;
}

/* STATE_DIR/remember, root's and private; create makes it. -1, with why
 * set unless it is not there (and create is 0). */
static int
open_dir(const char *state_dir, int create, char *why, size_t whysz)
{
	bkey_error e;
	struct stat st;
	int dfd;

	memset(&e, 0, sizeof(e));
	dfd = bkey_open_state_sub(state_dir, REMEMBER_DIR, create, &e);
	if (dfd == -1)
		(void)snprintf(why, whysz, "%s", e.detail);
	if (dfd < 0)
		return -1;
	if (fstat(dfd, &st) != 0 || st.st_uid != 0 || (st.st_mode & 077) != 0) {
		(void)snprintf(why, whysz, "%s/%s: not root's own 0700",
		    state_dir, REMEMBER_DIR);
		(void)close(dfd);
		dfd = -1;
	}
	return dfd;
}

/* The record's expiry, or -1 with *why (a record not to believe), or -2
 * when there is none. */
static long long
read_record(int dfd, const char *name, char *why, size_t whysz)
{
	char buf[RECORD_MAX];
	struct stat st;
	ssize_t len = -1;
	long long v = -1;
	int fd;

	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return -2;
		(void)snprintf(why, whysz, "%s: %s", name, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == 0 &&
	    (st.st_mode & 077) == 0)
		len = read(fd, buf, sizeof(buf));
	(void)close(fd);
	if (len < 0)
		(void)snprintf(why, whysz, "%s: not root's own 0600", name);
	else if ((v = remember_parse(buf, (size_t)len)) < 0)
		(void)snprintf(why, whysz, "%s: garbled", name);
	return v;
}

int
remember_open_at(const char *state_dir, const char *name, long long now,
    long max, char *why, size_t whysz)
{
	long long exp;
	int dfd;

	why[0] = '\0';
	if ((dfd = open_dir(state_dir, 0, why, whysz)) < 0)
		return 0;
	exp = read_record(dfd, name, why, whysz);
	(void)close(dfd);
	if (exp > now + max) {
		(void)snprintf(why, whysz, "%s: ends too far ahead", name);
		return 0;
	}
	return exp > now;
}

/* Remove the records whose window has ended, so that sessions long gone
 * do not leave files behind; a record that cannot be read stays, and so
 * does keep (the one just written). */
static void
sweep(int dfd, const char *keep, long long now)
{
	char why[64];
	struct dirent *d;
	DIR *dir;
	int fd;

	if ((fd = dup(dfd)) < 0)
		return;
	if ((dir = fdopendir(fd)) == NULL) {
		(void)close(fd);
		return;
	}
	while ((d = readdir(dir)) != NULL) {
		long long exp;

		if (strlen(d->d_name) != REMEMBER_NAME - 1 ||
		    strcmp(d->d_name, keep) == 0)
			continue;
		exp = read_record(dfd, d->d_name, why, sizeof(why));
		if (exp >= 0 && exp <= now)
			(void)unlinkat(dfd, d->d_name, 0);
	}
	(void)closedir(dir);
}

int
remember_store(const char *state_dir, const char *name, long long expiry,
    char *why, size_t whysz)
{
	char buf[RECORD_MAX], tmp[REMEMBER_NAME + 32];
	int dfd, fd, n, ok = 0;

	why[0] = '\0';
	if ((dfd = open_dir(state_dir, 1, why, whysz)) < 0)
		return -1;
	n = snprintf(buf, sizeof(buf), "v1 %lld\n", expiry);
	(void)snprintf(tmp, sizeof(tmp), ".%s.%ld", name, (long)getpid());
	(void)unlinkat(dfd, tmp, 0);
	fd = openat(dfd, tmp,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd >= 0) {
		ok = bkey_write_all(fd, buf, (size_t)n) == 0;
		ok = close(fd) == 0 && ok;
		ok = ok && renameat(dfd, tmp, dfd, name) == 0;
	}
	if (ok)
		sweep(dfd, name, (long long)time(NULL));
	if (!ok) {
		(void)snprintf(why, whysz, "%s/%s: cannot write: %s", state_dir,
		    REMEMBER_DIR, strerror(errno));
		(void)unlinkat(dfd, tmp, 0);
	}
	(void)close(dfd);
	return ok ? 0 : -1;
}

int
remember_forget(const char *state_dir, const char *name, char *why,
    size_t whysz)
{
	int dfd, rc = 0;

	why[0] = '\0';
	if ((dfd = open_dir(state_dir, 0, why, whysz)) < 0)
		return why[0] != '\0' ? -1 : 0;
	if (unlinkat(dfd, name, 0) != 0 && errno != ENOENT) {
		(void)snprintf(why, whysz, "%s/%s: cannot remove: %s",
		    state_dir, REMEMBER_DIR, strerror(errno));
		rc = -1;
	}
	(void)close(dfd);
	return rc;
}
