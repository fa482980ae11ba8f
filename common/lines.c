/* SPDX-License-Identifier: ISC */
/*
 * Config-style files read whole into one buffer (wiped by the caller: it
 * may hold a secret) and split into lines in place (see lines.h).
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "lines.h"

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
		bkey_seterr(err, BKEY_ERR_INTERNAL, "%s: setvbuf failed", path);
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
			    "%s: file is too large (over %zu bytes)", path,
			    max);
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
		    "%s:%lu: line is longer than %d bytes", l->path, l->lineno,
		    BKEY_LINE_MAX);
	if (memchr(l->p, '\0', n) != NULL)
		return bkey_seterr(err, BKEY_ERR_CONFIG,
		    "%s:%lu: line contains a NUL byte", l->path, l->lineno);
	*line = l->p;
	l->p[n] = '\0'; /* the newline, or the buffer's own NUL */
	l->p = nl != NULL ? nl + 1 : l->end;
	return 1;
}
