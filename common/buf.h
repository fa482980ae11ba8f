/* SPDX-License-Identifier: ISC */
/*
 * A growable byte buffer with a hard size cap. Used for HTTP bodies and
 * JSON being built. Contents are wiped on free (they may hold secrets).
 * Errors are sticky: after a failed append, ->failed stays set and every
 * later append is a no-op, so a builder checks once at the end.
 */
#ifndef BKEY_BUF_H
#define BKEY_BUF_H

#include <stddef.h>

typedef struct bkey_buf {
	char *data; /* always NUL-terminated when non-NULL */
	size_t len;
	size_t cap;
	size_t max;   /* 0 = BKEY_BUF_DEFAULT_MAX */
	int failed;   /* allocation failed or max exceeded */
	int overflow; /* max exceeded (subset of failed) */
} bkey_buf;

#define BKEY_BUF_DEFAULT_MAX (1024 * 1024)

void bkey_buf_init(bkey_buf *b, size_t max);
int bkey_buf_append(bkey_buf *b, const void *p, size_t n); /* 0 / -1 */
int bkey_buf_puts(bkey_buf *b, const char *s);
int bkey_buf_printf(bkey_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void bkey_buf_reset(bkey_buf *b); /* wipe, len = 0, keep memory, clear flags */
void bkey_buf_free(bkey_buf *b);  /* wipe and release */
/* Hand the string over to the caller (who frees it); buffer becomes empty.
 * An empty buffer yields ""; a failed buffer is freed and yields NULL. */
char *bkey_buf_steal(bkey_buf *b);

/* Wipe and free a NUL-terminated secret string; *p becomes NULL. */
void bkey_free_secret(char **p);

#endif
