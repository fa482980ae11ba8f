/* SPDX-License-Identifier: ISC */
/*
 * The vault flow: client token, a fresh X25519 key pair, POST
 * /v1/vault/access, poll its status until the phone's answer, open it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "ciba.h"
#include "clock.h"
#include "http.h"
#include "json.h"
#include "jsonw.h"
#include "pushlimit.h"
#include "vault.h"

#define POLL_MS 3000	/* BKey's own clients */
#define MIN_POLL_MS 200 /* a server's hint, floored */
#define JSON_CT "application/json"

struct vault_run {
	struct bkey_ciba k;
	const struct bkey_vault_ask *a;
	long long deadline_ms;
	long interval_ms;
	unsigned char pk[32], sk[32];
};

/* An id we may put in a URL path and a log line. */
static int
id_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > BKEY_VAULT_ID_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
			(s[i] >= 'A' && s[i] <= 'Z') ||
			(s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
			s[i] == '_'))
			return 0;
	return 1;
}

/* One Bearer JSON request (body NULL: GET); 0 with the body of a 200. */
static int
call(struct vault_run *v, const char *url, const char *body, long gap_ms,
    const char *what, bkey_json *j, struct bkey_http_resp *resp,
    bkey_error *err)
{
	struct bkey_http_req rq;

	memset(&rq, 0, sizeof(rq));
	memset(resp, 0, sizeof(*resp));
	bkey_buf_init(&resp->body, 1);
	rq.url = url;
	rq.bearer = v->k.client_token;
	if (body != NULL) {
		rq.content_type = JSON_CT;
		rq.body = body;
		rq.body_len = strlen(body);
	}
	if (bkey_ciba_send(&v->k, &rq, resp, v->deadline_ms, gap_ms, what,
		err) != 0)
		return -1;
	if (resp->status != 200)
		return bkey_seterr(err, BKEY_ERR_PROTOCOL,
		    "%s refused: HTTP "
		    "%ld",
		    what, resp->status);
	if (resp->body.data == NULL ||
	    bkey_json_parse(j, resp->body.data, resp->body.len) != 0)
		return bkey_seterr(err, BKEY_ERR_PROTOCOL,
		    "%s: the answer is "
		    "not a JSON object",
		    what);
	return 0;
}

static long
expiry_secs(long timeout)
{
	return timeout < 30 ? 30 : timeout > 600 ? 600 : timeout;
}

/* POST the request; 0 with got->id set. */
static int
start(struct vault_run *v, const char *purpose, struct bkey_vault_got *got,
    bkey_error *err)
{
	char url[1024],
	    pk64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)],
	    *id = NULL;
	struct bkey_http_resp resp;
	bkey_buf body;
	bkey_jobj o;
	bkey_json j;
	long long hint;
	int rc = -1, have_json = 0;

	memset(&resp, 0, sizeof(resp));
	bkey_buf_init(&body, 4096);
	(void)sodium_bin2base64(pk64, sizeof(pk64), v->pk, sizeof(v->pk),
	    sodium_base64_VARIANT_ORIGINAL);
	bkey_jobj_begin(&o, &body);
	bkey_jobj_str(&o, "itemName", v->a->item);
	bkey_jobj_str(&o, "fieldPath", v->a->field);
	bkey_jobj_str(&o, "purpose", purpose);
	bkey_jobj_str(&o, "ephemeralPublicKey", pk64);
	bkey_jobj_int(&o, "expiresInSecs", expiry_secs(v->a->timeout));
	if (bkey_jobj_end(&o) != 0 ||
	    snprintf(url, sizeof(url), "%s/v1/vault/access", v->k.c->api_url) >=
		(int)sizeof(url)) {
		bkey_seterr(err, BKEY_ERR_INTERNAL, "vault: request too long");
		goto out;
	}
	if (call(v, url, body.data, 0, "vault request", &j, &resp, err) != 0)
		goto out;
	have_json = 1;
	if (bkey_json_get_str(&j, 0, "id", &id) != 0 || id == NULL ||
	    !id_ok(id)) {
		bkey_seterr(err, BKEY_ERR_PROTOCOL,
		    "vault request: missing "
		    "or unusable id");
		goto out;
	}
	(void)snprintf(got->id, sizeof(got->id), "%s", id);
	/* Not in BKey's schema: a test server's hint, like approvals'. */
	if (bkey_json_find(&j, 0, "interval") >= 0 &&
	    bkey_json_get_int(&j, 0, "interval", &hint) == 0 && hint >= 0 &&
	    hint <= 600)
		v->interval_ms = hint * 1000 < MIN_POLL_MS ? MIN_POLL_MS :
							     (long)hint * 1000;
	rc = 0;
out:
	free(id);
	if (have_json)
		bkey_json_free(&j);
	bkey_buf_free(&resp.body);
	bkey_buf_free(&body);
	return rc;
}

