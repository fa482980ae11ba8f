/*
 * The line protocol between bkey-approve (--json / --request-stdin) and its
 * callers: one JSON object per line.
 *   {"event":"pending","auth_req_id":"..","code":"4821","expires_in":300,"interval":5}
 *   {"event":"approved","sub":"did:..","jti":"..","scope":"..","exp":N,"auth_req_id":".."}
 *   {"event":"denied"}  {"event":"expired"}
 *   {"event":"error","reason":"unavailable|protocol|token|config|usage|cancelled|internal","detail":".."}
 */
#ifndef BKEY_EVENT_H
#define BKEY_EVENT_H

#include "result.h"

#define BKEY_EVENT_LINE_MAX 4096

enum bkey_event_type {
	BKEY_EV_NONE = 0, BKEY_EV_PENDING, BKEY_EV_APPROVED, BKEY_EV_DENIED,
	BKEY_EV_EXPIRED, BKEY_EV_ERROR
};

struct bkey_event {
	enum bkey_event_type type;
	char auth_req_id[256];
	char code[8];
	long expires_in, interval;
	char sub[256], jti[256], scope[256];
	long long exp;
	bkey_result reason;		/* for BKEY_EV_ERROR */
	char detail[BKEY_DETAIL_MAX];
};

/* Format ev as one line (with trailing '\n') into dst; -1 if it won't fit. */
int bkey_event_format(const struct bkey_event *ev, char *dst, size_t dstsz);
/* Parse one line (without '\n'). Strict: unknown event names, missing
 * members or over-long values are -1. Strings are sanitized. */
int bkey_event_parse(struct bkey_event *ev, const char *line, size_t len);

#endif
