/* SPDX-License-Identifier: ISC */
/*
 * bkey-admin: root's tool around bkey-approve (check a configuration,
 * test the service path, enroll users). Each command is one file; this
 * header holds what they share.
 */
#ifndef BKEY_ADMIN_H
#define BKEY_ADMIN_H

#include <signal.h>

#include "result.h"

struct admin_opts {
	const char *command;		/* "check", "self-test", ... */
	const char *user;		/* enroll's and unenroll's USER */
	long timeout;			/* enroll --timeout, 0: configured */
	int replace;			/* enroll --replace */
	int ldif;			/* enroll --ldif */
	const char *config;		/* --config, or the default */
	const char *rules;		/* --rules, NULL: the default if there */
	const char *helper;		/* --helper, or the default */
	int quiet;			/* --quiet */
	int json;			/* --json */
	int reset;			/* vault-key, pushes --reset */
	long count;			/* recovery --count, 0: default */
	int revoke, unlock;		/* recovery --revoke, --unlock */
};

/* bkey-admin check: the exit status (0 clean, 78 problems, 70). */
int admin_check(const struct admin_opts *o);

/* bkey-admin self-test: 0, or the first failed step's bkey-approve
 * status (3 unavailable, 4 protocol/token, 78 configuration). */
int admin_self_test(const struct admin_opts *o,
    const volatile sig_atomic_t *cancel);

/* bkey-admin enroll USER: exit status (1 denied, 2 expired, ...). */
int admin_enroll(const struct admin_opts *o,
    const volatile sig_atomic_t *cancel);

/* An enrollment change to authpriv: user, DID, who ran it. */
void admin_log_change(const char *what, const char *user, const char *did);

/* bkey-admin unenroll USER, bkey-admin list: exit status. */
int admin_unenroll(const struct admin_opts *o);
int admin_list(const struct admin_opts *o);
/* bkey-admin vault-key USER [--reset] (vaultkey.c): exit status. */
int admin_vault_key(const struct admin_opts *o);
/* bkey-admin pushes USER [--reset] (pushes.c): exit status. */
int admin_pushes(const struct admin_opts *o);

/* bkey-admin recovery USER [--count N|--revoke|--unlock] (recovery.c). */
int admin_recovery(const struct admin_opts *o);
/* The codes user has left (0 none), -1 after a problem was printed. */
int admin_recovery_left(const char *state_dir, const char *user);

/* The configuration for naming users' DIDs (lookup.c): public, or the
 * full load when a directory (with its bind password) is configured. */
struct bkey_config;
int admin_load_for_lookup(struct bkey_config *cfg, const char *path,
    bkey_error *err);
/* user's DID (users file or directory) into *did (caller frees); -1
 * with err, BKEY_ERR_CONFIG "...: user "X" is not enrolled" for none. */
int admin_user_did(const struct bkey_config *cfg, const char *user,
    char **did, bkey_error *err);

/* Milliseconds to deadline (monotonic ms), at least 1, at most cap. */
long admin_ms_left(long long deadline, long cap);

/* One "FILE:LINE: problem" line on stderr, passed through the sanitizer. */
void admin_problem(const char *msg);

#endif
