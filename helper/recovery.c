/* SPDX-License-Identifier: ISC */
/* The recovery code files (recovery.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "fileperm.h"
#include "recovery.h"
#include "valid.h"

/* "failures N\n" and one hash a line. */
#define FILE_MAX (32 + BKEY_RECOVERY_COUNT_MAX * crypto_pwhash_STRBYTES)
#define NAME_MAX_ (8 + BKEY_USERNAME_MAX)

struct set {
	long failures;
	int n;
	char hash[BKEY_RECOVERY_COUNT_MAX][crypto_pwhash_STRBYTES];
};

/* STATE_DIR/recovery, checked (created when create), locked; -1 with err. */
static int
open_locked(const char *state_dir, int create, bkey_error *err)
{
	int sfd, dfd = -1;

	if ((sfd = bkey_open_dir_checked(AT_FDCWD, state_dir, 1, state_dir,
		 err)) < 0)
		return -1;
	if (create && mkdirat(sfd, BKEY_RECOVERY_DIR, 0700) != 0 &&
	    errno != EEXIST)
		bkey_seterr(err, BKEY_ERR_INTERNAL, "%s/%s: cannot create: %s",
		    state_dir, BKEY_RECOVERY_DIR, strerror(errno));
	else if (!create &&
	    faccessat(sfd, BKEY_RECOVERY_DIR, F_OK, AT_SYMLINK_NOFOLLOW) != 0 &&
	    errno == ENOENT)
		dfd = -2; /* no codes at all */
	else if ((dfd = bkey_open_dir_checked(sfd, BKEY_RECOVERY_DIR, 0,
		      BKEY_RECOVERY_DIR, err)) >= 0 &&
	    flock(dfd, LOCK_EX) != 0) {
		bkey_seterr(err, BKEY_ERR_INTERNAL, "%s/%s: lock: %s",
		    state_dir, BKEY_RECOVERY_DIR, strerror(errno));
		(void)close(dfd);
		dfd = -1;
	}
	(void)close(sfd);
	return dfd;
}

static int
file_name(const char *user, char *dst, size_t dstsz, bkey_error *err)
{
	if (!bkey_username_valid(user))
		return bkey_seterr(err, BKEY_ERR_USAGE, "invalid user name");
	(void)snprintf(dst, dstsz, "u_%s", user);
	return 0;
}

/* Parse the text of a file into s; -1 if garbled. */
static int
parse_set(char *buf, struct set *s)
{
	char *p = buf, *nl, *end;
	size_t len;

	if (strncmp(p, "failures ", 9) != 0)
		return -1;
	s->failures = strtol(p + 9, &end, 10);
	if (end == p + 9 || *end != '\n' || s->failures < 0)
		return -1;
	for (p = end + 1; *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL ||
		    s->n >= BKEY_RECOVERY_COUNT_MAX)
			return -1;
		len = (size_t)(nl - p);
		if (len == 0 || len >= crypto_pwhash_STRBYTES ||
		    strncmp(p, crypto_pwhash_STRPREFIX,
			strlen(crypto_pwhash_STRPREFIX)) != 0)
			return -1;
		memcpy(s->hash[s->n], p, len);
		s->hash[s->n++][len] = '\0';
	}
	return 0;
}

/* Read user's file: 0, 1 none, -1 with err (not ours, garbled). */
static int
read_set(int dfd, const char *name, struct set *s, bkey_error *err)
{
	char buf[FILE_MAX + 1];
	struct stat st;
	ssize_t len = -1;
	int fd, rc = -1;

	memset(s, 0, sizeof(*s));
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 && errno == ENOENT)
		return 1;
	if (fd < 0)
		return bkey_seterr(err, BKEY_ERR_CONFIG, "%s/%s: %s",
		    BKEY_RECOVERY_DIR, name, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    bkey_trust_broken(&st, geteuid(), 0) != BKEY_TRUST_OK ||
	    (st.st_mode & 077) != 0)
		bkey_seterr(err, BKEY_ERR_CONFIG,
		    "%s/%s: not a file of "
		    "root's with mode 0600",
		    BKEY_RECOVERY_DIR, name);
	else if ((len = read(fd, buf, sizeof(buf))) < 0 ||
	    (size_t)len > FILE_MAX)
		bkey_seterr(err, BKEY_ERR_CONFIG,
		    "%s/%s: unreadable or too "
		    "long",
		    BKEY_RECOVERY_DIR, name);
	else {
		buf[len] = '\0';
		if ((rc = parse_set(buf, s)) != 0)
			bkey_seterr(err, BKEY_ERR_CONFIG, "%s/%s: garbled",
			    BKEY_RECOVERY_DIR, name);
	}
	(void)close(fd);
	sodium_memzero(buf, sizeof(buf));
	return rc;
}

/* Format s into buf; its length, or -1. */
static int
format_set(const struct set *s, char *buf, size_t cap)
{
	size_t len;
	int k, i;

	k = snprintf(buf, cap, "failures %ld\n", s->failures);
	if (k < 0 || (size_t)k >= cap)
		return -1;
	for (len = (size_t)k, i = 0; i < s->n; i++, len += (size_t)k) {
		k = snprintf(buf + len, cap - len, "%s\n", s->hash[i]);
		if (k < 0 || (size_t)k >= cap - len)
			return -1;
	}
	return (int)len;
}

