/* SPDX-License-Identifier: ISC */
/*
 * CIBA protocol requests (docs/protocol.md), both dialects.
 * bkey: client token by client_credentials, JSON initiate with Bearer,
 *       polls with client_id/client_secret in the form body.
 * ciba: form-encoded initiate and polls, client_secret_basic.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sodium.h>

#include "buf.h"
#include "ciba.h"
#include "clock.h"
#include "config.h"
#include "event.h"
#include "http.h"
#include "json.h"
#include "jsonw.h"
#include "result.h"
#include "sanitize.h"

#define FORM_CT "application/x-www-form-urlencoded"
#define JSON_CT "application/json"
#define BACKOFF_FIRST_MS 250
#define BACKOFF_MAX_MS 2000
#define SLEEP_SLICE_MS 20
#define OUTAGE_SLACK_MS 100
#define AUTH_REQ_ID_MAX (BKEY_EVENT_FIELD_SIZE - 1) /* fits the event */

static void (*debug_fn)(const char *msg);

void
bkey_ciba_set_debug(void (*fn)(const char *msg))
{
	debug_fn = fn;
}

void
bkey_ciba_debug(const char *fmt, ...)
{
	char raw[512], clean[512];
	va_list ap;

	if (debug_fn == NULL)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	bkey_sanitize_into(clean, sizeof(clean), raw, strlen(raw));
	debug_fn(clean);
}

int
bkey_ciba_sleep_until(const volatile sig_atomic_t *cancel,
    long long deadline_ms, bkey_error *err)
{
	struct timespec ts;
	long long left;

	for (;;) {
		if (cancel != NULL && *cancel)
			return bkey_seterr(err, BKEY_ERR_CANCELLED,
			    "cancelled");
		left = deadline_ms - bkey_now_ms();
		if (left <= 0)
			return 0;
		if (left > SLEEP_SLICE_MS)
			left = SLEEP_SLICE_MS;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)left * 1000000L;
		/* EINTR (the signal that sets *cancel) just loops. */
		(void)nanosleep(&ts, NULL);
	}
}

int
bkey_ciba_init(struct bkey_ciba *k, const struct bkey_config *c,
    const volatile sig_atomic_t *cancel, bkey_error *err)
{
	memset(k, 0, sizeof(*k));
	k->c = c;
	k->cancel = cancel;
	bkey_outage_init(&k->outage, c->unavailable_after, c->connect_timeout);
	if ((k->http = bkey_http_new(c, cancel, err)) == NULL)
		return -1;
	return 0;
}

void
bkey_ciba_free(struct bkey_ciba *k)
{
	if (k == NULL)
		return;
	bkey_http_free(k->http);
	k->http = NULL;
	bkey_free_secret(&k->client_token);
}

void
bkey_outage_init(struct bkey_outage *o, long unavailable_after_s,
    long connect_timeout_s)
{
	memset(o, 0, sizeof(*o));
	o->budget_ms = (unavailable_after_s > 0 ? unavailable_after_s : 0) *
	    1000LL;
	o->connect_ms = (connect_timeout_s > 0 ? connect_timeout_s :
						 BKEY_CONNECT_TIMEOUT_DEFAULT) *
	    1000LL;
}

void
bkey_outage_failed(struct bkey_outage *o, long long start_ms)
{
	if (o->failing)
		return;
	o->failing = 1;
	o->since_ms = start_ms;
}

void
bkey_outage_answered(struct bkey_outage *o, long long now_ms)
{
	if (!o->failing)
		return;
	o->failing = 0;
	o->floor_ms = 0;
	if (now_ms > o->since_ms)
		o->spent_ms += now_ms - o->since_ms;
}

void
bkey_outage_grant(struct bkey_outage *o, long long floor_ms)
{
	if (o->failing && floor_ms > o->floor_ms)
		o->floor_ms = floor_ms;
}

/* What the stretch under way may still last from its start. */
static long long
stretch_ms(const struct bkey_outage *o)
{
	long long left = o->budget_ms - o->spent_ms;

	return left > o->floor_ms ? left : o->floor_ms;
}

/* Less OUTAGE_SLACK_MS for starting and answering, so that the whole run
 * keeps within the budget. */
