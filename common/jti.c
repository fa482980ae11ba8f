/*
 * Replay protection. Each jti becomes a file STATE_DIR/jti/XX/HASH, where
 * HASH is the hex BLAKE2b-256 of the jti and XX its first byte; creating
 * it with O_EXCL is the atomic "seen before?" test. The file's mtime is
 * the token's exp. The 256 shard directories keep each one small, and
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

#define HASH_LEN	crypto_generichash_BYTES	/* 32 */
#define HEX_LEN		(HASH_LEN * 2)
#define PRUNE_MAX	256
#define PRUNE_GRACE	(24 * 60 * 60)	/* kept a day past exp */

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
	int fd, scanned = 0;

	if ((fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while (scanned < PRUNE_MAX && (de = readdir(d)) != NULL) {
		scanned++;
		if (!is_hex_name(de->d_name))
			continue;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (st.st_mtime < now - PRUNE_GRACE)
			(void)unlinkat(dfd, de->d_name, 0);
	}
	closedir(d);
}

int
bkey_jti_record(const char *state_dir, const char *jti, time_t exp,
    bkey_error *err)
{
	unsigned char hash[HASH_LEN];
	char hex[HEX_LEN + 1], shard[3], shown[512], text[32];
	struct timespec ts[2];
	int sfd = -1, jfd = -1, dfd = -1, fd = -1, rc = -1, n;
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

	/* state_dir is the administrator's: it may be a symbolic link. */
	if ((sfd = open_dir(AT_FDCWD, state_dir, 0, 1, state_dir, err)) < 0)
		goto out;
	snprintf(shown, sizeof(shown), "%s/jti", state_dir);
	if ((jfd = open_dir(sfd, "jti", 1, 0, shown, err)) < 0)
		goto out;
	snprintf(shown, sizeof(shown), "%s/jti/%s", state_dir, shard);
	if ((dfd = open_dir(jfd, shard, 1, 0, shown, err)) < 0)
		goto out;

	fd = openat(dfd, hex, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd < 0) {
		if (errno == EEXIST) {
			rc = 1;		/* seen before: a replay */
			goto out;
		}
		bkey_seterr(err, bkey_errno_code(errno),
		    "%s/%s: cannot create: %s",
		    shown, hex, strerror(errno));
		goto out;
	}
	/* The exp as text for people, and as mtime for pruning. */
	n = snprintf(text, sizeof(text), "%lld\n", (long long)exp);
	if (n < 0 || (size_t)n >= sizeof(text) ||
	    write(fd, text, (size_t)n) != n) {
		bkey_seterr(err, BKEY_ERR_INTERNAL, "%s/%s: cannot write",
		    shown, hex);
		goto out;
	}
	ts[0].tv_sec = ts[1].tv_sec = exp;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	if (futimens(fd, ts) != 0) {
		bkey_seterr(err, BKEY_ERR_INTERNAL, "%s/%s: futimens: %s",
		    shown, hex, strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		bkey_seterr(err, BKEY_ERR_INTERNAL, "%s/%s: close: %s",
		    shown, hex, strerror(errno));
		goto out;
	}
	fd = -1;
	rc = 0;
	if ((now = time(NULL)) != (time_t)-1)
		prune(dfd, now);
out:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	if (jfd >= 0)
		close(jfd);
	if (sfd >= 0)
		close(sfd);
	return rc;
}
