/* SPDX-License-Identifier: ISC */
/* bkey-admin pushes USER [--reset]: the pushes push_limit counts for
 * USER's DID on this host (helper/pushlimit.c), shown or cleared. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "config.h"
#include "../cli/privdrop.h"
#include "../helper/pushlimit.h"

static void
show(const struct bkey_config *c, const char *user, const char *did, size_t n,
    long long oldest)
{
	long long left = oldest + c->push_window - (long long)time(NULL);

	(void)printf("%s (%s): %zu of %ld pushes in the last %ld s", user, did,
	    n, c->push_max, c->push_window);
	if (n > 0)
		(void)printf("; the oldest leaves the window in %lld s",
		    left > 0 ? left : 0);
	(void)printf("\n");
}

/* Whose files the counts are: the run_as user's when the helper drops to
 * it, else ours. */
static int
counter_owner(const struct bkey_config *c, uid_t *owner, bkey_error *err)
{
	struct bkey_runas ra;
	char note[256];

	if (bkey_privdrop_plan(c->run_as, c->path, &ra, note, sizeof(note),
		err) != 0)
		return -1;
	*owner = ra.drop ? ra.uid : geteuid();
	return 0;
}

int
admin_pushes(const struct admin_opts *o)
{
	struct bkey_config cfg;
	bkey_error err = { 0 };
	long long oldest;
	char *did = NULL;
	uid_t owner;
	size_t n;
	int status = 0;

	if (admin_load_for_lookup(&cfg, o->config, &err) != 0) {
		admin_problem(err.detail);
		return bkey_result_exit(err.code);
	}
	if (cfg.push_max <= 0) {
		(void)printf("push_limit is off: pushes are not counted\n");
		goto out;
	}
	if (admin_user_did(&cfg, o->user, &did, &err) != 0 ||
	    counter_owner(&cfg, &owner, &err) != 0 ||
	    bkey_push_count(&cfg, did, owner, o->reset, &n, &oldest, &err) !=
		0) {
		admin_problem(err.detail);
		status = bkey_result_exit(err.code);
		goto out;
	}
	show(&cfg, o->user, did, n, oldest);
	if (o->reset) {
		admin_log_change("push count reset", o->user, did);
		(void)printf("%s: count cleared\n", o->user);
	}
out:
	if (status == 0 && fflush(stdout) != 0)
		status = 70;
	free(did);
	bkey_config_free(&cfg);
	return status;
}
