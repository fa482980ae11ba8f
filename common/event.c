/* SPDX-License-Identifier: ISC */
/* The JSON line protocol between bkey-approve and its callers (event.h). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "buf.h"
#include "json.h"
#include "jsonw.h"
#include "sanitize.h"

static const char *const ev_names[] = {
	[BKEY_EV_PENDING] = "pending",
	[BKEY_EV_APPROVED] = "approved",
	[BKEY_EV_DENIED] = "denied",
	[BKEY_EV_EXPIRED] = "expired",
	[BKEY_EV_ERROR] = "error",
	[BKEY_EV_RECOVERED] = "recovered",
};

static int
is_error_result(bkey_result r)
{
	return r != BKEY_APPROVED && r != BKEY_DENIED && r != BKEY_EXPIRED;
}

/* Sanitize a field again on the way out: it will be read by a host. */
static void
put_str(bkey_jobj *o, const char *key, const char *val, size_t valsz)
{
	char tmp[BKEY_EVENT_LINE_MAX];

	bkey_sanitize_into(tmp, sizeof(tmp), val, strnlen(val, valsz));
	bkey_jobj_str(o, key, tmp);
}

#define PUT(o, key, field) put_str((o), (key), (field), sizeof(field))

int
bkey_event_format(const struct bkey_event *ev, char *dst, size_t dstsz)
{
	bkey_buf b;
	bkey_jobj o;
	int rc = -1;

	if (ev == NULL || dst == NULL || dstsz < 2 || ev->type <= BKEY_EV_NONE ||
	    ev->type > BKEY_EV_RECOVERED)
		return -1;
	bkey_buf_init(&b, dstsz - 2);	/* room for '\n' and NUL */
	bkey_jobj_begin(&o, &b);
	bkey_jobj_str(&o, "event", ev_names[ev->type]);
	switch (ev->type) {
	case BKEY_EV_PENDING:
		PUT(&o, "auth_req_id", ev->auth_req_id);
		PUT(&o, "code", ev->code);
		bkey_jobj_int(&o, "expires_in", ev->expires_in);
		bkey_jobj_int(&o, "interval", ev->interval);
		if (ev->did[0] != '\0')
			PUT(&o, "did", ev->did);
		break;
	case BKEY_EV_APPROVED:
		PUT(&o, "sub", ev->sub);
		if (!ev->no_token)
			PUT(&o, "jti", ev->jti);
		PUT(&o, "scope", ev->scope);
		if (!ev->no_token)
			bkey_jobj_int(&o, "exp", ev->exp);
		PUT(&o, "auth_req_id", ev->auth_req_id);
		if (ev->did[0] != '\0')
			PUT(&o, "did", ev->did);
		break;
	case BKEY_EV_RECOVERED:
		bkey_jobj_int(&o, "remaining", ev->remaining);
		break;
	case BKEY_EV_ERROR:
		/* an error line never carries a non-error outcome */
		bkey_jobj_str(&o, "reason", is_error_result(ev->reason) ?
		    bkey_result_reason(ev->reason) : "internal");
		PUT(&o, "detail", ev->detail);
		if (ev->unknown_user)
			bkey_jobj_int(&o, "unknown_user", 1);
		break;
	default:
		break;
	}
	if (bkey_jobj_end(&o) != 0 || b.len + 2 > dstsz)
		goto out;
	memcpy(dst, b.data, b.len);
	dst[b.len] = '\n';
	dst[b.len + 1] = '\0';
	rc = 0;
 out:
	bkey_buf_free(&b);
	return rc;
}

/* String member into a fixed field, sanitized. Over-long or missing: -1. */
static int
get_field(const bkey_json *j, const char *key, char *dst, size_t dstsz,
    int allow_empty)
{
	char *s = NULL;
	size_t n;
	int rc = -1;

	if (bkey_json_get_str(j, 0, key, &s) != 0)
		goto out;
	n = strlen(s);
	if (n >= dstsz || (n == 0 && !allow_empty))
		goto out;
	/* valid UTF-8 never grows when sanitized: no silent truncation */
	bkey_sanitize_into(dst, dstsz, s, n);
	if (dst[0] == '\0' && !allow_empty)
		goto out;
	rc = 0;
 out:
	free(s);
	return rc;
}

