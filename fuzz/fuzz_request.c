/*
 * bkey_request_parse: the --request-stdin object a module sends (built from
 * PAM items and sudo's command line, so user-influenced). Invariants: on
 * success exactly one of user/did is set and valid, the scope is valid, the
 * message is sanitized and <= BKEY_MESSAGE_MAX, details parse as an object
 * <= BKEY_DETAILS_MAX; on failure the struct is empty and err is set and
 * sanitized. No leaks either way.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "request.h"
#include "sanitize.h"
#include "users.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
	bkey_request_free(&r);
	free(src);
	return 0;
}
