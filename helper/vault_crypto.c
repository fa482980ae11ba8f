/* SPDX-License-Identifier: ISC */
/*
 * Opening the phone's vault answer. AES-256-GCM through OpenSSL's EVP:
 * libsodium's AES-GCM needs hardware AES, this must work on any CPU.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "buf.h"
#include "sanitize.h"
#include "vault.h"

#define IV_LEN 12
#define TAG_LEN 16
#define HEAD_LEN (BKEY_VAULT_PK_LEN + IV_LEN + TAG_LEN)
#define BLOB_MAX (HEAD_LEN + BKEY_VAULT_SECRET_MAX)

/* AES-256-GCM decrypt of ct[0..n) into out (n bytes); 0 if the tag holds. */
static int
gcm_open(const unsigned char key[32], const unsigned char *iv,
    const unsigned char *tag, const unsigned char *ct, int n,
    unsigned char *out)
{
	EVP_CIPHER_CTX *ctx;
	int len = 0, fin = 0, ok = 0;

	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		return -1;
	if (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, IV_LEN, NULL) ==
		1 &&
	    EVP_DecryptInit_ex(ctx, NULL, NULL, key, iv) == 1 &&
	    EVP_DecryptUpdate(ctx, out, &len, ct, n) == 1 && len == n &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN,
		(void *)tag) == 1 &&
	    EVP_DecryptFinal_ex(ctx, out + len, &fin) == 1 && fin == 0)
		ok = 1;
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -1;
}

/* aesKey = SHA-256(X25519(sk, phone)); -1 for a low-order phone key. */
static int
derive_key(const unsigned char sk[32], const unsigned char *phone,
    unsigned char key[32])
{
	unsigned char shared[crypto_scalarmult_BYTES];
	int rc;

	rc = crypto_scalarmult(shared, sk, phone);
	if (rc == 0)
		rc = crypto_hash_sha256(key, shared, sizeof(shared));
	sodium_memzero(shared, sizeof(shared));
	return rc == 0 ? 0 : -1;
}

int
bkey_vault_open(const char *b64, const unsigned char sk[32],
    const unsigned char *pinned, struct bkey_vault_got *got, bkey_error *err)
{
	unsigned char *blob = NULL, *pt = NULL, key[32];
	size_t n = 0, b64len = strlen(b64);
	int rc = -1;

	if (b64len == 0 || b64len > (BLOB_MAX / 3 + 1) * 4 ||
	    (blob = malloc(b64len)) == NULL ||
	    sodium_base642bin(blob, b64len, b64, b64len, NULL, &n, NULL,
		sodium_base64_VARIANT_ORIGINAL) != 0) {
		bkey_seterr(err, BKEY_ERR_PROTOCOL,
		    "vault: the ciphertext is "
		    "not usable base64");
		goto out;
	}
	if (n <= HEAD_LEN || n > BLOB_MAX) {
		bkey_seterr(err, BKEY_ERR_PROTOCOL,
		    "vault: the ciphertext is "
		    "%zu bytes, not %d..%d",
		    n, HEAD_LEN + 1, BLOB_MAX);
		goto out;
	}
	if (pinned != NULL &&
	    sodium_memcmp(blob, pinned, BKEY_VAULT_PK_LEN) != 0) {
		bkey_seterr(err, BKEY_ERR_PROTOCOL,
		    "vault: the answer comes "
		    "from another phone key than the one on record");
		goto out;
	}
	if ((pt = malloc(n - HEAD_LEN + 1)) == NULL) {
		bkey_seterr(err, BKEY_ERR_INTERNAL, "out of memory");
		goto out;
	}
	n -= HEAD_LEN;
	if (derive_key(sk, blob, key) != 0 ||
	    gcm_open(key, blob + BKEY_VAULT_PK_LEN,
		blob + BKEY_VAULT_PK_LEN + IV_LEN, blob + HEAD_LEN, (int)n,
		pt) != 0) {
		bkey_seterr(err, BKEY_ERR_PROTOCOL,
		    "vault: the ciphertext "
		    "does not decrypt (bad key or tag)");
		goto out;
	}
	pt[n] = '\0';
	if (memchr(pt, '\0', n) != NULL || !bkey_utf8_valid((char *)pt, n)) {
		bkey_seterr(err, BKEY_ERR_PROTOCOL,
		    "vault: the secret is not "
		    "UTF-8 text without NUL");
		goto out;
	}
	memcpy(got->phone_pk, blob, BKEY_VAULT_PK_LEN);
	got->secret = (char *)pt;
	got->len = n;
	pt = NULL;
	rc = 0;
out:
	sodium_memzero(key, sizeof(key));
	if (pt != NULL) {
		sodium_memzero(pt, n + 1);
		free(pt);
	}
	if (blob != NULL) {
		sodium_memzero(blob, b64len);
		free(blob);
	}
	return rc;
}

void
bkey_vault_got_free(struct bkey_vault_got *got)
{
	if (got == NULL)
		return;
	if (got->secret != NULL) {
		sodium_memzero(got->secret, got->len);
		free(got->secret);
		got->secret = NULL;
	}
	got->len = 0;
}
