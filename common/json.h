/* SPDX-License-Identifier: ISC */
/*
 * Reading JSON with jsmn (strict mode, parent links). A parsed document
 * keeps a pointer to the caller's text, which must outlive it.
 * Documents with duplicate keys in any object are rejected at parse time:
 * a token with two "sub" claims must not mean different things to
 * different readers.
 */
#ifndef BKEY_JSON_H
#define BKEY_JSON_H

#include <stddef.h>

typedef struct bkey_json {
	const char *js;
	size_t len;
	void *tok; /* jsmntok_t array, private */
	int ntok;
} bkey_json;

typedef enum {
	BKEY_JSON_NONE = 0,
	BKEY_JSON_OBJECT,
	BKEY_JSON_ARRAY,
	BKEY_JSON_STRING,
	BKEY_JSON_NUMBER,
	BKEY_JSON_BOOL,
	BKEY_JSON_NULL
} bkey_json_type;

#define BKEY_JSON_MAX_TOKENS 4096

/* Parse js[0..len). The top level must be an object and must span the
 * whole input (surrounding whitespace allowed). 0 on success, -1 otherwise. */
int bkey_json_parse(bkey_json *j, const char *js, size_t len);
void bkey_json_free(bkey_json *j);

/* Token 0 is the root object. Type of token i. */
bkey_json_type bkey_json_type_of(const bkey_json *j, int i);
/* Index of the value of member key in object token obj, or -1 if absent
 * (or obj is not an object). */
int bkey_json_find(const bkey_json *j, int obj, const char *key);
/* Number of members (object) or elements (array) of token i. */
int bkey_json_size(const bkey_json *j, int i);
/* Index of the n-th element of array token arr, or -1. */
int bkey_json_array_at(const bkey_json *j, int arr, int n);
/* For iterating an object: key token index and value token index of the
 * n-th member, 0 on success, -1 past the end. */
int bkey_json_member_at(const bkey_json *j, int obj, int n, int *key, int *val);

/* String value of token i, unescaped, malloc'd and NUL-terminated.
 * Rejects non-strings, invalid escapes, invalid UTF-8 and \u0000. 0 / -1. */
int bkey_json_str(const bkey_json *j, int i, char **out);
/* Member key of object obj as string (NULL / -1 when absent or not a string). */
int bkey_json_get_str(const bkey_json *j, int obj, const char *key, char **out);
/* Optional string member: 0 absent (*out NULL), 1 present (*out malloc'd),
 * -1 present but not a valid string (or no memory). */
int bkey_json_opt_str(const bkey_json *j, int obj, const char *key, char **out);
/* Integer value: a JSON number with no fraction or exponent that fits
 * in long long. 0 / -1. */
int bkey_json_int(const bkey_json *j, int i, long long *out);
int bkey_json_get_int(const bkey_json *j, int obj, const char *key,
    long long *out);
/* Copy the raw JSON text of token i (objects: the whole "{...}"). */
int bkey_json_raw(const bkey_json *j, int i, char **out);

#endif
