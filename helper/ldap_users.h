/* SPDX-License-Identifier: ISC */
/*
 * The user->DID map in a directory (users_ldap_* in bkey.conf(5)). Only
 * bkey-approve and bkey-admin link this: the modules never talk to LDAP.
 */
#ifndef BKEY_LDAP_USERS_H
#define BKEY_LDAP_USERS_H

#include "config.h"
#include "result.h"

/*
 * The DID of user in the directory: 0 found (*did malloc'd, valid), 1 no
 * entry for the user, -1 error (err set, BKEY_ERR_CONFIG): the directory
 * could not be asked, TLS failed, or the answer is ambiguous (more than
 * one entry, more or fewer than one value, not a DID). Never "not found"
 * for an error: that would let nouserok wave a user through.
 */
int bkey_ldap_users_lookup(const struct bkey_config *c, const char *user,
    char **did, bkey_error *err);
/* As bkey_ldap_users_lookup; with key (32 bytes) and
 * users_ldap_vault_key_attr set, the entry's one value of that attribute
 * too, a phone key (bkey_users_key_decode): none, several or a bad one is
 * -1 (BKEY_ERR_PROTOCOL), never "no key". Without the setting key is
 * left alone and 0 says nothing of it. */
int bkey_ldap_users_lookup_key(const struct bkey_config *c, const char *user,
    char **did, unsigned char *key, bkey_error *err);

/* One enrolled user of the directory, for bkey-admin list. */
typedef void (
    *bkey_ldap_entry_fn)(void *ctx, const char *name, const char *did);
/* One problem, "users_ldap_uri: ..." in e->detail. */
typedef void (*bkey_ldap_problem_fn)(void *ctx, const bkey_error *e);

/*
 * Every user with a DID in the directory (entries without the DID
 * attribute are not enrolled and skipped). Every problem (an entry with
 * more or fewer than one name or DID, an invalid DID, a name twice) goes
 * to problem; only with none are the entries given to entry, in the
 * directory's order. 0, 1 problems reported, -1 error (err set).
 */
int bkey_ldap_users_list(const struct bkey_config *c, bkey_ldap_entry_fn entry,
    bkey_ldap_problem_fn problem, void *ctx, bkey_error *err);

#endif
