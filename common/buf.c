/* SPDX-License-Identifier: ISC */
/*
 * Growable byte buffer with a hard cap. Memory is never handed to realloc:
 * the old block is copied, wiped and freed, since it may hold secrets.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"

#define BUF_MIN_CAP 64

void
bkey_buf_init(bkey_buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max ? max : BKEY_BUF_DEFAULT_MAX;
}

static size_t
buf_max(const bkey_buf *b)
{
	return b->max ? b->max : BKEY_BUF_DEFAULT_MAX;
}

/* Make room for n more bytes plus the NUL. 0 / -1 (sets the flags). */
static int
buf_reserve(bkey_buf *b, size_t n)
{
	size_t max = buf_max(b), need, ncap;
	char *nd;

	if (b->failed)
		return -1;
	if (n > max || b->len > max - n) {
		b->failed = b->overflow = 1;
		return -1;
	}
	need = b->len + n + 1;
	if (b->data != NULL && need <= b->cap)
		return 0;
	ncap = b->cap < BUF_MIN_CAP ? BUF_MIN_CAP : b->cap;
	while (ncap < need)
		ncap = ncap > (max + 1) / 2 ? max + 1 : ncap * 2;
	if (ncap > max + 1)
		ncap = max + 1;
	if (ncap < need) { /* cannot happen: need <= max + 1 */
		b->failed = 1;
		return -1;
	}
	if ((nd = malloc(ncap)) == NULL) {
		b->failed = 1;
		return -1;
	}
	if (b->data != NULL) {
		memcpy(nd, b->data, b->len);
		sodium_memzero(b->data, b->cap);
		free(b->data);
	}
	nd[b->len] = '\0';
	b->data = nd;
	b->cap = ncap;
	return 0;
}

int
bkey_buf_append(bkey_buf *b, const void *p, size_t n)
{
	if (buf_reserve(b, n) != 0)
		return -1;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
bkey_buf_puts(bkey_buf *b, const char *s)
{
	return bkey_buf_append(b, s, strlen(s));
}

int
bkey_buf_printf(bkey_buf *b, const char *fmt, ...)
{
	va_list ap, ap2;
	int n;

	if (b->failed)
		return -1;
	va_start(ap, fmt);
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_reserve(b, (size_t)n) != 0) {
		b->failed = 1;
		va_end(ap2);
		return -1;
	}
	if (vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2) != n) {
		b->data[b->len] = '\0';
		b->failed = 1;
		va_end(ap2);
		return -1;
	}
	va_end(ap2);
	b->len += (size_t)n;
	return 0;
}

void
bkey_buf_reset(bkey_buf *b)
{
	if (b->data != NULL) {
		sodium_memzero(b->data, b->cap);
		b->data[0] = '\0';
	}
	b->len = 0;
	b->failed = b->overflow = 0;
}

void
bkey_buf_free(bkey_buf *b)
{
	size_t max = b->max;

	if (b->data != NULL) {
		sodium_memzero(b->data, b->cap);
		free(b->data);
	}
	memset(b, 0, sizeof(*b));
	b->max = max;
}

char *
bkey_buf_steal(bkey_buf *b)
{
	char *s;

	if (b->failed) {
		bkey_buf_free(b);
		return NULL;
	}
	if (b->data == NULL)
		s = strdup("");
	else
		s = b->data;
	b->data = NULL;
	bkey_buf_free(b);
	return s;
}

void
bkey_free_secret(char **p)
{
	if (p == NULL || *p == NULL)
		return;
	sodium_memzero(*p, strlen(*p));
	free(*p);
	*p = NULL;
}
