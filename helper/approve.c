/* SPDX-License-Identifier: ISC */
/*
 * The approve flow: client token (bkey dialect), initiate with a fresh
 * 4-digit code, poll within the deadline, verify the token(s), record the
 * jti. The only way to BKEY_APPROVED is through finish_approved(), after
 * every check and the replay record have succeeded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "approve.h"
#include "buf.h"
#include "ciba.h"
#include "clock.h"
#include "config.h"
#include "event.h"
#include "jti.h"
#include "jwks.h"
#include "jwks_cache.h"
#include "jwt.h"
#include "pushlimit.h"
#include "request.h"
#include "result.h"
#include "sanitize.h"
#include "users.h"

#define DEFAULT_INTERVAL_MS 5000
#define MIN_INTERVAL_MS 200
#define SLOW_DOWN_MS 5000
#define CLAIM_MAX (BKEY_EVENT_FIELD_SIZE - 1) /* fits an event field */

struct approve_run {
	const struct bkey_config *c;
	const struct bkey_request *r;
	const char *scope;
	struct bkey_ciba k;
	struct bkey_jwks_cache jc;
	long long deadline_ms;
};

void
bkey_approve_set_debug(void (*fn)(const char *msg))
{
	bkey_ciba_set_debug(fn);
}

static bkey_record_fn recorder;
static void *recorder_ctx;

void
bkey_approve_set_recorder(bkey_record_fn fn, void *ctx)
{
	recorder = fn;
	recorder_ctx = ctx;
}

static int
fetch_jwks(void *ctx, const char *url, bkey_buf *body, bkey_error *err)
{
	struct approve_run *run = ctx;

	return bkey_ciba_get(&run->k, url, run->deadline_ms, body, err);
}

int
bkey_approve_verify_jwt(struct bkey_jwks_cache *jc, const char *token,
    const char *what, const struct bkey_jwt_expect *want,
    struct bkey_jwt_claims *cl, bkey_error *err)
{
	const struct bkey_jwks *ks = NULL;
	char why[BKEY_DETAIL_MAX];
	int rc;

	memset(cl, 0, sizeof(*cl));
	if (bkey_jwks_cache_get(jc, &ks, err) != 0)
		return -1;
	rc = bkey_jwt_verify(token, ks, want, cl, err);
	if (rc == BKEY_JWT_UNKNOWN_KID) {
		bkey_jwt_claims_free(cl);
		memset(cl, 0, sizeof(*cl));
		rc = bkey_jwks_cache_refresh(jc, &ks, err);
		if (rc < 0)
			return -1;
		if (rc == 0)
			rc = bkey_jwt_verify(token, ks, want, cl, err);
		else
			rc = BKEY_JWT_UNKNOWN_KID;
		if (rc == BKEY_JWT_UNKNOWN_KID) {
			bkey_jwt_claims_free(cl);
			memset(cl, 0, sizeof(*cl));
			return bkey_seterr(err, BKEY_ERR_TOKEN,
			    "%s: signed by a key the issuer does not publish",
			    what);
		}
	}
	if (rc != 0) {
		bkey_jwt_claims_free(cl);
		memset(cl, 0, sizeof(*cl));
		/* Keep the verifier's reason, name the token. */
		(void)snprintf(why, sizeof(why), "%s", err->detail);
		return bkey_seterr(err, BKEY_ERR_TOKEN, "%s: %s", what, why);
	}
	return 0;
}

static int
printable_claim(const char *s)
{
	return s != NULL && bkey_text_printable(s, strlen(s), CLAIM_MAX);
}

/* What both tokens must show: our issuer, the DID asked, valid now. */
static void
expect_base(const struct approve_run *run, struct bkey_jwt_expect *want)
{
	memset(want, 0, sizeof(*want));
	want->issuer = run->c->issuer;
	want->sub = run->r->did;
	want->leeway = run->c->clock_leeway;
	want->now = time(NULL);
	want->algs = run->c->token_algs;
}

/* The access token: verified (the verifier checks sub against the DID
 * asked and, when the token names a request, that it is this one), with
 * a jti and exp. */
