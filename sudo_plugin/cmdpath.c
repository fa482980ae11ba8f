/* SPDX-License-Identifier: ISC */
/*
 * Command and file paths as the kernel sees them (see cmdpath.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include "cmdpath.h"

#define LINKS_MAX	40		/* as the kernel's ELOOP limit */

/* path, or cwd/path when path is relative, into out. 0 / -1. */
static int
absolute(const char *path, const char *cwd, char *out, size_t outsz)
{
	int n;

	if (path[0] == '/')
		n = snprintf(out, outsz, "%s", path);
	else if (cwd != NULL && cwd[0] == '/')
		n = snprintf(out, outsz, "%s/%s", cwd, path);
	else
		return -1;
	return n < 0 || (size_t)n >= outsz ? -1 : 0;
}

int
cmdpath_normalize(const char *path, const char *cwd, char *out,
    size_t outsz)
{
	char tmp[CMDPATH_MAX];
	size_t len = 0;
	char *p, *save = NULL;

	if (outsz < 2 || absolute(path, cwd, tmp, sizeof(tmp)) != 0)
		return -1;
	for (p = strtok_r(tmp, "/", &save); p != NULL;
	    p = strtok_r(NULL, "/", &save)) {
		size_t pl = strlen(p);

		if (strcmp(p, ".") == 0)
			continue;
		if (strcmp(p, "..") == 0) {
			/* back to the '/' before the last component */
			while (len > 0 && out[--len] != '/')
				continue;
			continue;
		}
		if (len + 1 + pl + 1 > outsz)
			return -1;
		out[len++] = '/';
		memcpy(out + len, p, pl);
		len += pl;
	}
	if (len == 0)
		out[len++] = '/';
	out[len] = '\0';
	return 0;
}

/* Owned by root and not writable by anyone else. */
static int
root_only(const struct stat *st)
{
	return st->st_uid == 0 && (S_ISLNK(st->st_mode) ||
	    (st->st_mode & (S_IWGRP | S_IWOTH)) == 0);
}

/*
 * The walk's state: done is the resolved prefix (no trailing '/', "" for
 * the root), todo what is left to walk, as a string of components.
 */
struct walk {
	char done[CMDPATH_MAX];
	size_t dlen;
	char todo[2 * CMDPATH_MAX];
	int links;
	int trusted;
};

/* The directory walked so far (done) is on a procfs. */
static int
in_procfs(const struct walk *w)
{
	char dir[CMDPATH_MAX];
	struct statfs fs;

	memcpy(dir, w->done, w->dlen);
	dir[w->dlen] = '\0';
	if (w->dlen == 0)
		(void)snprintf(dir, sizeof(dir), "/");
	return statfs(dir, &fs) != 0 || fs.f_type == PROC_SUPER_MAGIC;
}