long long
bkey_outage_end(const struct bkey_outage *o)
{
	return o->since_ms + stretch_ms(o) - OUTAGE_SLACK_MS;
}

/*
 * A retry must be over by the stretch's end. A request's first attempt,
 * begun while the service answers, may take connect_timeout plus what is
 * left of the budget: should it fail, the stretch counts from its start,
 * so nothing is left by then and it is the last. So the decision comes
 * within connect_timeout + unavailable_after of the start of the first
 * failed attempt, whatever the outage: a silent server costs that one
 * attempt, a refused connection fails at once and is retried for about
 * unavailable_after. (A first attempt inside a stretch, after an earlier
 * request gave up, is bounded the same way by connect_timeout alone.)
 */
long long
bkey_outage_attempt_ms(const struct bkey_outage *o, long long now_ms, int retry)
{
	long long left = o->budget_ms - o->spent_ms;

	if (o->failing)
		left = stretch_ms(o) - (now_ms - o->since_ms);
	if (retry)
		return left - OUTAGE_SLACK_MS;
	return o->connect_ms + (left > 0 ? left : 0) - OUTAGE_SLACK_MS;
}

/* One attempt of at most timeout_ms; 1 when it failed in a way worth
 * retrying (last says how), 0 with a non-5xx answer in resp, -1 with err
 * for any other failure. */
static int
attempt(struct bkey_ciba *k, struct bkey_http_req *rq,
    struct bkey_http_resp *resp, long long timeout_ms, char *last,
    size_t lastsz, bkey_error *err)
{
	bkey_error e;

	rq->timeout_ms = timeout_ms < BKEY_CIBA_REQ_TIMEOUT_MS ?
	    (long)timeout_ms :
	    BKEY_CIBA_REQ_TIMEOUT_MS;
	memset(&e, 0, sizeof(e));
	if (bkey_http_do(k->http, rq, resp, &e) == 0) {
		if (resp->status < 500)
			return 0;
		(void)snprintf(last, lastsz, "HTTP %ld", resp->status);
		bkey_buf_free(&resp->body);
		return 1;
	}
	if (e.code != BKEY_ERR_UNAVAILABLE) {
		if (err != NULL)
			*err = e;
		return -1;
	}
	if (resp->sent)
		k->unanswered = 1;
	(void)snprintf(last, lastsz, "%s", e.detail);
	return 1;
}

/* The longest the next attempt may take: the outage budget's bound, never
 * past deadline_ms (the person's whole wait; *cut says it is what
 * bounds the attempt). */
static long long
attempt_ms(const struct bkey_ciba *k, long long deadline_ms, int retry,
    int *cut)
{
	long long now = bkey_now_ms(),
		  ms = bkey_outage_attempt_ms(&k->outage, now, retry);

	*cut = deadline_ms - now < ms;
	return *cut ? deadline_ms - now : ms;
}

/*
 * Send rq, retrying connection failures and 5xx answers with backoff
 * within the run's outage budget (bkey_outage_attempt_ms). A retry never
 * comes sooner than min_gap_ms after the failed attempt ended: a poll's
 * retry is still a poll, bound by the interval. 0 with any non-5xx
 * response in resp (caller frees the body).
 */
