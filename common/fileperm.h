/* SPDX-License-Identifier: ISC */
/* Ownership and mode checks for files that hold configuration or secrets. */
#ifndef BKEY_FILEPERM_H
#define BKEY_FILEPERM_H

#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>
#include "result.h"

#define BKEY_FILE_SECRET 1	/* must not be world readable */

/*
 * The two rules for every file or directory we trust (config, secrets,
 * rules, state, the JWKS cache, the helper and its directories), checked
 * on its stat in this order:
 *   BKEY_TRUST_WRITERS  no one but its owner may write it: group and world
 *                       write bits clear (with BKEY_TRUST_STICKY_OK a
 *                       sticky directory such as /tmp passes: others
 *                       cannot rename or remove what they do not own);
 *   BKEY_TRUST_OWNER    owned by root or by owner (the effective uid, or
 *                       the unprivileged user a root process serves).
 * Returns 0 (BKEY_TRUST_OK) or the first rule st breaks.
 */
enum { BKEY_TRUST_OK = 0, BKEY_TRUST_WRITERS, BKEY_TRUST_OWNER };
#define BKEY_TRUST_STICKY_OK 1
int bkey_trust_broken(const struct stat *st, uid_t owner, int flags);

/*
 * Open path for reading (O_NOFOLLOW, O_CLOEXEC) and check, on the open
 * descriptor: regular file; not group or world writable; owned by root, or
 * by the effective uid when not running as root; if flags has
 * BKEY_FILE_SECRET, not world readable. Returns a FILE* or NULL with
 * BKEY_ERR_CONFIG and "PATH: problem" in err.
 */
FILE *bkey_open_checked(const char *path, int flags, bkey_error *err);

/*
 * Open the directory name relative to at (AT_FDCWD: a path) and check it on
 * the descriptor: a directory, not group or world writable, owned by root
 * or by the effective uid. A symbolic link is refused unless follow. shown
 * names it in messages. Returns the descriptor (O_CLOEXEC), or -1 with
 * "SHOWN: problem" in err: BKEY_ERR_CONFIG for what the installer must fix
 * (permissions, missing, not a directory), else BKEY_ERR_INTERNAL.
 */
int bkey_open_dir_checked(int at, const char *name, int follow,
    const char *shown, bkey_error *err);
/* The same, with owner (not the effective uid) as the other owner
 * trusted besides root: a root process working in a directory of the
 * unprivileged user it serves. */
int bkey_open_dir_owned(int at, const char *name, int follow, uid_t owner,
    const char *shown, bkey_error *err);
/*
 * STATE_DIR/sub, a directory of state files (push, remember): state_dir
 * opened and checked as above (a link followed), sub made 0700 when
 * create, then opened and checked (never a link). The descriptor; -1
 * with err ("SUB: problem", or "STATE_DIR: problem"); -2 when create is
 * 0 and sub is not there.
 */
int bkey_open_state_sub(const char *state_dir, const char *sub, int create,
    bkey_error *err);
/* The result code bkey_open_dir_checked uses for a failed call's errno. */
int bkey_errno_code(int e);

/* Write all n bytes (EINTR retried). 0, or -1 with errno set. */
int bkey_write_all(int fd, const void *p, size_t n);

#endif
