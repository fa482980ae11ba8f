/* SPDX-License-Identifier: ISC */
/*
 * bkey_vault_open, the phone's vault answer (helper/vault_crypto.c). The
 * first byte is the mode: bit 0 clear, the rest is the base64 text as a
 * server sent it; bit 0 set, the rest is a plaintext the harness seals as
 * a phone would (fixed phone key, AES-256-GCM, base64), so the checks
 * after the tag are fuzzed too. Bit 1 pins the answer to the phone's
 * key, bit 2 to another key.
 * Invariants: success gives a NUL-terminated secret of len bytes, valid
 * UTF-8 without NUL, at most BKEY_VAULT_SECRET_MAX, and the phone key of
 * the answer; a sealed plaintext opens exactly when it is such text and
 * no other key is pinned, and then gives it back; a failure is
 * PROTOCOL (INTERNAL: no memory) with a clean detail and no secret.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "sanitize.h"
#include "vault.h"

#define HEAD 60 /* key 32, iv 12, tag 16 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned char sk[32], pk[32], phone_sk[32], phone_pk[32], other[32];

static void
init(void)
{
	static int done;
	size_t i;

	if (done)
		return;
	if (sodium_init() < 0)
		abort();
	for (i = 0; i < 32; i++) {
		sk[i] = (unsigned char)(i + 1);
		phone_sk[i] = (unsigned char)(0x40 + i);
		other[i] = (unsigned char)(0x80 + i);
	}
	if (crypto_scalarmult_base(pk, sk) != 0 ||
	    crypto_scalarmult_base(phone_pk, phone_sk) != 0)
		abort();
	done = 1;
}

/* The phone's answer for pt: base64, malloc'd. */
static char *
seal(const uint8_t *pt, size_t n)
{
	unsigned char shared[32], key[32], *blob;
	EVP_CIPHER_CTX *ctx;
	size_t b64sz;
	char *b64;
	int len = 0, fin = 0;

	if ((blob = malloc(HEAD + n + 1)) == NULL)
		abort();
	if (crypto_scalarmult(shared, phone_sk, pk) != 0 ||
	    crypto_hash_sha256(key, shared, sizeof(shared)) != 0)
		abort();
	memcpy(blob, phone_pk, 32);
	memset(blob + 32, 0xa5, 12);
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, blob + 32) !=
		1 ||
	    EVP_EncryptUpdate(ctx, blob + HEAD, &len, pt, (int)n) != 1 ||
	    EVP_EncryptFinal_ex(ctx, blob + HEAD + len, &fin) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, blob + 44) != 1)
		abort();
	EVP_CIPHER_CTX_free(ctx);
	b64sz = sodium_base64_ENCODED_LEN(HEAD + n,
	    sodium_base64_VARIANT_ORIGINAL);
	if ((b64 = malloc(b64sz)) == NULL)
		abort();
	sodium_bin2base64(b64, b64sz, blob, HEAD + n,
	    sodium_base64_VARIANT_ORIGINAL);
	free(blob);
	return b64;
}

static int
text_ok(const uint8_t *s, size_t n)
{
	return n > 0 && n <= BKEY_VAULT_SECRET_MAX &&
	    memchr(s, '\0', n) == NULL && bkey_utf8_valid((const char *)s, n);
}

static void
check_ok(const struct bkey_vault_got *got, const char *b64)
{
	unsigned char head[33];
	size_t n = 0;

	if (got->secret == NULL || strlen(got->secret) != got->len ||
	    !text_ok((const uint8_t *)got->secret, got->len))
		abort();
	/* The key reported is the one the answer carries. */
	if (sodium_base642bin(head, sizeof(head), b64, 44, NULL, &n, NULL,
		sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    n < 32 || memcmp(head, got->phone_pk, 32) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bkey_vault_got got;
	bkey_error err;
	const unsigned char *pin;
	char *b64;
	int mode, rc;

	if (size < 1)
		return 0;
	init();
	mode = data[0];
	pin = (mode & 4) ? other : (mode & 2) ? phone_pk : NULL;
	if (mode & 1)
		b64 = seal(data + 1, size - 1);
	else if ((b64 = malloc(size)) != NULL) {
		memcpy(b64, data + 1, size - 1);
		b64[size - 1] = '\0';
	} else
		abort();
	memset(&got, 0, sizeof(got));
	memset(&err, 0, sizeof(err));
	rc = bkey_vault_open(b64, sk, pin, &got, &err);
	if (rc == 0)
		check_ok(&got, b64);
	else if (got.secret != NULL || got.len != 0 || err.detail[0] == '\0' ||
	    (err.code != BKEY_ERR_PROTOCOL && err.code != BKEY_ERR_INTERNAL) ||
	    !bkey_utf8_valid(err.detail, strlen(err.detail)))
		abort();
	if ((mode & 1) &&
	    (rc == 0) != (pin != other && text_ok(data + 1, size - 1)))
		abort();
	if ((mode & 1) && rc == 0 && memcmp(got.secret, data + 1, size - 1))
		abort();
	if (rc == 0 && pin != NULL && memcmp(pin, got.phone_pk, 32) != 0)
		abort();
	bkey_vault_got_free(&got);
	free(b64);
	return 0;
}