static int
send_retry(struct bkey_ciba *k, struct bkey_http_req *rq,
    struct bkey_http_resp *resp, long long deadline_ms, long min_gap_ms,
    const char *what, bkey_error *err)
{
	long backoff = BACKOFF_FIRST_MS, wait;
	long long ms, start, end;
	char last[BKEY_DETAIL_MAX] = "no answer", first[BKEY_DETAIL_MAX] = "";
	int rc, tries = 0, cut;

	k->unanswered = 0;
	while ((ms = attempt_ms(k, deadline_ms, tries > 0, &cut)) > 0) {
		tries++;
		start = bkey_now_ms();
		rc = attempt(k, rq, resp, ms, last, sizeof(last), err);
		if (rc == 0)
			bkey_outage_answered(&k->outage, bkey_now_ms());
		if (rc <= 0)
			return rc;
		/* No answer within an attempt that the person's deadline cut
		 * short (not the outage budget): the time is up, which tells
		 * nothing of an outage (failmode=safe must not see one in a
		 * slow last answer). A failure that came at once still does. */
		if (cut && resp->timed_out)
			return bkey_seterr(err, BKEY_EXPIRED,
			    "%s: no answer before the timeout (%s)", what,
			    last);
		bkey_outage_failed(&k->outage, start);
		if (tries == 1)
			(void)snprintf(first, sizeof(first), "%s", last);
		wait = backoff > min_gap_ms ? backoff : min_gap_ms;
		/* A poll's retry waits the interval, which may be as long as
		 * the whole budget (both 5 s by default): the person's wait
		 * still gets that one retry, of connect_timeout. */
		if (min_gap_ms > 0 && tries == 1)
			bkey_outage_grant(&k->outage,
			    bkey_now_ms() - k->outage.since_ms + 1 + wait +
				k->outage.connect_ms + 2 * OUTAGE_SLACK_MS);
		end = bkey_outage_end(&k->outage);
		if (end > deadline_ms)
			end = deadline_ms;
		/* +1: the clock is in whole ms; never a hair early. */
		if (bkey_now_ms() + 1 + wait >= end) {
			bkey_ciba_debug("%s failed (%s), outage budget spent",
			    what, last);
			break;
		}
		bkey_ciba_debug("%s failed (%s), retrying in %ld ms", what,
		    last, wait);
		if (bkey_ciba_sleep_until(k->cancel, bkey_now_ms() + 1 + wait,
			err) != 0)
			return -1;
		backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS :
							 backoff * 2;
	}
	/* The first failure names the cause; the last may only be a retry
	 * that the budget cut short. */
	if (tries > 1 && strcmp(first, last) != 0)
		return bkey_seterr(err, BKEY_ERR_UNAVAILABLE,
		    "%s: %s (the "
		    "last: %s; %d attempts)",
		    what, first, last, tries);
	return bkey_seterr(err, BKEY_ERR_UNAVAILABLE, "%s: %s (%d attempt%s)",
	    what, last, tries, tries == 1 ? "" : "s");
}

int
bkey_ciba_send(struct bkey_ciba *k, struct bkey_http_req *rq,
    struct bkey_http_resp *resp, long long deadline_ms, long min_gap_ms,
    const char *what, bkey_error *err)
{
	return send_retry(k, rq, resp, deadline_ms, min_gap_ms, what, err);
}

/* Parse a JSON object body; -1 (PROTOCOL) if it is not one. */
static int
parse_body(const struct bkey_http_resp *resp, bkey_json *j, const char *what,
    bkey_error *err)
{
	if (resp->body.data == NULL || resp->body.len == 0 ||
	    bkey_json_parse(j, resp->body.data, resp->body.len) != 0)
		return bkey_seterr(err, BKEY_ERR_PROTOCOL,
		    "%s: HTTP %ld with a body that is not a JSON object", what,
		    resp->status);
	return 0;
}

/* The server's "error" (and description), sanitized and short. */
static void
server_error(const bkey_json *j, char *code, size_t codesz, char *desc,
    size_t descsz)
{
	char *s = NULL;

	code[0] = desc[0] = '\0';
	if (bkey_json_get_str(j, 0, "error", &s) == 0 && s != NULL) {
		bkey_sanitize_into(code, codesz, s, strlen(s));
		free(s);
		s = NULL;
	}
	if (bkey_json_get_str(j, 0, "error_description", &s) == 0 &&
	    s != NULL) {
		bkey_sanitize_into(desc, descsz, s, strlen(s));
		free(s);
	}
}

/* Fatal 4xx (and other unexpected statuses) from a request. */
static int
refused(const struct bkey_http_resp *resp, const char *what, bkey_error *err)
{
	bkey_json j;
	char code[64], desc[128];
	const char *hint = "";

	code[0] = desc[0] = '\0';
	if (resp->body.data != NULL && resp->body.len > 0 &&
	    bkey_json_parse(&j, resp->body.data, resp->body.len) == 0) {
		server_error(&j, code, sizeof(code), desc, sizeof(desc));
		bkey_json_free(&j);
	}
	if (strcmp(code, "invalid_client") == 0 || resp->status == 401)
		hint = " (client authentication failed: check client_id "
		       "and client_secret)";
	return bkey_seterr(err, BKEY_ERR_PROTOCOL,
	    "%s refused: HTTP %ld %s%s%s%s", what, resp->status,
	    code[0] ? code : "(no error code)", desc[0] ? ": " : "", desc,
	    hint);
}

