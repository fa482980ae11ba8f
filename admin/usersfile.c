/* SPDX-License-Identifier: ISC */
/*
 * Editing the users file in place of a person with an editor: under a
 * lock (two runs cannot lose each other's change), only when the whole
 * file is valid, keeping every other line (comments, order) as it was,
 * and atomically: a temporary file in the same directory with the same
 * owner and mode, fsync'd, renamed over the old one, the directory
 * fsync'd.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "buf.h"
#include "clock.h"
#include "fileperm.h"
#include "lines.h"
#include "users.h"
#include "usersfile.h"

#define LOCK_WAIT_MS 10000

/* PATH.lock, held with flock until admin_users_unlock. */
int
admin_users_lock(const char *path, bkey_error *err)
{
	char lock[PATH_MAX];
	long long end = bkey_now_ms() + LOCK_WAIT_MS;
	struct timespec slice = { 0, 50 * 1000 * 1000 };
	int fd;

	if (snprintf(lock, sizeof(lock), "%s.lock", path) >= (int)sizeof(lock))
		return bkey_seterr(err, BKEY_ERR_CONFIG, "%s: path too long",
		    path);
	fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return bkey_seterr(err, BKEY_ERR_CONFIG, "%s: cannot open: %s",
		    lock, strerror(errno));
	while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno != EWOULDBLOCK || bkey_now_ms() >= end) {
			(void)close(fd);
			return bkey_seterr(err, BKEY_ERR_UNAVAILABLE,
			    "%s: "
			    "another bkey-admin holds the lock",
			    lock);
		}
		(void)nanosleep(&slice, NULL);
	}
	return fd;
}

void
admin_users_unlock(int fd)
{
	if (fd >= 0)
		(void)close(fd);
}

/* The kept lines, with user's line left out or given new_line. */
static int
edited(char *buf, size_t len, const char *path, const char *user,
    const char *new_line, bkey_buf *out, bkey_error *err)
{
	struct bkey_lines lines;
	char copy[BKEY_LINE_MAX + 1], *line, *name, *did;
	int r, done = 0;

	bkey_lines_init(&lines, buf, len, path);
	while ((r = bkey_lines_next(&lines, &line, err)) == 1) {
		(void)snprintf(copy, sizeof(copy), "%s", line);
		r = bkey_users_parse_line(copy, path, lines.lineno, &name, &did,
		    err);
		if (r < 0)
			return -1;
		if (r == 1 && strcmp(name, user) == 0) {
			if (new_line != NULL && !done)
				bkey_buf_append(out, new_line,
				    strlen(new_line));
			done = 1;
			continue;
		}
		bkey_buf_append(out, line, strlen(line));
		bkey_buf_append(out, "\n", 1);
	}
	if (r < 0)
		return -1;
	if (new_line != NULL && !done)
		bkey_buf_append(out, new_line, strlen(new_line));
	if (out->failed)
		return bkey_seterr(err, BKEY_ERR_INTERNAL, "out of memory");
	return 0;
}

/* Write data as the new path (the lock held): temp file, owner, mode,
 * fsync, rename. */
static int
replace_file(const char *path, const struct stat *st, const bkey_buf *data,
    bkey_error *err)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	int fd, dfd, rc = -1;

	/* One fixed name, used only under the lock: a run that crashed
	 * leaves at most this file, and the next run replaces it. */
	if (snprintf(tmp, sizeof(tmp), "%s.new", path) >= (int)sizeof(tmp))
		return bkey_seterr(err, BKEY_ERR_CONFIG, "%s: path too long",
		    path);
	if ((unlink(tmp) != 0 && errno != ENOENT) ||
	    (fd = open(tmp,
		 O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) <
		0)
		return bkey_seterr(err, BKEY_ERR_CONFIG,
		    "%s: cannot create: "
		    "%s",
		    tmp, strerror(errno));
	if (fchown(fd, st->st_uid, st->st_gid) != 0 ||
	    fchmod(fd, st->st_mode & 07777) != 0 ||
	    bkey_write_all(fd, data->data != NULL ? data->data : "",
		data->len) != 0 ||
	    fsync(fd) != 0) {
		bkey_seterr(err, BKEY_ERR_INTERNAL, "%s: cannot write: %s", tmp,
		    strerror(errno));
		(void)close(fd);
		goto out;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		bkey_seterr(err, BKEY_ERR_INTERNAL, "%s: cannot replace: %s",
		    path, strerror(errno));
		goto out;
	}
	(void)snprintf(dir, sizeof(dir), "%s", path);
	if ((dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >=
	    0) {
		(void)fsync(dfd);
		(void)close(dfd);
	}
	return 0;
out:
	(void)unlink(tmp);
	return rc;
}

int
admin_users_edit(const char *path, const char *user, const char *new_line,
    bkey_error *err)
{
	struct stat st;
	bkey_buf out;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int rc = -1;

	bkey_buf_init(&out, BKEY_FILE_MAX);
	if ((f = bkey_open_checked(path, 0, err)) == NULL)
		return -1;
	if (fstat(fileno(f), &st) != 0) {
		bkey_seterr(err, BKEY_ERR_CONFIG, "%s: cannot stat: %s", path,
		    strerror(errno));
		goto out;
	}
	if ((buf = bkey_read_all(f, path, BKEY_FILE_MAX, &len, err)) == NULL ||
	    edited(buf, len, path, user, new_line, &out, err) != 0)
		goto out;
	rc = replace_file(path, &st, &out, err);
out:
	free(buf);
	bkey_buf_free(&out);
	(void)fclose(f);
	return rc;
}
