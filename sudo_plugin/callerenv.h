/* SPDX-License-Identifier: ISC */
/*
 * The variables of a command's environment that its caller chose. sudo
 * hands an approval plugin the environment the command will get (run_envp),
 * and in open() the command line as typed and the caller's own
 * environment. A variable counts as the caller's when it was typed on the
 * command line (sudo VAR=value cmd), or when it holds the very value the
 * caller's environment holds (sudo -E, --preserve-env=LIST, env_keep),
 * unless it is one that gives the caller nothing: what a terminal shows
 * (TERM, LANG, LC_*, COLORS, ...), a shell's own bookkeeping (PWD, SHLVL),
 * and PATH or HOME when every directory they name is root's alone. In
 * sudoers "intercept" mode a program run by the approved command also
 * counts what that command added to the environment it was given. Pure
 * logic, so the unit tests compile it directly.
 */
#ifndef BKEY_SUDO_CALLERENV_H
#define BKEY_SUDO_CALLERENV_H

#include <stddef.h>

#define CALLERENV_SEEN_MAX 1024		/* variables remembered */

/* The environment of the first command of a sudo process (intercept). */
struct callerenv_seen {
	unsigned char hash[CALLERENV_SEEN_MAX][16];
	size_t n;
	int overflow;			/* more than could be remembered */
};

/* What open() was given; the vectors stay sudo's (not copied). */
struct callerenv_src {
	char *const *submit_argv;	/* sudo's own argv */
	int submit_optind;		/* index of the command in it */
	char *const *submit_envp;	/* the caller's environment */
	const struct callerenv_seen *parent;	/* intercept child: the first
						 * command's; else NULL */
};

/*
 * The caller-set entries of run_envp, in its order: a malloc'd
 * NULL-terminated vector of pointers into run_envp (free only the
 * vector). *out is NULL when there are none. 0 / -1 (ENOMEM).
 */
int callerenv_find(const struct callerenv_src *src, char *const run_envp[],
    char ***out);

/* Remember run_envp as the first command's environment. */
void callerenv_remember(struct callerenv_seen *s, char *const run_envp[]);

#endif
