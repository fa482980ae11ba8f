/* SPDX-License-Identifier: ISC */
/*
 * Phone key pinning, like ssh's known_hosts: STATE_DIR/vault-keys/HASH
 * (HASH the hex BLAKE2b-256 of the DID, mode 0600) holds the base64 X25519
 * key of that DID's phone, recorded on the first successful access. Every
 * later answer must come from that key: BKey's backend could otherwise
 * swap it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "fileperm.h"
#include "users.h"
#include "vault_cli.h"

#define PIN_DIR "vault-keys"
#define LINE_MAX_ 64 /* 44 base64 + newline, with room */
#define NAME_LEN (crypto_generichash_BYTES * 2)

/* The record's line for pk. */
static void
pin_line(const unsigned char pk[32], char *line, size_t linesz)
{
	(void)sodium_bin2base64(line, linesz - 1, pk, 32,
	    sodium_base64_VARIANT_ORIGINAL);
	(void)strncat(line, "\n", linesz - strlen(line) - 1);
}

/* STATE_DIR/vault-keys, created as needed. Both are root's (or ours,
 * without a monitor): the worker's user must not be able to rename the
 * records away, which would reset every pin. */
static int
open_pins(const char *state_dir, char *shown, size_t shownsz, bkey_error *err)
{
	int sfd, dfd;

	/* state_dir is the administrator's: it may be a symbolic link. */
	if ((sfd = bkey_open_dir_checked(AT_FDCWD, state_dir, 1, state_dir,
		 err)) < 0)
		return -1;
	(void)snprintf(shown, shownsz, "%s/" PIN_DIR, state_dir);
	if (mkdirat(sfd, PIN_DIR, 0700) != 0 && errno != EEXIST) {
		bkey_seterr(err, bkey_errno_code(errno),
		    "%s: cannot create: "
		    "%s",
		    shown, strerror(errno));
		(void)close(sfd);
		return -1;
	}
	dfd = bkey_open_dir_checked(sfd, PIN_DIR, 0, shown, err);
	(void)close(sfd);
	return dfd;
}

/* A regular file of root's (or ours), written by no one else. */
static int
ours(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    bkey_trust_broken(&st, geteuid(), 0) == BKEY_TRUST_OK;
}

/* Compare the record name with want: 0 same, 1 another key, -1 error. */
static int
compare(int dfd, const char *name, const char *want, const char *shown,
    bkey_error *err)
{
	char have[LINE_MAX_ + 1];
	ssize_t n;
	int fd;

	if ((fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return bkey_seterr(err, BKEY_ERR_CONFIG, "%s/%s: %s", shown,
		    name, strerror(errno));
	if (!ours(fd)) {
		(void)close(fd);
		return bkey_seterr(err, BKEY_ERR_CONFIG,
		    "%s/%s: not a record of ours (owner or mode)", shown, name);
	}
	n = read(fd, have, LINE_MAX_);
	(void)close(fd);
	if (n < 0)
		return bkey_seterr(err, BKEY_ERR_CONFIG, "%s/%s: %s", shown,
		    name, strerror(errno));
	have[n] = '\0';
	return strcmp(have, want) == 0 ? 0 : 1;
}

/* Record want as name; EEXIST when a record was made meanwhile. */
static int
record(int dfd, const char *name, const char *want)
{
	int fd, e;

	fd = openat(dfd, name,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (bkey_write_all(fd, want, strlen(want)) != 0 || fsync(fd) != 0) {
		e = errno;
		(void)close(fd);
		(void)unlinkat(dfd, name, 0);
		errno = e;
		return -1;
	}
	return close(fd);
}

/* The record's file name for did. */
static void
pin_name(const char *did, char name[NAME_LEN + 1])
{
	unsigned char h[crypto_generichash_BYTES];

	(void)crypto_generichash(h, sizeof(h), (const unsigned char *)did,
	    strlen(did), NULL, 0);
	(void)sodium_bin2hex(name, NAME_LEN + 1, h, sizeof(h));
}

int
bkey_vault_pin(const char *state_dir, const char *did,
    const unsigned char pk[32], bkey_error *err)
{
	char name[NAME_LEN + 1], want[LINE_MAX_], shown[1024];
	int dfd, rc;

	want[0] = '\0';
	pin_line(pk, want, sizeof(want));
	pin_name(did, name);
	if ((dfd = open_pins(state_dir, shown, sizeof(shown), err)) < 0)
		return -1;
	if (faccessat(dfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		rc = compare(dfd, name, want, shown, err);
	else if (record(dfd, name, want) == 0)
		rc = 0;
	else if (errno == EEXIST) /* a concurrent first use */
		rc = compare(dfd, name, want, shown, err);
	else
		rc = bkey_seterr(err, bkey_errno_code(errno),
		    "%s/%s: cannot "
		    "record: %s",
		    shown, name, strerror(errno));
	(void)close(dfd);
	return rc;
}

int
bkey_vault_pin_admin(const char *state_dir, const char *did, int reset,
    char *key, size_t keysz, bkey_error *err)
{
	char name[NAME_LEN + 1], shown[1024];
	unsigned char pk[32];
	ssize_t n = -1;
	int dfd, fd, rc = -1;

	pin_name(did, name);
	if ((dfd = open_pins(state_dir, shown, sizeof(shown), err)) < 0)
		return -1;
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		rc = 1;
	else if (fd < 0 || (n = read(fd, key, keysz - 1)) < 0 ||
	    (reset && unlinkat(dfd, name, 0) != 0))
		bkey_seterr(err, bkey_errno_code(errno), "%s/%s: %s", shown,
		    name, strerror(errno));
	else {
		key[n] = '\0';
		key[strcspn(key, "\n")] = '\0';
		rc = bkey_users_key_decode(key, strlen(key), pk) == 0 ?
		    0 :
		    bkey_seterr(err, BKEY_ERR_CONFIG,
			"%s/%s: not a phone key record", shown, name);
	}
	if (fd >= 0)
		(void)close(fd);
	(void)close(dfd);
	return rc;
}
