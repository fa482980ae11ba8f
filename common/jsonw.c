/* SPDX-License-Identifier: ISC */
/* Writing JSON: string escaping per RFC 8259 and small object builders. */
#include <string.h>

#include "jsonw.h"
#include "sanitize.h"

static const char hexd[] = "0123456789abcdef";

void
bkey_jsonw_string(bkey_buf *b, const char *s)
{
	size_t i, run = 0, n;
	char esc[6];

	if (s == NULL)
		s = "";
	n = strlen(s);
	/* Invalid UTF-8 would make the output invalid JSON: fail the buffer. */
	if (!bkey_utf8_valid(s, n)) {
		b->failed = 1;
		return;
	}
	bkey_buf_puts(b, "\"");
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c != '"' && c != '\\' && c >= 0x20 && c != 0x7f)
			continue;
		bkey_buf_append(b, s + run, i - run);
		run = i + 1;
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			bkey_buf_append(b, esc, 2);
		} else {
			memcpy(esc, "\\u00", 4);
			esc[4] = hexd[c >> 4];
			esc[5] = hexd[c & 0xf];
			bkey_buf_append(b, esc, 6);
		}
	}
	bkey_buf_append(b, s + run, n - run);
	bkey_buf_puts(b, "\"");
}

void
bkey_jobj_begin(bkey_jobj *o, bkey_buf *b)
{
	o->b = b;
	o->n = 0;
	bkey_buf_puts(b, "{");
}

static void
jobj_key(bkey_jobj *o, const char *key)
{
	if (o->n++ > 0)
		bkey_buf_puts(o->b, ",");
	bkey_jsonw_string(o->b, key);
	bkey_buf_puts(o->b, ":");
}

void
bkey_jobj_str(bkey_jobj *o, const char *key, const char *val)
{
	jobj_key(o, key);
	bkey_jsonw_string(o->b, val);
}

void
bkey_jobj_int(bkey_jobj *o, const char *key, long long val)
{
	jobj_key(o, key);
	bkey_buf_printf(o->b, "%lld", val);
}

void
bkey_jobj_raw(bkey_jobj *o, const char *key, const char *val)
{
	jobj_key(o, key);
	if (val == NULL) {
		o->b->failed = 1;
		return;
	}
	bkey_buf_puts(o->b, val);
}

int
bkey_jobj_end(bkey_jobj *o)
{
	bkey_buf_puts(o->b, "}");
	return o->b->failed ? -1 : 0;
}
