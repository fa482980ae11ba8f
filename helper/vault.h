/* SPDX-License-Identifier: ISC */
/*
 * Vault access: a secret the user's phone releases after a biometric
 * approval, end-to-end encrypted to a key pair made for this one request
 * (docs/protocol.md "Vault"). Network and decryption: run only in the
 * privilege-dropped worker.
 */
#ifndef BKEY_VAULT_H
#define BKEY_VAULT_H

#include <signal.h>
#include <stddef.h>

#include "approve.h"
#include "config.h"
#include "result.h"

#define BKEY_VAULT_PK_LEN 32 /* X25519 public key */
#define BKEY_VAULT_ITEM_MAX 128
#define BKEY_VAULT_FIELD_MAX 64
#define BKEY_VAULT_ID_MAX 128
#define BKEY_VAULT_SECRET_MAX 16384 /* longest plaintext accepted */

struct bkey_vault_ask {
	const char *item, *field;    /* validated by the caller */
	const char *message;	     /* sanitized purpose, or NULL */
	const unsigned char *pinned; /* phone key that must match, or NULL */
	const char *did;	     /* whose phone: counted by push_limit */
	long timeout;		     /* seconds */
};

struct bkey_vault_got {
	char id[BKEY_VAULT_ID_MAX + 1]; /* the request's id ("" none yet) */
	unsigned char phone_pk[BKEY_VAULT_PK_LEN];
	char *secret; /* NUL-terminated; bkey_free_secret */
	size_t len;
};

/* Ask for one item and wait. BKEY_APPROVED with got->secret set, else the
 * outcome (denied, expired, unavailable, protocol, cancelled) in err. */
bkey_result bkey_vault_fetch(const struct bkey_config *c,
    const struct bkey_vault_ask *a, const volatile sig_atomic_t *cancel,
    bkey_pending_cb on_pending, struct bkey_vault_got *got, bkey_error *err);

/*
 * Open the phone's answer: base64 of phonePublicKey(32) || iv(12) ||
 * tag(16) || ciphertext, AES-256-GCM under SHA-256(X25519(sk, phone)).
 * The plaintext must be UTF-8 without NUL. 0 with got->secret, got->len and
 * got->phone_pk set; -1 (BKEY_ERR_PROTOCOL) with err.
 */
int bkey_vault_open(const char *b64, const unsigned char sk[32],
    const unsigned char *pinned, struct bkey_vault_got *got, bkey_error *err);

void bkey_vault_got_free(struct bkey_vault_got *got);

#endif
