/* SPDX-License-Identifier: ISC */
/*
 * bkey-admin self-test: the service path, step by step, without asking
 * anyone: discovery, the client's credentials, the JWKS, TLS (with the
 * configured CA and proxy: every step goes through them) and the clock
 * against the server's Date header. Never starts an approval. Runs after
 * the same hardening and privilege drop as bkey-approve.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "../cli/privdrop.h"
#include "admin.h"
#include "buf.h"
#include "ciba.h"
#include "clock.h"
#include "config.h"
#include "http.h"
#include "json.h"
#include "jsonw.h"
#include "jwks.h"
#include "sanitize.h"

#define STEP_TIMEOUT_MS 30000
#define FORM_CT "application/x-www-form-urlencoded"

enum verdict { V_OK = 0, V_WARN, V_FAIL, V_SKIP };

static const char *const verdict_word[] = { "ok", "warn", "FAIL", "skip" };

struct run {
	const struct admin_opts *o;
	struct bkey_config *c;
	struct bkey_ciba k;
	long long deadline; /* of the whole test, monotonic ms */
	long long t0;	    /* start of the current step */
	bkey_result first;  /* first failure's code */
	int failed;
	time_t date;	   /* discovery's Date header */
	long long date_ms; /* monotonic ms when it came */
	char *revoke_url;  /* from discovery, if any */
};

static void
step_line(struct run *r, const char *step, enum verdict v, const char *detail)
{
	char clean[BKEY_DETAIL_MAX];
	long long ms = bkey_now_ms() - r->t0;
	bkey_buf b;
	bkey_jobj j;

	(void)bkey_sanitize_into(clean, sizeof(clean), detail, strlen(detail));
	if (!r->o->json) {
		(void)printf("%-9s %-4s %5lld ms  %s\n", step, verdict_word[v],
		    ms, clean);
		return;
	}
	bkey_buf_init(&b, 4096);
	bkey_jobj_begin(&j, &b);
	bkey_jobj_str(&j, "step", step);
	bkey_jobj_str(&j, "result", v == V_FAIL ? "fail" : verdict_word[v]);
	bkey_jobj_int(&j, "ms", ms);
	bkey_jobj_str(&j, "detail", clean);
	if (bkey_jobj_end(&j) == 0)
		(void)printf("%.*s\n", (int)b.len, b.data);
	bkey_buf_free(&b);
}

static void
step_fail(struct run *r, const char *step, const bkey_error *err)
{
	if (!r->failed) {
		r->failed = 1;
		r->first = err->code;
	}
	step_line(r, step, V_FAIL, err->detail);
}

static long
step_timeout(const struct run *r)
{
	return admin_ms_left(r->deadline, STEP_TIMEOUT_MS);
}

/* One GET, no retries: a self-test shows the first failure as it is. */
static int
get_once(struct run *r, const char *url, struct bkey_http_resp *resp,
    bkey_error *err)
{
	struct bkey_http_req rq;

	memset(&rq, 0, sizeof(rq));
	rq.url = url;
	rq.timeout_ms = step_timeout(r);
	return bkey_http_do(r->k.http, &rq, resp, err);
}

/* The length of "scheme://authority" at the start of url, 0 if none. */
static size_t
origin_len(const char *url)
{
	const char *p = strstr(url, "://");

	return p == NULL ? 0 : (size_t)(p + 3 - url) + strcspn(p + 3, "/?#");
}

/* Whether a and b have one origin: the client secret goes only where the
 * configuration sends it, never where a document points. */
static int
same_origin(const char *a, const char *b)
{
	size_t n = origin_len(a);

	return n > 0 && n == origin_len(b) && memcmp(a, b, n) == 0;
}

/* The discovery document names this issuer; remember what the other
 * steps need from it. */
