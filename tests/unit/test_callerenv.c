/* SPDX-License-Identifier: ISC */
/* Which of a sudo command's variables the caller chose (sudo_plugin). */
#include <unistd.h>

#include "unit.h"
#include "../../sudo_plugin/cmdpath.c"
#include "../../sudo_plugin/callerenv.c"

static int
found(char **v, const char *const *want)
{
	size_t i = 0;

	for (; v != NULL && v[i] != NULL && want[i] != NULL; i++)
		if (strcmp(v[i], want[i]) != 0)
			return 0;
	return (v == NULL ? want[0] == NULL : v[i] == NULL && want[i] ==
	    NULL);
}

/* sudo VAR=value cmd: the words before the command. */
static void
test_typed(void)
{
	char *argv[] = { "sudo", "-u", "postgres", "LD_PRELOAD=./x.so",
	    "PATH=/tmp:/usr/bin", "TERM=vt100", "psql", "FOO=arg", NULL };
	char *user[] = { "HOME=/home/a", "PATH=/usr/bin", NULL };
	char *run[] = { "HOME=/var/lib/postgresql", "LD_PRELOAD=./x.so",
	    "PATH=/tmp:/usr/bin", "TERM=vt100", "FOO=arg", "SUDO_USER=a",
	    NULL };
	static const char *const want[] = { "LD_PRELOAD=./x.so",
	    "PATH=/tmp:/usr/bin", "TERM=vt100", NULL };
	struct callerenv_src src = { argv, 6, user, NULL };
	char **v;

	CHECK(callerenv_find(&src, run, &v) == 0 && found(v, want));
	free(v);
}

/*
 * sudo -E, --preserve-env=LIST, env_keep: the caller's own values count,
 * HOME and PATH included, unless they give the caller nothing.
 */
static void
test_preserved(void)
{
	char *argv[] = { "sudo", "-E", "id", NULL };
	char *user[] = { "HOME=/home/a", "USER=a", "PYTHONPATH=/home/a/py",
	    "LANG=C.UTF-8", "TERM=xterm", "TZ=/home/a/tz", "LC_ALL=C",
	    "DISPLAY=:0", "PATH=/home/a/bin:/usr/bin", "PGHOST=evil",
	    "SUDO_PS1=$ ", "PWD=/home/a", "LS_COLORS=di=01", NULL };
	char *run[] = { "HOME=/home/a", "USER=a", "PYTHONPATH=/home/a/py",
	    "LANG=C.UTF-8", "TERM=xterm", "TZ=/home/a/tz", "LC_ALL=C",
	    "DISPLAY=:0", "PATH=/home/a/bin:/usr/bin", "PGHOST=other",
	    "SUDO_PS1=$ ", "PWD=/home/a", "LS_COLORS=di=01", NULL };
	static const char *const want[] = { "HOME=/home/a", "USER=a",
	    "PYTHONPATH=/home/a/py", "TZ=/home/a/tz", "DISPLAY=:0",
	    "PATH=/home/a/bin:/usr/bin", "SUDO_PS1=$ ", NULL };
	struct callerenv_src src = { argv, 2, user, NULL };
	char **v;

	CHECK(callerenv_find(&src, run, &v) == 0 && found(v, want));
	free(v);
}

/* PATH and HOME of root's own directories give the caller nothing. */
static void
test_root_dirs(void)
{
	char *argv[] = { "sudo", "id", NULL };
	char *user[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root",
	    "PATH2=/usr/bin", NULL };
	char *run[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root",
	    NULL };
	char *tmp[] = { "PATH=/usr/bin:/tmp", NULL };
	char *dot[] = { "PATH=/usr/bin::/bin", NULL };
	char *rel[] = { "PATH=bin:/usr/bin", NULL };
	struct callerenv_src src = { argv, 1, user, NULL };
	char **v;

	CHECK(callerenv_find(&src, run, &v) == 0 && v == NULL);
	src.submit_envp = tmp;
	CHECK(callerenv_find(&src, tmp, &v) == 0 && v != NULL && v[1] == NULL);
	free(v);
	src.submit_envp = dot;
	CHECK(callerenv_find(&src, dot, &v) == 0 && v != NULL);
	free(v);
	src.submit_envp = rel;
	CHECK(callerenv_find(&src, rel, &v) == 0 && v != NULL);
	free(v);
}

/* intercept: what the approved command added for its child counts. */
static void
test_intercept_child(void)
{
	static struct callerenv_seen seen_env;
	char *argv[] = { "sudo", "sh", NULL };
	char *user[] = { "HOME=/home/a", NULL };
	char *top[] = { "HOME=/root", "PATH=/usr/bin", NULL };
	char *child[] = { "HOME=/root", "PATH=/usr/bin",
	    "LD_PRELOAD=/tmp/x.so", "SUDO_INTERCEPT_FD=5", "FOO=1", NULL };
	static const char *const want[] = { "LD_PRELOAD=/tmp/x.so", "FOO=1",
	    NULL };
	struct callerenv_src src = { argv, 1, user, NULL };
	char **v;

	callerenv_remember(&seen_env, top);
	src.parent = &seen_env;
	CHECK(callerenv_find(&src, top, &v) == 0 && v == NULL);
	CHECK(callerenv_find(&src, child, &v) == 0 && found(v, want));
	free(v);
	/* sudo's own library in dso mode is not the command's doing */
	if (access("/usr/libexec/sudo/sudo_intercept.so", F_OK) == 0) {
		char *dso[] = { "HOME=/root",
		    "LD_PRELOAD=/usr/libexec/sudo/sudo_intercept.so", NULL };

		CHECK(callerenv_find(&src, dso, &v) == 0 && v == NULL);
	}
	/* more than could be remembered: every child variable counts */
	{
		char *again[] = { "HOME=/root", "X=1", "Y=2", NULL };

		callerenv_remember(&seen_env, again);
		seen_env.overflow = 1;
		CHECK(callerenv_find(&src, again, &v) == 0 && v != NULL &&
		    v[2] == NULL);
		free(v);
	}
}

/* Nothing of the caller's: no vector at all. */
static void
test_none(void)
{
	char *argv[] = { "sudo", "id", NULL };
	char *user[] = { "HOME=/home/a", "PYTHONPATH=/x", NULL };
	char *run[] = { "HOME=/root", "PATH=/usr/bin", "weird", "=x", NULL };
	static const char *const want[] = { NULL };
	struct callerenv_src src = { argv, 1, user, NULL };
	struct callerenv_src bogus = { NULL, 99, NULL, NULL };
	char **v;

	CHECK(callerenv_find(&src, run, &v) == 0 && v == NULL);
	CHECK(callerenv_find(&bogus, run, &v) == 0 && found(v, want));
	CHECK(callerenv_find(&src, NULL, &v) == 0 && v == NULL);
}

int
main(void)
{
	unit_suite = "callerenv";
	if (sodium_init() < 0)
		return 1;
	RUN(test_typed);
	RUN(test_preserved);
	RUN(test_root_dirs);
	RUN(test_intercept_child);
	RUN(test_none);
	UNIT_DONE();
}
