/* SPDX-License-Identifier: ISC */
/*
 * Sanitizer for untrusted text (see sanitize.h). One pass over the input:
 * decode UTF-8 strictly, drop controls and whole escape sequences, replace
 * what does not decode with U+FFFD, and cap the output on a character
 * boundary with a trailing ellipsis.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sanitize.h"
#include "json.h"
#include "jsonw.h"
#include "buf.h"

#define BAD_CP		0xFFFFFFFFu
#define KEY_MAX		64
#define VALUE_MAX	256

static const char replacement[] = "\xef\xbf\xbd";	/* U+FFFD */
static const char ellipsis[] = "\xe2\x80\xa6";		/* U+2026 */

/*
 * Decode one character at s (n > 0 bytes available). Returns the bytes
 * consumed; *cp is BAD_CP for an invalid sequence, in which case the length
 * is its maximal valid prefix (at least 1), so one U+FFFD replaces it.
 * Overlong forms, surrogates and values above U+10FFFF are invalid.
 */
static size_t
utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xBF;
	size_t need, i;
	uint32_t v;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		need = 1;
		v = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 2;
		v = c & 0x0F;
		if (c == 0xE0)
			lo = 0xA0;	/* overlong */
		else if (c == 0xED)
			hi = 0x9F;	/* surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 3;
		v = c & 0x07;
		if (c == 0xF0)
			lo = 0x90;	/* overlong */
		else if (c == 0xF4)
			hi = 0x8F;	/* above U+10FFFF */
	} else {
		*cp = BAD_CP;
		return 1;
	}
	for (i = 1; i <= need; i++) {
		if (i >= n || s[i] < lo || s[i] > hi) {
			*cp = BAD_CP;
			return i;
		}
		v = (v << 6) | (s[i] & 0x3F);
		lo = 0x80;
		hi = 0xBF;
	}
	*cp = v;
	return need + 1;
}

int
bkey_utf8_valid(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t pos = 0, k;
	uint32_t cp;

	while (pos < n) {
		k = utf8_decode(u + pos, n - pos, &cp);
		if (cp == BAD_CP)
			return 0;
		pos += k;
	}
	return 1;
}

int
bkey_text_printable(const char *s, size_t n, size_t max)
{
	size_t i;

	if (s == NULL || n == 0 || n > max)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f)
			return 0;
	return bkey_utf8_valid(s, n);
}