/* What one status answer means: 1 go on polling, 0 done (res set). */
static int
judge(struct vault_run *v, const bkey_json *j, struct bkey_vault_got *got,
    bkey_result *res, bkey_error *err)
{
	char *status = NULL, *ct = NULL;
	int t, go = 0;

	*res = BKEY_ERR_PROTOCOL;
	if (bkey_json_get_str(j, 0, "status", &status) != 0 || status == NULL) {
		bkey_seterr(err, BKEY_ERR_PROTOCOL, "vault status: no status");
		goto out;
	}
	if (strcmp(status, "pending") == 0 || strcmp(status, "approved") == 0)
		go = 1;
	else if (strcmp(status, "denied") == 0) {
		bkey_seterr(err, BKEY_DENIED, "denied");
		*res = BKEY_DENIED;
	} else if (strcmp(status, "expired") == 0) {
		bkey_seterr(err, BKEY_EXPIRED,
		    "the request expired "
		    "unanswered");
		*res = BKEY_EXPIRED;
	} else if (strcmp(status, "consumed") != 0)
		bkey_seterr(err, BKEY_ERR_PROTOCOL,
		    "vault status: unknown "
		    "status");
	else if ((t = bkey_json_find(j, 0, "e2eeCiphertext")) < 0 ||
	    bkey_json_type_of(j, t) != BKEY_JSON_STRING ||
	    bkey_json_str(j, t, &ct) != 0)
		bkey_seterr(err, BKEY_ERR_PROTOCOL,
		    "vault status: consumed "
		    "without a ciphertext");
	else if (bkey_vault_open(ct, v->sk, v->a->pinned, got, err) == 0)
		*res = BKEY_APPROVED;
out:
	if (ct != NULL) {
		sodium_memzero(ct, strlen(ct));
		free(ct);
	}
	free(status);
	return go;
}

/* Poll every interval until an outcome or the deadline. */
static bkey_result
poll_loop(struct vault_run *v, struct bkey_vault_got *got, bkey_error *err)
{
	char url[1024];
	struct bkey_http_resp resp;
	bkey_json j;
	bkey_result res;
	long long next;
	int go;

	if (snprintf(url, sizeof(url), "%s/v1/vault/access/%s", v->k.c->api_url,
		got->id) >= (int)sizeof(url)) {
		bkey_seterr(err, BKEY_ERR_INTERNAL, "vault: URL too long");
		return BKEY_ERR_INTERNAL;
	}
	for (;;) {
		next = bkey_now_ms() + 1 + v->interval_ms;
		if (next >= v->deadline_ms) {
			if (bkey_ciba_sleep_until(v->k.cancel, v->deadline_ms,
				err) != 0)
				return BKEY_ERR_CANCELLED;
			bkey_seterr(err, BKEY_EXPIRED,
			    "no answer before the "
			    "timeout");
			return BKEY_EXPIRED;
		}
		if (bkey_ciba_sleep_until(v->k.cancel, next, err) != 0)
			return BKEY_ERR_CANCELLED;
		if (call(v, url, NULL, v->interval_ms, "vault status", &j,
			&resp, err) != 0) {
			bkey_buf_free(&resp.body);
			return err->code;
		}
		go = judge(v, &j, got, &res, err);
		bkey_json_free(&j);
		bkey_buf_free(&resp.body);
		if (!go)
			return res;
	}
}

static void
report(const struct vault_run *v, const struct bkey_vault_got *got,
    const char *code, bkey_pending_cb on_pending)
{
	struct bkey_pending p;
	long long left = (v->deadline_ms - bkey_now_ms() + 999) / 1000;

	p.auth_req_id = got->id;
	p.code = code;
	p.expires_in = left < 0 ? 0 : (long)left;
	p.interval = v->interval_ms / 1000;
	on_pending(&p, NULL);
}

bkey_result
bkey_vault_fetch(const struct bkey_config *c, const struct bkey_vault_ask *a,
    const volatile sig_atomic_t *cancel, bkey_pending_cb on_pending,
    struct bkey_vault_got *got, bkey_error *err)
{
	struct vault_run v;
	char code[8], *purpose = NULL;
	bkey_result res = BKEY_ERR_INTERNAL;
	long long stamp;
	int have_ciba = 0;

	memset(&v, 0, sizeof(v));
	memset(got, 0, sizeof(*got));
	v.a = a;
	v.interval_ms = POLL_MS;
	v.deadline_ms = bkey_now_ms() + a->timeout * 1000LL;
	if (c->dialect != BKEY_DIALECT_BKEY) {
		bkey_seterr(err, BKEY_ERR_CONFIG,
		    "vault access needs the "
		    "bkey dialect");
		goto fail;
	}
	/* One key pair for this one request, never reused. */
	randombytes_buf(v.sk, sizeof(v.sk));
	if (crypto_scalarmult_base(v.pk, v.sk) != 0 ||
	    bkey_ciba_init(&v.k, c, cancel, err) != 0)
		goto fail;
	have_ciba = 1;
	if (bkey_ciba_client_token(&v.k, v.deadline_ms, err) != 0)
		goto fail;
	if (bkey_approve_binding(code, sizeof(code), a->message, "vault access",
		&purpose) != 0) {
		bkey_seterr(err, BKEY_ERR_INTERNAL, "out of memory");
		goto fail;
	}
	/* A push like an approval's: counted, given back if it never
	 * reached the service. */
	if (bkey_push_take(c, a->did, &stamp, err) != 0)
		goto fail;
	if (start(&v, purpose, got, err) != 0) {
		if (err->code == BKEY_ERR_UNAVAILABLE && !v.k.unanswered)
			bkey_push_give_back(c, a->did, stamp);
		goto fail;
	}
	if (on_pending != NULL)
		report(&v, got, code, on_pending);
	res = poll_loop(&v, got, err);
	goto out;
fail:
	res = err->code != BKEY_APPROVED ? err->code : BKEY_ERR_INTERNAL;
out:
	if (res != BKEY_APPROVED)
		bkey_vault_got_free(got);
	if (err->code != res && res != BKEY_APPROVED)
		err->code = res;
	sodium_memzero(v.sk, sizeof(v.sk));
	if (have_ciba)
		bkey_ciba_free(&v.k);
	free(purpose);
	return res;
}
