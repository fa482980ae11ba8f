/* SPDX-License-Identifier: ISC */
/*
 * The names that come from users, config files, rules and the service:
 * what a Unix user name, a DID and an action scope may look like. One
 * header for the three, so every reader checks the same shape.
 */
#ifndef BKEY_VALID_H
#define BKEY_VALID_H

#define BKEY_USERNAME_MAX 32
#define BKEY_DID_MAX 256
#define BKEY_SCOPE_MAX 128

/* 1 if s is a plausible Unix user name (POSIX portable set, at most
 * BKEY_USERNAME_MAX bytes, no leading '-', a final '$' allowed); else 0. */
int bkey_username_valid(const char *s);
/* 1 if s looks like "did:METHOD:ID": method [a-z0-9]+, ID of
 * [A-Za-z0-9._:%-], at most BKEY_DID_MAX bytes; else 0. */
int bkey_did_valid(const char *s);
/* 1 if s is a usable action scope: 1 to BKEY_SCOPE_MAX bytes of
 * A-Z a-z 0-9 ':' '.' '_' '-' (one word: "openid" is added separately). */
int bkey_scope_valid(const char *s);

#endif
