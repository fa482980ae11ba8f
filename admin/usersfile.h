/* SPDX-License-Identifier: ISC */
/* Changing the users file safely (enroll, unenroll). */
#ifndef BKEY_ADMIN_USERSFILE_H
#define BKEY_ADMIN_USERSFILE_H

#include "result.h"

/* Take PATH.lock (waits up to 10 s): the descriptor, or -1 with err. */
int admin_users_lock(const char *path, bkey_error *err);
void admin_users_unlock(int fd);

/*
 * Rewrite path atomically with user's line replaced by new_line ("USER
 * DID [KEY]\n", appended when user has none) or removed (new_line
 * NULL); all other lines kept byte for byte. Call with the lock held and the file
 * validated (bkey_users_lookup). 0 / -1 with err.
 */
int admin_users_edit(const char *path, const char *user, const char *new_line,
    bkey_error *err);

#endif
