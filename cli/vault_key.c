/* SPDX-License-Identifier: ISC */
/*
 * The phone key known in advance: the users file's third field, or the
 * directory's users_ldap_vault_key_attr. Taken in the same read as the
 * DID, so both come from one version of the map.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ldap_users.h"
#include "users.h"
#include "vault_cli.h"

/* The users file's line for user; its key into v in vault mode. */
static int
from_file(const struct bkey_config *c, struct bkey_vault_cli *v,
    const char *user, char **did, bkey_error *err)
{
	char *key = NULL;
	int r = bkey_users_lookup_key(c->users_file, user, did, &key, err);

	if (r == 0 && key != NULL && v->cmd != NULL) {
		/* The parser checked it: decoding cannot fail here. */
		if (bkey_users_key_decode(key, strlen(key), v->key) == 0)
			v->key_from = "users file";
		else
			r = bkey_seterr(err, BKEY_ERR_INTERNAL,
			    "%s: phone key of %s unreadable", c->users_file,
			    user);
	}
	free(key);
	return r;
}

int
bkey_vault_lookup(const struct bkey_config *c, struct bkey_vault_cli *v,
    const char *user, char **did, bkey_error *err)
{
	int r;

	v->key_from = NULL;
	sodium_memzero(v->key, sizeof(v->key));
	if (c->users_ldap_uri == NULL)
		return from_file(c, v, user, did, err);
	if (v->cmd == NULL || c->users_ldap_vault_key_attr == NULL)
		return bkey_ldap_users_lookup(c, user, did, err);
	r = bkey_ldap_users_lookup_key(c, user, did, v->key, err);
	if (r == 0)
		v->key_from = "directory";
	return r;
}
