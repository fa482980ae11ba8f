/* SPDX-License-Identifier: ISC */
/* Strict JSON reader and writer. */
#include "unit.h"
#include "buf.h"
#include "json.h"
#include "jsonw.h"

static int
ok(const char *s)
{
	bkey_json j;
	int r = bkey_json_parse(&j, s, strlen(s));

	if (r == 0)
		bkey_json_free(&j);
	return r == 0;
}

/* The string value of member "a" of s, or NULL. */
static char *
str_a(const char *s)
{
	bkey_json j;
	char *v = NULL;

	if (bkey_json_parse(&j, s, strlen(s)) != 0)
		return NULL;
	if (bkey_json_get_str(&j, 0, "a", &v) != 0)
		v = NULL;
	bkey_json_free(&j);
	return v;
}

static void
accepts_valid(void)
{
	CHECK(ok("{}"));
	CHECK(ok(" \t\r\n{ } \n"));
	CHECK(ok("{\"a\":1}"));
	CHECK(ok("{\"a\":[1,2,{\"b\":null}],\"c\":{\"d\":true,\"e\":false}}"));
	CHECK(ok("{\"n\":-0.5e+10,\"m\":0,\"o\":1E-3,\"p\":-0}"));
	CHECK(ok("{\"\":\"\"}"));
	CHECK(ok("{\"a\":[]}"));
	CHECK(ok("{\"a\":\"\\u00e9\\ud83d\\ude00\\/\"}"));
}

static void
rejects_non_object_root(void)
{
	CHECK(!ok(""));
	CHECK(!ok("   "));
	CHECK(!ok("[]"));
	CHECK(!ok("[{\"a\":1}]"));
	CHECK(!ok("\"a\""));
	CHECK(!ok("1"));
	CHECK(!ok("null"));
	CHECK(!ok("true"));
}

static void
rejects_trailing_garbage(void)
{
	CHECK(!ok("{}x"));
	CHECK(!ok("{}{}"));
	CHECK(!ok("{} {}"));
	CHECK(!ok("{}]"));
	CHECK(!ok("{}}"));
	CHECK(!ok("{},"));
	CHECK(bkey_json_parse(&(bkey_json){0}, "{}\0garbage", 10) == -1);
	CHECK(!ok("{\"a\":1"));
	CHECK(!ok("{\"a\":"));
	CHECK(!ok("{"));
}

static void
rejects_structure_jsmn_accepts(void)
{
	CHECK(!ok("{\"a\" \"b\"}"));		/* missing colon */
	CHECK(!ok("{\"a\":1,}"));		/* trailing comma */
	CHECK(!ok("{,\"a\":1}"));
	CHECK(!ok("{\"a\"::1}"));
	CHECK(!ok("{\"a\":1 \"b\":2}"));	/* missing comma */
	CHECK(!ok("{\"a\":[1 2]}"));
	CHECK(!ok("{\"a\":[1,]}"));
	CHECK(!ok("{\"a\":[,1]}"));
	CHECK(!ok("{\"a\"}"));
	CHECK(!ok("{\"a\":1:2}"));
	CHECK(!ok("{1:2}"));
	CHECK(!ok("{a:1}"));
	CHECK(!ok("{'a':1}"));
	CHECK(!ok("{\"a\":[}"));
	CHECK(!ok("{\"a\":{]}"));
	CHECK(!ok("{\"a\":1}\"b\""));
}

static void
rejects_bad_primitives(void)
{
	CHECK(!ok("{\"a\":tru}"));
	CHECK(!ok("{\"a\":truex}"));
	CHECK(!ok("{\"a\":nul}"));
	CHECK(!ok("{\"a\":True}"));
	CHECK(!ok("{\"a\":NaN}"));
	CHECK(!ok("{\"a\":Infinity}"));
	CHECK(!ok("{\"a\":01}"));
	CHECK(!ok("{\"a\":-}"));
	CHECK(!ok("{\"a\":+1}"));
	CHECK(!ok("{\"a\":1.}"));
	CHECK(!ok("{\"a\":.5}"));
	CHECK(!ok("{\"a\":1e}"));
	CHECK(!ok("{\"a\":1e+}"));
	CHECK(!ok("{\"a\":0x10}"));
	CHECK(!ok("{\"a\":1-2}"));
	CHECK(!ok("{\"a\":--1}"));
}

