/* SPDX-License-Identifier: ISC */
/* base64url without padding (RFC 4648 section 5), strict: no padding,
 * no whitespace, no non-canonical trailing bits. Thin layer on libsodium. */
#ifndef BKEY_B64URL_H
#define BKEY_B64URL_H

#include <stddef.h>

/* Decode src[0..srclen) into dst (capacity dstcap). Returns 0 and sets *outlen,
 * or -1 on any invalid input or if dst is too small. */
int bkey_b64url_decode(const char *src, size_t srclen, unsigned char *dst,
    size_t dstcap, size_t *outlen);
/* Decode into a fresh NUL-terminated malloc'd buffer (for JSON segments). */
int bkey_b64url_decode_alloc(const char *src, size_t srclen, char **out,
    size_t *outlen);
/* Encode; returns malloc'd NUL-terminated string or NULL. */
char *bkey_b64url_encode(const unsigned char *src, size_t srclen);

#endif
