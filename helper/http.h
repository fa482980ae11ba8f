/* SPDX-License-Identifier: ISC */
/*
 * One hardened libcurl easy handle per approval: https only (http only to
 * loopback), verification on, proxy only from config, no redirects, no
 * signals, connect and total timeouts, response body capped at 64 KiB.
 * The calling program must have called curl_global_init() once.
 */
#ifndef BKEY_HTTP_H
#define BKEY_HTTP_H

#include <signal.h>
#include <time.h>
#include "buf.h"
#include "config.h"
#include "result.h"

#define BKEY_HTTP_BODY_MAX (64 * 1024)

struct bkey_http;

struct bkey_http_req {
	const char *url;
	const char *content_type; /* "application/json" or form */
	const char *body;	  /* POST body; NULL = GET */
	size_t body_len;
	const char *bearer;	/* Authorization: Bearer */
	const char *basic_user; /* client_secret_basic (ciba dialect) */
	const char *basic_pass;
	long timeout_ms; /* whole request; caller derives from deadline */
};

struct bkey_http_resp {
	long status;   /* HTTP status, 0 if none */
	bkey_buf body; /* capped at BKEY_HTTP_BODY_MAX */
	time_t date;   /* its Date header; 0 none */
	int timed_out; /* failed: no answer within timeout_ms */
	int sent; /* the request reached the wire (CURLINFO_REQUEST_SIZE) */
};

/* cancel: polled during transfers; a nonzero value aborts with
 * BKEY_ERR_CANCELLED. May be NULL. */
struct bkey_http *bkey_http_new(const struct bkey_config *c,
    const volatile sig_atomic_t *cancel, bkey_error *err);
void bkey_http_free(struct bkey_http *h);

/*
 * Perform one request. 0 when an HTTP response arrived (any status but a
 * 3xx redirect, which is never followed; resp filled, free resp->body with
 * bkey_buf_free). -1 with BKEY_ERR_UNAVAILABLE (only a real failure to
 * reach the service: see netfail.h), BKEY_ERR_PROTOCOL (a redirect, body
 * over the cap, garbled HTTP, url not allowed), BKEY_ERR_CANCELLED, or
 * BKEY_ERR_INTERNAL (out of memory, threads, descriptors; any other curl
 * error).
 */
int bkey_http_do(struct bkey_http *h, const struct bkey_http_req *rq,
    struct bkey_http_resp *resp, bkey_error *err);

/* Append key=value, percent-encoded, to a form body ("&" between). */
void bkey_form_add(bkey_buf *b, const char *key, const char *value);

#endif
