/*
 * Dropping root before any network I/O: when running as root and the
 * configured run_as user exists (and is not root), become that user for
 * good (groups, gid, uid) and prove root cannot be regained.
 */
#ifndef BKEY_PRIVDROP_H
#define BKEY_PRIVDROP_H

#include <stddef.h>
#include "result.h"

/*
 * 0: done; *dropped is 1 if credentials changed, 0 if there was nothing to
 * do (not root, or run_as does not exist), with the reason in note.
 * -1: a step failed (BKEY_ERR_INTERNAL); the caller must not go on.
 */
int bkey_privdrop(const char *run_as, int *dropped, char *note, size_t notesz,
    bkey_error *err);

#endif