static int
read_discovery(struct run *r, const struct bkey_http_resp *resp,
    bkey_error *err)
{
	char *iss = NULL;
	bkey_json j;
	int rc = -1;

	if (resp->status != 200)
		return bkey_seterr(err, BKEY_ERR_PROTOCOL, "HTTP %ld",
		    resp->status);
	if (resp->body.data == NULL ||
	    bkey_json_parse(&j, resp->body.data, resp->body.len) != 0)
		return bkey_seterr(err, BKEY_ERR_PROTOCOL, "not a JSON object");
	if (bkey_json_get_str(&j, 0, "issuer", &iss) != 0)
		bkey_seterr(err, BKEY_ERR_PROTOCOL, "no issuer in it");
	else if (strcmp(iss, r->c->issuer) != 0)
		bkey_seterr(err, BKEY_ERR_PROTOCOL,
		    "issuer is \"%.80s\", the "
		    "configuration expects \"%.80s\"",
		    iss, r->c->issuer);
	else
		rc = 0;
	if (rc == 0 &&
	    bkey_json_opt_str(&j, 0, "revocation_endpoint", &r->revoke_url) ==
		1 &&
	    (!bkey_url_allowed(r->revoke_url) ||
		!same_origin(r->revoke_url, r->c->token_endpoint))) {
		free(r->revoke_url);
		r->revoke_url = NULL;
	}
	free(iss);
	bkey_json_free(&j);
	return rc;
}

static void
step_discovery(struct run *r)
{
	struct bkey_http_resp resp;
	bkey_error err = { 0 };
	char url[1024], detail[BKEY_DETAIL_MAX];

	r->t0 = bkey_now_ms();
	memset(&resp, 0, sizeof(resp));
	(void)snprintf(url, sizeof(url), "%s%s", r->c->issuer,
	    r->c->issuer[strlen(r->c->issuer) - 1] == '/' ?
		".well-known/openid-configuration" :
		"/.well-known/openid-configuration");
	if (get_once(r, url, &resp, &err) == 0 &&
	    read_discovery(r, &resp, &err) == 0) {
		r->date = resp.date;
		r->date_ms = bkey_now_ms();
		(void)snprintf(detail, sizeof(detail),
		    "%.120s; TLS "
		    "with %.80s, proxy %s",
		    url,
		    r->c->cafile != NULL ? r->c->cafile : "the system CA store",
		    r->c->proxy[0] != '\0' ? "configured" : "none");
		step_line(r, "discovery", V_OK, detail);
	} else {
		char msg[BKEY_DETAIL_MAX];

		(void)snprintf(msg, sizeof(msg), "%.100s: %.150s", url,
		    err.detail);
		(void)snprintf(err.detail, sizeof(err.detail), "%s", msg);
		step_fail(r, "discovery", &err);
	}
	bkey_buf_free(&resp.body);
}

/*
 * dialect=ciba has no client token: the client's Basic credentials are
 * proved on the revocation endpoint with a token that does not exist,
 * which RFC 7009 answers 200 and which changes nothing.
 */
static int
ciba_client_auth(struct run *r, bkey_error *err)
{
	struct bkey_http_req rq;
	struct bkey_http_resp resp;
	char url[1024];
	bkey_buf form;
	int rc = -1;

	memset(&rq, 0, sizeof(rq));
	memset(&resp, 0, sizeof(resp));
	if (r->revoke_url != NULL)
		(void)snprintf(url, sizeof(url), "%s", r->revoke_url);
	else
		(void)snprintf(url, sizeof(url), "%s/oauth/revoke",
		    r->c->api_url);
	bkey_buf_init(&form, 1024);
	bkey_form_add(&form, "token", "bkey-admin-self-test");
	bkey_form_add(&form, "token_type_hint", "access_token");
	if (form.failed)
		return bkey_seterr(err, BKEY_ERR_INTERNAL, "out of memory");
	rq.url = url;
	rq.content_type = FORM_CT;
	rq.body = form.data;
	rq.body_len = form.len;
	rq.basic_user = r->c->client_id;
	rq.basic_pass = r->c->client_secret;
	rq.timeout_ms = step_timeout(r);
	if (bkey_http_do(r->k.http, &rq, &resp, err) != 0)
		goto out;
	if (resp.status == 401 || resp.status == 403)
		bkey_seterr(err, BKEY_ERR_PROTOCOL,
		    "%s: HTTP %ld: the client "
		    "id or secret is refused",
		    url, resp.status);
	else if (resp.status != 200)
		bkey_seterr(err, BKEY_ERR_PROTOCOL, "%s: HTTP %ld", url,
		    resp.status);
	else
		rc = 0;
out:
	bkey_buf_free(&resp.body);
	bkey_buf_free(&form);
	return rc;
}

