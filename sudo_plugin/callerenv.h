/*
 * The variables of a command's environment that its caller chose. sudo
 * hands an approval plugin the environment the command will get (run_envp),
 * and in open() the command line as typed and the caller's own
 * environment. A variable counts as the caller's when it was typed on the
 * command line (sudo VAR=value cmd), or when it holds the very value the
 * caller's environment holds (sudo -E, --preserve-env=LIST, env_keep) and
 * sudo's env_reset would not have kept or set it by itself. Pure logic, so
 * the unit tests compile it directly.
 */
#ifndef BKEY_SUDO_CALLERENV_H
#define BKEY_SUDO_CALLERENV_H

/* What open() was given; the vectors stay sudo's (not copied). */
struct callerenv_src {
	char *const *submit_argv;	/* sudo's own argv */
	int submit_optind;		/* index of the command in it */
	char *const *submit_envp;	/* the caller's environment */
};

/*
 * The caller-set entries of run_envp, in its order: a malloc'd
 * NULL-terminated vector of pointers into run_envp (free only the
 * vector). *out is NULL when there are none. 0 / -1 (ENOMEM).
 */
int callerenv_find(const struct callerenv_src *src, char *const run_envp[],
    char ***out);

#endif
