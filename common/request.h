/* SPDX-License-Identifier: ISC */
/* What to approve: built from the command line or read from stdin. */
#ifndef BKEY_REQUEST_H
#define BKEY_REQUEST_H

#include <stddef.h>
#include "result.h"
#include "valid.h"		/* bkey_scope_valid, BKEY_SCOPE_MAX */

struct bkey_request {
	char *user;		/* Unix name to look up, or NULL */
	char *did;		/* DID (given or looked up) */
	char *scope;		/* NULL: config default */
	char *message;		/* sanitized, <= BKEY_MESSAGE_MAX */
	char *details;		/* sanitized JSON object text, or NULL */
	long timeout;		/* seconds; 0: config default */
	char *recovery_code;	/* a break-glass code to check (secret,
				 * wiped on free), or NULL */
};

/*
 * Parse the --request-stdin object: {"user"|"did", "scope", "message",
 * "action_details": {...}, "timeout", "recovery_code"}. Unknown members, wrong types, both or
 * neither of user/did are BKEY_ERR_USAGE. Strings are sanitized. 0 / -1.
 */
int bkey_request_parse(struct bkey_request *r, const char *json, size_t len,
    bkey_error *err);
void bkey_request_free(struct bkey_request *r);

/* What a module asks for: the fields of the request it writes. */
struct bkey_request_spec {
	const char *did;	/* the approver; NULL: user, for the helper to map */
	const char *user;	/* with did NULL (users_ldap_uri) */
	const char *scope;
	const char *message;	/* NULL: none */
	const char *details;	/* action_details JSON object text, or NULL */
	long timeout;		/* seconds; 0: the helper's config */
	const char *recovery_code;	/* NULL: ask the phone */
};

/*
 * The --request-stdin object for s, in the order the parser above reads
 * it: {"did" or "user", "scope", "message", "action_details", "timeout"}.
 * malloc'd
 * (wipe it after use), NULL if it does not fit or memory ran out.
 */
char *bkey_request_write(const struct bkey_request_spec *s);

/* 1 if word[0..wl) is one of the space-separated words of list (a granted
 * scope string); a word that is only a prefix of one does not count. */
int bkey_scope_has(const char *list, const char *word, size_t wl);

#endif
