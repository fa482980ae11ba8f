/* SPDX-License-Identifier: ISC */
/*
 * The users file maps Unix names to DIDs: "unixname did:bkey:..." per line,
 * '#' comments, blank lines. Same ownership rules as the config file.
 * Malformed lines are configuration errors naming FILE:LINE.
 */
#ifndef BKEY_USERS_H
#define BKEY_USERS_H

#include "result.h"
#include "valid.h"		/* bkey_did_valid, bkey_username_valid */

/* 0 found (*did malloc'd), 1 no such user, -1 error (BKEY_ERR_CONFIG). */
int bkey_users_lookup(const char *path, const char *user, char **did,
    bkey_error *err);
/* One problem of a users file, "PATH:LINE: problem" in e->detail. */
typedef void (*bkey_users_report_fn)(void *ctx, const bkey_error *e);
/* Check every line (bkey-admin check): each problem goes to report and
 * the check goes on. 0 none, 1 some reported, -1 a problem with the whole
 * file (open, owner, mode, size) in err. */
int bkey_users_check(const char *path, bkey_users_report_fn report,
    void *ctx, bkey_error *err);
/* One line of the file, split in place: 1 with *name and *did set, 0 for
 * a blank or comment line, -1 with "PATH:LINE: problem" in err. */
int bkey_users_parse_line(char *line, const char *path, unsigned long ln,
    char **name, char **did, bkey_error *err);

#endif
