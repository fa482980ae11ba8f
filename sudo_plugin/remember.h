/* SPDX-License-Identifier: ISC */
/*
 * Remember windows (rules key remember=SECONDS): after an approval, the
 * same user, in the same terminal session, for the same rule, runas user
 * and scope, is not asked again until the window ends. Each window is a
 * root-only file STATE_DIR/remember/HEX, HEX the BLAKE2b of the key, that
 * holds the epoch second it ends ("v1 EXPIRY\n"). A file that is not
 * root's own and private, a symbolic link or a garbled one is ignored
 * with a warning: never a reason to allow.
 */
#ifndef BKEY_SUDO_REMEMBER_H
#define BKEY_SUDO_REMEMBER_H

#include <stddef.h>
#include <sys/types.h>

#define REMEMBER_DIR "remember"
#define REMEMBER_NAME 65 /* hex of 32 bytes and the NUL */

/* What a window is keyed on; a record matches only all of it. */
struct remember_key {
	uid_t uid;		      /* user_info uid= */
	long sid;		      /* user_info sid=, the session leader */
	unsigned long long sid_start; /* its start time (/proc/SID/stat):
					 * a recycled sid does not match */
	const char *tty;	      /* "" when none */
	int rule_line;
	const unsigned char *rule_hash;	 /* RULES_TEXT_HASH bytes */
	const char *runas, *runas_group; /* group NULL: none */
	const char *scope;
};

/* The start time of process pid (field 22 of /proc/PID/stat). 0 / -1. */
int remember_proc_start(long pid, unsigned long long *start);

/* The record name for k. */
void remember_name(const struct remember_key *k, char name[REMEMBER_NAME]);

/* Parse a record's text: its expiry, or -1 when garbled. */
long long remember_parse(const char *text, size_t len);

/*
 * 1 if STATE_DIR/remember/name is a trusted record whose window is open
 * at now (and ends at most max seconds ahead), else 0; *why says why a
 * record present was not believed ("" if none was, or it had ended).
 */
int remember_open_at(const char *state_dir, const char *name, long long now,
    long max, char *why, size_t whysz);

/* Write the record (atomically): 0, or -1 with *why. */
int remember_store(const char *state_dir, const char *name, long long expiry,
    char *why, size_t whysz);

/* Remove the record if there: 0, or -1 with *why. */
int remember_forget(const char *state_dir, const char *name, char *why,
    size_t whysz);

#endif
