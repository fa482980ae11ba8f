/* SPDX-License-Identifier: ISC */
/*
 * Caller-set variables of a sudo command (see callerenv.h).
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "callerenv.h"
#include "cmdpath.h"

/*
 * Names that give a caller nothing even with a value of their choosing:
 * what a terminal shows, when the value names no file ('/') and holds no
 * format ('%'), as sudoers' own check of TERM, LANG and TZ; and a
 * shell's bookkeeping, which a shell checks or resets when it starts.
 */
static const char *const display_only[] = {
	"COLORS", "COLORTERM", "LANG", "LANGUAGE", "LINGUAS", "LS_COLORS",
	"TERM", "TZ", NULL
};
static const char *const shell_own[] = { "OLDPWD", "PWD", "SHLVL", "_", NULL };
/* Lists of directories a program looks in: harmless when only root can
 * change what is there. */
static const char *const dir_lists[] = { "HOME", "PATH", NULL };

static int
name_in(const char *var, size_t nlen, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strlen(*list) == nlen && memcmp(var, *list, nlen) == 0)
			return 1;
	return 0;
}

/* Every ':'-separated entry of val is a directory only root controls. */
static int
root_dirs(const char *val)
{
	char dir[CMDPATH_MAX], real[CMDPATH_MAX];
	const char *p = val;
	int trusted;

	for (;;) {
		size_t n = strcspn(p, ":");

		/* An empty entry or a relative one is the cwd's. */
		if (n == 0 || n >= sizeof(dir) || p[0] != '/')
			return 0;
		memcpy(dir, p, n);
		dir[n] = '\0';
		if (cmdpath_resolve(dir, NULL, real, sizeof(real), &trusted,
		    NULL) != 0 || !trusted)
			return 0;
		if (p[n] == '\0')
			return 1;
		p += n + 1;
	}
}

/* A variable that gives the caller nothing, whatever its value. */
static int
harmless(const char *var)
{
	const char *eq = strchr(var, '=');
	size_t nlen = (size_t)(eq - var);

	if (name_in(var, nlen, shell_own))
		return 1;
	if (name_in(var, nlen, dir_lists))
		return root_dirs(eq + 1);
	if (!name_in(var, nlen, display_only) &&
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

static void
entry_hash(const char *e, unsigned char out[16])
{
	(void)crypto_generichash(out, 16, (const unsigned char *)e, strlen(e),
	    NULL, 0);
}

static int
seen(const struct callerenv_seen *s, const char *e)
{
	unsigned char h[16];
	size_t i;

	if (s->overflow)
		return 0;
	entry_hash(e, h);
	for (i = 0; i < s->n; i++)
		if (memcmp(s->hash[i], h, sizeof(h)) == 0)
			return 1;
	return 0;
}

/* What sudo's intercept (dso mode) adds for a child: its own library. */
static int
intercept_own(const char *e)
{
	static const char lib[] = "/sudo_intercept.so";
	char real[CMDPATH_MAX];
	size_t n;
	int trusted;

	if (strncmp(e, "SUDO_INTERCEPT_FD=", 18) == 0)
		return e[18] != '\0' && strspn(e + 18, "0123456789") ==
		    strlen(e + 18);
	if (strncmp(e, "LD_PRELOAD=", 11) != 0)
		return 0;
	e += 11;
	n = strlen(e);
	return n > sizeof(lib) - 1 && strpbrk(e, ": ") == NULL &&
	    strcmp(e + n - (sizeof(lib) - 1), lib) == 0 &&
	    cmdpath_resolve(e, NULL, real, sizeof(real), &trusted, NULL) ==
	    0 && trusted;
}

/* The caller chose var: typed before the command, preserved, or (in a
 * child) added by the command the caller ran. */
static int
callers(const struct callerenv_src *src, const char *var)
{
	if (src->parent != NULL && !seen(src->parent, var))
		return !intercept_own(var) && !harmless(var);
	/* Words 1 .. optind-1 are sudo's options and VAR=value words. */
	if (src->submit_optind > 1 && src->submit_argv != NULL &&
	    src->submit_argv[0] != NULL &&
	    in_vec(var, src->submit_argv + 1, src->submit_optind - 1))
		return 1;
	return in_vec(var, src->submit_envp, -1) && !harmless(var);
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

void
callerenv_remember(struct callerenv_seen *s, char *const run_envp[])
{
	size_t i;

	memset(s, 0, sizeof(*s));
	for (i = 0; run_envp != NULL && run_envp[i] != NULL; i++) {
		if (s->n == CALLERENV_SEEN_MAX) {
			/* Then every child variable counts as the caller's. */
			s->overflow = 1;
			return;
		}
		entry_hash(run_envp[i], s->hash[s->n++]);
	}
}