static void
rejects_duplicates(void)
{
	CHECK(!ok("{\"a\":1,\"a\":2}"));
	CHECK(!ok("{\"a\":1,\"b\":2,\"a\":1}"));
	/* equal after unescaping */
	CHECK(!ok("{\"sub\":\"x\",\"s\\u0075b\":\"y\"}"));
	CHECK(!ok("{\"a/\":1,\"a\\/\":2}"));
	/* nested objects too, including inside arrays */
	CHECK(!ok("{\"o\":{\"k\":1,\"k\":2}}"));
	CHECK(!ok("{\"o\":[{\"k\":1},{\"k\":1,\"k\":1}]}"));
	/* same key in different objects is fine */
	CHECK(ok("{\"k\":{\"k\":{\"k\":1}}}"));
	CHECK(ok("{\"a\":1,\"A\":2,\"a \":3}"));
}

static void
rejects_bad_strings(void)
{
	char *v;

	CHECK(!ok("{\"a\":\"\\x41\"}"));
	CHECK(!ok("{\"a\":\"\\u12\"}"));
	CHECK(!ok("{\"a\":\"\\u12G4\"}"));
	CHECK(!ok("{\"a\":\"\\\"}"));
	CHECK(!ok("{\"a\":\"raw\ttab\"}"));
	CHECK(!ok("{\"a\":\"raw\nnewline\"}"));
	CHECK(!ok("{\"a\":\"\x1b[31m\"}"));
	CHECK(!ok("{\"a\":\"\xc0\xaf\"}"));		/* overlong */
	CHECK(!ok("{\"a\":\"\xed\xa0\x80\"}"));	/* surrogate */
	CHECK(!ok("{\"a\":\"\xff\"}"));
	CHECK(!ok("{\"a\":\"\xe2\x80\"}"));		/* truncated */
	CHECK(!ok("{\"a\":\"unterminated}"));
	/* escapes whose meaning is bad are refused when read */
	CHECK(str_a("{\"a\":\"\\u0000\"}") == NULL);
	CHECK(str_a("{\"a\":\"x\\ud800\"}") == NULL);
	CHECK(str_a("{\"a\":\"x\\ud800y\"}") == NULL);
	CHECK(str_a("{\"a\":\"\\udc00\\ud800\"}") == NULL);
	CHECK(str_a("{\"a\":\"\\ud800\\u0041\"}") == NULL);
	CHECK(str_a("{\"a\":\"\\ud800\\ud800\"}") == NULL);
	/* a key with a lone surrogate fails the whole document */
	CHECK(!ok("{\"\\ud800\":1,\"b\":2}"));
	/* ... also as the only member (found by fuzz/fuzz_json.c:
	 * single-member objects skipped the key check) */
	CHECK(!ok("{\"\\ud800\":1}"));
	CHECK(!ok("{\"k],{,#\\ud819\":\"A\"} "));
	CHECK(!ok("{\"a\":{\"x\\udc00\":1}}"));
	CHECK(ok("{\"\\u0041\":1}"));
	v = str_a("{\"a\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u00e9\\u20ac\"}");
	CHECK_STR(v, "\"\\/\b\f\n\r\tA\xc3\xa9\xe2\x82\xac");
	free(v);
	v = str_a("{\"a\":\"\\uD83D\\uDE00\"}");
	CHECK_STR(v, "\xf0\x9f\x98\x80");
	free(v);
	v = str_a("{\"a\":\"\xf0\x9f\x98\x80 ok\"}");
	CHECK_STR(v, "\xf0\x9f\x98\x80 ok");
	free(v);
}

static void
nesting_and_token_limits(void)
{
	char *s;
	size_t i, n;
	int depth;

	/* 64 levels fine, 1000 refused (no stack blow-up) */
	for (depth = 1; depth <= 2; depth++) {
		size_t lv = depth == 1 ? 63 : 1000;

		n = 2 * lv + 16;
		s = malloc(n);
		if (s == NULL)
			return;
		i = 0;
		s[i++] = '{';
		memcpy(s + i, "\"a\":", 4);
		i += 4;
		memset(s + i, '[', lv);
		i += lv;
		memset(s + i, ']', lv);
		i += lv;
		s[i++] = '}';
		s[i] = '\0';
		CHECK(ok(s) == (depth == 1));
		free(s);
	}
	/* token cap: 4096 tokens ok-ish, far more refused */
	n = 10 + 2 * 5000;
	s = malloc(n);
	if (s == NULL)
		return;
	memcpy(s, "{\"a\":[", 6);
	i = 6;
	for (depth = 0; depth < 5000; depth++) {
		s[i++] = '1';
		s[i++] = ',';
	}
	s[i - 1] = ']';
	s[i++] = '}';
	s[i] = '\0';
	CHECK(!ok(s));
	/* 4000 elements + root + key + array = 4003 tokens: accepted */
	memcpy(s, "{\"a\":[", 6);
	i = 6;
	for (depth = 0; depth < 4000; depth++) {
		s[i++] = '1';
		s[i++] = ',';
	}
	s[i - 1] = ']';
	s[i++] = '}';
	s[i] = '\0';
	CHECK(ok(s));
	free(s);
}