static int
get_nonneg(const bkey_json *j, const char *key, long *out)
{
	long long v;

	if (bkey_json_get_int(j, 0, key, &v) != 0 || v < 0 || v > LONG_MAX)
		return -1;
	*out = (long)v;
	return 0;
}

/* The optional "did": absent is "", present must be a whole field. */
static int
get_did(const bkey_json *j, struct bkey_event *ev)
{
	if (bkey_json_find(j, 0, "did") < 0)
		return 0;
	return get_field(j, "did", ev->did, sizeof(ev->did), 0);
}

static int
parse_pending(const bkey_json *j, struct bkey_event *ev)
{
	int i;

	if (get_field(j, "auth_req_id", ev->auth_req_id,
	    sizeof(ev->auth_req_id), 0) != 0 ||
	    get_field(j, "code", ev->code, sizeof(ev->code), 0) != 0)
		return -1;
	if (strlen(ev->code) != 4)
		return -1;
	for (i = 0; i < 4; i++)
		if (ev->code[i] < '0' || ev->code[i] > '9')
			return -1;
	if (get_nonneg(j, "expires_in", &ev->expires_in) != 0 ||
	    get_nonneg(j, "interval", &ev->interval) != 0)
		return -1;
	return get_did(j, ev);
}

static int
parse_approved(const bkey_json *j, struct bkey_event *ev)
{
	if (get_field(j, "sub", ev->sub, sizeof(ev->sub), 0) != 0 ||
	    get_field(j, "jti", ev->jti, sizeof(ev->jti), 0) != 0 ||
	    get_field(j, "scope", ev->scope, sizeof(ev->scope), 0) != 0 ||
	    get_field(j, "auth_req_id", ev->auth_req_id,
	    sizeof(ev->auth_req_id), 0) != 0)
		return -1;
	if (bkey_json_get_int(j, 0, "exp", &ev->exp) != 0)
		return -1;
	return get_did(j, ev);
}

static int
parse_error(const bkey_json *j, struct bkey_event *ev)
{
	char *reason = NULL;
	long long flag;
	int rc = -1;

	if (bkey_json_get_str(j, 0, "reason", &reason) != 0)
		goto out;
	ev->reason = bkey_result_from_reason(reason);
	if (!is_error_result(ev->reason))
		ev->reason = BKEY_ERR_INTERNAL;	/* fail closed */
	if (get_field(j, "detail", ev->detail, sizeof(ev->detail), 1) != 0)
		goto out;
	if (bkey_json_find(j, 0, "unknown_user") >= 0) {
		if (bkey_json_get_int(j, 0, "unknown_user", &flag) != 0 ||
		    flag != 1)
			goto out;
		ev->unknown_user = 1;
	}
	rc = 0;
 out:
	free(reason);
	return rc;
}

int
bkey_event_parse(struct bkey_event *ev, const char *line, size_t len)
{
	bkey_json j;
	char *name = NULL;
	int parsed = 0, rc = -1, t;

	if (ev == NULL)
		return -1;
	memset(ev, 0, sizeof(*ev));
	if (line == NULL || len > BKEY_EVENT_LINE_MAX ||
	    memchr(line, '\n', len) != NULL)
		goto out;
	if (bkey_json_parse(&j, line, len) != 0)
		goto out;
	parsed = 1;
	if (bkey_json_get_str(&j, 0, "event", &name) != 0)
		goto out;
	for (t = BKEY_EV_PENDING; t <= BKEY_EV_RECOVERED; t++)
		if (strcmp(name, ev_names[t]) == 0)
			break;
	switch (t) {
	case BKEY_EV_PENDING:
		rc = parse_pending(&j, ev);
		break;
	case BKEY_EV_APPROVED:
		rc = parse_approved(&j, ev);
		break;
	case BKEY_EV_DENIED:
	case BKEY_EV_EXPIRED:
		rc = 0;
		break;
	case BKEY_EV_ERROR:
		rc = parse_error(&j, ev);
		break;
	case BKEY_EV_RECOVERED:
		rc = get_nonneg(&j, "remaining", &ev->remaining);
		break;
	default:
		rc = -1;
		break;
	}
	if (rc == 0)
		ev->type = (enum bkey_event_type)t;
 out:
	free(name);
	if (parsed)
		bkey_json_free(&j);
	if (rc != 0)
		memset(ev, 0, sizeof(*ev));
	return rc;
}
