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

#include <sodium.h>

#include "fileperm.h"

static int
check_fd(int fd, const char *path, int flags, bkey_error *err)
{
	struct stat st;
	uid_t euid = geteuid();

	if (fstat(fd, &st) != 0)
		return bkey_seterr(err, BKEY_ERR_CONFIG, "%s: cannot stat: %s",
		    path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return bkey_seterr(err, BKEY_ERR_CONFIG,
		    "%s: is not a regular file", path);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return bkey_seterr(err, BKEY_ERR_CONFIG,
		    "%s: is group or world writable (mode %04o)", path,
		    (unsigned)(st.st_mode & 07777));
	if (st.st_uid != 0 && (euid == 0 || st.st_uid != euid)) {
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
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		bkey_seterr(err, BKEY_ERR_CONFIG,
		    "%s: is group or world writable (mode %04o)", shown,
		    (unsigned)(st.st_mode & 07777));
		goto fail;
	}
	if (st.st_uid != 0 && st.st_uid != owner) {
		bkey_seterr(err, BKEY_ERR_CONFIG,
		    "%s: is owned by uid %lu, not root or uid %lu", shown,
		    (unsigned long)st.st_uid, (unsigned long)owner);
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

char *
bkey_read_all(FILE *f, const char *path, size_t max, size_t *len,
    bkey_error *err)
{
	char *buf = NULL, *nbuf;
	size_t cap = 0, n = 0, got;

	*len = 0;
	/* No stdio buffer: it would hold a copy of the file (a client
	 * secret) that fclose frees without wiping, inside sshd or sudo.
	 * Unbuffered, fread reads straight into buf, which we wipe. */
	if (setvbuf(f, NULL, _IONBF, 0) != 0) {
		bkey_seterr(err, BKEY_ERR_INTERNAL, "%s: setvbuf failed",
		    path);
		return NULL;
	}
	for (;;) {
		/* Room for max + 1 bytes and the NUL: one more than allowed
		 * tells a file that is too large. */
		if (cap - n < 1024 && cap < max + 2) {
			size_t ncap = cap ? cap * 2 : 4096;

			if (ncap > max + 2)
				ncap = max + 2;
			/* Grow by copying so no secret is left in freed memory. */
			if ((nbuf = malloc(ncap)) == NULL) {
				bkey_seterr(err, BKEY_ERR_INTERNAL,
				    "out of memory");
				goto fail;
			}
			if (buf != NULL) {
				memcpy(nbuf, buf, n);
				sodium_memzero(buf, cap);
				free(buf);
			}
			buf = nbuf;
			cap = ncap;
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (n > max) {
			bkey_seterr(err, BKEY_ERR_CONFIG,
			    "%s: file is too large (over %zu bytes)", path, max);
			goto fail;
		}
		if (got == 0) {
			if (ferror(f)) {
				bkey_seterr(err, BKEY_ERR_CONFIG,
				    "%s: read error", path);
				goto fail;
			}
			break;
		}
	}
	buf[n] = '\0';
	*len = n;
	return buf;
fail:
	if (buf != NULL) {
		sodium_memzero(buf, cap);
		free(buf);
	}
	return NULL;
}

void
bkey_lines_init(struct bkey_lines *l, char *buf, size_t len, const char *path)
{
	l->p = buf;
	l->end = buf + len;
	l->lineno = 0;
	l->path = path;
}

int
bkey_lines_next(struct bkey_lines *l, char **line, bkey_error *err)
{
	char *nl;
	size_t n;

	*line = NULL;
	if (l->p == NULL || l->p >= l->end)
		return 0;
	l->lineno++;
	nl = memchr(l->p, '\n', (size_t)(l->end - l->p));
	n = nl != NULL ? (size_t)(nl - l->p) : (size_t)(l->end - l->p);
	if (n > BKEY_LINE_MAX)
		return bkey_seterr(err, BKEY_ERR_CONFIG,
		    "%s:%lu: line is longer than %d bytes", l->path,
		    l->lineno, BKEY_LINE_MAX);
	if (memchr(l->p, '\0', n) != NULL)
		return bkey_seterr(err, BKEY_ERR_CONFIG,
		    "%s:%lu: line contains a NUL byte", l->path, l->lineno);
	*line = l->p;
	l->p[n] = '\0';		/* the newline, or the buffer's own NUL */
	l->p = nl != NULL ? nl + 1 : l->end;
	return 1;
}
