/* SPDX-License-Identifier: ISC */
/* bkey-admin vault-key USER [--reset]: the phone key for USER's vault
 * accesses: configured (users file, directory: shown, changed there) or
 * pinned on first use (cli/vault_pin.c: shown or removed). */
#include <stdio.h>
#include <stdlib.h>

#include <sodium.h>

#include "admin.h"
#include "config.h"
#include "users.h"
#include "../cli/vault_cli.h"

/* A configured key: shown; --reset refused, it is changed where it is. */
static int
configured(const struct admin_opts *o, const struct bkey_config *cfg,
    const char *did, const unsigned char pk[32], const char *from)
{
	char key[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
	const char *where = cfg->users_ldap_uri != NULL ?
	    cfg->users_ldap_vault_key_attr :
	    cfg->users_file;

	(void)sodium_bin2base64(key, sizeof(key), pk, 32,
	    sodium_base64_VARIANT_ORIGINAL);
	if (o->reset) {
		(void)fprintf(stderr,
		    "bkey-admin: the phone key of %s is configured in the %s "
		    "(%s): change it there; there is no record to reset\n",
		    o->user, from, where);
		return 78;
	}
	(void)printf("%s (%s): phone key %s, configured in the %s (%s)\n",
	    o->user, did, key, from, where);
	return fflush(stdout) == 0 ? 0 : 70;
}

/* No configured key: the first-use record in state_dir. */
static int
recorded(const struct admin_opts *o, const struct bkey_config *cfg,
    const char *did)
{
	bkey_error err = { 0 };
	char key[128];
	int r = bkey_vault_pin_admin(cfg->state_dir, did, o->reset, key,
	    sizeof(key), &err);

	if (r < 0) {
		admin_problem(err.detail);
		return bkey_result_exit(err.code);
	}
	if (r == 1)
		(void)printf("%s (%s): no phone key configured or recorded\n",
		    o->user, did);
	else if (o->reset) {
		admin_log_change("vault key reset", o->user, did);
		(void)printf("%s (%s): recorded phone key %s removed; the next "
			     "access records a new one\n",
		    o->user, did, key);
	} else
		(void)printf("%s (%s): phone key %s, recorded on first use "
			     "(%s/vault-keys)\n",
		    o->user, did, key, cfg->state_dir);
	return fflush(stdout) == 0 ? 0 : 70;
}

int
admin_vault_key(const struct admin_opts *o)
{
	struct bkey_config cfg;
	bkey_error err = { 0 };
	unsigned char pk[32];
	const char *from = NULL;
	char *did = NULL;
	int r, status;

	if (admin_load_for_lookup(&cfg, o->config, &err) != 0) {
		admin_problem(err.detail);
		return bkey_result_exit(err.code);
	}
	r = bkey_vault_key_lookup(&cfg, o->user, &did, pk, &from, &err);
	if (r == 1)
		bkey_seterr(&err, BKEY_ERR_CONFIG,
		    "%s: user \"%s\" is not enrolled",
		    cfg.users_ldap_uri != NULL ? "users_ldap_uri" :
						 cfg.users_file,
		    o->user);
	if (r != 0 || did == NULL) {
		admin_problem(err.detail);
		status = bkey_result_exit(err.code);
	} else if (from != NULL)
		status = configured(o, &cfg, did, pk, from);
	else
		status = recorded(o, &cfg, did);
	free(did);
	bkey_config_free(&cfg);
	return status;
}