static int
check_access_token(struct approve_run *run, const char *token,
    const char *auth_req_id, struct bkey_jwt_claims *at, bkey_error *err)
{
	struct bkey_jwt_expect want;

	expect_base(run, &want);
	/* An audience is always configured (client_id by default), and
	 * BKey's tokens always carry one: a token without it is not ours. */
	want.audience = run->c->audience;
	want.require_aud = 1;
	want.scope = run->scope;
	want.auth_req_id = auth_req_id;
	if (bkey_approve_verify_jwt(&run->jc, token, "access token", &want, at,
		err) != 0)
		return -1;
	if (!printable_claim(at->jti))
		return bkey_seterr(err, BKEY_ERR_TOKEN,
		    "access token: no usable jti (needed for replay protection)");
	if (at->exp <= 0)
		return bkey_seterr(err, BKEY_ERR_TOKEN, "access token: no exp");
	return 0;
}

/* The id_token, when sent: verified, ours, for this request and DID. */
static int
check_id_token(struct approve_run *run, const char *token,
    const char *auth_req_id, struct bkey_jwt_claims *idt, bkey_error *err)
{
	struct bkey_jwt_expect want;

	expect_base(run, &want);
	want.audience = run->c->client_id;
	want.require_aud = 1;
	want.auth_req_id = auth_req_id;
	if (bkey_approve_verify_jwt(&run->jc, token, "id_token", &want, idt,
		err) != 0)
		return -1;
	return 0;
}

/* The approval handed back, copied from the verified access token. */
static bkey_result
fill_approval(struct bkey_approval *out, const char *auth_req_id,
    const struct bkey_jwt_claims *at, const char *scope, bkey_error *err)
{
	out->auth_req_id = strdup(auth_req_id);
	out->sub = strdup(at->sub);
	out->jti = strdup(at->jti);
	out->scope = strdup(scope);
	out->exp = at->exp;
	if (out->auth_req_id == NULL || out->sub == NULL || out->jti == NULL ||
	    out->scope == NULL) {
		bkey_approval_free(out);
		bkey_seterr(err, BKEY_ERR_INTERNAL, "out of memory");
		return BKEY_ERR_INTERNAL;
	}
	return BKEY_APPROVED;
}

/*
 * Verify the approval: access token (and id_token when sent), then record
 * the jti. Fills out only when everything holds.
 */
static bkey_result
finish_approved(struct approve_run *run, const struct bkey_ciba_poll *p,
    const char *auth_req_id, struct bkey_approval *out, bkey_error *err)
{
	struct bkey_jwt_claims at, idt;
	bkey_result res = BKEY_ERR_TOKEN;
	int rc;

	memset(&at, 0, sizeof(at));
	memset(&idt, 0, sizeof(idt));
	if (p->access_token == NULL) {
		bkey_seterr(err, BKEY_ERR_PROTOCOL, "approved without a token");
		return BKEY_ERR_PROTOCOL;
	}
	if (check_access_token(run, p->access_token, auth_req_id, &at, err) !=
		0 ||
	    (p->id_token != NULL &&
		check_id_token(run, p->id_token, auth_req_id, &idt, err) != 0))
		goto fail;
	rc = recorder != NULL ?
	    recorder(recorder_ctx, run->c->state_dir, at.jti, (time_t)at.exp,
		err) :
	    bkey_jti_record(run->c->state_dir, at.jti, (time_t)at.exp, err);
	if (rc == 1) {
		bkey_seterr(err, BKEY_ERR_TOKEN, "token replayed");
		goto fail;
	}
	if (rc != 0) {
		res = err->code == BKEY_ERR_CONFIG ? BKEY_ERR_CONFIG :
						     BKEY_ERR_INTERNAL;
		err->code = res;
		goto out;
	}
	res = fill_approval(out, auth_req_id, &at, run->scope, err);
	goto out;
fail:
	res = err->code != BKEY_ERR_TOKEN && err->code != BKEY_APPROVED ?
	    err->code :
	    BKEY_ERR_TOKEN;
	err->code = res;
out:
	bkey_jwt_claims_free(&at);
	bkey_jwt_claims_free(&idt);
	return res;
}

static long
effective_expiry(const struct bkey_config *c, long timeout)
{
	/* The default is this run's timeout, not the configured one. */
	long e = c->requested_expiry_set && c->requested_expiry > 0 ?
	    c->requested_expiry :
	    timeout;

	/* No point asking the phone to wait longer than we will. */
	if (timeout < e)
		e = timeout;
	return bkey_expiry_clamp(e);
}

