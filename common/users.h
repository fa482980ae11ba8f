/* SPDX-License-Identifier: ISC */
/*
 * The users file maps Unix names to DIDs: "unixname did:bkey:... [KEY]" per
 * line, '#' comments, blank lines. KEY, optional, is the phone's X25519
 * public key for vault accesses (standard base64 of 32 bytes). Same ownership rules as the config file.
 * Malformed lines are configuration errors naming FILE:LINE.
 */
#ifndef BKEY_USERS_H
#define BKEY_USERS_H

#include "result.h"
#include "valid.h"		/* bkey_did_valid, bkey_username_valid */

/* 0 found (*did malloc'd), 1 no such user, -1 error (BKEY_ERR_CONFIG). */
int bkey_users_lookup(const char *path, const char *user, char **did,
    bkey_error *err);
/* As bkey_users_lookup; *key (malloc'd base64, valid) is the user's third
 * field, or NULL when the line has none. */
int bkey_users_lookup_key(const char *path, const char *user, char **did,
    char **key, bkey_error *err);
/* The phone key configured for did: the third field of the lines that
 * name did (a DID may have several users; their keys must agree, or it
 * is a BKEY_ERR_CONFIG naming FILE:LINE). 0 with *key (malloc'd base64,
 * valid), 1 no line names did with a key, -1 error. */
int bkey_users_did_key(const char *path, const char *did, char **key,
    bkey_error *err);
/* A phone key as the users file (or the directory) gives it: standard
 * base64 of exactly 32 bytes, nothing else. 0 with pk set, or -1. */
int bkey_users_key_decode(const char *b64, size_t len, unsigned char pk[32]);
/* One problem of a users file, "PATH:LINE: problem" in e->detail. */
typedef void (*bkey_users_report_fn)(void *ctx, const bkey_error *e);
/* Check every line (bkey-admin check): each problem goes to report and
 * the check goes on. 0 none, 1 some reported, -1 a problem with the whole
 * file (open, owner, mode, size) in err. */
int bkey_users_check(const char *path, bkey_users_report_fn report,
    void *ctx, bkey_error *err);
/* One line of the file, split in place: 1 with *name and *did set, 0 for
 * a blank or comment line, -1 with "PATH:LINE: problem" in err. A key
 * field is checked too (and its place is in *key if key is not NULL). */
int bkey_users_parse_line(char *line, const char *path, unsigned long ln,
    char **name, char **did, bkey_error *err);
int bkey_users_parse_entry(char *line, const char *path, unsigned long ln,
    char **name, char **did, char **key, bkey_error *err);

#endif
