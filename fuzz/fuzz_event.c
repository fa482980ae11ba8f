/* SPDX-License-Identifier: ISC */
/*
 * bkey_event_parse: the line a module reads from bkey-approve. Invariants:
 * a parsed event has a known type, sanitized NUL-terminated fields and
 * (error events) an error reason; formatting it and parsing that line
 * gives the same event back; a failed parse leaves the struct zeroed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "sanitize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_field(const char *s, size_t sz)
{
	size_t n = strnlen(s, sz), i;

	if (n >= sz || !bkey_utf8_valid(s, n))
		abort();
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f)
			abort();
}

#define CHECK(f) check_field((f), sizeof(f))

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct bkey_event zero;
	struct bkey_event ev, ev2;
	char line[BKEY_EVENT_LINE_MAX + 2];
	char *src;
	size_t n;

	if ((src = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(src, data, size);
	if (bkey_event_parse(&ev, src, size) != 0) {
		if (memcmp(&ev, &zero, sizeof(ev)) != 0)
			abort();
		free(src);
		return 0;
	}
	if (ev.type <= BKEY_EV_NONE || ev.type > BKEY_EV_RECOVERED)
		abort();
	CHECK(ev.auth_req_id);
	CHECK(ev.code);
	CHECK(ev.sub);
	CHECK(ev.jti);
	CHECK(ev.scope);
	CHECK(ev.detail);
	if (ev.type == BKEY_EV_ERROR && (ev.reason == BKEY_APPROVED ||
	    ev.reason == BKEY_DENIED || ev.reason == BKEY_EXPIRED))
		abort();
	if (ev.type == BKEY_EV_PENDING && (strlen(ev.code) != 4 ||
	    ev.expires_in < 0 || ev.interval < 0))
		abort();

	/* round trip: what we would write is what we read */
	if (bkey_event_format(&ev, line, sizeof(line)) != 0)
		abort();
	n = strlen(line);
	if (n < 2 || line[n - 1] != '\n' || memchr(line, '\n', n - 1) != NULL)
		abort();
	if (bkey_event_parse(&ev2, line, n - 1) != 0)
		abort();
	if (ev2.type != ev.type || strcmp(ev2.auth_req_id, ev.auth_req_id) ||
	    strcmp(ev2.code, ev.code) || strcmp(ev2.sub, ev.sub) ||
	    strcmp(ev2.jti, ev.jti) || strcmp(ev2.scope, ev.scope) ||
	    strcmp(ev2.detail, ev.detail) || ev2.reason != ev.reason ||
	    ev2.exp != ev.exp || ev2.expires_in != ev.expires_in ||
	    ev2.interval != ev.interval)
		abort();
	free(src);
	return 0;
}