/* A few retries of the client token, not the approval's minutes. */
static long
token_budget(const struct run *r)
{
	long ms = r->c->connect_timeout * 1000 + 2000, left = step_timeout(r);

	return ms < left ? ms : left;
}

static void
step_token(struct run *r)
{
	bkey_error err = { 0 };
	int ciba = r->c->dialect == BKEY_DIALECT_CIBA;

	r->t0 = bkey_now_ms();
	if ((ciba ? ciba_client_auth(r, &err) :
		    bkey_ciba_client_token(&r->k,
			bkey_now_ms() + token_budget(r), &err)) != 0) {
		step_fail(r, "token", &err);
		return;
	}
	step_line(r, "token", V_OK,
	    ciba ? "client_secret_basic accepted "
		   "(dialect ciba)" :
		   "client token issued (dialect bkey)");
}

/* What the set offers against token_algs: ok, or a warning when none of
 * its algorithms is allowed (every approval would be refused). */
static void
jwks_verdict(struct run *r, const struct bkey_jwks *ks)
{
	char detail[BKEY_DETAIL_MAX], have[32], allow[32];
	unsigned offered = 0;
	size_t i;

	for (i = 0; i < ks->n; i++)
		offered |= ks->keys[i].algs;
	if (offered == BKEY_ALG_EDDSA && (r->c->token_algs & offered)) {
		(void)snprintf(detail, sizeof(detail),
		    "%.150s: %zu usable "
		    "Ed25519 key%s",
		    r->c->jwks_uri, ks->n, ks->n == 1 ? "" : "s");
		step_line(r, "jwks", V_OK, detail);
		return;
	}
	bkey_algs_format(offered, have, sizeof(have));
	bkey_algs_format(r->c->token_algs, allow, sizeof(allow));
	(void)snprintf(detail, sizeof(detail),
	    "%.100s: %zu usable key%s "
	    "for %s; token_algs %s%s",
	    r->c->jwks_uri, ks->n, ks->n == 1 ? "" : "s", have, allow,
	    (r->c->token_algs & offered) ? "" : ": none of them allowed");
	step_line(r, "jwks", (r->c->token_algs & offered) ? V_OK : V_WARN,
	    detail);
}

static void
step_jwks(struct run *r)
{
	struct bkey_jwks ks = { 0 };
	struct bkey_http_resp resp;
	bkey_error err = { 0 };

	r->t0 = bkey_now_ms();
	memset(&resp, 0, sizeof(resp));
	/* Every algorithm we know: the report says what the issuer offers. */
	if (get_once(r, r->c->jwks_uri, &resp, &err) != 0 ||
	    (resp.status != 200 &&
		bkey_seterr(&err, BKEY_ERR_PROTOCOL, "%.150s: HTTP %ld",
		    r->c->jwks_uri, resp.status) != 0) ||
	    bkey_jwks_parse_algs(&ks,
		resp.body.data != NULL ? resp.body.data : "", resp.body.len,
		BKEY_ALG_EDDSA | BKEY_ALG_ES256 | BKEY_ALG_ES384 |
		    BKEY_ALG_RS256 | BKEY_ALG_PS256,
		&err) != 0) {
		step_fail(r, "jwks", &err);
		goto out;
	}
	jwks_verdict(r, &ks);
out:
	bkey_jwks_free(&ks);
	bkey_buf_free(&resp.body);
}