/* Invisible characters that reorder or break displayed text. */
static int
is_format_char(uint32_t cp)
{
	return cp == 0x061C || cp == 0x200E || cp == 0x200F ||
	    (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||
	    cp == 0x2028 || cp == 0x2029;
}

/* CSI body after "ESC [" or U+009B: params, intermediates, one final. A
 * malformed sequence ends at the offending byte, which is then processed
 * on its own. */
static size_t
skip_csi(const unsigned char *s, size_t n, size_t p)
{
	while (p < n && s[p] >= 0x30 && s[p] <= 0x3F)
		p++;
	while (p < n && s[p] >= 0x20 && s[p] <= 0x2F)
		p++;
	if (p < n && s[p] >= 0x40 && s[p] <= 0x7E)
		p++;
	return p;
}

/* OSC, DCS, SOS, PM, APC: everything up to BEL or ST (ESC \ or U+009C).
 * Unterminated: the rest of the input is part of it. */
static size_t
skip_string_seq(const unsigned char *s, size_t n, size_t p)
{
	for (; p < n; p++) {
		if (s[p] == 0x07)
			return p + 1;
		if (s[p] == 0x1B && p + 1 < n && s[p + 1] == '\\')
			return p + 2;
		if (s[p] == 0xC2 && p + 1 < n && s[p + 1] == 0x9C)
			return p + 2;
	}
	return n;
}

/* p is just past an ESC. */
static size_t
skip_esc(const unsigned char *s, size_t n, size_t p)
{
	unsigned char c;

	if (p >= n)
		return n;
	c = s[p];
	if (c == '[')
		return skip_csi(s, n, p + 1);
	if (c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_')
		return skip_string_seq(s, n, p + 1);
	if (c >= 0x20 && c <= 0x2F) {	/* intermediates, then a final */
		while (p < n && s[p] >= 0x20 && s[p] <= 0x2F)
			p++;
		if (p < n && s[p] >= 0x30 && s[p] <= 0x7E)
			p++;
		return p;
	}
	if (c >= 0x30 && c <= 0x7E)
		return p + 1;
	return p;	/* lone ESC: drop it, keep what follows */
}

struct out {
	char *d;
	size_t max;	/* bytes available for text, NUL not counted */
	size_t len;
	size_t mark;	/* last boundary leaving room for the ellipsis */
	int cut;
};

static void
emit(struct out *o, const void *p, size_t k)
{
	if (o->cut)
		return;
	if (o->len + k > o->max) {
		o->len = o->mark;
		memcpy(o->d + o->len, ellipsis, 3);
		o->len += 3;
		o->cut = 1;
		return;
	}
	memcpy(o->d + o->len, p, k);
	o->len += k;
	if (o->len + 3 <= o->max)
		o->mark = o->len;
}

/* Start writing into dst: 0, or -1 (dst left "" when it has room). */
static int
out_begin(struct out *o, char *dst, size_t dstsz, const char *src)
{
	if (dst == NULL || dstsz == 0)
		return -1;
	if (dstsz < 4 || src == NULL) {
		dst[0] = '\0';
		return -1;
	}
	memset(o, 0, sizeof(*o));
	o->d = dst;
	o->max = dstsz - 1;
	return 0;
}

size_t
bkey_sanitize_into(char *dst, size_t dstsz, const char *src, size_t srclen)
{
	const unsigned char *s = (const unsigned char *)src;
	struct out o;
	size_t pos = 0, k;
	uint32_t cp;

	if (out_begin(&o, dst, dstsz, src) != 0)
		return 0;
	while (pos < srclen && !o.cut) {
		k = utf8_decode(s + pos, srclen - pos, &cp);
		if (cp == BAD_CP) {
			emit(&o, replacement, 3);
			pos += k;
			continue;
		}
		pos += k;
		if (cp == 0x1B)
			pos = skip_esc(s, srclen, pos);
		else if (cp == 0x9B)
			pos = skip_csi(s, srclen, pos);
		else if (cp == 0x90 || cp == 0x98 || cp == 0x9D ||
		    cp == 0x9E || cp == 0x9F)
			pos = skip_string_seq(s, srclen, pos);
		else if (cp < 0x20 || cp == 0x7F ||
		    (cp >= 0x80 && cp <= 0x9F) || is_format_char(cp))
			continue;
		else
			emit(&o, s + pos - k, k);
	}
	dst[o.len] = '\0';
	return o.len;
}

enum esc_mode { ESC_TEXT = 0, ESC_WORD, ESC_QUOTED };

/* The escape for cp, or 0 (kept as it is); a word also escapes blank, "
 * and =, a quoted value " as \". */
static int
escape_cp(uint32_t cp, enum esc_mode mode, char *buf, size_t bufsz)
{
	if (cp < 0x20 || cp == 0x7F ||
	    (mode == ESC_WORD && (cp == ' ' || cp == '"' || cp == '=')))
		return snprintf(buf, bufsz, "\\x%02x", (unsigned)cp);
	if (mode == ESC_QUOTED && cp == '"')
		return snprintf(buf, bufsz, "\\\"");
	if ((cp >= 0x80 && cp <= 0x9F) || is_format_char(cp))
		return snprintf(buf, bufsz, "\\u%04x", (unsigned)cp);
	if (cp == '\\')
		return snprintf(buf, bufsz, "\\\\");
	return 0;
}

static size_t
escape(char *dst, size_t dstsz, const char *src, size_t srclen,
    enum esc_mode mode)
{
	const unsigned char *s = (const unsigned char *)src;
	struct out o;
	char e[8];
	size_t pos = 0, k;
	uint32_t cp;
	int n;

	if (out_begin(&o, dst, dstsz, src) != 0)
		return 0;
	while (pos < srclen && !o.cut) {
		k = utf8_decode(s + pos, srclen - pos, &cp);
		if (cp == BAD_CP)
			emit(&o, replacement, 3);
		else if ((n = escape_cp(cp, mode, e, sizeof(e))) > 0)
			emit(&o, e, (size_t)n);	/* whole, or cut before */
		else
			emit(&o, s + pos, k);
		pos += k;
	}
	dst[o.len] = '\0';
	return o.len;
}

size_t
bkey_escape_into(char *dst, size_t dstsz, const char *src, size_t srclen)
{
	return escape(dst, dstsz, src, srclen, ESC_TEXT);
}

size_t
bkey_escape_word(char *dst, size_t dstsz, const char *src, size_t srclen)
{
	return escape(dst, dstsz, src, srclen, ESC_WORD);
}

size_t
bkey_log_word(char *dst, size_t dstsz, const char *src)
{
	if (src == NULL || *src == '\0')
		src = "-";
	return escape(dst, dstsz, src, strlen(src), ESC_WORD);
}

size_t
bkey_log_quoted(char *dst, size_t dstsz, const char *src)
{
	if (src == NULL)
		src = "";
	return escape(dst, dstsz, src, strlen(src), ESC_QUOTED);
}

char *
bkey_sanitize(const char *src, size_t srclen, size_t max)
{
	size_t sz;
	char *d;

	if (max < 3)
		max = 3;
	/* Each input byte yields at most 3 output bytes. */
	if (srclen < (max - 3) / 3)
		sz = srclen * 3 + 3;
	else
		sz = max;
	if ((d = malloc(sz + 1)) == NULL)
		return NULL;
	bkey_sanitize_into(d, sz + 1, src, srclen);
	return d;
}

/*
 * One member '"key":value' into m, the sanitized key in *keyout.
 * 0 written, 1 dropped (not a string or number, or an empty key),
 * -1 invalid input, -2 no memory.
 */
static int
details_member(const bkey_json *j, int kt, int vt, bkey_buf *m, char **keyout)
{
	char *raw = NULL, *key = NULL, *val = NULL;
	bkey_json_type t = bkey_json_type_of(j, vt);
	int rc = -1;

	*keyout = NULL;
	if (t != BKEY_JSON_STRING && t != BKEY_JSON_NUMBER) {
		rc = 1;
		goto out;
	}
	if (bkey_json_str(j, kt, &raw) != 0)
		goto out;
	if ((key = bkey_sanitize(raw, strlen(raw), KEY_MAX)) == NULL) {
		rc = -2;
		goto out;
	}
	free(raw);
	raw = NULL;
	if (key[0] == '\0') {
		rc = 1;
		goto out;
	}
	if (t == BKEY_JSON_STRING) {
		if (bkey_json_str(j, vt, &raw) != 0)
			goto out;
		if ((val = bkey_sanitize(raw, strlen(raw), VALUE_MAX)) == NULL) {
			rc = -2;
			goto out;
		}
		bkey_jsonw_string(m, key);
		bkey_buf_puts(m, ":");
		bkey_jsonw_string(m, val);
	} else {
		/* Numbers are written back exactly as given (validated). */
		if (bkey_json_raw(j, vt, &raw) != 0) {
			rc = -2;
			goto out;
		}
		bkey_jsonw_string(m, key);
		bkey_buf_puts(m, ":");
		bkey_buf_puts(m, raw);
	}
	if (m->failed) {
		rc = m->overflow ? 1 : -2;
		goto out;
	}
	*keyout = key;
	key = NULL;
	rc = 0;
 out:
	free(raw);
	free(key);
	free(val);
	return rc;
}

char *
bkey_sanitize_details(const char *json, size_t len, int *bad)
{
	bkey_json j;
	bkey_buf out, m;
	char **keys = NULL, *key;
	int parsed = 0, n, i, nk = 0, kt, vt, r, k, dup;
	char *res = NULL;

	*bad = 0;
	bkey_buf_init(&out, BKEY_DETAILS_MAX);
	bkey_buf_init(&m, BKEY_DETAILS_MAX);
	if (json == NULL || bkey_json_parse(&j, json, len) != 0) {
		*bad = 1;
		goto out;
	}
	parsed = 1;
	n = bkey_json_size(&j, 0);
	if (n > 0 && (keys = calloc((size_t)n, sizeof(*keys))) == NULL)
		goto out;
	bkey_buf_puts(&out, "{");
	for (i = 0; i < n; i++) {
		if (bkey_json_member_at(&j, 0, i, &kt, &vt) != 0)
			break;
		bkey_buf_reset(&m);
		r = details_member(&j, kt, vt, &m, &key);
		if (r == -1) {
			*bad = 1;
			goto out;
		}
		if (r == -2)
			goto out;
		if (r == 1)
			continue;
		/* Two raw keys can sanitize to one: keep the first. */
		for (dup = 0, k = 0; k < nk && !dup; k++)
			dup = strcmp(keys[k], key) == 0;
		if (dup) {
			free(key);
			continue;
		}
		/* separator + member + closing brace must still fit */
		if (out.len + (nk > 0) + m.len + 1 > BKEY_DETAILS_MAX) {
			free(key);
			continue;
		}
		if (nk > 0)
			bkey_buf_puts(&out, ",");
		bkey_buf_append(&out, m.data, m.len);
		keys[nk++] = key;
	}
	bkey_buf_puts(&out, "}");
	if (out.failed)
		goto out;
	res = bkey_buf_steal(&out);
 out:
	for (k = 0; k < nk; k++)
		free(keys[k]);
	free(keys);
	bkey_buf_free(&m);
	bkey_buf_free(&out);
	if (parsed)
		bkey_json_free(&j);
	return res;
}
