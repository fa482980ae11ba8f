/* Which of a sudo command's variables the caller chose (sudo_plugin). */
#include "unit.h"
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
	    "PATH=/tmp:/usr/bin", "psql", "FOO=arg", NULL };
	char *user[] = { "HOME=/home/a", "PATH=/usr/bin", NULL };
	char *run[] = { "HOME=/var/lib/postgresql", "LD_PRELOAD=./x.so",
	    "PATH=/tmp:/usr/bin", "FOO=arg", "SUDO_USER=a", NULL };
	static const char *const want[] = { "LD_PRELOAD=./x.so",
	    "PATH=/tmp:/usr/bin", NULL };
	struct callerenv_src src = { argv, 5, user };
	char **v;

	CHECK(callerenv_find(&src, run, &v) == 0 && found(v, want));
	free(v);
}

/* sudo -E, --preserve-env=LIST, env_keep: the caller's own values. */
static void
test_preserved(void)
{
	char *argv[] = { "sudo", "-E", "id", NULL };
	char *user[] = { "HOME=/home/a", "USER=a", "PYTHONPATH=/home/a/py",
	    "LANG=C.UTF-8", "TERM=xterm", "TZ=/home/a/tz", "LC_ALL=C",
	    "DISPLAY=:0", "PATH=/home/a/bin:/usr/bin", "PGHOST=evil",
	    "SUDO_PS1=$ ", NULL };
	/* sudo -u a: USER and HOME hold the caller's values, set by sudo */
	char *run[] = { "HOME=/home/a", "USER=a", "PYTHONPATH=/home/a/py",
	    "LANG=C.UTF-8", "TERM=xterm", "TZ=/home/a/tz", "LC_ALL=C",
	    "DISPLAY=:0", "PATH=/home/a/bin:/usr/bin", "PGHOST=other",
	    "SUDO_PS1=$ ", NULL };
	static const char *const want[] = { "PYTHONPATH=/home/a/py",
	    "TZ=/home/a/tz", "SUDO_PS1=$ ", NULL };
	struct callerenv_src src = { argv, 2, user };
	char **v;

	CHECK(callerenv_find(&src, run, &v) == 0 && found(v, want));
	free(v);
}

/* Nothing of the caller's: no vector at all. */
static void
test_none(void)
{
	char *argv[] = { "sudo", "id", NULL };
	char *user[] = { "HOME=/home/a", "PYTHONPATH=/x", NULL };
	char *run[] = { "HOME=/root", "PATH=/usr/bin", "weird", "=x", NULL };
	static const char *const want[] = { NULL };
	struct callerenv_src src = { argv, 1, user };
	struct callerenv_src bogus = { NULL, 99, NULL };
	char **v;

	CHECK(callerenv_find(&src, run, &v) == 0 && v == NULL);
	CHECK(callerenv_find(&bogus, run, &v) == 0 && found(v, want));
	CHECK(callerenv_find(&src, NULL, &v) == 0 && v == NULL);
}

int
main(void)
{
	unit_suite = "callerenv";
	RUN(test_typed);
	RUN(test_preserved);
	RUN(test_none);
	UNIT_DONE();
}
