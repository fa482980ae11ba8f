/* SPDX-License-Identifier: ISC */
/* Permanent switch from root to the run_as user (see privdrop.h). */
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <stdlib.h>
#include <unistd.h>

#include "account.h"
#include "privdrop.h"
#include "result.h"
#include "workdir.h"

/*
 * The supplementary groups now held are exactly the user's (from the group
 * database), or none when initgroups could not be used: nothing of root's
 * list survived. 1 yes, 0 no.
 */
static int
groups_are(const char *user, gid_t gid, int none)
{
	gid_t *have = NULL, *want = NULL;
	int nh, nw = 0, i, k, ok = 0;

	if ((nh = getgroups(0, NULL)) < 0 || nh > BKEY_GROUPS_MAX)
		return 0;
	if ((have = calloc((size_t)nh + 1, sizeof(*have))) == NULL ||
	    getgroups(nh, have) != nh)
		goto out;
	if (none) {
		ok = nh == 0;
		goto out;
	}
	if (bkey_account_groups(user, gid, &want, &nw) != 0)
		goto out;
	/* Every group held must be one of the user's. */
	for (i = 0; i < nh; i++) {
		for (k = 0; k < nw && want[k] != have[i]; k++)
			;
		if (k == nw)
			goto out;
	}
	ok = 1;
out:
	free(have);
	free(want);
	return ok;
}

/* The network side's directory, made run_as's while we are root. */
static void
hold_workdir(const struct bkey_runas *ra, const char *state_dir)
{
	bkey_error e;

	memset(&e, 0, sizeof(e));
	if (bkey_workdir_hold(state_dir, ra->uid, ra->gid, &e) != 0)
		bkey_state_warn("state_dir", e.detail);
}

int
bkey_privdrop_plan(const char *run_as, const char *conf, struct bkey_runas *ra,
    char *note, size_t notesz, bkey_error *err)
{
	int r;

	memset(ra, 0, sizeof(*ra));
	ra->name = run_as;
	if (notesz > 0)
		note[0] = '\0';
	if (run_as == NULL || run_as[0] == '\0') {
		(void)snprintf(note, notesz,
		    "run_as is empty: running as the "
		    "caller (uid %lu)",
		    (unsigned long)geteuid());
		return 0;
	}
	/* A failed look-up (NSS down) must not be taken for "no such user". */
	if ((r = bkey_account_user(run_as, &ra->uid, &ra->gid)) < 0)
		return bkey_seterr(err, BKEY_ERR_CONFIG,
		    "%s: cannot look up run_as user '%s'", conf, run_as);
	if (r == 1)
		return bkey_seterr(err, BKEY_ERR_CONFIG,
		    "%s: run_as user '%s' does not exist (create it, or write "
		    "\"run_as =\" to run as the caller)",
		    conf, run_as);
	if (geteuid() != 0) {
		(void)snprintf(note, notesz, "not root (uid %lu): no switch",
		    (unsigned long)geteuid());
		return 0;
	}
	if (ra->uid == 0) {
		(void)snprintf(note, notesz,
		    "run_as user '%s' is root: no switch", run_as);
		return 0;
	}
	ra->drop = 1;
	return 0;
}

int
bkey_privdrop(const struct bkey_runas *ra, const char *state_dir, char *note,
    size_t notesz, bkey_error *err)
{
	const char *run_as = ra->name;
	uid_t uid = ra->uid, ru, eu, su;
	gid_t gid = ra->gid, rg, eg, sg;
	pid_t parent = getppid();
	int nogroups = 0, deathsig = 0;

	if (notesz > 0)
		note[0] = '\0';
	if (!ra->drop || uid == 0 || geteuid() != 0)
		return bkey_seterr(err, BKEY_ERR_INTERNAL,
		    "privilege drop misused");
	if (prctl(PR_GET_PDEATHSIG, &deathsig, 0, 0, 0) != 0)
		deathsig = 0;
	hold_workdir(ra, state_dir);
	/* Groups first, while we still may; then gid, then uid. */
	if (initgroups(run_as, gid) != 0) {
		if (setgroups(0, NULL) != 0)
			return bkey_seterr(err, BKEY_ERR_INTERNAL,
			    "setgroups for '%s': %s", run_as, strerror(errno));
		nogroups = 1;
	}
	if (setresgid(gid, gid, gid) != 0)
		return bkey_seterr(err, BKEY_ERR_INTERNAL, "setresgid(%lu): %s",
		    (unsigned long)gid, strerror(errno));
	if (setresuid(uid, uid, uid) != 0)
		return bkey_seterr(err, BKEY_ERR_INTERNAL, "setresuid(%lu): %s",
		    (unsigned long)uid, strerror(errno));
	/* Prove it: every id is the target and root cannot come back. */
	if (getresuid(&ru, &eu, &su) != 0 || ru != uid || eu != uid ||
	    su != uid || getresgid(&rg, &eg, &sg) != 0 || rg != gid ||
	    eg != gid || sg != gid || !groups_are(run_as, gid, nogroups))
		return bkey_seterr(err, BKEY_ERR_INTERNAL,
		    "privilege drop to '%s' incomplete", run_as);
	if (setuid(0) == 0 || seteuid(0) == 0)
		return bkey_seterr(err, BKEY_ERR_INTERNAL,
		    "privilege drop to '%s' can be undone", run_as);
	if (gid != 0 && (setgid(0) == 0 || setegid(0) == 0))
		return bkey_seterr(err, BKEY_ERR_INTERNAL,
		    "group drop to '%s' can be undone", run_as);
	/* Credential changes re-enable dumping and clear the parent-death
	 * signal: restore both, then make sure the parent did not go away
	 * in between. */
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (deathsig != 0 && prctl(PR_SET_PDEATHSIG, deathsig, 0, 0, 0) == 0 &&
	    getppid() != parent)
		return bkey_seterr(err, BKEY_ERR_CANCELLED,
		    "caller went away during start-up");
	(void)snprintf(note, notesz, "switched to '%s' (uid %lu, gid %lu)",
	    run_as, (unsigned long)uid, (unsigned long)gid);
	return 0;
}
