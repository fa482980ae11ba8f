/* SPDX-License-Identifier: ISC */
/*
 * The individual protocol requests of the approve flow (docs/protocol.md), for
 * both dialects: client token, CIBA initiate, one poll, a plain GET. Each
 * request is retried on connection failures and 5xx with backoff (250 ms
 * doubling, capped at 2 s; a poll never sooner than its interval) within
 * the run's outage budget, then BKEY_ERR_UNAVAILABLE.
 * Internal to bkey-approve (helper/approve.c); not used by the modules.
 */
#ifndef BKEY_CIBA_H
#define BKEY_CIBA_H

#include <signal.h>
#include "buf.h"
#include "config.h"
#include "http.h"
#include "result.h"

#define BKEY_CIBA_REQ_TIMEOUT_MS 30000 /* cap of one request */
#define BKEY_CIBA_TOKEN_MAX 16384      /* longest token string accepted */

/*
 * The outage budget of one run (one approval, one vault access): the time
 * the run may spend with the service not answering, counted from the
 * start of a failed attempt to the service's next answer (anything but a
 * 5xx), added up over all its requests and never given back, so a
 * flapping service cannot chain budgets. A person's wait, answered
 * "pending", spends none of it.
 */
struct bkey_outage {
	long long budget_ms;  /* unavailable_after */
	long long connect_ms; /* connect_timeout */
	long long since_ms;   /* start of the stretch under way */
	long long spent_ms;   /* by the stretches that ended */
	long long floor_ms;   /* the stretch under way lasts at least this */
	int failing;	      /* a stretch is under way */
};

struct bkey_ciba {
	const struct bkey_config *c;
	struct bkey_http *http;
	const volatile sig_atomic_t *cancel;
	char *client_token; /* bkey dialect, cached for the run */
	struct bkey_outage outage;
	/* The last request went out and got no answer (a timeout, a drop):
	 * the server may have acted on it. 0 when every failure came before
	 * the request was sent or was the server's own 5xx. */
	int unanswered;
};

struct bkey_ciba_started {
	char *auth_req_id;
	long expires_in; /* seconds */
	long interval;	 /* seconds; -1 when absent */
};

enum bkey_poll_state {
	BKEY_POLL_PENDING = 0,
	BKEY_POLL_SLOW_DOWN,
	BKEY_POLL_APPROVED,
	BKEY_POLL_DENIED,
	BKEY_POLL_EXPIRED
};

struct bkey_ciba_poll {
	enum bkey_poll_state state;
	char *access_token; /* APPROVED only; wiped on free */
	char *id_token;	    /* APPROVED, when sent */
};

/* Sleep until deadline_ms in short slices; -1 (BKEY_ERR_CANCELLED) as soon
 * as *cancel becomes nonzero. */
int bkey_ciba_sleep_until(const volatile sig_atomic_t *cancel,
    long long deadline_ms, bkey_error *err);

/* The outage budget's arithmetic (pure; times in ms of bkey_now_ms()). */
void bkey_outage_init(struct bkey_outage *o, long unavailable_after_s,
    long connect_timeout_s);
/* An attempt begun at start_ms failed (connection, DNS, TLS, 5xx). */
void bkey_outage_failed(struct bkey_outage *o, long long start_ms);
/* The service answered at now_ms: the stretch under way, if any, ends. */
void bkey_outage_answered(struct bkey_outage *o, long long now_ms);
/* The stretch under way may last floor_ms from its start whatever the
 * budget says: a failed poll's one retry, which must wait the interval. */
void bkey_outage_grant(struct bkey_outage *o, long long floor_ms);
/* No retry begins at or after this; only while a stretch is under way. */
long long bkey_outage_end(const struct bkey_outage *o);
/* The longest an attempt begun at now_ms may take; retry: the request's
 * previous attempt failed. <= 0: no attempt. */
long long bkey_outage_attempt_ms(const struct bkey_outage *o, long long now_ms,
    int retry);

/* Diagnostics hook (--debug); messages never carry secrets or tokens. */
void bkey_ciba_set_debug(void (*fn)(const char *msg));
void bkey_ciba_debug(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

int bkey_ciba_init(struct bkey_ciba *k, const struct bkey_config *c,
    const volatile sig_atomic_t *cancel, bkey_error *err);
void bkey_ciba_free(struct bkey_ciba *k);

/* bkey dialect: fetch (once per run) the client_credentials token. */
int bkey_ciba_client_token(struct bkey_ciba *k, long long deadline_ms,
    bkey_error *err);

/* POST bc-authorize. details: sanitized JSON object text or NULL. */
int bkey_ciba_initiate(struct bkey_ciba *k, const char *did, const char *scope,
    const char *binding_message, const char *details, long requested_expiry,
    long long deadline_ms, struct bkey_ciba_started *out, bkey_error *err);
void bkey_ciba_started_free(struct bkey_ciba_started *s);

/* One poll of the token endpoint. 0 with out->state set, -1 on error.
 * Retries (5xx, dropped connections) keep interval_ms between requests. */
int bkey_ciba_poll(struct bkey_ciba *k, const char *auth_req_id,
    long interval_ms, long long deadline_ms, struct bkey_ciba_poll *out,
    bkey_error *err);
void bkey_ciba_poll_free(struct bkey_ciba_poll *p);

/* Send rq with the retries of every other request (5xx and connection
 * failures within the outage budget and deadline_ms, no sooner than
 * min_gap_ms apart); 0 with any answer below 500 in resp (the caller
 * frees its body). */
int bkey_ciba_send(struct bkey_ciba *k, struct bkey_http_req *rq,
    struct bkey_http_resp *resp, long long deadline_ms, long min_gap_ms,
    const char *what, bkey_error *err);
/* GET url expecting 200; body handed to the caller (bkey_buf_free). */
int bkey_ciba_get(struct bkey_ciba *k, const char *url, long long deadline_ms,
    bkey_buf *body, bkey_error *err);

#endif