/* A token string from the JSON: non-empty, sane length, no odd bytes. */
static int
get_token_str(const bkey_json *j, const char *key, char **out)
{
	char *s = NULL;
	size_t n, i;

	*out = NULL;
	if (bkey_json_type_of(j, bkey_json_find(j, 0, key)) != BKEY_JSON_STRING)
		return -1;
	if (bkey_json_get_str(j, 0, key, &s) != 0 || s == NULL)
		return -1;
	n = strlen(s);
	if (n == 0 || n > BKEY_CIBA_TOKEN_MAX)
		goto bad;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			goto bad;
	*out = s;
	return 0;
bad:
	bkey_free_secret(&s);
	return -1;
}

/* token_type, when present, must be Bearer. */
static int
bearer_type_ok(const bkey_json *j)
{
	char *tt = NULL;
	int ok;

	if (bkey_json_find(j, 0, "token_type") < 0)
		return 1;
	if (bkey_json_get_str(j, 0, "token_type", &tt) != 0 || tt == NULL)
		return 0;
	ok = strcasecmp(tt, "Bearer") == 0;
	free(tt);
	return ok;
}

/* POST a built form to the token endpoint (client token and polls). */
static int
post_token_form(struct bkey_ciba *k, struct bkey_http_req *rq,
    const bkey_buf *form, struct bkey_http_resp *resp, long long deadline_ms,
    long min_gap_ms, const char *what, bkey_error *err)
{
	if (form->failed)
		return bkey_seterr(err, BKEY_ERR_INTERNAL, "out of memory");
	rq->url = k->c->token_endpoint;
	rq->content_type = FORM_CT;
	rq->body = form->data;
	rq->body_len = form->len;
	return send_retry(k, rq, resp, deadline_ms, min_gap_ms, what, err);
}

int
bkey_ciba_client_token(struct bkey_ciba *k, long long deadline_ms,
    bkey_error *err)
{
	struct bkey_http_req rq;
	struct bkey_http_resp resp;
	bkey_buf form;
	bkey_json j;
	int have_json = 0, rc = -1;

	if (k->client_token != NULL)
		return 0;
	memset(&rq, 0, sizeof(rq));
	memset(&resp, 0, sizeof(resp));
	bkey_buf_init(&form, 16384);
	bkey_buf_init(&resp.body, 1);
	bkey_form_add(&form, "grant_type", "client_credentials");
	bkey_form_add(&form, "client_id", k->c->client_id);
	bkey_form_add(&form, "client_secret", k->c->client_secret);
	bkey_ciba_debug("POST %s (client_credentials)", k->c->token_endpoint);
	if (post_token_form(k, &rq, &form, &resp, deadline_ms, 0,
		"client token", err) != 0)
		goto out;
	if (resp.status != 200) {
		refused(&resp, "client token", err);
		goto out;
	}
	if (parse_body(&resp, &j, "client token", err) != 0)
		goto out;
	have_json = 1;
	if (!bearer_type_ok(&j)) {
		bkey_seterr(err, BKEY_ERR_PROTOCOL,
		    "client token: token_type is not Bearer");
		goto out;
	}
	if (get_token_str(&j, "access_token", &k->client_token) != 0) {
		bkey_seterr(err, BKEY_ERR_PROTOCOL,
		    "client token: no usable access_token in the answer");
		goto out;
	}
	rc = 0;
out:
	if (have_json)
		bkey_json_free(&j);
	bkey_buf_free(&resp.body);
	bkey_buf_free(&form);
	return rc;
}

static int
build_initiate_json(bkey_buf *b, const char *did, const char *oscope,
    const char *binding, const char *details, long expiry)
{
	bkey_jobj o;

	bkey_jobj_begin(&o, b);
	bkey_jobj_str(&o, "login_hint", did);
	bkey_jobj_str(&o, "scope", oscope);
	bkey_jobj_str(&o, "binding_message", binding);
	if (details != NULL && details[0] != '\0')
		bkey_jobj_raw(&o, "action_details", details);
	bkey_jobj_int(&o, "requested_expiry", expiry);
	return bkey_jobj_end(&o);
}

