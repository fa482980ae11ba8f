/* SPDX-License-Identifier: ISC */
/* Strict unpadded base64url on libsodium (which also refuses non-zero
 * trailing bits); the whole input must be consumed. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "b64url.h"

#define VARIANT sodium_base64_VARIANT_URLSAFE_NO_PADDING

static int
is_b64url(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

int
bkey_b64url_decode(const char *src, size_t srclen, unsigned char *dst,
    size_t dstcap, size_t *outlen)
{
	const char *end = NULL;
	size_t n = 0, i;

	if (src == NULL || dst == NULL || outlen == NULL)
		return -1;
	if (srclen % 4 == 1) /* 6 bits cannot make a byte */
		return -1;
	/* libsodium 1.0.18 decodes bytes >= 0x80 as if they were letters
	 * ("aGV\xebbG8" gives 5 bytes): check the alphabet ourselves. */
	for (i = 0; i < srclen; i++)
		if (!is_b64url((unsigned char)src[i]))
			return -1;
	if (sodium_base642bin(dst, dstcap, src, srclen, NULL, &n, &end,
		VARIANT) != 0)
		return -1;
	if (end != src + srclen)
		return -1;
	*outlen = n;
	return 0;
}

int
bkey_b64url_decode_alloc(const char *src, size_t srclen, char **out,
    size_t *outlen)
{
	size_t cap, n = 0;
	char *d;

	*out = NULL;
	if (src == NULL || srclen > (size_t)-1 / 3 - 4)
		return -1;
	cap = srclen / 4 * 3 + 3;
	if ((d = malloc(cap + 1)) == NULL)
		return -1;
	if (bkey_b64url_decode(src, srclen, (unsigned char *)d, cap, &n) != 0) {
		sodium_memzero(d, cap + 1);
		free(d);
		return -1;
	}
	d[n] = '\0';
	*out = d;
	if (outlen != NULL)
		*outlen = n;
	return 0;
}

char *
bkey_b64url_encode(const unsigned char *src, size_t srclen)
{
	size_t n;
	char *s;

	if (src == NULL && srclen > 0)
		return NULL;
	if (srclen > ((size_t)-1 - 4) / 4 * 3 - 3)
		return NULL;
	n = sodium_base64_encoded_len(srclen, VARIANT);
	if ((s = malloc(n)) == NULL)
		return NULL;
	/* libsodium wants a non-NULL pointer even for zero bytes */
	sodium_bin2base64(s, n, src ? src : (const unsigned char *)"", srclen,
	    VARIANT);
	return s;
}
