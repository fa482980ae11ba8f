/* Ownership and mode checks for files that hold configuration or secrets. */
#ifndef BKEY_FILEPERM_H
#define BKEY_FILEPERM_H

#include <stdio.h>
#include <sys/types.h>
#include "result.h"

#define BKEY_FILE_SECRET 1	/* must not be world readable */

/*
 * Open path for reading (O_NOFOLLOW, O_CLOEXEC) and check, on the open
 * descriptor: regular file; not group or world writable; owned by root, or
 * by the effective uid when not running as root; if flags has
 * BKEY_FILE_SECRET, not world readable. Returns a FILE* or NULL with
 * BKEY_ERR_CONFIG and "PATH: problem" in err.
 */
FILE *bkey_open_checked(const char *path, int flags, bkey_error *err);

/*
 * Open the directory name relative to at (AT_FDCWD: a path) and check it on
 * the descriptor: a directory, not group or world writable, owned by root
 * or by the effective uid. A symbolic link is refused unless follow. shown
 * names it in messages. Returns the descriptor (O_CLOEXEC), or -1 with
 * "SHOWN: problem" in err: BKEY_ERR_CONFIG for what the installer must fix
 * (permissions, missing, not a directory), else BKEY_ERR_INTERNAL.
 */
int bkey_open_dir_checked(int at, const char *name, int follow,
    const char *shown, bkey_error *err);
/* The same, with owner (not the effective uid) as the other owner
 * trusted besides root: a root process working in a directory of the
 * unprivileged user it serves. */
int bkey_open_dir_owned(int at, const char *name, int follow, uid_t owner,
    const char *shown, bkey_error *err);
/* The result code bkey_open_dir_checked uses for a failed call's errno. */
int bkey_errno_code(int e);

/* Write all n bytes (EINTR retried). 0, or -1 with errno set. */
int bkey_write_all(int fd, const void *p, size_t n);

/* Longest line (bytes, without the newline) a config-style file may hold. */
#define BKEY_LINE_MAX 4096
/* Largest config-style file read whole. */
#define BKEY_FILE_MAX (1024 * 1024)

/*
 * Read the rest of f (at most max bytes) into a malloc'd, NUL-terminated
 * buffer; *len gets its length. NULL with BKEY_ERR_CONFIG "PATH: problem"
 * (too large, read error) or BKEY_ERR_INTERNAL (no memory). The caller
 * wipes (it may hold a secret) and frees it. f must not have been read
 * yet: it is made unbuffered, so no copy stays in a stdio buffer.
 */
char *bkey_read_all(FILE *f, const char *path, size_t max, size_t *len,
    bkey_error *err);

/* Walks the lines of a buffer from bkey_read_all, splitting it in place. */
struct bkey_lines {
	char *p;		/* next unread byte */
	char *end;		/* one past the last byte */
	unsigned long lineno;	/* number of the line last returned */
	const char *path;	/* for messages */
};

void bkey_lines_init(struct bkey_lines *l, char *buf, size_t len,
    const char *path);
/*
 * Next line, NUL-terminated in place (newline removed): 1 and *line set,
 * 0 at the end, -1 with BKEY_ERR_CONFIG "PATH:LINE: problem" for a line
 * longer than BKEY_LINE_MAX or one holding a NUL byte.
 */
int bkey_lines_next(struct bkey_lines *l, char **line, bkey_error *err);

#endif