/* Date has whole seconds: a skew within a second is none. */
static void
step_clock(struct run *r)
{
	bkey_error err = { 0 };
	char detail[BKEY_DETAIL_MAX];
	long long skew;
	long lw = r->c->clock_leeway;

	r->t0 = bkey_now_ms();
	if (r->date == 0) {
		step_line(r, "clock", V_SKIP, "no Date header from discovery");
		return;
	}
	skew = (long long)time(NULL) - (bkey_now_ms() - r->date_ms) / 1000 -
	    (long long)r->date;
	(void)snprintf(detail, sizeof(detail),
	    "this host is %lld s %s the "
	    "server (clock_leeway %ld s)",
	    skew < 0 ? -skew : skew, skew < 0 ? "behind" : "ahead of", lw);
	if (skew < 0)
		skew = -skew;
	if (skew > lw && skew > 1) {
		bkey_seterr(&err, BKEY_ERR_TOKEN, "%s", detail);
		step_fail(r, "clock", &err);
	} else
		step_line(r, "clock", skew * 2 > lw && skew > 1 ? V_WARN : V_OK,
		    detail);
}

/* Without the service reached, the other steps would only wait. */
static void
skip_rest(struct run *r)
{
	static const char *const rest[] = { "token", "jwks", "clock" };
	size_t i;

	for (i = 0; i < sizeof(rest) / sizeof(rest[0]); i++) {
		r->t0 = bkey_now_ms();
		step_line(r, rest[i], V_SKIP, "the service was not reached");
	}
}

/* Leave root for good before any network I/O, as bkey-approve does;
 * nothing here needs root afterwards, so no monitor stays behind. */
static int
drop_root(const struct bkey_config *c, bkey_error *err)
{
	struct bkey_runas ra;
	char note[256];

	if (bkey_privdrop_plan(c->run_as, c->path, &ra, note, sizeof(note),
		err) != 0)
		return -1;
	return ra.drop ?
	    bkey_privdrop(&ra, c->state_dir, note, sizeof(note), err) :
	    0;
}

int
admin_self_test(const struct admin_opts *o, const volatile sig_atomic_t *cancel)
{
	struct bkey_config cfg;
	struct run r;
	bkey_error err = { 0 };
	int status, have_curl = 0;

	memset(&r, 0, sizeof(r));
	r.o = o;
	r.c = &cfg;
	if (bkey_config_load(&cfg, o->config, &err) != 0) {
		admin_problem(err.detail);
		return bkey_result_exit(err.code == BKEY_ERR_INTERNAL ?
			BKEY_ERR_INTERNAL :
			BKEY_ERR_CONFIG);
	}
	if (drop_root(&cfg, &err) != 0 ||
	    !(have_curl = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK) ||
	    bkey_ciba_init(&r.k, &cfg, cancel, &err) != 0) {
		if (err.code == 0)
			bkey_seterr(&err, BKEY_ERR_INTERNAL,
			    "curl init failed");
		admin_problem(err.detail);
		status = bkey_result_exit(err.code);
		goto out;
	}
	r.deadline = bkey_now_ms() + cfg.timeout * 1000;
	step_discovery(&r);
	if (r.failed &&
	    (r.first == BKEY_ERR_UNAVAILABLE || r.first == BKEY_ERR_CANCELLED))
		skip_rest(&r);
	else {
		step_token(&r);
		step_jwks(&r);
		step_clock(&r);
	}
	status = *cancel ? bkey_result_exit(BKEY_ERR_CANCELLED) :
	    r.failed	 ? bkey_result_exit(r.first) :
			   0;
	if (fflush(stdout) != 0 && status == 0)
		status = bkey_result_exit(BKEY_ERR_INTERNAL);
out:
	bkey_ciba_free(&r.k);
	free(r.revoke_url);
	if (have_curl)
		curl_global_cleanup();
	bkey_config_free(&cfg);
	return status;
}
