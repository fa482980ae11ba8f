/* SPDX-License-Identifier: ISC */
/*
 * JSON reading on top of jsmn. jsmn is a tokenizer, not a validator: even
 * in strict mode it takes "{"a" "b"}", "[1 2]" or "{"a":1,}". So the text
 * is first checked against the RFC 8259 grammar here (with a nesting limit),
 * and only a document that passes is tokenized. Duplicate keys (compared
 * after unescaping) are rejected in every object.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define JSMN_STATIC
#define JSMN_STRICT
#define JSMN_PARENT_LINKS
#include <jsmn.h>

#include <sodium.h>

#include "json.h"
#include "sanitize.h"

#define JSON_MAX_DEPTH 64
#define JSON_MAX_LEN (64 * 1024 * 1024)

struct jdoc {
	jsmntok_t *t;
	int *next; /* index of the first token after token i's subtree */
};

/* ---- grammar check ---- */

struct vctx {
	const unsigned char *s;
	size_t n, p;
};

static void
v_ws(struct vctx *c)
{
	while (c->p < c->n &&
	    (c->s[c->p] == ' ' || c->s[c->p] == '\t' || c->s[c->p] == '\n' ||
		c->s[c->p] == '\r'))
		c->p++;
}

static int
is_hex(unsigned char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
	    (ch >= 'A' && ch <= 'F');
}

static int
is_digit(unsigned char ch)
{
	return ch >= '0' && ch <= '9';
}

/* A string, c->p at the opening quote. Escapes are checked for syntax
 * here; their meaning (surrogates, U+0000) when a string is read. */
