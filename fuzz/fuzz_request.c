/* SPDX-License-Identifier: ISC */
/*
 * bkey_request_parse: the --request-stdin object a module sends (built from
 * PAM items and sudo's command line, so user-influenced). Invariants: on
 * success exactly one of user/did is set and valid, the scope is valid, the
 * message is sanitized and <= BKEY_MESSAGE_MAX, details parse as an object
 * <= BKEY_DETAILS_MAX; on failure the struct is empty and err is set and
 * sanitized. No leaks either way. What parsed, written back with
 * bkey_request_write, parses to the same fields (the modules' writer and
 * the helper's parser agree).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "request.h"
#include "sanitize.h"
#include "users.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* A parsed request with a DID, written and parsed again, is unchanged. */
static void
check_round_trip(const struct bkey_request *r)
{
	struct bkey_request_spec sp;
	struct bkey_request back;
	bkey_error err;
	char *json;

	if (r->did == NULL)
		return;
	memset(&sp, 0, sizeof(sp));
	sp.did = r->did;
	/* A module always names the scope. */
	sp.scope = r->scope != NULL ? r->scope : "approve:login";
	sp.message = r->message;
	sp.details = r->details;
	sp.timeout = r->timeout;
	if ((json = bkey_request_write(&sp)) == NULL)
		abort();
	if (bkey_request_parse(&back, json, strlen(json), &err) != 0)
		abort();
	if (!same(back.did, r->did) || !same(back.scope, sp.scope) ||
	    !same(back.message, r->message) ||
	    !same(back.details, r->details) || back.timeout != r->timeout ||
	    back.user != NULL)
		abort();
	bkey_request_free(&back);
	free(json);
}

static void
check_clean(const char *s, size_t max)
{
	size_t n = strlen(s), i;

	if (n > max || !bkey_utf8_valid(s, n))
		abort();
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct bkey_request zero;
	struct bkey_request r;
	bkey_error err;
	bkey_json j;
	char *src;

	if ((src = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(src, data, size);
	memset(&err, 0, sizeof(err));
	if (bkey_request_parse(&r, src, size, &err) != 0) {
		if (memcmp(&r, &zero, sizeof(r)) != 0 || err.detail[0] == '\0')
			abort();
		check_clean(err.detail, BKEY_DETAIL_MAX - 1);
		free(src);
		return 0;
	}
	if ((r.user == NULL) == (r.did == NULL))
		abort();
	if (r.user != NULL && !bkey_username_valid(r.user))
		abort();
	if (r.did != NULL && !bkey_did_valid(r.did))
		abort();
	if (r.scope != NULL && !bkey_scope_valid(r.scope))
		abort();
	if (r.message != NULL)
		check_clean(r.message, BKEY_MESSAGE_MAX);
	if (r.details != NULL) {
		if (strlen(r.details) > BKEY_DETAILS_MAX ||
		    bkey_json_parse(&j, r.details, strlen(r.details)) != 0)
			abort();
		bkey_json_free(&j);
	}
	if (r.timeout < 0)
		abort();
	check_round_trip(&r);
	bkey_request_free(&r);
	free(src);
	return 0;
}
