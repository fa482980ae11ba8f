/* SPDX-License-Identifier: ISC */
/*
 * bkey-approve --vault ITEM[:FIELD] --env VAR ... -- COMMAND: the phone
 * releases secrets for one command. The worker fetches and decrypts; a
 * runner process, forked before the privilege drop with the caller's
 * identity and environment, gets the values over a pipe, puts them in
 * COMMAND's environment and runs it once the monitor says go.
 */
#ifndef BKEY_VAULT_CLI_H
#define BKEY_VAULT_CLI_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

#include "approve.h" /* helper/ */
#include "config.h"
#include "event.h"
#include "request.h"
#include "result.h"

#define BKEY_VAULT_ITEMS 8

struct bkey_vault_cli {
	int nspec, nvar;
	const char *spec[BKEY_VAULT_ITEMS]; /* ITEM[:FIELD] as given */
	const char *var[BKEY_VAULT_ITEMS];  /* --env */
	char **cmd; /* after "--"; NULL: not vault mode (once checked) */
	char **env; /* the caller's environment, copied */
	uid_t uid;  /* the caller (real ids at start) */
	gid_t gid;
	pid_t runner;	       /* 0 none */
	const char *key_from;  /* where the phone key is configured, or NULL */
	unsigned char key[32]; /* that key */
	int secret_fd, go_fd;  /* write ends; -1 closed */
	/* What was released, for the final event (vault_event.c). */
	char ids[BKEY_EVENT_FIELD_SIZE], scopes[BKEY_EVENT_FIELD_SIZE];
	int left_off; /* items that did not fit in them */
};

/* Before anything else (bkey_harden clears the environment): the
 * caller's environment, ids and umask, for COMMAND. 0, or the exit status
 * of an error (printed). */
int bkey_vault_early(struct bkey_vault_cli *v);
/* getopt's --vault / --env. 0, or -1 (too many). */
int bkey_vault_opt(struct bkey_vault_cli *v, int is_env, const char *arg);
/* Whether the parsed options ask for a vault access: a --vault, an
 * --env or a command after "--". */
int bkey_vault_wanted(const struct bkey_vault_cli *v);
/* The options together (vault mode); 0 or -1 with a usage message in
 * err. */
int bkey_vault_check(const struct bkey_vault_cli *v, bkey_error *err);
/* Fork the runner (still as root, before the monitor). 0 or -1. */
int bkey_vault_runner_start(struct bkey_vault_cli *v, bkey_error *err);
/* After the monitor's fork: each side drops the end it must not hold. */
void bkey_vault_split(struct bkey_vault_cli *v, int monitor);
/* Worker: fetch every item, hand the values to the runner. */
bkey_result bkey_vault_ask_all(const struct bkey_config *c,
    struct bkey_vault_cli *v, const struct bkey_request *r,
    const volatile sig_atomic_t *cancel, bkey_error *err);
/* An item released (its access request id); and, once all are, the
 * final event's approval: sub did, no jti, the ids and "vault:ITEM:FIELD"
 * of each item (vault_event.c). 0 or -1 (out of memory). */
void bkey_vault_note(struct bkey_vault_cli *v, const char *item,
    const char *field, const char *id);
int bkey_vault_approval(const struct bkey_vault_cli *v, const char *did,
    struct bkey_approval *a);
/* Top level: status is bkey-approve's; 0 lets the runner go and returns
 * COMMAND's status (a SIGTERM noted in *sig meanwhile is passed on to
 * it), anything else stops it and is returned. */
int bkey_vault_finish(struct bkey_vault_cli *v, int status,
    const volatile sig_atomic_t *sig);
void bkey_vault_free(struct bkey_vault_cli *v);

/* --user's DID from the users file or the directory (the lookups' 0 /
 * 1 / -1); in vault mode the phone key configured there too (users file
 * third field, users_ldap_vault_key_attr) into v (vault_key.c). */
int bkey_vault_lookup(const struct bkey_config *c, struct bkey_vault_cli *v,
    const char *user, char **did, bkey_error *err);
/* --did in vault mode: the phone key the users file configures for did
 * (the lines naming it) into v, none when no line does. The directory
 * is searched by user name only, so there --did is a usage error. 0 or
 * -1 with err. */
int bkey_vault_did_lookup(const struct bkey_config *c, struct bkey_vault_cli *v,
    const char *did, bkey_error *err);
/* The same for bkey-admin: *from is "users file", "directory", or NULL
 * when no key is configured for user (key then untouched). */
int bkey_vault_key_lookup(const struct bkey_config *c, const char *user,
    char **did, unsigned char key[32], const char **from, bkey_error *err);

/* Check pk against the phone key recorded for did in state_dir
 * (vault_pin.c), recording it on first use; the directories and the
 * record must be root's (or the effective uid's, without a monitor). 0 it
 * matches (or was recorded), 1 another key, -1 error in err. */
int bkey_vault_pin(const char *state_dir, const char *did,
    const unsigned char pk[32], bkey_error *err);
/* bkey-admin vault-key: the recorded key of did (base64) into key, and
 * with reset the record removed. 0, 1 none recorded, -1 error in err. */
int bkey_vault_pin_admin(const char *state_dir, const char *did, int reset,
    char *key, size_t keysz, bkey_error *err);
/* Who checks the pin: the monitor when there is one (ctx), else
 * bkey_vault_pin in the config's state_dir as this process. */
typedef int (*bkey_vault_pin_fn)(void *ctx, const char *did,
    const unsigned char pk[32], bkey_error *err);
void bkey_vault_set_pinner(bkey_vault_pin_fn fn, void *ctx);

#endif