/* "[CODE] message", capped as a whole at BKEY_MESSAGE_MAX bytes. */
int
bkey_approve_binding(char *code, size_t codesz, const char *message,
    const char *scope, char **out)
{
	bkey_buf raw;
	uint32_t n = randombytes_uniform(10000);

	*out = NULL;
	(void)snprintf(code, codesz, "%04u", (unsigned)n);
	bkey_buf_init(&raw, 4096);
	if (message != NULL && message[0] != '\0')
		bkey_buf_printf(&raw, "[%s] %s", code, message);
	else
		bkey_buf_printf(&raw, "[%s] Approve %s", code, scope);
	if (!raw.failed)
		*out = bkey_sanitize(raw.data, raw.len, BKEY_MESSAGE_MAX);
	bkey_buf_free(&raw);
	return *out != NULL ? 0 : -1;
}

/* Poll until an outcome, the deadline or expires_in. */
static bkey_result
poll_loop(struct approve_run *run, const struct bkey_ciba_started *st,
    long long started_ms, struct bkey_approval *out, bkey_error *err)
{
	struct bkey_ciba_poll p;
	long long limit, next, last;
	long interval_ms;
	bkey_result res;
	int expires_first;

	interval_ms = st->interval < 0 ? DEFAULT_INTERVAL_MS :
					 st->interval * 1000L;
	if (interval_ms < MIN_INTERVAL_MS)
		interval_ms = MIN_INTERVAL_MS;
	limit = started_ms + (long long)st->expires_in * 1000;
	expires_first = limit < run->deadline_ms;
	if (!expires_first)
		limit = run->deadline_ms;
	/* The first poll is an interval after the initiate's answer (+1: the
	 * clock is in whole ms, never a hair early). */
	last = bkey_now_ms() + 1;

	for (;;) {
		next = last + interval_ms;
		if (next >= limit) {
			/* No poll fits before the end: wait it out. */
			if (bkey_ciba_sleep_until(run->k.cancel, limit, err) !=
			    0)
				return BKEY_ERR_CANCELLED;
			bkey_seterr(err, BKEY_EXPIRED,
			    expires_first ?
				"no answer before the request expired" :
				"no answer before the timeout");
			return BKEY_EXPIRED;
		}
		if (bkey_ciba_sleep_until(run->k.cancel, next, err) != 0)
			return BKEY_ERR_CANCELLED;
		if (bkey_ciba_poll(&run->k, st->auth_req_id, interval_ms, limit,
			&p, err) != 0)
			return err->code;
		/* Space polls from the end of the previous answer. */
		last = bkey_now_ms() + 1;
		switch (p.state) {
		case BKEY_POLL_PENDING:
			break;
		case BKEY_POLL_SLOW_DOWN:
			interval_ms += SLOW_DOWN_MS;
			bkey_ciba_debug("slow_down: interval now %ld ms",
			    interval_ms);
			break;
		case BKEY_POLL_DENIED:
			bkey_ciba_poll_free(&p);
			bkey_seterr(err, BKEY_DENIED, "denied");
			return BKEY_DENIED;
		case BKEY_POLL_EXPIRED:
			bkey_ciba_poll_free(&p);
			bkey_seterr(err, BKEY_EXPIRED,
			    "the request expired unanswered");
			return BKEY_EXPIRED;
		case BKEY_POLL_APPROVED:
			res = finish_approved(run, &p, st->auth_req_id, out,
			    err);
			bkey_ciba_poll_free(&p);
			return res;
		}
		bkey_ciba_poll_free(&p);
	}
}

/* Tell the caller the request is out. What the user is told is how long
 * we will really wait: the server's lifetime or our own deadline,
 * whichever ends first. */
static void
report_pending(const struct approve_run *run,
    const struct bkey_ciba_started *st, const char *code,
    bkey_pending_cb on_pending, void *ctx)
{
	struct bkey_pending pend;
	long long left = (run->deadline_ms - bkey_now_ms() + 999) / 1000;

	pend.auth_req_id = st->auth_req_id;
	pend.code = code;
	pend.expires_in = left < st->expires_in ? (left < 0 ? 0 : (long)left) :
						  st->expires_in;
	pend.interval = st->interval < 0 ? DEFAULT_INTERVAL_MS / 1000 :
					   st->interval;
	on_pending(&pend, ctx);
}

