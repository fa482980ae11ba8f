/* SPDX-License-Identifier: ISC */
/* What several bkey-admin commands need to name a user's DID. */
#include <stdlib.h>

#include "admin.h"
#include "config.h"
#include "users.h"
#include "../helper/ldap_users.h"

int
admin_load_for_lookup(struct bkey_config *cfg, const char *path,
    bkey_error *err)
{
	if (bkey_config_load_public(cfg, path, err) != 0)
		return -1;
	if (cfg->users_ldap_uri == NULL)
		return 0;
	/* The directory needs the full load: its bind password. */
	bkey_config_free(cfg);
	return bkey_config_load(cfg, path, err);
}

int
admin_user_did(const struct bkey_config *cfg, const char *user, char **did,
    bkey_error *err)
{
	int r;

	*did = NULL;
	r = cfg->users_ldap_uri != NULL ?
	    bkey_ldap_users_lookup(cfg, user, did, err) :
	    bkey_users_lookup(cfg->users_file, user, did, err);
	if (r == 1)
		bkey_seterr(err, BKEY_ERR_CONFIG,
		    "%s: user \"%s\" is not enrolled",
		    cfg->users_ldap_uri != NULL ? "users_ldap_uri" :
						  cfg->users_file,
		    user);
	if (r != 0) {
		free(*did);
		*did = NULL;
		return -1;
	}
	return 0;
}
