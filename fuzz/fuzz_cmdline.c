/* SPDX-License-Identifier: ISC */
/*
 * Shell quoting of sudo command lines (sudo_plugin/cmdline.c, compiled in
 * read-only). The input is an argv: arguments separated by NUL bytes.
 * Invariants:
 *  - the quoted text has no byte < 0x20 and no 0x7f (nothing can move the
 *    cursor or hide on a phone or terminal) and is valid UTF-8 when the
 *    input was;
 *  - quoting is injective: the text decodes (bash rules for bare words,
 *    '...' and $'...') back to exactly the argv, and two argvs derived from
 *    the input (arguments merged with or without a space, one argument
 *    replaced by its own quoted text) differ in quoted text whenever they
 *    differ as argvs;
 *  - cmd_message / cmd_full respect their cap; cmd_cap never splits a
 *    character and ends a shortened text in "…".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cmdline.h"
#include "sanitize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXARGS 64

/* argv from NUL-separated data: pointers into a private copy. */
static char **
split_args(const uint8_t *data, size_t size, char **store, int *argc)
{
	char **v, *s;
	size_t i;
	int n = 1;

	if ((s = malloc(size + 1)) == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	if ((v = calloc(MAXARGS + 1, sizeof(*v))) == NULL)
		abort();
	v[0] = s;
	for (i = 0; i < size && n < MAXARGS; i++)
		if (s[i] == '\0')
			v[n++] = s + i + 1;
	*store = s;
	*argc = n;
	return v;
}

static char *
quote_all(char *const *v, int n)
{
	bkey_buf b;
	int i;

	bkey_buf_init(&b, 0);
	for (i = 0; i < n; i++) {
		if (i > 0)
			bkey_buf_puts(&b, " ");
		cmd_quote(&b, v[i]);
	}
	if (b.failed)
		abort();
	return bkey_buf_steal(&b);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void
put_utf8(bkey_buf *b, uint32_t cp)
{
	unsigned char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (unsigned char)(0xc0 | (cp >> 6));
		u[1] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (unsigned char)(0xe0 | (cp >> 12));
		u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (unsigned char)(0xf0 | (cp >> 18));
		u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	bkey_buf_append(b, u, n);
}

/*
 * Decode the quoted text like bash would: words separated by one space,
 * each a run of bare characters, '...' and $'...' parts. The words are
 * compared with v[0..n). abort() on any syntax the quoter never writes.
 */
static void
decode_check(const char *q, char *const *v, int n)
{
	bkey_buf w;
	const char *p = q;
	int k = 0, d, i, digits;
	uint32_t cp;

	bkey_buf_init(&w, 0);
	for (;;) {
		bkey_buf_reset(&w);
		bkey_buf_puts(&w, "");
		while (*p != '\0' && *p != ' ') {
			if (*p == '\'') {
				for (p++; *p != '\'' && *p != '\0'; p++)
					bkey_buf_append(&w, p, 1);
				if (*p++ != '\'')
					abort();
			} else if (p[0] == '$' && p[1] == '\'') {
				for (p += 2; *p != '\'' && *p != '\0'; p++) {
					if (*p != '\\') {
						bkey_buf_append(&w, p, 1);
						continue;
					}
					p++;
					switch (*p) {
					case 'n': bkey_buf_puts(&w, "\n"); break;
					case 't': bkey_buf_puts(&w, "\t"); break;
					case 'r': bkey_buf_puts(&w, "\r"); break;
					case 'e': bkey_buf_puts(&w, "\x1b"); break;
					case '\\': bkey_buf_puts(&w, "\\"); break;
					case '\'': bkey_buf_puts(&w, "'"); break;
					case 'x': case 'u': case 'U':
						digits = *p == 'x' ? 2 :
						    *p == 'u' ? 4 : 8;
						for (cp = 0, i = 0; i < digits;
						    i++) {
							if ((d = hexval(p[1]))
							    < 0)
								abort();
							cp = cp * 16 +
							    (uint32_t)d;
							p++;
						}
						if (digits == 2) {
							unsigned char c =
							    (unsigned char)cp;
							bkey_buf_append(&w,
							    &c, 1);
						} else
							put_utf8(&w, cp);
						break;
					default:
						abort();
					}
				}
				if (*p++ != '\'')
					abort();
			} else if (p[0] == '\\' && p[1] == '\'') {
				/* the '\'' of a single-quoted part */
				bkey_buf_puts(&w, "'");
				p += 2;
			} else if (strchr("_@%+=:,./-", *p) != NULL ||
			    (*p >= 'a' && *p <= 'z') ||
			    (*p >= 'A' && *p <= 'Z') ||
			    (*p >= '0' && *p <= '9')) {
				bkey_buf_append(&w, p++, 1);
			} else {
				abort();	/* unquoted special */
			}
		}
		if (getenv("FUZZ_DEBUG") && k < n)
			fprintf(stderr, "[%s] [%s]\n", w.data, v[k]);
		if (w.failed || k >= n || strcmp(w.data, v[k]) != 0)
			abort();
		k++;
		if (*p == '\0')
			break;
		p++;
	}
	if (k != n)
		abort();
	bkey_buf_free(&w);
}

static int
argv_equal(char *const *a, int na, char *const *b, int nb)
{
	int i;

	if (na != nb)
		return 0;
	for (i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return 0;
	return 1;
}

/* Compare quoting of v with a variant: merge args k and k+1 (with sep). */
static void
check_pair(char *const *v, int n, const char *q, int k, const char *sep)
{
	char *w[MAXARGS + 1], *merged, *q2;
	size_t l;
	int i, m = 0;

	if (k + 1 >= n)
		return;
	l = strlen(v[k]) + strlen(sep) + strlen(v[k + 1]) + 1;
	if ((merged = malloc(l)) == NULL)
		abort();
	memcpy(merged, v[k], strlen(v[k]) + 1);
	memcpy(merged + strlen(merged), sep, strlen(sep) + 1);
	memcpy(merged + strlen(merged), v[k + 1], strlen(v[k + 1]) + 1);
	for (i = 0; i < n; i++) {
		if (i == k)
			w[m++] = merged;
		else if (i != k + 1)
			w[m++] = v[i];
	}
	w[m] = NULL;
	q2 = quote_all(w, m);
	if ((strcmp(q, q2) == 0) != argv_equal(v, n, w, m))
		abort();
	free(q2);
	free(merged);
}

static void
check_text(const char *s, int want_utf8)
{
	size_t i, n = strlen(s);

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f)
			abort();
	if (want_utf8 && !bkey_utf8_valid(s, n))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char **v, *store, *q, *q2, *m, *full, *joined, *w[MAXARGS + 1];
	char *const *files;
	size_t cap, n, i;
	int argc, k;

	if (size < 1)
		return 0;
	cap = 4 + data[0];	/* cap for message / full */
	v = split_args(data + 1, size - 1, &store, &argc);

	q = quote_all(v, argc);
	check_text(q, 1);	/* invalid bytes are escaped */
	decode_check(q, v, argc);

	/* derived pairs: merging two arguments must show */
	for (k = 0; k + 1 < argc; k++) {
		check_pair(v, argc, q, k, " ");
		check_pair(v, argc, q, k, "");
		check_pair(v, argc, q, k, "' '");
	}
	/* an argument replaced by its own quoted text */
	if (argc > 0) {
		bkey_buf b;

		bkey_buf_init(&b, 0);
		cmd_quote(&b, v[0]);
		memcpy(w, v, sizeof(w));
		w[0] = b.data;
		q2 = quote_all(w, argc);
		if ((strcmp(q, q2) == 0) != argv_equal(v, argc, w, argc))
			abort();
		free(q2);
		bkey_buf_free(&b);
	}

	/* the phone text and the log text */
	files = cmd_edit_files(v, (long)(data[0] & 7));
	m = cmd_message(v[0], argc > 1 ? v[1] : "root", "host", v[0], v,
	    (data[0] & 8) ? files : NULL, cap);
	if (m == NULL || strlen(m) > cap)
		abort();
	check_text(m, 1);
	full = cmd_full(v[0], v, cap);
	if (full == NULL || strlen(full) > cap)
		abort();
	check_text(full, 1);
	joined = cmd_join_args(v + 1);
	if (joined == NULL)
		abort();
	(void)cmd_basename(v[0]);

	/* cmd_cap on the quoted text */
	n = cmd_cap(q, cap);
	if (n != strlen(q) || n > cap)
		abort();
	if (!bkey_utf8_valid(q, n))
		abort();
	for (i = 0; i < n; i++)
		if ((unsigned char)q[i] < 0x20)
			abort();
	free(joined);
	free(full);
	free(m);
	free(q);
	free(v);
	free(store);
	return 0;
}
