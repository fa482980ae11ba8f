/* SPDX-License-Identifier: ISC */
/*
 * Dropping root before any network I/O. The plan is made first (while
 * still root, before the monitor forks): a configured run_as user that
 * does not exist is a configuration error, never a reason to stay root;
 * only an empty run_as ("run_as =") keeps the caller's identity on
 * purpose. The drop itself (groups, gid, uid, for good, proved) runs in
 * the worker.
 */
#ifndef BKEY_PRIVDROP_H
#define BKEY_PRIVDROP_H

#include <stddef.h>
#include <sys/types.h>
#include "result.h"

struct bkey_runas {
	int drop;	  /* 1: switch to name/uid/gid below */
	const char *name; /* the config's run_as (not copied) */
	uid_t uid;
	gid_t gid;
};

/*
 * Decide. 0 with ra filled (ra->drop 0: nothing to do, the reason in
 * note: not root, run_as empty, run_as is root); -1 with BKEY_ERR_CONFIG
 * naming conf and the user when run_as names no user or the look-up
 * failed.
 */
int bkey_privdrop_plan(const char *run_as, const char *conf,
    struct bkey_runas *ra, char *note, size_t notesz, bkey_error *err);

/*
 * Carry out a plan with ra->drop set: first, still root, hand the network
 * side its directory in state_dir (helper/workdir.h; a failure there is
 * only warned about: the JWKS cache and push counts go without);
 * then become that user for good and prove root cannot be regained;
 * keeps the parent-death signal and the non-dumpable flag. 0, or -1
 * (BKEY_ERR_INTERNAL, or BKEY_ERR_CANCELLED if the parent went away
 * meanwhile): the caller must not go on.
 */
int bkey_privdrop(const struct bkey_runas *ra, const char *state_dir,
    char *note, size_t notesz, bkey_error *err);

#endif
