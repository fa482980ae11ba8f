/* SPDX-License-Identifier: ISC */
/*
 * User and group database look-ups shared by the helper and both modules.
 * They tell "no such entry" apart from "the look-up failed" (NSS, LDAP,
 * memory), so a caller can fail closed on the second instead of treating
 * it as an unknown name.
 */
#ifndef BKEY_ACCOUNT_H
#define BKEY_ACCOUNT_H

#include <stddef.h>
#include <sys/types.h>

#define BKEY_GROUPS_MAX 65536

/* 0 found (*uid, *gid set; either may be NULL), 1 no such user, -1 error. */
int bkey_account_user(const char *name, uid_t *uid, gid_t *gid);
/*
 * The name of the account user logs in to, into dst: a case-insensitive
 * user data base (SSSD, winbind) answers "ALICE" with alice's entry, and
 * that account's enrolment and groups are what count. 0 found, 1 no such
 * user (or a name that does not fit dst), -1 the look-up failed.
 */
int bkey_account_name(const char *user, char *dst, size_t dstsz);
/* 0 found, 1 no such group, -1 error. */
int bkey_account_group(const char *name, gid_t *gid);
/* All groups of user (primary base included), malloc'd into *list with the
 * count in *n. 0 / -1. */
int bkey_account_groups(const char *user, gid_t base, gid_t **list, int *n);

#endif