static int
build_initiate_form(bkey_buf *b, const char *did, const char *oscope,
    const char *binding, const char *details, long expiry)
{
	char num[32];

	(void)snprintf(num, sizeof(num), "%ld", expiry);
	bkey_form_add(b, "login_hint", did);
	bkey_form_add(b, "scope", oscope);
	bkey_form_add(b, "binding_message", binding);
	/* Standard CIBA has no action_details: send the JSON text as a form
	 * field, which providers that do not know it ignore. */
	if (details != NULL && details[0] != '\0')
		bkey_form_add(b, "action_details", details);
	bkey_form_add(b, "requested_expiry", num);
	return b->failed ? -1 : 0;
}

/* auth_req_id is echoed into events and logs: keep it printable ASCII. */
static int
auth_req_id_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > AUTH_REQ_ID_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

/* The initiate request in the configured dialect, its body in body. */
static int
initiate_request(const struct bkey_ciba *k, struct bkey_http_req *rq,
    bkey_buf *body, const char *did, const char *oscope,
    const char *binding_message, const char *details, long requested_expiry,
    bkey_error *err)
{
	rq->url = k->c->bc_authorize_endpoint;
	if (k->c->dialect == BKEY_DIALECT_CIBA) {
		if (build_initiate_form(body, did, oscope, binding_message,
			details, requested_expiry) != 0)
			return bkey_seterr(err, BKEY_ERR_INTERNAL,
			    "out of memory");
		rq->content_type = FORM_CT;
		rq->basic_user = k->c->client_id;
		rq->basic_pass = k->c->client_secret;
	} else {
		if (k->client_token == NULL)
			return bkey_seterr(err, BKEY_ERR_INTERNAL,
			    "initiate without a client token");
		if (build_initiate_json(body, did, oscope, binding_message,
			details, requested_expiry) != 0)
			return bkey_seterr(err, BKEY_ERR_INTERNAL,
			    "request body too large");
		rq->content_type = JSON_CT;
		rq->bearer = k->client_token;
	}
	rq->body = body->data;
	rq->body_len = body->len;
	return 0;
}

/* auth_req_id, expires_in and interval of the initiate answer. */
static int
read_started(const bkey_json *j, long requested_expiry,
    struct bkey_ciba_started *out, bkey_error *err)
{
	long long v;
	int t;

	t = bkey_json_find(j, 0, "auth_req_id");
	if (bkey_json_type_of(j, t) != BKEY_JSON_STRING ||
	    bkey_json_str(j, t, &out->auth_req_id) != 0 ||
	    !auth_req_id_ok(out->auth_req_id))
		return bkey_seterr(err, BKEY_ERR_PROTOCOL,
		    "initiate: missing or unusable auth_req_id");
	t = bkey_json_find(j, 0, "expires_in");
	if (t < 0)
		out->expires_in = requested_expiry;
	else if (bkey_json_int(j, t, &v) != 0 || v <= 0 || v > 86400)
		return bkey_seterr(err, BKEY_ERR_PROTOCOL,
		    "initiate: expires_in is not a positive integer");
	else
		out->expires_in = (long)v;
	t = bkey_json_find(j, 0, "interval");
	if (t >= 0 && bkey_json_type_of(j, t) != BKEY_JSON_NULL) {
		if (bkey_json_int(j, t, &v) != 0 || v < 0 || v > 3600)
			return bkey_seterr(err, BKEY_ERR_PROTOCOL,
			    "initiate: interval is not a small integer");
		out->interval = (long)v;
	}
	return 0;
}

