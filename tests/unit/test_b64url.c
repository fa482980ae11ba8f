/* SPDX-License-Identifier: ISC */
/* base64url (strict, unpadded) and the capped buffer. */
#include <sodium.h>

#include "unit.h"
#include "b64url.h"
#include "buf.h"

static int
dec(const char *s, unsigned char *out, size_t cap, size_t *n)
{
	return bkey_b64url_decode(s, strlen(s), out, cap, n);
}

static void
rfc4648_vectors(void)
{
	static const char *plain[] = { "", "f", "fo", "foo", "foob", "fooba",
	    "foobar" };
	static const char *enc[] = { "", "Zg", "Zm8", "Zm9v", "Zm9vYg",
	    "Zm9vYmE", "Zm9vYmFy" };
	unsigned char out[16];
	size_t i, n;
	char *e;

	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		e = bkey_b64url_encode((const unsigned char *)plain[i],
		    strlen(plain[i]));
		CHECK_STR(e, enc[i]);
		free(e);
		n = 99;
		CHECK(dec(enc[i], out, sizeof(out), &n) == 0);
		CHECK(n == strlen(plain[i]));
		CHECK(memcmp(out, plain[i], n) == 0);
	}
}

static void
url_alphabet(void)
{
	const unsigned char bin[] = { 0xfb, 0xff, 0xbf };
	unsigned char out[8];
	size_t n = 0;
	char *e = bkey_b64url_encode(bin, sizeof(bin));

	CHECK_STR(e, "-_-_");
	free(e);
	CHECK(dec("-_-_", out, sizeof(out), &n) == 0 && n == 3);
	CHECK(memcmp(out, bin, 3) == 0);
	/* the standard alphabet's + and / are not base64url */
	CHECK(dec("+/+/", out, sizeof(out), &n) == -1);
}

static void
rejects_padding_and_junk(void)
{
	unsigned char out[32];
	size_t n;

	CHECK(dec("Zg==", out, sizeof(out), &n) == -1);
	CHECK(dec("Zg=", out, sizeof(out), &n) == -1);
	CHECK(dec("Zm9v=", out, sizeof(out), &n) == -1);
	CHECK(dec("Zm9v ", out, sizeof(out), &n) == -1);
	CHECK(dec(" Zm9v", out, sizeof(out), &n) == -1);
	CHECK(dec("Zm 9v", out, sizeof(out), &n) == -1);
	CHECK(dec("Zm9v\n", out, sizeof(out), &n) == -1);
	CHECK(dec("Zm9v.", out, sizeof(out), &n) == -1);
	CHECK(dec("Zm*v", out, sizeof(out), &n) == -1);
	CHECK(dec("Zm9v\xc3\xa9", out, sizeof(out), &n) == -1);
	/* bytes >= 0x80 inside the text (libsodium took them for letters;
	 * found by fuzz/fuzz_b64url.c) */
	CHECK(dec("aGV\xeb" "bG8", out, sizeof(out), &n) == -1);
	CHECK(dec("Zm\x80v", out, sizeof(out), &n) == -1);
	CHECK(dec("\xff\xff\xff\xff", out, sizeof(out), &n) == -1);
	CHECK(dec("Zm9v\xc3\xa9Zm", out, sizeof(out), &n) == -1);
	/* an embedded NUL: the length, not strlen, counts */
	CHECK(bkey_b64url_decode("Zm\0v", 4, out, sizeof(out), &n) == -1);
	/* 1 char remainder cannot encode a byte */
	CHECK(dec("Z", out, sizeof(out), &n) == -1);
	CHECK(dec("Zm9vY", out, sizeof(out), &n) == -1);
}

static void
rejects_noncanonical(void)
{
	unsigned char out[8];
	size_t n;

	/* "Zg" is canonical for "f"; "Zh" has non-zero trailing bits */
	CHECK(dec("Zg", out, sizeof(out), &n) == 0);
	CHECK(dec("Zh", out, sizeof(out), &n) == -1);
	CHECK(dec("Zv", out, sizeof(out), &n) == -1);
	CHECK(dec("Zm8", out, sizeof(out), &n) == 0);
	CHECK(dec("Zm9", out, sizeof(out), &n) == -1);
}

