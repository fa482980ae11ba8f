/* SPDX-License-Identifier: ISC */
/*
 * What bkey-approve says: JSON event lines on stdout (--json, and always
 * with --request-stdin), or short lines for a person on stderr; --debug
 * diagnostics on stderr. Nothing here ever prints a secret or a token.
 */
#ifndef BKEY_OUTPUT_H
#define BKEY_OUTPUT_H

#include "approve.h"
#include "result.h"

void bkey_out_init(int json, int debug);
int bkey_out_json(void);
/* The helper mapped a "user" itself: did goes into pending and approved
 * events; unknown_user marks the error event of a user with no DID. */
void bkey_out_mapped(const char *did);
void bkey_out_unknown_user(void);
/* The approval is a vault access: no token, so no jti or exp. */
void bkey_out_vault(void);

/* --debug line: "bkey-approve: debug: ..." (sanitized). */
void bkey_out_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void bkey_out_debug_msg(const char *msg); /* for bkey_approve_set_debug */

/* The code and expiry, as soon as the request is started. */
void bkey_out_pending(const struct bkey_pending *p, void *ctx);

/*
 * The one final outcome. a is used for BKEY_APPROVED, err for errors.
 * Returns 0, or -1 if it could not be written (stdout gone).
 */
int bkey_out_final(bkey_result res, const struct bkey_approval *a,
    const bkey_error *err);

#endif
