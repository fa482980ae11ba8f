/*
 * Caller-set variables of a sudo command (see callerenv.h).
 */
#include <stdlib.h>
#include <string.h>

#include "callerenv.h"

/*
 * What sudoers' env_reset holds by itself: the variables it sets
 * (HOME, USER, SUDO_* and the rest), and those of its built-in keep
 * list. Its check list (TERM, LANG, TZ, ...) is kept only for values
 * without '/' or '%', as sudoers does.
 */
static const char *const set_by_sudo[] = {
	"HOME", "LOGNAME", "MAIL", "SHELL", "USER", "USERNAME",
	"SUDO_COMMAND", "SUDO_GID", "SUDO_HOME", "SUDO_TTY", "SUDO_UID",
	"SUDO_USER",
	/* initial_keepenv_table */
	"COLORS", "DISPLAY", "HOSTNAME", "KRB5CCNAME", "LS_COLORS", "PATH",
	"PS1", "PS2", "XAUTHORITY", "XAUTHORIZATION", "XDG_CURRENT_DESKTOP",
	/* A shell's own bookkeeping, which it checks or resets when it
	 * starts: in intercept mode an approved shell passes them on. */
	"OLDPWD", "PWD", "SHLVL", "_",
	NULL
};
static const char *const checked_by_sudo[] = {
	"COLORTERM", "LANG", "LANGUAGE", "LINGUAS", "TERM", "TZ", NULL
};

static int
name_in(const char *var, size_t nlen, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strlen(*list) == nlen && memcmp(var, *list, nlen) == 0)
			return 1;
	return 0;
}

/* A variable env_reset would have left in place on its own. */
static int
baseline(const char *var)
{
	const char *eq = strchr(var, '=');
	size_t nlen = (size_t)(eq - var);

	if (name_in(var, nlen, set_by_sudo))
		return 1;
	if (!name_in(var, nlen, checked_by_sudo) &&
	    !(nlen > 3 && memcmp(var, "LC_", 3) == 0))
		return 0;
	return strpbrk(eq + 1, "/%") == NULL;
}

static int
in_vec(const char *s, char *const *v, int lim)
{
	int i;

	for (i = 0; v != NULL && v[i] != NULL && (lim < 0 || i < lim); i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

/* The caller chose var: typed before the command, or preserved. */
static int
callers(const struct callerenv_src *src, const char *var)
{
	/* Words 1 .. optind-1 are sudo's options and VAR=value words. */
	if (src->submit_optind > 1 && src->submit_argv != NULL &&
	    src->submit_argv[0] != NULL &&
	    in_vec(var, src->submit_argv + 1, src->submit_optind - 1))
		return 1;
	return !baseline(var) && in_vec(var, src->submit_envp, -1);
}

int
callerenv_find(const struct callerenv_src *src, char *const run_envp[],
    char ***out)
{
	char **v = NULL;
	size_t n = 0, i, cap = 0;

	*out = NULL;
	for (i = 0; run_envp != NULL && run_envp[i] != NULL; i++) {
		const char *e = run_envp[i];

		/* "NAME=value" with a name: sudo builds no other entries. */
		if (e[0] == '=' || strchr(e, '=') == NULL || !callers(src, e))
			continue;
		if (n + 1 >= cap) {
			size_t ncap = cap ? cap * 2 : 8;
			char **nv = reallocarray(v, ncap, sizeof(*nv));

			if (nv == NULL) {
				free(v);
				return -1;
			}
			v = nv;
			cap = ncap;
		}
		v[n++] = (char *)e;
		v[n] = NULL;
	}
	*out = v;
	return 0;
}
