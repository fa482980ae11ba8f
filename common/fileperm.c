/* SPDX-License-Identifier: ISC */
/*
 * Opening configuration and secret files safely: the checks run on the
 * open descriptor (fstat), so the file cannot be swapped between the
 * check and the read; symbolic links are refused outright.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileperm.h"

int
bkey_trust_broken(const struct stat *st, uid_t owner, int flags)
{
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) &&
	    !((flags & BKEY_TRUST_STICKY_OK) && S_ISDIR(st->st_mode) &&
	    (st->st_mode & S_ISVTX)))
		return BKEY_TRUST_WRITERS;
	if (st->st_uid != 0 && st->st_uid != owner)
		return BKEY_TRUST_OWNER;
	return BKEY_TRUST_OK;
}

static int
check_fd(int fd, const char *path, int flags, bkey_error *err)
{
	struct stat st;
	uid_t euid = geteuid();
	int broken;

	if (fstat(fd, &st) != 0)
		return bkey_seterr(err, BKEY_ERR_CONFIG, "%s: cannot stat: %s",
		    path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return bkey_seterr(err, BKEY_ERR_CONFIG,
		    "%s: is not a regular file", path);
	broken = bkey_trust_broken(&st, euid, 0);
	if (broken == BKEY_TRUST_WRITERS)
		return bkey_seterr(err, BKEY_ERR_CONFIG,
		    "%s: is group or world writable (mode %04o)", path,
		    (unsigned)(st.st_mode & 07777));
	if (broken == BKEY_TRUST_OWNER) {
		if (euid == 0)
			return bkey_seterr(err, BKEY_ERR_CONFIG,
			    "%s: is owned by uid %lu, not root", path,
			    (unsigned long)st.st_uid);
		return bkey_seterr(err, BKEY_ERR_CONFIG,
		    "%s: is owned by uid %lu, not root or uid %lu", path,
		    (unsigned long)st.st_uid, (unsigned long)euid);
	}
	if ((flags & BKEY_FILE_SECRET) && (st.st_mode & S_IROTH))
		return bkey_seterr(err, BKEY_ERR_CONFIG,
		    "%s: holds a secret and is world readable (mode %04o)",
		    path, (unsigned)(st.st_mode & 07777));
	return 0;
}

FILE *
bkey_open_checked(const char *path, int flags, bkey_error *err)
{
	FILE *f = NULL;
	int fd, fl;

	if (path == NULL || *path == '\0') {
		bkey_seterr(err, BKEY_ERR_CONFIG, "empty file name");
		return NULL;
	}
	/* O_NONBLOCK: a FIFO planted at path must not block the open. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ELOOP)
			bkey_seterr(err, BKEY_ERR_CONFIG,
			    "%s: is a symbolic link", path);
		else
			bkey_seterr(err, BKEY_ERR_CONFIG, "%s: cannot open: %s",
			    path, strerror(errno));
		return NULL;
	}
	if (check_fd(fd, path, flags, err) != 0)
		goto fail;
	/* A regular file: blocking reads again. */
	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) == -1) {
		bkey_seterr(err, BKEY_ERR_INTERNAL, "%s: fcntl: %s", path,
		    strerror(errno));
		goto fail;
	}
	if ((f = fdopen(fd, "r")) == NULL) {
		bkey_seterr(err, BKEY_ERR_INTERNAL, "%s: fdopen: %s", path,
		    strerror(errno));
		goto fail;
	}
	return f;
fail:
	close(fd);
	return NULL;
}

int
bkey_errno_code(int e)
{
	/* Permission problems are the installer's to fix: configuration. */
	return (e == EACCES || e == EPERM || e == EROFS || e == ENOENT ||
	    e == ENOTDIR || e == ELOOP) ? BKEY_ERR_CONFIG : BKEY_ERR_INTERNAL;
}

int
bkey_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		if (w == 0) {
			errno = EIO;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

int
bkey_open_dir_checked(int at, const char *name, int follow, const char *shown,
    bkey_error *err)
{
	return bkey_open_dir_owned(at, name, follow, geteuid(), shown, err);
}

int
bkey_open_dir_owned(int at, const char *name, int follow, uid_t owner,
    const char *shown, bkey_error *err)
{
	struct stat st;
	int fd;

	fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
	    (follow ? 0 : O_NOFOLLOW));
	if (fd < 0) {
		if (errno == ENOTDIR || errno == ELOOP)
			bkey_seterr(err, BKEY_ERR_CONFIG,
			    "%s: is not a directory", shown);
		else
			bkey_seterr(err, bkey_errno_code(errno),
			    "%s: cannot open: %s", shown, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		bkey_seterr(err, BKEY_ERR_INTERNAL, "%s: cannot stat: %s",
		    shown, strerror(errno));
		goto fail;
	}
	if (!S_ISDIR(st.st_mode)) {
		bkey_seterr(err, BKEY_ERR_CONFIG, "%s: is not a directory",
		    shown);
		goto fail;
	}
	switch (bkey_trust_broken(&st, owner, 0)) {
	case BKEY_TRUST_OK:
		return fd;
	case BKEY_TRUST_WRITERS:
		bkey_seterr(err, BKEY_ERR_CONFIG,
		    "%s: is group or world writable (mode %04o)", shown,
		    (unsigned)(st.st_mode & 07777));
		goto fail;
	default:
		bkey_seterr(err, BKEY_ERR_CONFIG,
		    "%s: is owned by uid %lu, not root or uid %lu", shown,
		    (unsigned long)st.st_uid, (unsigned long)owner);
		goto fail;
	}
fail:
	close(fd);
	return -1;
}

int
bkey_open_state_sub(const char *state_dir, const char *sub, int create,
    bkey_error *err)
{
	struct stat st;
	int sfd, dfd = -1;

	sfd = bkey_open_dir_checked(AT_FDCWD, state_dir, 1, state_dir, err);
	if (sfd < 0)
		return -1;
	if (create && mkdirat(sfd, sub, 0700) != 0 && errno != EEXIST)
		bkey_seterr(err, bkey_errno_code(errno), "cannot create: %s",
		    strerror(errno));
	else if (!create && fstatat(sfd, sub, &st, AT_SYMLINK_NOFOLLOW) != 0 &&
	    errno == ENOENT)
		dfd = -2;
	else
		dfd = bkey_open_dir_checked(sfd, sub, 0, sub, err);
	(void)close(sfd);
	return dfd;
}
