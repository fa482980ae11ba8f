/* SPDX-License-Identifier: ISC */
/*
 * What the final "approved" event of a vault run says: no token, so no
 * jti or exp; the access request ids as auth_req_id and what was asked,
 * "vault:ITEM:FIELD", as scope (each a space-separated list, in the order
 * of the --vault options). Never the secret.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "output.h"
#include "vault.h" /* helper/ */
#include "vault_cli.h"

/* Room left in an event field for " +N more". */
#define NOTE_MAX (BKEY_EVENT_FIELD_SIZE - 16)

/* Append s to list (space-separated); 0, or -1 if it would not fit. */
static int
add(char *list, const char *s)
{
	size_t n = strlen(list), k = strlen(s);

	if (n + (n > 0) + k > NOTE_MAX)
		return -1;
	(void)snprintf(list + n, BKEY_EVENT_FIELD_SIZE - n, "%s%s",
	    n > 0 ? " " : "", s);
	return 0;
}

void
bkey_vault_note(struct bkey_vault_cli *v, const char *item, const char *field,
    const char *id)
{
	char scope[BKEY_VAULT_ITEM_MAX + BKEY_VAULT_FIELD_MAX + 8];
	size_t ni = strlen(v->ids), ns = strlen(v->scopes);

	(void)snprintf(scope, sizeof(scope), "vault:%s:%s", item, field);
	/* Both lists name the same items, or a later one is left off. */
	if (v->left_off > 0 || add(v->ids, id) != 0 ||
	    add(v->scopes, scope) != 0) {
		v->ids[ni] = '\0';
		v->scopes[ns] = '\0';
		v->left_off++;
	}
}

/* list, and " +N more" when items were left off, malloc'd. */
static char *
listed(const char *list, int left_off)
{
	char buf[BKEY_EVENT_FIELD_SIZE + 32]; /* list is at most NOTE_MAX */

	if (left_off > 0)
		(void)snprintf(buf, sizeof(buf), "%s +%d more", list, left_off);
	else
		(void)snprintf(buf, sizeof(buf), "%s", list);
	return strdup(buf);
}

int
bkey_vault_approval(const struct bkey_vault_cli *v, const char *did,
    struct bkey_approval *a)
{
	bkey_out_vault();
	a->sub = strdup(did);
	a->auth_req_id = listed(v->ids, v->left_off);
	a->scope = listed(v->scopes, v->left_off);
	a->jti = NULL;
	a->exp = 0;
	return a->sub != NULL && a->auth_req_id != NULL && a->scope != NULL ?
	    0 :
	    -1;
}
