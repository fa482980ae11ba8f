/* SPDX-License-Identifier: ISC */
/*
 * Break-glass recovery codes: one root-only file per user under
 * STATE_DIR/recovery holding the consecutive wrong tries and the Argon2id
 * hashes of the codes not used yet. Written atomically, under an flock of
 * the directory, so that two logins with one code let exactly one in.
 * Linked into bkey-approve (root side) and bkey-admin, never the modules.
 */
#ifndef BKEY_RECOVERY_H
#define BKEY_RECOVERY_H

#include "result.h"

#define BKEY_RECOVERY_DIR "recovery"
#define BKEY_RECOVERY_COUNT_DEFAULT 10
#define BKEY_RECOVERY_COUNT_MAX 50
#define BKEY_RECOVERY_DIGITS 16	   /* about 53 bits */
#define BKEY_RECOVERY_CODE_SIZE 20 /* "4821-9930-1175-3306" */

/* count new codes for user into codes[] (shown once), their hashes
 * replacing any earlier set and its lock-out. 0, or -1 with err. */
int bkey_recovery_make(const char *state_dir, const char *user, int count,
    char (*codes)[BKEY_RECOVERY_CODE_SIZE], bkey_error *err);
/* Delete user's codes: 0, 1 there were none, -1 with err. */
int bkey_recovery_revoke(const char *state_dir, const char *user,
    bkey_error *err);
/* Clear user's lock-out: 0, 1 no codes, -1 with err. */
int bkey_recovery_unlock(const char *state_dir, const char *user,
    bkey_error *err);
/* How many codes user has left (0: none), *failures the wrong tries in
 * a row; -1 with err (a file not ours). */
int bkey_recovery_left(const char *state_dir, const char *user, long *failures,
    bkey_error *err);
/*
 * Check code (dashes and spaces ignored) for user and burn it: the file
 * is rewritten without it before 0 is returned, *remaining the codes
 * left. A wrong code, a locked-out user (lockout wrong tries in a row)
 * or no codes: -1 with BKEY_DENIED, *locked BKEY_RECOVERY_LOCKED when
 * the user was locked out already (the code unchecked) or
 * BKEY_RECOVERY_NOW_LOCKED when this wrong code locked them out; any
 * other failure -1 with its error. The code is wiped by the caller.
 */
#define BKEY_RECOVERY_LOCKED 1
#define BKEY_RECOVERY_NOW_LOCKED 2
int bkey_recovery_use(const char *state_dir, const char *user, const char *code,
    long lockout, int *remaining, int *locked, bkey_error *err);

#endif
