/* SPDX-License-Identifier: ISC */
/*
 * Replay protection. Each jti becomes a file STATE_DIR/jti/XX/HASH, where
 * HASH is the hex BLAKE2b-256 of the jti and XX its first byte; creating
 * it is the atomic "seen before?" test. The record is written whole under
 * a temporary name in the shard and then link()ed into place: link fails
 * with EEXIST when the jti was seen (atomic like O_EXCL), and a write that
 * fails (a full disk) leaves no record, empty or with the wrong mtime, to
 * be taken later for a use. The file's mtime is the token's exp. The 256 shard directories keep each one small, and
 * pruning scans only the shard just written to (a random one), at most
 * PRUNE_MAX entries, so the cost per call is bounded.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "fileperm.h"
#include "jti.h"

#define HASH_LEN crypto_generichash_BYTES /* 32 */
#define HEX_LEN (HASH_LEN * 2)
#define PRUNE_MAX 256
#define PRUNE_GRACE (24 * 60 * 60) /* kept a day past exp */
#define TMP_PREFIX ".tmp."
#define TMP_GRACE (60 * 60) /* a killed writer's leftover */

/* Create (if create) and open the checked directory name under at. */
static int
open_dir(int at, const char *name, int create, int follow, const char *shown,
    bkey_error *err)
{
	if (create && mkdirat(at, name, 0700) != 0 && errno != EEXIST) {
		bkey_seterr(err, bkey_errno_code(errno),
		    "%s: cannot create: %s", shown, strerror(errno));
		return -1;
	}
	return bkey_open_dir_checked(at, name, follow, shown, err);
}

static int
is_hex_name(const char *s)
{
	size_t i;

	for (i = 0; i < HEX_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
			(s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[HEX_LEN] == '\0';
}

/* Best effort: a failure here never affects the answer. */
static void
prune(int dfd, time_t now)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd, scanned = 0, tmp;

	if ((fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while (scanned < PRUNE_MAX && (de = readdir(d)) != NULL) {
		scanned++;
		tmp = strncmp(de->d_name, TMP_PREFIX, strlen(TMP_PREFIX)) == 0;
		if (!tmp && !is_hex_name(de->d_name))
			continue;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		/* A temporary file's mtime may already be its exp: its age
		 * is the ctime. */
		if (tmp ? st.st_ctime < now - TMP_GRACE :
			  st.st_mtime < now - PRUNE_GRACE)
			(void)unlinkat(dfd, de->d_name, 0);
	}
	closedir(d);
}

/* STATE_DIR/jti/SHARD, created as needed; shown gets its path. */
static int
open_shard(const char *state_dir, const char *shard, char *shown,
    size_t shownsz, bkey_error *err)
{
	int sfd, jfd = -1, dfd = -1;

	/* state_dir is the administrator's: it may be a symbolic link. */
	if ((sfd = open_dir(AT_FDCWD, state_dir, 0, 1, state_dir, err)) < 0)
		return -1;
	(void)snprintf(shown, shownsz, "%s/jti", state_dir);
	if ((jfd = open_dir(sfd, "jti", 1, 0, shown, err)) < 0)
		goto out;
	(void)snprintf(shown, shownsz, "%s/jti/%s", state_dir, shard);
	dfd = open_dir(jfd, shard, 1, 0, shown, err);
out:
	if (jfd >= 0)
		close(jfd);
	close(sfd);
	return dfd;
}

/*
 * The whole record (exp as text for people, as mtime for pruning) under
 * the temporary name tmp; rec names the record in messages. On failure
 * tmp is removed again. 0 / -1.
 */
static int
write_temp(int dfd, const char *tmp, time_t exp, const char *rec,
    bkey_error *err)
{
	struct timespec ts[2];
	char text[32];
	int fd, n, rc = -1;

	fd = openat(dfd, tmp,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return bkey_seterr(err, bkey_errno_code(errno),
		    "%s: cannot create: %s", rec, strerror(errno));
	n = snprintf(text, sizeof(text), "%lld\n", (long long)exp);
	ts[0].tv_sec = ts[1].tv_sec = exp;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	if (n < 0 || (size_t)n >= sizeof(text))
		bkey_seterr(err, BKEY_ERR_INTERNAL, "%s: bad exp", rec);
	else if (bkey_write_all(fd, text, (size_t)n) != 0 ||
	    futimens(fd, ts) != 0 || fsync(fd) != 0)
		bkey_seterr(err, BKEY_ERR_INTERNAL, "%s: cannot write: %s", rec,
		    strerror(errno));
	else
		rc = 0;
	if (close(fd) != 0 && rc == 0)
		rc = bkey_seterr(err, BKEY_ERR_INTERNAL, "%s: close: %s", rec,
		    strerror(errno));
	if (rc != 0)
		(void)unlinkat(dfd, tmp, 0);
	return rc;
}

int
bkey_jti_record(const char *state_dir, const char *jti, time_t exp,
    bkey_error *err)
{
	unsigned char hash[HASH_LEN], rnd[8];
	char hex[HEX_LEN + 1], shard[3], shown[512], rec[600];
	char tmp[sizeof(TMP_PREFIX) + 2 * sizeof(rnd)];
	int dfd, rc = -1;
	time_t now;

	if (state_dir == NULL || *state_dir == '\0')
		return bkey_seterr(err, BKEY_ERR_CONFIG, "state_dir is empty");
	if (jti == NULL || *jti == '\0')
		return bkey_seterr(err, BKEY_ERR_INTERNAL, "empty jti");
	if (sodium_init() < 0)
		return bkey_seterr(err, BKEY_ERR_INTERNAL,
		    "libsodium failed to initialise");
	if (crypto_generichash(hash, sizeof(hash), (const unsigned char *)jti,
		strlen(jti), NULL, 0) != 0)
		return bkey_seterr(err, BKEY_ERR_INTERNAL, "hash failed");
	sodium_bin2hex(hex, sizeof(hex), hash, sizeof(hash));
	memcpy(shard, hex, 2);
	shard[2] = '\0';
	randombytes_buf(rnd, sizeof(rnd));
	memcpy(tmp, TMP_PREFIX, strlen(TMP_PREFIX));
	sodium_bin2hex(tmp + strlen(TMP_PREFIX),
	    sizeof(tmp) - strlen(TMP_PREFIX), rnd, sizeof(rnd));

	if ((dfd = open_shard(state_dir, shard, shown, sizeof(shown), err)) < 0)
		return -1;
	(void)snprintf(rec, sizeof(rec), "%s/%s", shown, hex);
	if (write_temp(dfd, tmp, exp, rec, err) != 0)
		goto out;
	if (linkat(dfd, tmp, dfd, hex, 0) == 0)
		rc = 0;
	else if (errno == EEXIST)
		rc = 1; /* seen before: a replay */
	else
		bkey_seterr(err, bkey_errno_code(errno),
		    "%s: cannot create: %s", rec, strerror(errno));
	(void)unlinkat(dfd, tmp, 0);
	if (rc == 0 && (now = time(NULL)) != (time_t)-1)
		prune(dfd, now);
out:
	close(dfd);
	return rc;
}
