/*
 * Turning a sudo command into text a person can check on a phone: shell
 * quoting that leaves no doubt where an argument starts and ends, and which
 * shows control characters and invisible or reordering Unicode as escapes.
 * Pure logic (no sudo, no network) so the unit tests compile it directly.
 */
#ifndef BKEY_SUDO_CMDLINE_H
#define BKEY_SUDO_CMDLINE_H

#include <stddef.h>

#include "buf.h"

/*
 * Append arg quoted for a POSIX shell (bash for $'...'):
 *   only [A-Za-z0-9_@%+=:,./-]           ->  bare
 *   printable (incl. valid UTF-8 text)   ->  '...' with ' written '\''
 *   anything else                        ->  $'...' with \n \t \r \e \\ \'
 *                                            \xHH (bytes) \uXXXX (format /
 *                                            bidi / separator characters)
 *   empty                                ->  ''
 */
void cmd_quote(bkey_buf *b, const char *arg);

/* The last path component of path ("" stays ""). */
const char *cmd_basename(const char *path);

/*
 * Shorten s in place to at most max bytes (max >= 4): if it is longer it is
 * cut at a character boundary and ends in "…" (U+2026). Returns the length.
 */
size_t cmd_cap(char *s, size_t max);

/* For sudoedit: the files being edited: the last nfiles elements of argv
 * when nfiles (sudoedit_nfiles) is > 0 and fits, else those after "--",
 * else argv[1..]. */
char *const *cmd_edit_files(char *const argv[], long nfiles);

/*
 * "alice → postgres on db-prod-1: psql -c 'DROP TABLE users_archive'":
 * user, runas and host are quoted like arguments when they need it; the
 * command is shown as the basename of command_path when it is in a system
 * bin directory (/usr/bin, /bin, /usr/sbin, /sbin, /usr/local/bin,
 * /usr/local/sbin) and not named "edit", else as the whole path, followed
 * by argv[1..] quoted; with edit_files (sudoedit) non-NULL, "edit FILE…". Capped at max bytes with "…".
 * malloc'd, NULL on ENOMEM.
 */
char *cmd_message(const char *user, const char *runas, const char *host,
    const char *command_path, char *const argv[], char *const *edit_files,
    size_t max);

/* command_path followed by argv[1..], each quoted; capped at max. */
char *cmd_full(const char *command_path, char *const argv[], size_t max);

/* args (NULL-terminated; argv + 1 or the edit files) joined by single
 * spaces, unquoted: what the rules' args= expressions are matched against.
 * malloc'd, NULL on ENOMEM. */
char *cmd_join_args(char *const *args);

#endif
