/* SPDX-License-Identifier: ISC */
/*
 * Asking bkey-approve for one approval: the one call both modules make.
 * It writes the request, starts the helper (spawn.h), reports the pending
 * event, waits, reaps, and decides "approved" once for the module's side
 * of the boundary: the final event approves, the exit status agrees, and
 * the token is for the DID and scope that were asked.
 */
#ifndef BKEY_HELPER_RUN_H
#define BKEY_HELPER_RUN_H

#include "event.h"
#include "request.h"
#include "result.h"

struct bkey_ask {
	const char *helper;		/* absolute path (spawn.h's rules) */
	const char *conf;		/* NULL: the helper's default */
	int debug;
	struct bkey_request_spec req;	/* req.timeout is also the wait's */
	long slack_ms;			/* past req.timeout before the wait
					 * gives up on the helper */
};

/*
 * Called for the first pending event (the code to show). 0 to go on; -1
 * with err set to abort the request (the helper is killed).
 */
typedef int (*bkey_pending_fn)(const struct bkey_event *ev, void *ctx,
    bkey_error *err);

/*
 * Run one approval. cancel_fd (may be -1) readable = cancelled. *final
 * gets the helper's final event (type BKEY_EV_NONE if none came) and, in
 * any case, the auth_req_id of the pending event when the final one has
 * none. Returns BKEY_APPROVED only for a verified approval of exactly
 * what was asked; every other result is a failure with err saying why.
 * The helper is reaped or killed before return; the request is wiped.
 */
bkey_result bkey_helper_run(const struct bkey_ask *ask, int cancel_fd,
    bkey_pending_fn on_pending, void *ctx, struct bkey_event *final,
    bkey_error *err);

/*
 * Check a break-glass code instead (ask->req.recovery_code, for
 * ask->req.user; see bkey-approve's recovery.c): BKEY_APPROVED only for a
 * "recovered" final event with exit 0, the code then burned and
 * *remaining the codes left; a wrong or locked-out code is BKEY_DENIED.
 * The request (and the code in it) is wiped; the caller wipes its own.
 */
bkey_result bkey_helper_recover(const struct bkey_ask *ask, int cancel_fd,
    long *remaining, bkey_error *err);

#endif
