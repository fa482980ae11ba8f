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

#endif
