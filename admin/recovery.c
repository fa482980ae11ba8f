/* SPDX-License-Identifier: ISC */
/*
 * bkey-admin recovery USER [--count N | --revoke | --unlock]: break-glass
 * codes (helper/recovery.h). New codes are printed once, here, and never
 * again; only their hashes are kept. Every change is logged to authpriv.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "admin.h"
#include "config.h"
#include "recovery.h"

static int
fail_with(const bkey_error *err)
{
	admin_problem(err->detail);
	return bkey_result_exit(err->code == 0 ? BKEY_ERR_INTERNAL : err->code);
}

/* Print the new codes; 0 or 70 (stdout gone: the codes are useless). */
static int
print_codes(const char *user, char (*codes)[BKEY_RECOVERY_CODE_SIZE], int n)
{
	int i;

	(void)printf("Recovery codes for %s (each works once; they are not "
		     "shown again):\n",
	    user);
	for (i = 0; i < n; i++)
		(void)printf("  %s\n", codes[i]);
	return fflush(stdout) == 0 ? 0 : 70;
}

static int
make(const struct admin_opts *o, const struct bkey_config *cfg)
{
	char(*codes)[BKEY_RECOVERY_CODE_SIZE];
	int n = o->count != 0 ? (int)o->count : BKEY_RECOVERY_COUNT_DEFAULT;
	bkey_error err = { 0 };
	int status;

	codes = sodium_allocarray((size_t)BKEY_RECOVERY_COUNT_MAX,
	    sizeof(*codes));
	if (codes == NULL) {
		bkey_seterr(&err, BKEY_ERR_INTERNAL, "out of memory");
		return fail_with(&err);
	}
	if (bkey_recovery_make(cfg->state_dir, o->user, n, codes, &err) != 0)
		status = fail_with(&err);
	else {
		admin_log_change("recovery codes made", o->user, "-");
		status = print_codes(o->user, codes, n);
	}
	sodium_free(codes); /* wipes them */
	return status;
}

static int
change(const struct admin_opts *o, const struct bkey_config *cfg)
{
	bkey_error err = { 0 };
	int r;

	r = o->revoke ? bkey_recovery_revoke(cfg->state_dir, o->user, &err) :
			bkey_recovery_unlock(cfg->state_dir, o->user, &err);
	if (r < 0)
		return fail_with(&err);
	if (r == 1)
		(void)printf("%s has no recovery codes\n", o->user);
	else {
		admin_log_change(o->revoke ? "recovery codes revoked" :
					     "recovery unlocked",
		    o->user, "-");
		(void)printf(o->revoke ? "recovery codes of %s deleted\n" :
					 "recovery lock-out of %s cleared\n",
		    o->user);
	}
	return fflush(stdout) == 0 ? 0 : 70;
}

int
admin_recovery(const struct admin_opts *o)
{
	struct bkey_config cfg;
	bkey_error err = { 0 };
	int status;

	if (bkey_config_load_public(&cfg, o->config, &err) != 0)
		return fail_with(&err);
	status = o->revoke || o->unlock ? change(o, &cfg) : make(o, &cfg);
	bkey_config_free(&cfg);
	return status;
}

int
admin_recovery_left(const char *state_dir, const char *user)
{
	bkey_error err = { 0 };
	long failures;
	int n;

	if (state_dir == NULL)
		return -1;
	n = bkey_recovery_left(state_dir, user, &failures, &err);
	if (n < 0)
		admin_problem(err.detail);
	return n;
}
