/* SPDX-License-Identifier: ISC */
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
 *                                            bidi / separator characters,
 *                                            quotation-mark look-alikes)
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

/* What cmd_message shows. */
struct cmd_view {
	const char *user, *runas, *host;
	const char *command;		/* as sudo passes it */
	const char *typed;		/* the same normalized by text, or NULL */
	const char *resolved;		/* the file it names, NULL if unknown */
	int trusted;			/* only root can change what it names */
	char *const *argv;		/* run_argv (argv[0] is not shown) */
	char *const *edit_files;	/* sudoedit, absolute; NULL otherwise */
	char *const *env;		/* caller-set NAME=value; NULL: none */
};

/*
 * "alice → postgres on db-prod-1: psql -c 'DROP TABLE users_archive'":
 * user, runas and host are quoted like arguments when they need it. When
 * only root can change what the command path names, the resolved file is
 * shown, as its basename when it is in a system bin directory (/usr/bin,
 * /bin, /usr/sbin, /sbin, /usr/local/bin, /usr/local/sbin) and not named
 * "edit", else whole; a link to a program of another name shows the name
 * typed and the file in parentheses ("sh (dash)"). A path the caller could
 * change is shown whole as given, followed by "(now RESOLVED)" when that
 * differs. argv[1..] follow,
 * quoted; with edit_files (sudoedit), "edit FILE…". Caller-set variables
 * end it as " (env: NAME=value …)": every name is shown, values cut as
 * needed, in half of max however long the command is (all but 64 bytes
 * when the names need more). The command part is capped with "…".
 * 0 with a malloc'd *out of at most max bytes; 1 when the variables'
 * names alone do not fit (the approval cannot be asked for honestly);
 * -1 ENOMEM.
 */
int cmd_message(const struct cmd_view *v, size_t max, char **out);

/* env words (NAME=value) quoted like arguments, joined by spaces, in at
 * most max bytes: every name is shown, the values cut shorter (down to
 * "…") until they fit. 0 with a malloc'd *out; 1 if the names alone do
 * not fit; -1 ENOMEM. */
int cmd_env_words(char *const *env, size_t max, char **out);

/* command_path followed by argv[1..], each quoted; capped at max. */
char *cmd_full(const char *command_path, char *const argv[], size_t max);

/* args (NULL-terminated; argv + 1 or the edit files) joined by single
 * spaces, unquoted: what the rules' args= expressions are matched against.
 * malloc'd, NULL on ENOMEM. */
char *cmd_join_args(char *const *args);

#endif