/*
 * The push: counted against push_limit first (per DID: one person, one
 * count, however the request named them), and given back when no phone
 * can have been bothered: the request never reached the service, or the
 * service answered 5xx, so an outage does not use up the budget the
 * break-glass path waits behind. A request that went out and got no
 * answer (a timeout, a drop) stays counted: it may have pushed.
 */
static int
initiate(struct approve_run *run, const char *binding, long timeout,
    struct bkey_ciba_started *st, bkey_error *err)
{
	const struct bkey_config *c = run->c;
	const struct bkey_request *r = run->r;
	long long stamp;

	if (bkey_push_take(c, r->did, &stamp, err) != 0)
		return -1;
	if (bkey_ciba_initiate(&run->k, r->did, run->scope, binding, r->details,
		effective_expiry(c, timeout), run->deadline_ms, st, err) == 0)
		return 0;
	if (err->code == BKEY_ERR_UNAVAILABLE && !run->k.unanswered)
		bkey_push_give_back(c, r->did, stamp);
	return -1;
}

bkey_result
bkey_approve(const struct bkey_config *c, const struct bkey_request *r,
    const volatile sig_atomic_t *cancel, bkey_pending_cb on_pending, void *ctx,
    struct bkey_approval *out, bkey_error *err)
{
	struct approve_run run;
	struct bkey_ciba_started st;
	char *binding = NULL;
	char code[8];
	long timeout;
	long long started_ms;
	bkey_result res;
	int have_ciba = 0;

	memset(out, 0, sizeof(*out));
	memset(&st, 0, sizeof(st));
	memset(&run, 0, sizeof(run));
	memset(err, 0, sizeof(*err));
	if (c == NULL || r == NULL || r->did == NULL ||
	    !bkey_did_valid(r->did)) {
		bkey_seterr(err, BKEY_ERR_USAGE, "no valid DID to ask");
		res = BKEY_ERR_USAGE;
		goto out;
	}
	run.c = c;
	run.r = r;
	run.scope = (r->scope != NULL && r->scope[0] != '\0') ? r->scope :
								c->scope;
	timeout = r->timeout > 0 ? r->timeout :
	    c->timeout > 0	 ? c->timeout :
				   BKEY_TIMEOUT_DEFAULT;
	run.deadline_ms = bkey_now_ms() + timeout * 1000LL;
	bkey_jwks_cache_init(&run.jc, c->state_dir, c->jwks_uri, fetch_jwks,
	    &run);
	run.jc.algs = c->token_algs;
	if (bkey_ciba_init(&run.k, c, cancel, err) != 0)
		goto fail;
	have_ciba = 1;
	if (c->dialect == BKEY_DIALECT_BKEY &&
	    bkey_ciba_client_token(&run.k, run.deadline_ms, err) != 0)
		goto fail;
	if (bkey_approve_binding(code, sizeof(code), r->message, run.scope,
		&binding) != 0) {
		bkey_seterr(err, BKEY_ERR_INTERNAL, "out of memory");
		goto fail;
	}
	started_ms = bkey_now_ms();
	if (initiate(&run, binding, timeout, &st, err) != 0)
		goto fail;
	bkey_ciba_debug("initiated: auth_req_id %s, expires_in %ld, "
			"interval %ld",
	    st.auth_req_id, st.expires_in, st.interval);
	if (on_pending != NULL)
		report_pending(&run, &st, code, on_pending, ctx);
	res = poll_loop(&run, &st, started_ms, out, err);
	goto out;
fail:
	res = err->code != BKEY_APPROVED ? err->code : BKEY_ERR_INTERNAL;
out:
	if (res != BKEY_APPROVED)
		bkey_approval_free(out);
	if (res != BKEY_APPROVED && err->code != res)
		err->code = res;
	bkey_jwks_cache_free(&run.jc);
	bkey_ciba_started_free(&st);
	if (have_ciba)
		bkey_ciba_free(&run.k);
	free(binding);
	return res;
}

void
bkey_approval_free(struct bkey_approval *a)
{
	if (a == NULL)
		return;
	free(a->auth_req_id);
	free(a->sub);
	free(a->jti);
	free(a->scope);
	memset(a, 0, sizeof(*a));
}
