/* SPDX-License-Identifier: ISC */
/*
 * Unit tests: opening the phone's vault answer (helper/vault_crypto.c)
 * against fixed vectors sealed by the mock's phone (tests/mock/
 * mock_vault.py, Vault.seal) with fixed keys and iv:
 *   client secret key = bytes 0x01..0x20, phone private key = 0x40..0x5f,
 *   impostor private key = 0x60..0x7f, iv = 0xa0..0xab,
 *   secret "Pg-adm1n-été" (each fault of the mock applied to it).
 * Made with /usr/bin/python3, tests/mock on sys.path:
 *   mock_vault.secrets.token_bytes = lambda n: bytes(range(0xa0, 0xa0+n))
 *   v = mock_vault.Vault(); v.phone = PrivateKey(bytes(range(0x40, 0x60)))
 *   v.seal(dict(VAULT_DEFAULTS, secret=..., fault=F),
 *          crypto_scalarmult_base(bytes(range(1, 33))))
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "unit.h"
#include "vault.h"

#define SECRET "Pg-adm1n-\xc3\xa9t\xc3\xa9"
#define V_GOOD                                                             \
	"eaYx7t4b+cmPEgMs3q3Q56B5OY/HhriMyEbsia+FpRqgoaKjpKWmp6ipqqs6UdBFM8EK" \
	"O4feRleKbUdNFPUp4yFCzX/BtTw5dRY="
#define V_NON_UTF8                                                         \
	"eaYx7t4b+cmPEgMs3q3Q56B5OY/HhriMyEbsia+FpRqgoaKjpKWmp6ipqquqCURElZkU" \
	"pLsEAzCui4anu2xU5WhOmHzdGLiOH8s4zA=="
#define V_NUL                                                              \
	"eaYx7t4b+cmPEgMs3q3Q56B5OY/HhriMyEbsia+FpRqgoaKjpKWmp6ipqqsL3pMXYpP2" \
	"wqNo5achk+RHFPUp4yFCzX/BtTw5dRb7ES2EzA=="
#define V_BAD_TAG                                                          \
	"eaYx7t4b+cmPEgMs3q3Q56B5OY/HhriMyEbsia+FpRqgoaKjpKWmp6ipqqs7UdBFM8EK" \
	"O4feRleKbUdNFPUp4yFCzX/BtTw5dRY="
#define V_TRUNCATED                                                        \
	"eaYx7t4b+cmPEgMs3q3Q56B5OY/HhriMyEbsia+FpRqgoaKjpKWmp6ipqqs6UdBFM8E="
#define V_WRONG_KEY                                                        \
	"Z13VdO13iTELPS52gfN5C0ZsdzsVIf7PNld5WDcepS+goaKjpKWmp6ipqqtFg1gttvl4" \
	"GewFupCAF7+oRiCE/cvdcgjD/qHvOaQ="

static const unsigned char phone[32] = { 0x79, 0xa6, 0x31, 0xee, 0xde, 0x1b,
	0xf9, 0xc9, 0x8f, 0x12, 0x03, 0x2c, 0xde, 0xad, 0xd0, 0xe7, 0xa0, 0x79,
	0x39, 0x8f, 0xc7, 0x86, 0xb8, 0x8c, 0xc8, 0x46, 0xec, 0x89, 0xaf, 0x85,
	0xa5, 0x1a };
static const unsigned char impostor[32] = { 0x67, 0x5d, 0xd5, 0x74, 0xed,
	0x77, 0x89, 0x31, 0x0b, 0x3d, 0x2e, 0x76, 0x81, 0xf3, 0x79, 0x0b, 0x46,
	0x6c, 0x77, 0x3b, 0x15, 0x21, 0xfe, 0xcf, 0x36, 0x57, 0x79, 0x58, 0x37,
	0x1e, 0xa5, 0x2f };
static unsigned char sk[32];

/* Open b64 (pinned or NULL): 0 with got filled, or -1 with err. */
static int
open_it(const char *b64, const unsigned char *pinned,
    struct bkey_vault_got *got, bkey_error *err)
{
	memset(got, 0, sizeof(*got));
	memset(err, 0, sizeof(*err));
	return bkey_vault_open(b64, sk, pinned, got, err);
}

/* b64 must be refused: BKEY_ERR_PROTOCOL, why in the detail, no secret. */
static int
refused(const char *b64, const unsigned char *pinned, const char *why)
{
	struct bkey_vault_got got;
	bkey_error err;
	int ok;

	ok = open_it(b64, pinned, &got, &err) == -1 &&
	    err.code == BKEY_ERR_PROTOCOL && strstr(err.detail, why) != NULL &&
	    got.secret == NULL && got.len == 0;
	if (!ok)
		printf("# %s: \"%s\"\n", why, err.detail);
	bkey_vault_got_free(&got);
	return ok;
}

static void
test_good(void)
{
	struct bkey_vault_got got;
	bkey_error err;

	CHECK(open_it(V_GOOD, NULL, &got, &err) == 0);
	CHECK_STR(got.secret, SECRET);
	CHECK(got.len == strlen(SECRET));
	CHECK(memcmp(got.phone_pk, phone, 32) == 0);
	bkey_vault_got_free(&got);
	CHECK(got.secret == NULL && got.len == 0);
	/* pinned to the phone that sealed it */
	CHECK(open_it(V_GOOD, phone, &got, &err) == 0);
	CHECK_STR(got.secret, SECRET);
	bkey_vault_got_free(&got);
}

static void
test_swapped_key(void)
{
	struct bkey_vault_got got;
	bkey_error err;

	/* Unpinned, another phone's answer opens (BKey's own client). */
	CHECK(open_it(V_WRONG_KEY, NULL, &got, &err) == 0);
	CHECK(memcmp(got.phone_pk, impostor, 32) == 0);
	bkey_vault_got_free(&got);
	CHECK(refused(V_WRONG_KEY, phone, "another phone key"));
	CHECK(refused(V_GOOD, impostor, "another phone key"));
}

static void
test_faults(void)
{
	CHECK(refused(V_BAD_TAG, NULL, "does not decrypt"));
	CHECK(refused(V_TRUNCATED, NULL, "bytes, not"));
	CHECK(refused(V_NON_UTF8, NULL, "not UTF-8"));
	CHECK(refused(V_NUL, NULL, "without NUL"));
	CHECK(refused("", NULL, "not usable base64"));
	CHECK(refused("eaYx7t4b-cmPEgMs", NULL, "not usable base64"));
	/* the head alone: no ciphertext byte */
	CHECK(refused("eaYx7t4b+cmPEgMs3q3Q56B5OY/HhriMyEbsia+FpRqgoaKjpKWmp6"
		      "ipqqs6UdBFM8EKO4feRleKbUdN",
	    NULL, "60 bytes, not"));
}

static void
test_other_client_key(void)
{
	/* Sealed to another client key: the tag fails. (Not byte 0's low
	 * bits: X25519 clears them, the scalar would be the same.) */
	sk[1] ^= 1;
	CHECK(refused(V_GOOD, NULL, "does not decrypt"));
	sk[1] ^= 1;
}

int
main(void)
{
	size_t i;

	unit_suite = "vault_open";
	if (sodium_init() < 0)
		return 2;
	for (i = 0; i < sizeof(sk); i++)
		sk[i] = (unsigned char)(i + 1);
	RUN(test_good);
	RUN(test_swapped_key);
	RUN(test_faults);
	RUN(test_other_client_key);
	UNIT_DONE();
}
