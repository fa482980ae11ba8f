/* SPDX-License-Identifier: ISC */
/* Which file a command or sudoedit path really names (sudo_plugin). */
#include <errno.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "../../sudo_plugin/cmdpath.c"

static char tmp[] = "/tmp/test_cmdpath.XXXXXX";
static char buf[CMDPATH_MAX];

static void
mk(const char *rel, const char *what)
{
	char p[512];

	(void)snprintf(p, sizeof(p), "%s/%s", tmp, rel);
	if (what == NULL)
		CHECK(mkdir(p, 0755) == 0);
	else if (strcmp(what, "file") == 0) {
		FILE *f = fopen(p, "w");

		CHECK(f != NULL);
		if (f != NULL)
			fclose(f);
	} else
		CHECK(symlink(what, p) == 0);
}

static int
resolves(const char *path, const char *cwd, const char *want, int trusted)
{
	int t = -1;

	if (cmdpath_resolve(path, cwd, buf, sizeof(buf), &t, NULL) != 0)
		return 0;
	return strcmp(buf, want) == 0 && t == trusted;
}

static void
test_normalize(void)
{
	CHECK(cmdpath_normalize("/usr/bin//shred", NULL, buf, sizeof(buf)) ==
	    0 && strcmp(buf, "/usr/bin/shred") == 0);
	CHECK(cmdpath_normalize("../bin/./x", "/usr/sbin", buf,
	    sizeof(buf)) == 0 && strcmp(buf, "/usr/bin/x") == 0);
	CHECK(cmdpath_normalize("/../..", NULL, buf, sizeof(buf)) == 0 &&
	    strcmp(buf, "/") == 0);
	CHECK(cmdpath_normalize("x", NULL, buf, sizeof(buf)) == -1);
	CHECK(cmdpath_normalize("x", "rel", buf, sizeof(buf)) == -1);
}

/* Root's own programs: trusted, through the merged-/usr links too. */
static void
test_resolve_system(void)
{
	char real[PATH_MAX];
	int t;

	if (realpath("/bin/true", real) == NULL) {
		unit_cur_failed = 1;
		return;
	}
	CHECK(resolves("/bin/true", NULL, real, 1));
	CHECK(resolves("/usr/bin//true", NULL, real, 1));
	CHECK(resolves("true", "/usr/bin", real, 1));
	CHECK(resolves("../bin/./true", "/usr/sbin", real, 1));
	CHECK(cmdpath_resolve("/usr/bin/no-such-program", NULL, buf,
	    sizeof(buf), &t, NULL) == -1 && errno == ENOENT && t == 0);
	CHECK(cmdpath_resolve("true", NULL, buf, sizeof(buf), &t, NULL) == -1);
}

/* Links are followed as the kernel does; anything the caller could
 * change (here: the sticky, world-writable /tmp) is not trusted. */
static void
test_resolve_links(void)
{
	char want[512], real[PATH_MAX];
	int t;

	if (realpath("/bin/true", real) == NULL) {
		unit_cur_failed = 1;
		return;
	}
	mk("d", NULL);
	mk("d/prog", "file");
	mk("rel", "d/prog");
	mk("abs", real);
	mk("dots", "d/../d/prog");
	mk("dirlink", "d");
	mk("loop1", "loop2");
	mk("loop2", "loop1");
	mk("dangling", "nowhere");
	(void)snprintf(want, sizeof(want), "%s/d/prog", tmp);
	CHECK(resolves(want, NULL, want, 0));
	CHECK(resolves("rel", tmp, want, 0));
	CHECK(resolves("dots", tmp, want, 0));
	CHECK(resolves("dirlink/prog", tmp, want, 0));
	CHECK(resolves("dirlink/../d/prog", tmp, want, 0));
	/* a link the caller owns to root's program: the program, untrusted */
	CHECK(resolves("abs", tmp, real, 0));
	CHECK(cmdpath_resolve("loop1", tmp, buf, sizeof(buf), &t, NULL) == -1 &&
	    errno == ELOOP);
	CHECK(cmdpath_resolve("dangling", tmp, buf, sizeof(buf), &t, NULL) == -1 &&
	    errno == ENOENT);
	CHECK(cmdpath_resolve("d/prog/x", tmp, buf, sizeof(buf), &t, NULL) == -1 &&
	    errno == ENOTDIR);
}

static void
test_edit_file(void)
{
	char want[512];

	CHECK(cmdpath_edit_file("shadow", "/etc", buf, sizeof(buf)) == 0 &&
	    strcmp(buf, "/etc/shadow") == 0);
	CHECK(cmdpath_edit_file("/etc//shadow", "/", buf, sizeof(buf)) == 0 &&
	    strcmp(buf, "/etc/shadow") == 0);
	CHECK(cmdpath_edit_file("../etc/./new-file", "/usr", buf,
	    sizeof(buf)) == 0 && strcmp(buf, "/etc/new-file") == 0);
	/* the directory is resolved: through a link to /etc */
	mk("etclink", "/etc");
	CHECK(cmdpath_edit_file("etclink/shadow", tmp, buf, sizeof(buf)) ==
	    0 && strcmp(buf, "/etc/shadow") == 0);
	/* "link/.." is the parent of where the link points */
	(void)snprintf(want, sizeof(want), "%s/etclink/../passwd", tmp);
	CHECK(cmdpath_edit_file(want, NULL, buf, sizeof(buf)) == 0 &&
	    strcmp(buf, "/passwd") == 0);
	/* a directory that does not exist: normalized by text */
	CHECK(cmdpath_edit_file("/no/such/../dir/f", NULL, buf, sizeof(buf))
	    == 0 && strcmp(buf, "/no/dir/f") == 0);
	CHECK(cmdpath_edit_file("/etc/.", NULL, buf, sizeof(buf)) == 0 &&
	    strcmp(buf, "/etc") == 0);
	CHECK(cmdpath_edit_file("/etc/", NULL, buf, sizeof(buf)) == 0 &&
	    strcmp(buf, "/etc") == 0);
	CHECK(cmdpath_edit_file("f", NULL, buf, sizeof(buf)) == -1);
}

int
main(void)
{
	char cmd[600];
	int rc;

	unit_suite = "cmdpath";
	if (mkdtemp(tmp) == NULL) {
		printf("FAIL cmdpath.setup: mkdtemp failed\n");
		return 1;
	}
	RUN(test_normalize);
	RUN(test_resolve_system);
	RUN(test_resolve_links);
	RUN(test_edit_file);
	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	rc = system(cmd);
	(void)rc;
	UNIT_DONE();
}
