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

/* The users file's line for user, and its key if it has one; else the
 * key another line gives the same DID (a second name for the same phone,
 * which bkey-admin enroll writes without one): the DID's phone is one
 * phone, and without this the alias would fall back to trust on first
 * use and could pin a swapped key for the DID. */
static int
from_file(const struct bkey_config *c, const char *user, char **did,
    unsigned char key[32], const char **from, bkey_error *err)
{
	char *b64 = NULL;
	int r = bkey_users_lookup_key(c->users_file, user, did, &b64, err);

	if (r == 0 && b64 == NULL) {
		r = bkey_users_did_key(c->users_file, *did, &b64, err);
		if (r == 1)
			r = 0; /* no key for the DID anywhere */
		else if (r < 0) {
			free(*did);
			*did = NULL;
		}
	}
	if (r == 0 && b64 != NULL) {
		/* The parser checked it: decoding cannot fail here. */
		if (bkey_users_key_decode(b64, strlen(b64), key) == 0)
			*from = "users file";
		else {
			free(*did);
			*did = NULL;
			r = bkey_seterr(err, BKEY_ERR_INTERNAL,
			    "%s: phone key of %s unreadable", c->users_file,
			    user);
		}
	}
	free(b64);
	return r;
}

int
bkey_vault_key_lookup(const struct bkey_config *c, const char *user, char **did,
    unsigned char key[32], const char **from, bkey_error *err)
{
	int r;

	*from = NULL;
	if (c->users_ldap_uri == NULL)
		return from_file(c, user, did, key, from, err);
	if (c->users_ldap_vault_key_attr == NULL)
		return bkey_ldap_users_lookup(c, user, did, err);
	r = bkey_ldap_users_lookup_key(c, user, did, key, err);
	if (r == 0)
		*from = "directory";
	return r;
}

int
bkey_vault_did_lookup(const struct bkey_config *c, struct bkey_vault_cli *v,
    const char *did, bkey_error *err)
{
	char *b64 = NULL;
	int r;

	v->key_from = NULL;
	sodium_memzero(v->key, sizeof(v->key));
	/* The directory's key is found by user name only: refused rather
	 * than trusting the first key a backend shows for this DID. */
	if (c->users_ldap_uri != NULL)
		return bkey_seterr(err, BKEY_ERR_USAGE,
		    "--did cannot be used with --vault when users come from "
		    "the directory (users_ldap_uri): the phone key configured "
		    "there is found by user name; give --user");
	r = bkey_users_did_key(c->users_file, did, &b64, err);
	if (r == 0) {
		/* The parser checked it: decoding cannot fail here. */
		if (bkey_users_key_decode(b64, strlen(b64), v->key) == 0)
			v->key_from = "users file";
		else
			r = bkey_seterr(err, BKEY_ERR_INTERNAL,
			    "%s: phone key of %s unreadable", c->users_file,
			    did);
	}
	free(b64);
	return r < 0 ? -1 : 0;
}

int
bkey_vault_lookup(const struct bkey_config *c, struct bkey_vault_cli *v,
    const char *user, char **did, bkey_error *err)
{
	v->key_from = NULL;
	sodium_memzero(v->key, sizeof(v->key));
	if (v->cmd == NULL) /* not a vault access: only the DID */
		return c->users_ldap_uri != NULL ?
		    bkey_ldap_users_lookup(c, user, did, err) :
		    bkey_users_lookup(c->users_file, user, did, err);
	return bkey_vault_key_lookup(c, user, did, v->key, &v->key_from, err);
}
