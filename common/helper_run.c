/* SPDX-License-Identifier: ISC */
/* One approval through bkey-approve (helper_run.h). */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "helper_run.h"
#include "spawn.h"

/* Events up to the final one; the first pending one goes to on_pending. */
static int
read_events(struct bkey_child *ch, const struct bkey_ask *ask, int cancel_fd,
    bkey_pending_fn on_pending, void *ctx, struct bkey_event *ev,
    struct bkey_event *pend, bkey_error *err)
{
	long long deadline = bkey_now_ms() + ask->req.timeout * 1000LL +
	    ask->slack_ms;
	int shown = 0;

	for (;;) {
		memset(ev, 0, sizeof(*ev));
		if (bkey_spawn_next(ch, ev, deadline, cancel_fd, err) != 0)
			return -1;
		if (ev->type != BKEY_EV_PENDING)
			return 0;
		if (shown)
			continue;
		shown = 1;
		*pend = *ev;
		if (on_pending != NULL && on_pending(ev, ctx, err) != 0)
			return -1;
	}
}

/* The token must be for the DID and the scope that were asked; for a
 * user the helper mapped, the DID is the one it reports having asked. */
static bkey_result
check_asked(const struct bkey_ask *ask, const struct bkey_event *ev,
    bkey_error *err)
{
	const char *scope = ask->req.scope;
	const char *did = ask->req.did != NULL ? ask->req.did : ev->did;

	if (!bkey_did_valid(did) || (ask->req.did != NULL &&
	    ev->did[0] != '\0' && strcmp(ev->did, ask->req.did) != 0) ||
	    strcmp(ev->sub, did) != 0 ||
	    !bkey_scope_has(ev->scope, scope, strlen(scope))) {
		bkey_seterr(err, BKEY_ERR_PROTOCOL,
		    "the approval is for another DID or scope");
		return BKEY_ERR_PROTOCOL;
	}
	return BKEY_APPROVED;
}

/* Write the request, start the helper, read to its final event, reap. */
static bkey_result
run_helper(const struct bkey_ask *ask, int cancel_fd,
    bkey_pending_fn on_pending, void *ctx, struct bkey_event *final,
    bkey_error *err)
{
	struct bkey_child ch;
	struct bkey_event pend;
	char *json;
	int rc;
	bkey_result res;

	memset(final, 0, sizeof(*final));
	memset(&pend, 0, sizeof(pend));
	if ((json = bkey_request_write(&ask->req)) == NULL) {
		bkey_seterr(err, BKEY_ERR_INTERNAL, "cannot build the request");
		return BKEY_ERR_INTERNAL;
	}
	rc = bkey_spawn(&ch, ask->helper, ask->conf, ask->debug, json, err);
	bkey_free_secret(&json);
	if (rc != 0)
		return err->code;
	if (read_events(&ch, ask, cancel_fd, on_pending, ctx, final,
	    &pend, err) != 0) {
		memset(final, 0, sizeof(*final));
		res = err->code == BKEY_APPROVED ? BKEY_ERR_PROTOCOL :
		    err->code;
	} else
		res = bkey_spawn_finish(&ch, final, err);
	bkey_spawn_kill(&ch);
	if (final->auth_req_id[0] == '\0')
		memcpy(final->auth_req_id, pend.auth_req_id,
		    sizeof(final->auth_req_id));
	return res;
}

/* A final event other than the one asked for is never a success. */
static bkey_result
not_this(struct bkey_event *final, bkey_error *err)
{
	memset(final, 0, sizeof(*final));
	bkey_seterr(err, BKEY_ERR_PROTOCOL, "the helper answered another "
	    "kind of request");
	return BKEY_ERR_PROTOCOL;
}

bkey_result
bkey_helper_run(const struct bkey_ask *ask, int cancel_fd,
    bkey_pending_fn on_pending, void *ctx, struct bkey_event *final,
    bkey_error *err)
{
	bkey_result res;

	if (ask->req.recovery_code != NULL)
		return not_this(final, err);
	res = run_helper(ask, cancel_fd, on_pending, ctx, final, err);
	if (res == BKEY_APPROVED && final->type != BKEY_EV_APPROVED)
		return not_this(final, err);
	if (res == BKEY_APPROVED)
		res = check_asked(ask, final, err);
	return res;
}

bkey_result
bkey_helper_recover(const struct bkey_ask *ask, int cancel_fd,
    long *remaining, bkey_error *err)
{
	struct bkey_event final;
	bkey_result res;

	*remaining = 0;
	if (ask->req.recovery_code == NULL || ask->req.user == NULL ||
	    ask->req.did != NULL) {
		bkey_seterr(err, BKEY_ERR_INTERNAL, "not a recovery request");
		return BKEY_ERR_INTERNAL;
	}
	res = run_helper(ask, cancel_fd, NULL, NULL, &final, err);
	if (res == BKEY_APPROVED && final.type != BKEY_EV_RECOVERED)
		res = not_this(&final, err);
	if (res == BKEY_APPROVED)
		*remaining = final.remaining;
	return res;
}
