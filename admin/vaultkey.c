/* SPDX-License-Identifier: ISC */
/* bkey-admin vault-key USER [--reset]: the phone key pinned for USER's
 * vault accesses (cli/vault_pin.c), shown or removed. */
#include <stdio.h>
#include <stdlib.h>

#include "admin.h"
#include "config.h"
#include "users.h"
#include "../cli/vault_cli.h"

int
admin_vault_key(const struct admin_opts *o)
{
	struct bkey_config cfg;
	bkey_error err = { 0 };
	char *did = NULL, key[128];
	int r, status = 0;

	if (bkey_config_load_public(&cfg, o->config, &err) != 0) {
		admin_problem(err.detail);
		return bkey_result_exit(err.code);
	}
	r = bkey_users_lookup(cfg.users_file, o->user, &did, &err);
	if (r == 1)
		bkey_seterr(&err, BKEY_ERR_CONFIG,
		    "%s: user \"%s\" is not "
		    "enrolled",
		    cfg.users_file, o->user);
	if (r == 0)
		r = bkey_vault_pin_admin(cfg.state_dir, did, o->reset, key,
		    sizeof(key), &err);
	if (r < 0 || did == NULL) {
		admin_problem(err.detail);
		status = bkey_result_exit(err.code);
		goto out;
	}
	if (r == 1)
		(void)printf("%s (%s): no phone key recorded\n", o->user, did);
	else if (o->reset) {
		admin_log_change("vault key reset", o->user, did);
		(void)printf("%s (%s): phone key %s removed; the next access "
			     "records a new one\n",
		    o->user, did, key);
	} else
		(void)printf("%s (%s): phone key %s\n", o->user, did, key);
	status = fflush(stdout) == 0 ? 0 : 70;
out:
	free(did);
	bkey_config_free(&cfg);
	return status;
}
