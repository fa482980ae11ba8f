/* SPDX-License-Identifier: ISC */
/* The --request-stdin object (request.h). Anything unexpected is a usage
 * error: the caller is a module that builds this object itself. */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "request.h"
#include "buf.h"
#include "json.h"
#include "jsonw.h"
#include "sanitize.h"
#include "users.h"

#define REQUEST_MAX	(64 * 1024)

static const char *const members[] = {
	"user", "did", "scope", "message", "action_details", "timeout",
	"recovery_code", NULL
};

int
bkey_scope_has(const char *list, const char *word, size_t wl)
{
	const char *p = list, *e;

	if (list == NULL || wl == 0)
		return 0;
	while (*p != '\0') {
		while (*p == ' ')
			p++;
		for (e = p; *e != '\0' && *e != ' '; e++)
			;
		if ((size_t)(e - p) == wl && memcmp(p, word, wl) == 0)
			return 1;
		p = e;
	}
	return 0;
}

/* String member, or absent (*out NULL). -1 if present but not a string. */
static int
opt_str(const bkey_json *j, const char *key, char **out, bkey_error *err)
{
	int v = bkey_json_find(j, 0, key);

	*out = NULL;
	if (v < 0)
		return 0;
	if (bkey_json_type_of(j, v) != BKEY_JSON_STRING)
		return bkey_seterr(err, BKEY_ERR_USAGE,
		    "request: \"%s\" must be a string", key);
	if (bkey_json_str(j, v, out) != 0)
		return bkey_seterr(err, BKEY_ERR_USAGE,
		    "request: \"%s\" is not a valid string", key);
	return 0;
}

static int
check_members(const bkey_json *j, bkey_error *err)
{
	int n = bkey_json_size(j, 0), i, k, v, m, known;
	char *key = NULL, *safe;

	for (i = 0; i < n; i++) {
		if (bkey_json_member_at(j, 0, i, &k, &v) != 0 ||
		    bkey_json_str(j, k, &key) != 0)
			return bkey_seterr(err, BKEY_ERR_USAGE,
			    "request: bad member name");
		for (known = 0, m = 0; members[m] != NULL && !known; m++)
			known = strcmp(members[m], key) == 0;
		if (!known) {
			safe = bkey_sanitize(key, strlen(key), 64);
			bkey_seterr(err, BKEY_ERR_USAGE,
			    "request: unknown member \"%s\"",
			    safe ? safe : "?");
			free(safe);
			free(key);
			return -1;
		}
		free(key);
		key = NULL;
	}
	return 0;
}

static int
parse_details(const bkey_json *j, struct bkey_request *r, bkey_error *err)
{
	char *raw = NULL;
	int v = bkey_json_find(j, 0, "action_details"), bad = 0, rc = -1;

	if (v < 0)
		return 0;
	if (bkey_json_type_of(j, v) != BKEY_JSON_OBJECT)
		return bkey_seterr(err, BKEY_ERR_USAGE,
		    "request: \"action_details\" must be an object");
	if (bkey_json_raw(j, v, &raw) != 0) {
		bkey_seterr(err, BKEY_ERR_INTERNAL, "out of memory");
		goto out;
	}
	r->details = bkey_sanitize_details(raw, strlen(raw), &bad);
	if (r->details == NULL) {
		if (bad)
			bkey_seterr(err, BKEY_ERR_USAGE,
			    "request: \"action_details\" is not valid");
		else
			bkey_seterr(err, BKEY_ERR_INTERNAL, "out of memory");
		goto out;
	}
	rc = 0;
 out:
	free(raw);
	return rc;
}

static int
parse_timeout(const bkey_json *j, struct bkey_request *r, bkey_error *err)
{
	int v = bkey_json_find(j, 0, "timeout");
	long long t;

	if (v < 0)
		return 0;
	if (bkey_json_int(j, v, &t) != 0 || t < BKEY_TIMEOUT_MIN ||
	    t > BKEY_TIMEOUT_MAX)
		return bkey_seterr(err, BKEY_ERR_USAGE,
		    "request: \"timeout\" must be an integer from %d to %d",
		    BKEY_TIMEOUT_MIN, BKEY_TIMEOUT_MAX);
	r->timeout = (long)t;
	return 0;
}