static void
integers(void)
{
	bkey_json j;
	long long v;
	const char *s = "{\"a\":9223372036854775807,\"b\":-9223372036854775808,"
	    "\"c\":9223372036854775808,\"d\":1.0,\"e\":1e3,\"f\":\"5\","
	    "\"g\":-0,\"h\":123456789012345678901234567890,\"i\":true}";

	CHECK(bkey_json_parse(&j, s, strlen(s)) == 0);
	CHECK(bkey_json_get_int(&j, 0, "a", &v) == 0 && v == 9223372036854775807LL);
	CHECK(bkey_json_get_int(&j, 0, "b", &v) == 0 && v == -9223372036854775807LL - 1);
	CHECK(bkey_json_get_int(&j, 0, "c", &v) == -1);
	CHECK(bkey_json_get_int(&j, 0, "d", &v) == -1);
	CHECK(bkey_json_get_int(&j, 0, "e", &v) == -1);
	CHECK(bkey_json_get_int(&j, 0, "f", &v) == -1);
	CHECK(bkey_json_get_int(&j, 0, "g", &v) == 0 && v == 0);
	CHECK(bkey_json_get_int(&j, 0, "h", &v) == -1);
	CHECK(bkey_json_get_int(&j, 0, "i", &v) == -1);
	CHECK(bkey_json_get_int(&j, 0, "zz", &v) == -1);
	bkey_json_free(&j);
}

static void
navigation(void)
{
	bkey_json j;
	const char *s = "{\"x\":{\"y\":[1,{\"z\":2}]},\"arr\":[\"p\",[3,4],\"q\"],"
	    "\"s\\u0074r\":\"v\",\"n\":null,\"b\":false}";
	int o, a, e, k, v;
	char *str, *raw;
	long long iv;

	CHECK(bkey_json_parse(&j, s, strlen(s)) == 0);
	CHECK(bkey_json_type_of(&j, 0) == BKEY_JSON_OBJECT);
	CHECK(bkey_json_size(&j, 0) == 5);
	o = bkey_json_find(&j, 0, "x");
	CHECK(bkey_json_type_of(&j, o) == BKEY_JSON_OBJECT);
	a = bkey_json_find(&j, o, "y");
	CHECK(bkey_json_type_of(&j, a) == BKEY_JSON_ARRAY);
	CHECK(bkey_json_size(&j, a) == 2);
	e = bkey_json_array_at(&j, a, 1);
	CHECK(bkey_json_get_int(&j, e, "z", &iv) == 0 && iv == 2);
	CHECK(bkey_json_array_at(&j, a, 2) == -1);
	CHECK(bkey_json_array_at(&j, a, -1) == -1);
	/* keys of nested objects are not members of the root */
	CHECK(bkey_json_find(&j, 0, "y") == -1);
	CHECK(bkey_json_find(&j, 0, "z") == -1);
	a = bkey_json_find(&j, 0, "arr");
	CHECK(bkey_json_size(&j, a) == 3);
	e = bkey_json_array_at(&j, a, 2);
	CHECK(bkey_json_str(&j, e, &str) == 0);
	CHECK_STR(str, "q");
	free(str);
	e = bkey_json_array_at(&j, a, 1);
	CHECK(bkey_json_raw(&j, e, &raw) == 0);
	CHECK_STR(raw, "[3,4]");
	free(raw);
	/* keys found after unescaping */
	CHECK(bkey_json_get_str(&j, 0, "str", &str) == 0);
	CHECK_STR(str, "v");
	free(str);
	CHECK(bkey_json_type_of(&j, bkey_json_find(&j, 0, "n")) == BKEY_JSON_NULL);
	CHECK(bkey_json_type_of(&j, bkey_json_find(&j, 0, "b")) == BKEY_JSON_BOOL);
	CHECK(bkey_json_get_str(&j, 0, "n", &str) == -1 && str == NULL);
	CHECK(bkey_json_member_at(&j, 0, 4, &k, &v) == 0);
	CHECK(bkey_json_str(&j, k, &str) == 0);
	CHECK_STR(str, "b");
	free(str);
	CHECK(bkey_json_member_at(&j, 0, 5, &k, &v) == -1);
	CHECK(bkey_json_member_at(&j, a, 0, &k, &v) == -1);
	CHECK(bkey_json_raw(&j, 0, &raw) == 0);
	CHECK_STR(raw, s);
	free(raw);
	CHECK(bkey_json_type_of(&j, 999) == BKEY_JSON_NONE);
	CHECK(bkey_json_type_of(&j, -1) == BKEY_JSON_NONE);
	CHECK(bkey_json_find(&j, 999, "x") == -1);
	bkey_json_free(&j);
}