static int
v_string(struct vctx *c)
{
	size_t start, i;

	c->p++;
	start = c->p;
	while (c->p < c->n) {
		unsigned char ch = c->s[c->p];

		if (ch == '"') {
			if (!bkey_utf8_valid((const char *)c->s + start,
				c->p - start))
				return -1;
			c->p++;
			return 0;
		}
		if (ch < 0x20)
			return -1;
		if (ch == '\\') {
			if (++c->p >= c->n)
				return -1;
			switch (c->s[c->p]) {
			case '"':
			case '\\':
			case '/':
			case 'b':
			case 'f':
			case 'n':
			case 'r':
			case 't':
				c->p++;
				break;
			case 'u':
				for (i = 1; i <= 4; i++)
					if (c->p + i >= c->n ||
					    !is_hex(c->s[c->p + i]))
						return -1;
				c->p += 5;
				break;
			default:
				return -1;
			}
			continue;
		}
		c->p++;
	}
	return -1;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int
v_number(struct vctx *c)
{
	if (c->p < c->n && c->s[c->p] == '-')
		c->p++;
	if (c->p >= c->n || !is_digit(c->s[c->p]))
		return -1;
	if (c->s[c->p] == '0')
		c->p++;
	else
		while (c->p < c->n && is_digit(c->s[c->p]))
			c->p++;
	if (c->p < c->n && c->s[c->p] == '.') {
		c->p++;
		if (c->p >= c->n || !is_digit(c->s[c->p]))
			return -1;
		while (c->p < c->n && is_digit(c->s[c->p]))
			c->p++;
	}
	if (c->p < c->n && (c->s[c->p] == 'e' || c->s[c->p] == 'E')) {
		c->p++;
		if (c->p < c->n && (c->s[c->p] == '+' || c->s[c->p] == '-'))
			c->p++;
		if (c->p >= c->n || !is_digit(c->s[c->p]))
			return -1;
		while (c->p < c->n && is_digit(c->s[c->p]))
			c->p++;
	}
	return 0;
}

static int
v_literal(struct vctx *c, const char *lit)
{
	size_t l = strlen(lit);

	if (c->n - c->p < l || memcmp(c->s + c->p, lit, l) != 0)
		return -1;
	c->p += l;
	return 0;
}

static int v_value(struct vctx *c, int depth);

static int
v_container(struct vctx *c, int depth, int obj)
{
	unsigned char close = obj ? '}' : ']';

	if (depth > JSON_MAX_DEPTH)
		return -1;
	c->p++;
	v_ws(c);
	if (c->p < c->n && c->s[c->p] == close) {
		c->p++;
		return 0;
	}
	for (;;) {
		if (obj) {
			if (c->p >= c->n || c->s[c->p] != '"' ||
			    v_string(c) != 0)
				return -1;
			v_ws(c);
			if (c->p >= c->n || c->s[c->p] != ':')
				return -1;
			c->p++;
			v_ws(c);
		}
		if (v_value(c, depth) != 0)
			return -1;
		v_ws(c);
		if (c->p >= c->n)
			return -1;
		if (c->s[c->p] == close) {
			c->p++;
			return 0;
		}
		if (c->s[c->p] != ',')
			return -1;
		c->p++;
		v_ws(c);
	}
}

static int
v_value(struct vctx *c, int depth)
{
	if (c->p >= c->n)
		return -1;
	switch (c->s[c->p]) {
	case '{':
		return v_container(c, depth + 1, 1);
	case '[':
		return v_container(c, depth + 1, 0);
	case '"':
		return v_string(c);
	case 't':
		return v_literal(c, "true");
	case 'f':
		return v_literal(c, "false");
	case 'n':
		return v_literal(c, "null");
	default:
		return v_number(c);
	}
}

static int
validate(const char *js, size_t len)
{
	struct vctx c = { (const unsigned char *)js, len, 0 };

	v_ws(&c);
	if (c.p >= c.n || c.s[c.p] != '{')
		return -1;
	if (v_value(&c, 0) != 0)
		return -1;
	v_ws(&c);
	return c.p == c.n ? 0 : -1;
}

/* ---- string unescaping ---- */

static int
hex4(const char *p)
{
	int v = 0, i;

	for (i = 0; i < 4; i++) {
		unsigned char ch = (unsigned char)p[i];

		v <<= 4;
		if (ch >= '0' && ch <= '9')
			v |= ch - '0';
		else if (ch >= 'a' && ch <= 'f')
			v |= ch - 'a' + 10;
		else if (ch >= 'A' && ch <= 'F')
			v |= ch - 'A' + 10;
		else
			return -1;
	}
	return v;
}

static size_t
put_utf8(char *d, uint32_t cp)
{
	if (cp < 0x80) {
		d[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		d[0] = (char)(0xC0 | (cp >> 6));
		d[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		d[0] = (char)(0xE0 | (cp >> 12));
		d[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		d[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	d[0] = (char)(0xF0 | (cp >> 18));
	d[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	d[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	d[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/*
 * Unescape s[0..n) (the inside of a JSON string) into a fresh buffer.
 * 0, -1 invalid, -2 no memory. The output is never longer than the input.
 */
/* The byte a one-letter escape stands for, or -1 for none. */
static int
simple_escape(char c)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *p = c != '\0' ? strchr(from, c) : NULL;

	return p != NULL ? (unsigned char)to[p - from] : -1;
}

/* The \uXXXX (or surrogate pair) at s[*i] (the backslash) into d + *o:
 * *i moves past it, *o past its UTF-8. 0, or -1 when it is malformed,
 * NUL or a lone surrogate. */
static int
unicode_escape(const char *s, size_t n, size_t *i, char *d, size_t *o)
{
	int hi, lo;
	uint32_t cp;

	if (*i + 6 > n || (hi = hex4(s + *i + 2)) < 0)
		return -1;
	if (hi == 0)
		return -1; /* \u0000 */
	if (hi >= 0xDC00 && hi <= 0xDFFF)
		return -1; /* lone low surrogate */
	cp = (uint32_t)hi;
	if (hi >= 0xD800 && hi <= 0xDBFF) {
		if (*i + 12 > n || s[*i + 6] != '\\' || s[*i + 7] != 'u' ||
		    (lo = hex4(s + *i + 8)) < 0 || lo < 0xDC00 || lo > 0xDFFF)
			return -1; /* lone high surrogate */
		cp = 0x10000 + (((uint32_t)hi - 0xD800) << 10) +
		    ((uint32_t)lo - 0xDC00);
		*i += 6;
	}
	/* \uXXXX is 6 bytes, its UTF-8 at most 3; a pair is 12 bytes for
	 * 4: the output never outgrows n. */
	*o += put_utf8(d + *o, cp);
	*i += 6;
	return 0;
}

static int
unescape(const char *s, size_t n, char **out, size_t *outlen)
{
	char *d;
	size_t i = 0, o = 0;
	int c, rc = -1;

	*out = NULL;
	if ((d = malloc(n + 1)) == NULL)
		return -2;
	while (i < n) {
		unsigned char ch = (unsigned char)s[i];

		if (ch < 0x20)
			goto out;
		if (ch != '\\') {
			d[o++] = (char)ch;
			i++;
		} else if (i + 1 >= n) {
			goto out;
		} else if (s[i + 1] == 'u') {
			if (unicode_escape(s, n, &i, d, &o) != 0)
				goto out;
		} else if ((c = simple_escape(s[i + 1])) >= 0) {
			d[o++] = (char)c;
			i += 2;
		} else
			goto out;
	}
	d[o] = '\0';
	if (!bkey_utf8_valid(d, o))
		goto out;
	*out = d;
	*outlen = o;
	d = NULL;
	rc = 0;
out:
	if (d != NULL) /* a refused string may be a secret's */
		sodium_memzero(d, o);
	free(d);
	return rc;
}

/* ---- document ---- */

static jsmntok_t *
toks(const bkey_json *j)
{
	return ((struct jdoc *)j->tok)->t;
}

static int
next_of(const bkey_json *j, int i)
{
	return ((struct jdoc *)j->tok)->next[i];
}

static int
valid_index(const bkey_json *j, int i)
{
	return j != NULL && j->tok != NULL && i >= 0 && i < j->ntok;
}

/* Member n of object obj without checks: key index. */
static int
member_key(const bkey_json *j, int obj, int n)
{
	int k = obj + 1, m;

	for (m = 0; m < n; m++)
		k = next_of(j, k + 1);
	return k;
}

struct keyent {
	char *s;
	size_t n;
};

static int
keycmp(const void *a, const void *b)
{
	const struct keyent *x = a, *y = b;
	size_t m = x->n < y->n ? x->n : y->n;
	int r = memcmp(x->s, y->s, m);

	if (r != 0)
		return r;
	return (x->n > y->n) - (x->n < y->n);
}

/*
 * 0 if every key of every object unescapes and no object has two equal
 * keys (after unescaping). Objects with one member are checked too: a key
 * that cannot be read must fail the document, not hide from bkey_json_find.
 */
static int
check_duplicates(const bkey_json *j)
{
	jsmntok_t *t = toks(j);
	struct keyent *keys = NULL;
	int i, m, k, nk = 0, rc = -1;

	for (i = 0; i < j->ntok; i++) {
		if (t[i].type != JSMN_OBJECT || t[i].size < 1)
			continue;
		keys = calloc((size_t)t[i].size, sizeof(*keys));
		if (keys == NULL)
			goto out;
		for (nk = 0, m = 0; m < t[i].size; m++, nk++) {
			k = member_key(j, i, m);
			if (unescape(j->js + t[k].start,
				(size_t)(t[k].end - t[k].start), &keys[m].s,
				&keys[m].n) != 0)
				goto out;
		}
		qsort(keys, (size_t)nk, sizeof(*keys), keycmp);
		for (m = 1; m < nk; m++)
			if (keycmp(&keys[m - 1], &keys[m]) == 0)
				goto out;
		for (m = 0; m < nk; m++)
			free(keys[m].s);
		free(keys);
		keys = NULL;
		nk = 0;
	}
	rc = 0;
out:
	if (keys != NULL) {
		for (m = 0; m < nk; m++)
			free(keys[m].s);
		free(keys);
	}
	return rc;
}

int
bkey_json_parse(bkey_json *j, const char *js, size_t len)
{
	jsmn_parser p;
	struct jdoc *d = NULL;
	int n, i, k;

	memset(j, 0, sizeof(*j));
	if (js == NULL || len == 0 || len > JSON_MAX_LEN)
		return -1;
	if (validate(js, len) != 0)
		return -1;
	jsmn_init(&p);
	n = jsmn_parse(&p, js, len, NULL, 0);
	if (n <= 0 || n > BKEY_JSON_MAX_TOKENS)
		return -1;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return -1;
	d->t = calloc((size_t)n, sizeof(*d->t));
	d->next = calloc((size_t)n, sizeof(*d->next));
	if (d->t == NULL || d->next == NULL)
		goto fail;
	jsmn_init(&p);
	if (jsmn_parse(&p, js, len, d->t, (unsigned int)n) != n)
		goto fail;
	if (d->t[0].type != JSMN_OBJECT || d->t[0].parent != -1)
		goto fail;
	/* Tokens are in document order: a subtree ends at the first token
	 * starting past its end. Keys' values follow them, outside. */
	for (i = n - 1; i >= 0; i--) {
		k = i + 1;
		while (k < n && d->t[k].start < d->t[i].end)
			k = d->next[k];
		d->next[i] = k;
	}
	j->js = js;
	j->len = len;
	j->tok = d;
	j->ntok = n;
	/* the root token must be the whole document */
	if (d->next[0] != n || check_duplicates(j) != 0) {
		bkey_json_free(j);
		return -1;
	}
	return 0;
fail:
	free(d->t);
	free(d->next);
	free(d);
	memset(j, 0, sizeof(*j));
	return -1;
}

void
bkey_json_free(bkey_json *j)
{
	struct jdoc *d;

	if (j == NULL)
		return;
	d = j->tok;
	if (d != NULL) {
		free(d->t);
		free(d->next);
		free(d);
	}
	memset(j, 0, sizeof(*j));
}

bkey_json_type
bkey_json_type_of(const bkey_json *j, int i)
{
	jsmntok_t *t;

	if (!valid_index(j, i))
		return BKEY_JSON_NONE;
	t = &toks(j)[i];
	switch (t->type) {
	case JSMN_OBJECT:
		return BKEY_JSON_OBJECT;
	case JSMN_ARRAY:
		return BKEY_JSON_ARRAY;
	case JSMN_STRING:
		return BKEY_JSON_STRING;
	case JSMN_PRIMITIVE:
		switch (j->js[t->start]) {
		case 't':
		case 'f':
			return BKEY_JSON_BOOL;
		case 'n':
			return BKEY_JSON_NULL;
		default:
			return BKEY_JSON_NUMBER;
		}
	default:
		return BKEY_JSON_NONE;
	}
}

int
bkey_json_size(const bkey_json *j, int i)
{
	bkey_json_type ty = bkey_json_type_of(j, i);

	if (ty != BKEY_JSON_OBJECT && ty != BKEY_JSON_ARRAY)
		return 0;
	return toks(j)[i].size;
}

int
bkey_json_member_at(const bkey_json *j, int obj, int n, int *key, int *val)
{
	int k;

	if (bkey_json_type_of(j, obj) != BKEY_JSON_OBJECT || n < 0 ||
	    n >= toks(j)[obj].size)
		return -1;
	k = member_key(j, obj, n);
	*key = k;
	*val = k + 1;
	return 0;
}

int
bkey_json_array_at(const bkey_json *j, int arr, int n)
{
	int e, m;

	if (bkey_json_type_of(j, arr) != BKEY_JSON_ARRAY || n < 0 ||
	    n >= toks(j)[arr].size)
		return -1;
	for (e = arr + 1, m = 0; m < n; m++)
		e = next_of(j, e);
	return e;
}

int
bkey_json_find(const bkey_json *j, int obj, const char *key)
{
	jsmntok_t *t;
	int m, k, size, found = -1;
	size_t klen;
	char *s = NULL;

	if (key == NULL || bkey_json_type_of(j, obj) != BKEY_JSON_OBJECT)
		return -1;
	t = toks(j);
	size = t[obj].size;
	klen = strlen(key);
	for (k = obj + 1, m = 0; m < size && found < 0; m++) {
		size_t rawlen = (size_t)(t[k].end - t[k].start);
		const char *raw = j->js + t[k].start;

		if (memchr(raw, '\\', rawlen) == NULL) {
			if (rawlen == klen && memcmp(raw, key, klen) == 0)
				found = k + 1;
		} else {
			size_t sl = 0;

			/* keys were unescaped once at parse: cannot fail
			 * except for memory, which means "not found" */
			if (unescape(raw, rawlen, &s, &sl) == 0) {
				if (sl == klen && memcmp(s, key, klen) == 0)
					found = k + 1;
				free(s);
			}
		}
		k = next_of(j, k + 1);
	}
	return found;
}

int
bkey_json_str(const bkey_json *j, int i, char **out)
{
	jsmntok_t *t;
	size_t n;

	*out = NULL;
	if (bkey_json_type_of(j, i) != BKEY_JSON_STRING)
		return -1;
	t = &toks(j)[i];
	return unescape(j->js + t->start, (size_t)(t->end - t->start), out,
		   &n) == 0 ?
	    0 :
	    -1;
}

int
bkey_json_get_str(const bkey_json *j, int obj, const char *key, char **out)
{
	*out = NULL;
	return bkey_json_str(j, bkey_json_find(j, obj, key), out);
}

int
bkey_json_opt_str(const bkey_json *j, int obj, const char *key, char **out)
{
	int v;

	*out = NULL;
	v = bkey_json_find(j, obj, key);
	if (v < 0)
		return 0;
	return bkey_json_str(j, v, out) == 0 ? 1 : -1;
}

int
bkey_json_int(const bkey_json *j, int i, long long *out)
{
	char buf[32];
	jsmntok_t *t;
	size_t n;
	long long v;
	char *end;

	if (bkey_json_type_of(j, i) != BKEY_JSON_NUMBER)
		return -1;
	t = &toks(j)[i];
	n = (size_t)(t->end - t->start);
	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, j->js + t->start, n);
	buf[n] = '\0';
	if (strpbrk(buf, ".eE") != NULL)
		return -1;
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

int
bkey_json_get_int(const bkey_json *j, int obj, const char *key, long long *out)
{
	return bkey_json_int(j, bkey_json_find(j, obj, key), out);
}

int
bkey_json_raw(const bkey_json *j, int i, char **out)
{
	jsmntok_t *t;
	int start, end;
	char *s;

	*out = NULL;
	if (!valid_index(j, i))
		return -1;
	t = &toks(j)[i];
	start = t->start;
	end = t->end;
	if (t->type == JSMN_STRING) { /* keep the quotes: valid JSON */
		start--;
		end++;
	}
	if ((s = malloc((size_t)(end - start) + 1)) == NULL)
		return -1;
	memcpy(s, j->js + start, (size_t)(end - start));
	s[end - start] = '\0';
	*out = s;
	return 0;
}
