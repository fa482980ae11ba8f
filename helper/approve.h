/* SPDX-License-Identifier: ISC */
/*
 * The whole approval in one call, like client.approve() in BKey's SDK:
 * client token (bkey dialect), CIBA initiate with a fresh 4-digit code in
 * the binding message, polling within the deadline, verification of the
 * access token (and id_token when present) against the issuer's JWKS,
 * and jti replay check.
 */
#ifndef BKEY_APPROVE_H
#define BKEY_APPROVE_H

#include <signal.h>
#include <stddef.h>
#include <time.h>
#include "config.h"
#include "jwks_cache.h"
#include "jwt.h"
#include "request.h"
#include "result.h"

struct bkey_pending {
	const char *auth_req_id;
	const char *code; /* the 4 digits */
	long expires_in;
	long interval;
};

struct bkey_approval {
	char *auth_req_id;
	char *sub, *jti, *scope;
	long long exp;
};

typedef void (*bkey_pending_cb)(const struct bkey_pending *p, void *ctx);

/*
 * Returns the outcome; on BKEY_APPROVED *out is filled (free with
 * bkey_approval_free). err->detail explains any other outcome.
 * r->did must be set. cancel may be NULL; when it becomes nonzero the
 * call returns BKEY_ERR_CANCELLED promptly (no further request is sent).
 */
bkey_result bkey_approve(const struct bkey_config *c,
    const struct bkey_request *r, const volatile sig_atomic_t *cancel,
    bkey_pending_cb on_pending, void *ctx, struct bkey_approval *out,
    bkey_error *err);
void bkey_approval_free(struct bkey_approval *a);
/* A fresh 4-digit code (into code) and the text the phone shows,
 * "[CODE] message" (or "[CODE] Approve SCOPE"), sanitized, malloc'd in
 * *out. 0, or -1 out of memory. */
int bkey_approve_binding(char *code, size_t codesz, const char *message,
    const char *scope, char **out);

/*
 * Where the jti record is made: fn answers as bkey_jti_record does (0
 * recorded, 1 replay, -1 with err). NULL (the default) records in this
 * process; bkey-approve's worker hands it to its root-side monitor.
 */
typedef int (*bkey_record_fn)(void *ctx, const char *state_dir, const char *jti,
    time_t exp, bkey_error *err);
void bkey_approve_set_recorder(bkey_record_fn fn, void *ctx);

/*
 * Verify one JWT as approvals are verified (bkey_jwt_verify against the
 * issuer's keys), refetching the JWKS once on an unknown kid; what names
 * the token in messages. 0 with cl filled, -1 with BKEY_ERR_TOKEN (or the
 * JWKS fetch's error).
 */
int bkey_approve_verify_jwt(struct bkey_jwks_cache *jc, const char *token,
    const char *what, const struct bkey_jwt_expect *want,
    struct bkey_jwt_claims *cl, bkey_error *err);

/* Route protocol diagnostics (--debug) to fn; NULL (the default) drops
 * them. Messages are sanitized and never carry secrets or tokens. */
void bkey_approve_set_debug(void (*fn)(const char *msg));

#endif