static char *
wstr(const char *s)
{
	bkey_buf b;

	bkey_buf_init(&b, 0);
	bkey_jsonw_string(&b, s);
	return bkey_buf_steal(&b);
}

static void
writer_escapes(void)
{
	char *w;
	bkey_buf b;
	bkey_jobj o;
	bkey_json j;
	char *back;

	w = wstr("a\"b\\c");
	CHECK_STR(w, "\"a\\\"b\\\\c\"");
	free(w);
	w = wstr("\x01\n\x1f\x7f/\xc3\xa9");
	CHECK_STR(w, "\"\\u0001\\u000a\\u001f\\u007f/\xc3\xa9\"");
	free(w);
	w = wstr("");
	CHECK_STR(w, "\"\"");
	free(w);
	/* invalid UTF-8 fails the buffer rather than emit invalid JSON */
	CHECK(wstr("\xc0\xaf") == NULL);

	bkey_buf_init(&b, 0);
	bkey_jobj_begin(&o, &b);
	bkey_jobj_str(&o, "k\"", "v\x1b[31m\n");
	bkey_jobj_int(&o, "n", -9223372036854775807LL - 1);
	bkey_jobj_raw(&o, "o", "{\"x\":[1]}");
	CHECK(bkey_jobj_end(&o) == 0);
	CHECK_STR(b.data, "{\"k\\\"\":\"v\\u001b[31m\\u000a\","
	    "\"n\":-9223372036854775808,\"o\":{\"x\":[1]}}");
	/* what we write, we read back identically */
	CHECK(bkey_json_parse(&j, b.data, b.len) == 0);
	CHECK(bkey_json_get_str(&j, 0, "k\"", &back) == 0);
	CHECK_STR(back, "v\x1b[31m\n");
	free(back);
	bkey_json_free(&j);
	bkey_buf_free(&b);

	/* overflowing the cap is reported at the end */
	bkey_buf_init(&b, 10);
	bkey_jobj_begin(&o, &b);
	bkey_jobj_str(&o, "key", "a long value");
	CHECK(bkey_jobj_end(&o) == -1);
	CHECK(b.overflow);
	bkey_buf_free(&b);
}

static void
optional_strings(void)
{
	static const char doc[] = "{\"a\":\"x\\u00e9\",\"n\":1,\"z\":null}";
	bkey_json j;
	char *s = (char *)1;

	CHECK(bkey_json_parse(&j, doc, strlen(doc)) == 0);
	CHECK(bkey_json_opt_str(&j, 0, "a", &s) == 1 && s != NULL &&
	    strcmp(s, "x\xc3\xa9") == 0);
	bkey_free_secret(&s);
	CHECK(s == NULL);
	CHECK(bkey_json_opt_str(&j, 0, "missing", &s) == 0 && s == NULL);
	CHECK(bkey_json_opt_str(&j, 0, "n", &s) == -1 && s == NULL);
	CHECK(bkey_json_opt_str(&j, 0, "z", &s) == -1 && s == NULL);
	bkey_free_secret(&s);		/* NULL is fine */
	bkey_json_free(&j);
}

int
main(void)
{
	unit_suite = "json";
	RUN(accepts_valid);
	RUN(rejects_non_object_root);
	RUN(rejects_trailing_garbage);
	RUN(rejects_structure_jsmn_accepts);
	RUN(rejects_bad_primitives);
	RUN(rejects_duplicates);
	RUN(rejects_bad_strings);
	RUN(nesting_and_token_limits);
	RUN(integers);
	RUN(navigation);
	RUN(writer_escapes);
	RUN(optional_strings);
	UNIT_DONE();
}