static void
dst_too_small(void)
{
	unsigned char out[3];
	size_t n;

	CHECK(dec("Zm9v", out, 3, &n) == 0 && n == 3);
	CHECK(dec("Zm9vYg", out, 3, &n) == -1);
}

static void
alloc_variant(void)
{
	char *s = NULL;
	size_t n = 0;

	CHECK(bkey_b64url_decode_alloc("eyJhIjoxfQ", 10, &s, &n) == 0);
	CHECK_STR(s, "{\"a\":1}");
	CHECK(n == 7 && s != NULL && s[n] == '\0');
	free(s);
	s = (char *)1;
	CHECK(bkey_b64url_decode_alloc("eyJhIjoxfQ==", 12, &s, &n) == -1);
	CHECK(s == NULL);
	CHECK(bkey_b64url_decode_alloc("", 0, &s, &n) == 0 && n == 0);
	CHECK_STR(s, "");
	free(s);
}

static void
random_roundtrip(void)
{
	unsigned char in[300], out[300];
	size_t len, n;
	char *e;
	int i;

	for (i = 0; i < 200; i++) {
		len = (size_t)randombytes_uniform(sizeof(in) + 1);
		randombytes_buf(in, len);
		e = bkey_b64url_encode(in, len);
		CHECK(e != NULL);
		if (e == NULL)
			return;
		CHECK(strchr(e, '=') == NULL && strchr(e, '+') == NULL &&
		    strchr(e, '/') == NULL);
		CHECK(bkey_b64url_decode(e, strlen(e), out, sizeof(out), &n)
		    == 0);
		CHECK(n == len && memcmp(in, out, len) == 0);
		free(e);
	}
}

static void
buf_basic(void)
{
	bkey_buf b;
	char *s;
	int i;

	bkey_buf_init(&b, 0);
	CHECK(b.max == BKEY_BUF_DEFAULT_MAX);
	CHECK(bkey_buf_puts(&b, "ab") == 0);
	CHECK(bkey_buf_printf(&b, "%d-%s", 42, "x") == 0);
	CHECK_STR(b.data, "ab42-x");
	CHECK(b.len == 6);
	for (i = 0; i < 1000; i++)
		CHECK(bkey_buf_append(&b, "0123456789", 10) == 0);
	CHECK(b.len == 10006 && strlen(b.data) == 10006);
	bkey_buf_reset(&b);
	CHECK(b.len == 0 && b.data != NULL && b.data[0] == '\0');
	CHECK(bkey_buf_puts(&b, "z") == 0);
	s = bkey_buf_steal(&b);
	CHECK_STR(s, "z");
	free(s);
	CHECK(b.data == NULL && b.len == 0);
	s = bkey_buf_steal(&b);
	CHECK_STR(s, "");
	free(s);
	bkey_buf_free(&b);
}

static void
buf_cap_is_sticky(void)
{
	bkey_buf b;

	bkey_buf_init(&b, 8);
	CHECK(bkey_buf_puts(&b, "12345678") == 0);	/* exactly max */
	CHECK(b.len == 8 && !b.failed);
	CHECK(bkey_buf_puts(&b, "9") == -1);
	CHECK(b.failed && b.overflow);
	CHECK(b.len == 8);
	CHECK(bkey_buf_puts(&b, "") == -1);		/* sticky */
	CHECK(bkey_buf_printf(&b, "%s", "") == -1);
	CHECK(bkey_buf_steal(&b) == NULL);
	bkey_buf_init(&b, 8);
	CHECK(bkey_buf_printf(&b, "%s", "123456789") == -1 && b.overflow);
	CHECK(b.len == 0);
	bkey_buf_reset(&b);
	CHECK(!b.failed && !b.overflow);
	CHECK(bkey_buf_append(&b, "x", (size_t)-1) == -1 && b.overflow);
	bkey_buf_free(&b);
}

int
main(void)
{
	unit_suite = "b64url";
	if (sodium_init() < 0)
		return 1;
	RUN(rfc4648_vectors);
	RUN(url_alphabet);
	RUN(rejects_padding_and_junk);
	RUN(rejects_noncanonical);
	RUN(dst_too_small);
	RUN(alloc_variant);
	RUN(random_roundtrip);
	RUN(buf_basic);
	RUN(buf_cap_is_sticky);
	UNIT_DONE();
}
