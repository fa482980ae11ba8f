/* SPDX-License-Identifier: ISC */
/*
 * The line protocol between bkey-approve (--json / --request-stdin) and its
 * callers: one JSON object per line.
 *   {"event":"pending","auth_req_id":"..","code":"4821","expires_in":300,"interval":5}
 *   {"event":"approved","sub":"did:..","jti":"..","scope":"..","exp":N,"auth_req_id":".."}
 *   {"event":"denied"}  {"event":"expired"}
 *   {"event":"recovered","remaining":N}  (a break-glass code was burned)
 *   {"event":"error","reason":"unavailable|protocol|token|config|usage|cancelled|internal","detail":".."}
 * When the helper looked the DID up in the directory (users_ldap_uri),
 * pending and approved carry "did" (the DID it asked), and an error for a
 * user with no DID carries "unknown_user":1 (nouserok may apply to it,
 * never to another error).
 */
#ifndef BKEY_EVENT_H
#define BKEY_EVENT_H

#include "result.h"
#include "valid.h"		/* BKEY_DID_MAX */

#define BKEY_EVENT_LINE_MAX 4096
/* Sizes of the string members below, NUL included: what a value may hold
 * is one less. The helper refuses longer claims before it writes one. */
#define BKEY_EVENT_FIELD_SIZE	256	/* auth_req_id, jti, scope */
#define BKEY_EVENT_SUB_SIZE	(BKEY_DID_MAX + 1)	/* any valid DID */
#define BKEY_EVENT_CODE_SIZE	8	/* the binding code, "4821" */

enum bkey_event_type {
	BKEY_EV_NONE = 0, BKEY_EV_PENDING, BKEY_EV_APPROVED, BKEY_EV_DENIED,
	BKEY_EV_EXPIRED, BKEY_EV_ERROR, BKEY_EV_RECOVERED
};

struct bkey_event {
	enum bkey_event_type type;
	char auth_req_id[BKEY_EVENT_FIELD_SIZE];
	char code[BKEY_EVENT_CODE_SIZE];
	long expires_in, interval;
	char sub[BKEY_EVENT_SUB_SIZE], jti[BKEY_EVENT_FIELD_SIZE];
	char scope[BKEY_EVENT_FIELD_SIZE];
	char did[BKEY_EVENT_FIELD_SIZE];	/* "" unless the helper mapped */
	long long exp;
	bkey_result reason;		/* for BKEY_EV_ERROR */
	char detail[BKEY_DETAIL_MAX];
	int unknown_user;		/* error: the user has no DID */
	int no_token;			/* approved: a vault access (no jti, exp) */
	long remaining;			/* recovered: codes left */
};

/* Format ev as one line (with trailing '\n') into dst; -1 if it won't fit. */
int bkey_event_format(const struct bkey_event *ev, char *dst, size_t dstsz);
/* Parse one line (without '\n'). Strict: unknown event names, missing
 * members or over-long values are -1. Strings are sanitized. */
int bkey_event_parse(struct bkey_event *ev, const char *line, size_t len);

#endif