int
bkey_ciba_initiate(struct bkey_ciba *k, const char *did, const char *scope,
    const char *binding_message, const char *details, long requested_expiry,
    long long deadline_ms, struct bkey_ciba_started *out, bkey_error *err)
{
	struct bkey_http_req rq;
	struct bkey_http_resp resp;
	bkey_buf body, oscope;
	bkey_json j;
	int have_json = 0, rc = -1;

	memset(out, 0, sizeof(*out));
	out->interval = -1;
	memset(&rq, 0, sizeof(rq));
	memset(&resp, 0, sizeof(resp));
	bkey_buf_init(&body, 16384);
	bkey_buf_init(&oscope, 1024);
	bkey_buf_init(&resp.body, 1);
	bkey_buf_printf(&oscope, "openid %s", scope);
	if (oscope.failed) {
		bkey_seterr(err, BKEY_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if (initiate_request(k, &rq, &body, did, oscope.data, binding_message,
		details, requested_expiry, err) != 0)
		goto out;
	bkey_ciba_debug("POST %s (initiate, %s dialect)", rq.url,
	    k->c->dialect == BKEY_DIALECT_CIBA ? "ciba" : "bkey");
	if (send_retry(k, &rq, &resp, deadline_ms, 0, "initiate", err) != 0)
		goto out;
	if (resp.status != 200) {
		refused(&resp, "initiate", err);
		goto out;
	}
	if (parse_body(&resp, &j, "initiate", err) != 0)
		goto out;
	have_json = 1;
	rc = read_started(&j, requested_expiry, out, err);
out:
	if (rc != 0)
		bkey_ciba_started_free(out);
	if (have_json)
		bkey_json_free(&j);
	bkey_buf_free(&resp.body);
	bkey_buf_free(&body);
	bkey_buf_free(&oscope);
	return rc;
}

void
bkey_ciba_started_free(struct bkey_ciba_started *s)
{
	if (s == NULL)
		return;
	free(s->auth_req_id);
	s->auth_req_id = NULL;
}

/* Approved answer: access_token required, id_token optional. */
static int
take_tokens(const bkey_json *j, struct bkey_ciba_poll *out, bkey_error *err)
{
	if (!bearer_type_ok(j))
		return bkey_seterr(err, BKEY_ERR_PROTOCOL,
		    "poll: token_type is not Bearer");
	if (get_token_str(j, "access_token", &out->access_token) != 0)
		return bkey_seterr(err, BKEY_ERR_PROTOCOL,
		    "poll: approved without a usable access_token");
	if (bkey_json_find(j, 0, "id_token") >= 0 &&
	    bkey_json_type_of(j, bkey_json_find(j, 0, "id_token")) !=
		BKEY_JSON_NULL &&
	    get_token_str(j, "id_token", &out->id_token) != 0)
		return bkey_seterr(err, BKEY_ERR_PROTOCOL,
		    "poll: id_token is not a usable string");
	out->state = BKEY_POLL_APPROVED;
	return 0;
}

/* The Python SDK's variant: {"status":"pending|approved|denied|expired"}. */
static int
status_shape(const bkey_json *j, const char *status, struct bkey_ciba_poll *out,
    bkey_error *err)
{
	if (strcmp(status, "pending") == 0)
		out->state = BKEY_POLL_PENDING;
	else if (strcmp(status, "approved") == 0)
		return take_tokens(j, out, err);
	else if (strcmp(status, "denied") == 0)
		out->state = BKEY_POLL_DENIED;
	else if (strcmp(status, "expired") == 0)
		out->state = BKEY_POLL_EXPIRED;
	else
		return bkey_seterr(err, BKEY_ERR_PROTOCOL,
		    "poll: unknown status \"%s\"", status);
	return 0;
}

static int
poll_answer(const struct bkey_http_resp *resp, struct bkey_ciba_poll *out,
    bkey_error *err)
{
	bkey_json j;
	char code[64], desc[128];
	char *status = NULL;
	int rc = -1;

	if (parse_body(resp, &j, "poll", err) != 0)
		return -1;
	server_error(&j, code, sizeof(code), desc, sizeof(desc));
	if (resp->status >= 400 && resp->status < 500) {
		if (strcmp(code, "authorization_pending") == 0)
			out->state = BKEY_POLL_PENDING;
		else if (strcmp(code, "slow_down") == 0)
			out->state = BKEY_POLL_SLOW_DOWN;
		else if (strcmp(code, "access_denied") == 0)
			out->state = BKEY_POLL_DENIED;
		else if (strcmp(code, "expired_token") == 0)
			out->state = BKEY_POLL_EXPIRED;
		else if (code[0] == '\0' &&
		    bkey_json_get_str(&j, 0, "status", &status) == 0 &&
		    status != NULL) {
			rc = status_shape(&j, status, out, err);
			goto out;
		} else {
			bkey_seterr(err, BKEY_ERR_PROTOCOL,
			    "poll refused: HTTP %ld %s%s%s", resp->status,
			    code[0] ? code : "(no error code)",
			    desc[0] ? ": " : "", desc);
			goto out;
		}
		rc = 0;
	} else if (resp->status == 200) {
		if (code[0] != '\0') {
			bkey_seterr(err, BKEY_ERR_PROTOCOL,
			    "poll: HTTP 200 carrying error %s", code);
			goto out;
		}
		if (bkey_json_find(&j, 0, "status") >= 0) {
			if (bkey_json_get_str(&j, 0, "status", &status) != 0 ||
			    status == NULL) {
				bkey_seterr(err, BKEY_ERR_PROTOCOL,
				    "poll: status is not a string");
				goto out;
			}
			rc = status_shape(&j, status, out, err);
			goto out;
		}
		rc = take_tokens(&j, out, err);
	} else {
		bkey_seterr(err, BKEY_ERR_PROTOCOL, "poll: unexpected HTTP %ld",
		    resp->status);
	}
out:
	free(status);
	bkey_json_free(&j);
	return rc;
}

int
bkey_ciba_poll(struct bkey_ciba *k, const char *auth_req_id, long interval_ms,
    long long deadline_ms, struct bkey_ciba_poll *out, bkey_error *err)
{
	struct bkey_http_req rq;
	struct bkey_http_resp resp;
	bkey_buf form;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	memset(&rq, 0, sizeof(rq));
	memset(&resp, 0, sizeof(resp));
	bkey_buf_init(&form, 16384);
	bkey_buf_init(&resp.body, 1);
	bkey_form_add(&form, "grant_type", "urn:openid:params:grant-type:ciba");
	bkey_form_add(&form, "auth_req_id", auth_req_id);
	if (k->c->dialect == BKEY_DIALECT_CIBA) {
		rq.basic_user = k->c->client_id;
		rq.basic_pass = k->c->client_secret;
	} else {
		bkey_form_add(&form, "client_id", k->c->client_id);
		bkey_form_add(&form, "client_secret", k->c->client_secret);
	}
	if (post_token_form(k, &rq, &form, &resp, deadline_ms, interval_ms,
		"poll", err) != 0)
		goto out;
	rc = poll_answer(&resp, out, err);
	if (rc == 0)
		bkey_ciba_debug("poll: HTTP %ld -> %s", resp.status,
		    out->state == BKEY_POLL_PENDING	  ? "pending" :
			out->state == BKEY_POLL_SLOW_DOWN ? "slow_down" :
			out->state == BKEY_POLL_APPROVED  ? "approved" :
			out->state == BKEY_POLL_DENIED	  ? "denied" :
							    "expired");
out:
	if (rc != 0)
		bkey_ciba_poll_free(out);
	bkey_buf_free(&resp.body);
	bkey_buf_free(&form);
	return rc;
}

void
bkey_ciba_poll_free(struct bkey_ciba_poll *p)
{
	if (p == NULL)
		return;
	bkey_free_secret(&p->access_token);
	bkey_free_secret(&p->id_token);
}

int
bkey_ciba_get(struct bkey_ciba *k, const char *url, long long deadline_ms,
    bkey_buf *body, bkey_error *err)
{
	struct bkey_http_req rq;
	struct bkey_http_resp resp;

	memset(&rq, 0, sizeof(rq));
	memset(&resp, 0, sizeof(resp));
	bkey_buf_init(&resp.body, 1);
	rq.url = url;
	bkey_ciba_debug("GET %s", url);
	if (send_retry(k, &rq, &resp, deadline_ms, 0, "GET", err) != 0)
		return -1;
	if (resp.status != 200) {
		bkey_seterr(err, BKEY_ERR_PROTOCOL, "GET %s: HTTP %ld", url,
		    resp.status);
		bkey_buf_free(&resp.body);
		return -1;
	}
	*body = resp.body;
	return 0;
}