/* "recovery_code": a break-glass code to check instead of asking the
 * phone; only for a "user" (the codes are filed by user name). */
static int
parse_recovery(const bkey_json *j, struct bkey_request *r, bkey_error *err)
{
	if (opt_str(j, "recovery_code", &r->recovery_code, err) != 0)
		return -1;
	if (r->recovery_code != NULL && r->user == NULL)
		return bkey_seterr(err, BKEY_ERR_USAGE,
		    "request: \"recovery_code\" needs \"user\"");
	return 0;
}

int
bkey_request_parse(struct bkey_request *r, const char *json, size_t len,
    bkey_error *err)
{
	bkey_json j;
	char *msg = NULL;
	int parsed = 0, rc = -1;

	memset(r, 0, sizeof(*r));
	if (json == NULL || len > REQUEST_MAX) {
		bkey_seterr(err, BKEY_ERR_USAGE, "request: too long");
		goto out;
	}
	if (bkey_json_parse(&j, json, len) != 0) {
		bkey_seterr(err, BKEY_ERR_USAGE,
		    "request: not a valid JSON object");
		goto out;
	}
	parsed = 1;
	if (check_members(&j, err) != 0)
		goto out;
	if (opt_str(&j, "user", &r->user, err) != 0 ||
	    opt_str(&j, "did", &r->did, err) != 0 ||
	    opt_str(&j, "scope", &r->scope, err) != 0 ||
	    opt_str(&j, "message", &msg, err) != 0)
		goto out;
	if ((r->user == NULL) == (r->did == NULL)) {
		bkey_seterr(err, BKEY_ERR_USAGE,
		    "request: give exactly one of \"user\" and \"did\"");
		goto out;
	}
	if (r->user != NULL && !bkey_username_valid(r->user)) {
		bkey_seterr(err, BKEY_ERR_USAGE, "request: invalid user name");
		goto out;
	}
	if (r->did != NULL && !bkey_did_valid(r->did)) {
		bkey_seterr(err, BKEY_ERR_USAGE, "request: invalid DID");
		goto out;
	}
	if (r->scope != NULL && !bkey_scope_valid(r->scope)) {
		bkey_seterr(err, BKEY_ERR_USAGE, "request: invalid scope "
		    "(1 to %d characters of A-Z a-z 0-9 : . _ -)",
		    BKEY_SCOPE_MAX);
		goto out;
	}
	if (msg != NULL) {
		r->message = bkey_sanitize(msg, strlen(msg), BKEY_MESSAGE_MAX);
		if (r->message == NULL) {
			bkey_seterr(err, BKEY_ERR_INTERNAL, "out of memory");
			goto out;
		}
	}
	if (parse_details(&j, r, err) != 0 || parse_timeout(&j, r, err) != 0 ||
	    parse_recovery(&j, r, err) != 0)
		goto out;
	rc = 0;
 out:
	free(msg);
	if (parsed)
		bkey_json_free(&j);
	if (rc != 0)
		bkey_request_free(r);
	return rc;
}

void
bkey_request_free(struct bkey_request *r)
{
	if (r == NULL)
		return;
	free(r->user);
	free(r->did);
	free(r->scope);
	free(r->message);
	free(r->details);
	bkey_free_secret(&r->recovery_code);
	memset(r, 0, sizeof(*r));
}

char *
bkey_request_write(const struct bkey_request_spec *s)
{
	bkey_buf b;
	bkey_jobj o;
	char *out = NULL;

	bkey_buf_init(&b, REQUEST_MAX);
	bkey_jobj_begin(&o, &b);
	if (s->did != NULL)
		bkey_jobj_str(&o, "did", s->did);
	else
		bkey_jobj_str(&o, "user", s->user);
	bkey_jobj_str(&o, "scope", s->scope);
	if (s->message != NULL)
		bkey_jobj_str(&o, "message", s->message);
	if (s->details != NULL)
		bkey_jobj_raw(&o, "action_details", s->details);
	if (s->timeout > 0)
		bkey_jobj_int(&o, "timeout", s->timeout);
	if (s->recovery_code != NULL)
		bkey_jobj_str(&o, "recovery_code", s->recovery_code);
	if (bkey_jobj_end(&o) == 0)
		out = bkey_buf_steal(&b);
	bkey_buf_free(&b);
	return out;
}
