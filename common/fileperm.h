/* Ownership and mode checks for files that hold configuration or secrets. */
#ifndef BKEY_FILEPERM_H
#define BKEY_FILEPERM_H

#include <stdio.h>
#include "result.h"

#define BKEY_FILE_SECRET 1	/* must not be world readable */

/*
 * Open path for reading (O_NOFOLLOW, O_CLOEXEC) and check, on the open
 * descriptor: regular file; not group or world writable; owned by root, or
 * by the effective uid when not running as root; if flags has
 * BKEY_FILE_SECRET, not world readable. Returns a FILE* or NULL with
 * BKEY_ERR_CONFIG and "PATH: problem" in err.
 */
FILE *bkey_open_checked(const char *path, int flags, bkey_error *err);

#endif