/* Replace the first n bytes of todo with link's target. 0 / -1. */
static int
follow(struct walk *w, const char *target, size_t tlen, size_t n)
{
	size_t rest = strlen(w->todo + n);

	if (++w->links > LINKS_MAX) {
		errno = ELOOP;
		return -1;
	}
	if (tlen + 1 + rest + 1 > sizeof(w->todo)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memmove(w->todo + tlen + 1, w->todo + n, rest + 1);
	memcpy(w->todo, target, tlen);
	w->todo[tlen] = '/';
	if (target[0] == '/')
		w->dlen = 0;		/* an absolute target starts over */
	w->done[w->dlen] = '\0';
	return 0;
}

/* Walk one component (the first n bytes of todo). 0 / -1 (errno). */
static int
step(struct walk *w, size_t n)
{
	char target[CMDPATH_MAX];
	struct stat st;
	ssize_t tl;

	if (n == 0 || (n == 1 && w->todo[0] == '.'))
		goto consumed;
	if (n == 2 && w->todo[0] == '.' && w->todo[1] == '.') {
		while (w->dlen > 0 && w->done[--w->dlen] != '/')
			continue;
		w->done[w->dlen] = '\0';
		goto consumed;
	}
	if (w->dlen + 1 + n + 1 > sizeof(w->done)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	w->done[w->dlen] = '/';
	memcpy(w->done + w->dlen + 1, w->todo, n);
	w->done[w->dlen + 1 + n] = '\0';
	if (lstat(w->done, &st) != 0)
		return -1;
	if (!root_only(&st))
		w->trusted = 0;
	if (S_ISLNK(st.st_mode) && in_procfs(w)) {
		/* /proc/PID/fd/N and the like: their text is not where they
		 * lead (another mount namespace, a deleted file). */
		errno = EXDEV;
		return -1;
	}
	if (S_ISLNK(st.st_mode)) {
		tl = readlink(w->done, target, sizeof(target));
		if (tl < 0)
			return -1;
		if (tl == 0 || (size_t)tl >= sizeof(target)) {
			errno = tl == 0 ? ENOENT : ENAMETOOLONG;
			return -1;
		}
		return follow(w, target, (size_t)tl, n);
	}
	w->dlen += 1 + n;
	/* More to walk below it ("x/" alone is x): it must be a directory. */
	if (w->todo[n + strspn(w->todo + n, "/")] != '\0' &&
	    !S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
consumed:
	memmove(w->todo, w->todo + n, strlen(w->todo + n) + 1);
	return 0;
}

/*
 * The walk agrees with the kernel: the file the path opens is the file
 * found, and root's files on a nosuid mount (removable media, a user's
 * FUSE mount) are not root's to trust. 0 / -1 (ESTALE: they differ).
 */
static int
confirm(const char *abs, struct walk *w, struct stat *st)
{
	struct stat kst;
	struct statvfs vfs;

	if (stat(abs, &kst) != 0 || stat(w->done, st) != 0)
		return -1;
	if (kst.st_dev != st->st_dev || kst.st_ino != st->st_ino) {
		errno = ESTALE;
		return -1;
	}
	if (statvfs(w->done, &vfs) != 0 || (vfs.f_flag & ST_NOSUID))
		w->trusted = 0;
	return 0;
}

int
cmdpath_resolve(const char *path, const char *cwd, char *out,
    size_t outsz, int *trusted, struct stat *st)
{
	char abs[CMDPATH_MAX];
	struct stat local;
	struct walk *w;
	int ret = -1, saved;

	*trusted = 0;
	if (st == NULL)
		st = &local;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return -1;
	if (path == NULL || *path == '\0' ||
	    absolute(path, cwd, abs, sizeof(abs)) != 0) {
		errno = ENAMETOOLONG;
		goto out;
	}
	memcpy(w->todo, abs, strlen(abs) + 1);
	/* The root directory itself is walked too. */
	if (lstat("/", st) != 0)
		goto out;
	w->trusted = root_only(st);
	while (w->todo[0] != '\0') {
		size_t n;

		if (w->todo[0] == '/') {
			memmove(w->todo, w->todo + 1, strlen(w->todo));
			continue;
		}
		n = strcspn(w->todo, "/");
		if (step(w, n) != 0)
			goto out;
	}
	if (w->dlen == 0)
		w->done[w->dlen++] = '/';
	w->done[w->dlen] = '\0';
	if (w->dlen + 1 > outsz) {
		errno = ENAMETOOLONG;
		goto out;
	}
	if (confirm(abs, w, st) != 0)
		goto out;
	memcpy(out, w->done, w->dlen + 1);
	*trusted = w->trusted;
	ret = 0;
out:
	saved = errno;
	free(w);
	errno = saved;
	return ret;
}

/* 1 if the last component of path (no trailing '/') is "." or "..". */
static int
ends_in_dots(const char *path)
{
	const char *last = strrchr(path, '/');

	last = last != NULL ? last + 1 : path;
	return strcmp(last, ".") == 0 || strcmp(last, "..") == 0;
}

int
cmdpath_edit_file(const char *file, const char *cwd, char *out,
    size_t outsz)
{
	char typed[CMDPATH_MAX], real[PATH_MAX];
	char *slash;
	size_t len;
	int n;

	if (file == NULL || *file == '\0' ||
	    absolute(file, cwd, typed, sizeof(typed)) != 0)
		return -1;
	len = strlen(typed);
	while (len > 1 && typed[len - 1] == '/')
		typed[--len] = '\0';
	/*
	 * The directory is resolved as typed, not after normalizing by
	 * text: "a/../f" is the f beside wherever the link a points.
	 */
	if (ends_in_dots(typed) || strcmp(typed, "/") == 0) {
		if (realpath(typed, real) == NULL)
			return cmdpath_normalize(typed, NULL, out, outsz);
		n = snprintf(out, outsz, "%s", real);
		return n < 0 || (size_t)n >= outsz ? -1 : 0;
	}
	slash = strrchr(typed, '/');
	*slash = '\0';
	if (realpath(slash == typed ? "/" : typed, real) == NULL) {
		*slash = '/';
		return cmdpath_normalize(typed, NULL, out, outsz);
	}
	n = snprintf(out, outsz, "%s%s%s", real, strcmp(real, "/") == 0 ?
	    "" : "/", slash + 1);
	return n < 0 || (size_t)n >= outsz ? -1 : 0;
}
