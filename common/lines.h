/* SPDX-License-Identifier: ISC */
/* Reading a config-style file whole and walking its lines in place. */
#ifndef BKEY_LINES_H
#define BKEY_LINES_H

#include <stdio.h>
#include "result.h"

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
	char *p;	      /* next unread byte */
	char *end;	      /* one past the last byte */
	unsigned long lineno; /* number of the line last returned */
	const char *path;     /* for messages */
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
