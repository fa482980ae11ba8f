/* SPDX-License-Identifier: ISC */
/* Writing JSON objects into a bkey_buf with correct string escaping. */
#ifndef BKEY_JSONW_H
#define BKEY_JSONW_H

#include "buf.h"

typedef struct bkey_jobj {
	bkey_buf *b;
	int n; /* members written so far */
} bkey_jobj;

/* Append s as a quoted JSON string ("\u00XX" for controls, \" \\ escaped;
 * s must be valid UTF-8: callers sanitize first). */
void bkey_jsonw_string(bkey_buf *b, const char *s);
void bkey_jobj_begin(bkey_jobj *o, bkey_buf *b); /* writes "{" */
void bkey_jobj_str(bkey_jobj *o, const char *key, const char *val);
void bkey_jobj_int(bkey_jobj *o, const char *key, long long val);
/* val is already valid JSON (a nested object built elsewhere). */
void bkey_jobj_raw(bkey_jobj *o, const char *key, const char *val);
/* Writes "}"; returns 0, or -1 if any append failed (b->failed). */
int bkey_jobj_end(bkey_jobj *o);

#endif