/* Replace user's file by s: temp, fsync, rename, fsync the directory. */
static int
write_set(int dfd, const char *name, const struct set *s, bkey_error *err)
{
	char buf[FILE_MAX + 1], tmp[NAME_MAX_ + 8];
	int fd, len, ok;

	if ((len = format_set(s, buf, sizeof(buf))) < 0)
		return bkey_seterr(err, BKEY_ERR_INTERNAL, "too many codes");
	(void)snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	(void)unlinkat(dfd, tmp, 0); /* a killed writer's, under our lock */
	fd = openat(dfd, tmp,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	ok = fd >= 0 && bkey_write_all(fd, buf, (size_t)len) == 0 &&
	    fsync(fd) == 0;
	if (fd >= 0)
		ok = close(fd) == 0 && ok;
	ok = ok && renameat(dfd, tmp, dfd, name) == 0 && fsync(dfd) == 0;
	sodium_memzero(buf, sizeof(buf));
	if (ok)
		return 0;
	bkey_seterr(err, BKEY_ERR_INTERNAL, "%s/%s: cannot write: %s",
	    BKEY_RECOVERY_DIR, name, strerror(errno));
	(void)unlinkat(dfd, tmp, 0);
	return -1;
}

/* One code: BKEY_RECOVERY_DIGITS digits, in groups of four for
 * reading; digits[] gets them without the dashes (what is hashed). */
static void
new_code(char *shown, char *digits)
{
	int i, k = 0;

	for (i = 0; i < BKEY_RECOVERY_DIGITS; i++) {
		digits[i] = (char)('0' + randombytes_uniform(10));
		if (i > 0 && i % 4 == 0)
			shown[k++] = '-';
		shown[k++] = digits[i];
	}
	digits[i] = '\0';
	shown[k] = '\0';
}

/* Make the codes and their hashes into s. */
static int
make_codes(struct set *s, int count, char (*codes)[BKEY_RECOVERY_CODE_SIZE],
    bkey_error *err)
{
	char digits[BKEY_RECOVERY_DIGITS + 1];
	int i, rc = 0;

	for (i = 0; i < count && rc == 0; i++) {
		new_code(codes[i], digits);
		if (crypto_pwhash_str(s->hash[i], digits, BKEY_RECOVERY_DIGITS,
			crypto_pwhash_OPSLIMIT_INTERACTIVE,
			crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
			rc = bkey_seterr(err, BKEY_ERR_INTERNAL,
			    "cannot hash a code (out of memory)");
	}
	s->n = count;
	sodium_memzero(digits, sizeof(digits));
	return rc;
}

int
bkey_recovery_make(const char *state_dir, const char *user, int count,
    char (*codes)[BKEY_RECOVERY_CODE_SIZE], bkey_error *err)
{
	char name[NAME_MAX_];
	struct set *s;
	int dfd, rc = -1;

	if (count < 1 || count > BKEY_RECOVERY_COUNT_MAX)
		return bkey_seterr(err, BKEY_ERR_USAGE,
		    "--count must be "
		    "1 to %d",
		    BKEY_RECOVERY_COUNT_MAX);
	if (file_name(user, name, sizeof(name), err) != 0)
		return -1;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return bkey_seterr(err, BKEY_ERR_INTERNAL, "out of memory");
	if ((dfd = open_locked(state_dir, 1, err)) < 0)
		goto out;
	if (make_codes(s, count, codes, err) == 0 &&
	    write_set(dfd, name, s, err) == 0)
		rc = 0;
	(void)close(dfd);
out:
	sodium_memzero(s, sizeof(*s));
	free(s);
	if (rc != 0)
		sodium_memzero(codes, (size_t)count * sizeof(codes[0]));
	return rc;
}

/* Open, lock and read user's file for a change; s is the caller's.
 * The directory's descriptor, -2 no codes, -1 with err. */
static int
open_set(const char *state_dir, const char *user, char *name, size_t namesz,
    struct set *s, bkey_error *err)
{
	int dfd, r;

	if (file_name(user, name, namesz, err) != 0)
		return -1;
	if ((dfd = open_locked(state_dir, 0, err)) < 0)
		return dfd;
	if ((r = read_set(dfd, name, s, err)) != 0) {
		(void)close(dfd);
		return r == 1 ? -2 : -1;
	}
	return dfd;
}

int
bkey_recovery_revoke(const char *state_dir, const char *user, bkey_error *err)
{
	char name[NAME_MAX_];
	int dfd, rc = 0;

	if (file_name(user, name, sizeof(name), err) != 0)
		return -1;
	if ((dfd = open_locked(state_dir, 0, err)) == -2)
		return 1;
	if (dfd < 0)
		return -1;
	if (unlinkat(dfd, name, 0) != 0)
		rc = errno == ENOENT ?
		    1 :
		    bkey_seterr(err, BKEY_ERR_INTERNAL, "%s/%s: %s",
			BKEY_RECOVERY_DIR, name, strerror(errno));
	else if (fsync(dfd) != 0)
		rc = bkey_seterr(err, BKEY_ERR_INTERNAL, "%s: fsync: %s",
		    BKEY_RECOVERY_DIR, strerror(errno));
	(void)close(dfd);
	return rc;
}

/* Read user's set, clearing the lock-out when clear: the codes left, -2
 * no file, -1 with err. */
static int
peek(const char *state_dir, const char *user, int clear, long *failures,
    bkey_error *err)
{
	char name[NAME_MAX_];
	struct set *s;
	int dfd, rc;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return bkey_seterr(err, BKEY_ERR_INTERNAL, "out of memory");
	rc = dfd = open_set(state_dir, user, name, sizeof(name), s, err);
	if (dfd >= 0) {
		rc = s->n;
		*failures = s->failures;
		s->failures = 0;
		if (clear && write_set(dfd, name, s, err) != 0)
			rc = -1;
		(void)close(dfd);
	}
	sodium_memzero(s, sizeof(*s));
	free(s);
	return rc;
}

int
bkey_recovery_unlock(const char *state_dir, const char *user, bkey_error *err)
{
	long failures;
	int r = peek(state_dir, user, 1, &failures, err);

	return r == -2 ? 1 : r < 0 ? -1 : 0;
}

int
bkey_recovery_left(const char *state_dir, const char *user, long *failures,
    bkey_error *err)
{
	int r;

	*failures = 0;
	r = peek(state_dir, user, 0, failures, err);
	return r == -2 ? 0 : r;
}

/* code without dashes and spaces into digits; -1 if it is not 16
 * digits (a wrong code). */
static int
normalize(const char *code, char *digits)
{
	size_t n = 0;

	for (; *code != '\0'; code++) {
		if (*code == '-' || *code == ' ')
			continue;
		if (*code < '0' || *code > '9' || n >= BKEY_RECOVERY_DIGITS)
			return -1;
		digits[n++] = *code;
	}
	digits[n] = '\0';
	return n == BKEY_RECOVERY_DIGITS ? 0 : -1;
}

/* The index of the hash digits matches, or -1. Every hash is checked, so
 * the time says nothing of which one matched. */
static int
find_code(const struct set *s, const char *digits)
{
	int i, found = -1;

	for (i = 0; i < s->n; i++)
		if (crypto_pwhash_str_verify(s->hash[i], digits,
			BKEY_RECOVERY_DIGITS) == 0 &&
		    found < 0)
			found = i;
	return found;
}

/* Burn code i, or count a wrong try; rewrite the file (locked). */
static int
settle(int dfd, const char *name, struct set *s, int i, bkey_error *err)
{
	if (i >= 0) {
		memmove(s->hash[i], s->hash[i + 1],
		    (size_t)(s->n - i - 1) * sizeof(s->hash[0]));
		s->n--;
		s->failures = 0;
	} else
		s->failures++;
	return write_set(dfd, name, s, err);
}

/* A wrong code counted in s: -1 with err, *locked if it was the last. */
static int
wrong_code(const struct set *s, const char *user, long lockout, int *locked,
    bkey_error *err)
{
	if (s->failures < lockout)
		return bkey_seterr(err, BKEY_DENIED,
		    "wrong recovery code for %s", user);
	*locked = BKEY_RECOVERY_NOW_LOCKED;
	return bkey_seterr(err, BKEY_DENIED,
	    "wrong recovery code for %s; "
	    "recovery now locked out after %ld wrong codes",
	    user, s->failures);
}

int
bkey_recovery_use(const char *state_dir, const char *user, const char *code,
    long lockout, int *remaining, int *locked, bkey_error *err)
{
	char name[NAME_MAX_], digits[BKEY_RECOVERY_DIGITS + 1];
	struct set *s;
	int dfd, i = -1, rc = -1;

	*remaining = 0;
	*locked = 0;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return bkey_seterr(err, BKEY_ERR_INTERNAL, "out of memory");
	dfd = open_set(state_dir, user, name, sizeof(name), s, err);
	if (dfd == -2 || (dfd >= 0 && s->n == 0))
		bkey_seterr(err, BKEY_DENIED, "no recovery codes for %s", user);
	else if (dfd >= 0 && s->failures >= lockout) {
		*locked = BKEY_RECOVERY_LOCKED;
		bkey_seterr(err, BKEY_DENIED,
		    "recovery locked out for %s "
		    "after %ld wrong codes",
		    user, s->failures);
	} else if (dfd >= 0) {
		if (normalize(code, digits) == 0)
			i = find_code(s, digits);
		if (settle(dfd, name, s, i, err) == 0) {
			*remaining = s->n;
			rc = i >= 0 ? 0 :
				      wrong_code(s, user, lockout, locked, err);
		}
	}
	if (dfd >= 0)
		(void)close(dfd);
	sodium_memzero(digits, sizeof(digits));
	sodium_memzero(s, sizeof(*s));
	free(s);
	return rc;
}
