/* SPDX-License-Identifier: ISC */
/*
 * bkey-admin check: everything a host will read, without the network.
 * Every problem is one "FILE:LINE: problem" (or "FILE: problem") line on
 * stderr, all of them in one run, so config management can refuse a
 * rollout before a single login fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "../cli/privdrop.h"
#include "../helper/workdir.h"
#include "../sudo_plugin/rules.h"
#include "admin.h"
#include "config.h"
#include "fileperm.h"
#include "lines.h"
#include "spawn.h"
#include "users.h"

#define PEM_CERT "-----BEGIN CERTIFICATE-----"

struct tally {
	size_t n; /* problems reported */
};

static void
count_err(struct tally *t, const bkey_error *e)
{
	admin_problem(e->detail);
	t->n++;
}

static void
users_report(void *ctx, const bkey_error *e)
{
	count_err(ctx, e);
}

static void
rules_report(void *ctx, const char *msg)
{
	struct tally *t = ctx;

	admin_problem(msg);
	t->n++;
}

static void
check_users(const struct bkey_config *c, struct tally *t)
{
	bkey_error err = { 0 };

	if (bkey_users_check(c->users_file, users_report, t, &err) < 0)
		count_err(t, &err);
}

/* The rules file named, or the default one when it is there. */
static void
check_rules(const char *path, struct tally *t)
{
	bkey_error err = { 0 };
	struct stat st;
	FILE *f;

	if (path == NULL) {
		path = BKEY_DEFAULT_RULES;
		if (lstat(path, &st) != 0 && errno == ENOENT)
			return;
	}
	if (path[0] != '/') {
		bkey_seterr(&err, BKEY_ERR_CONFIG,
		    "%s: the rules file must "
		    "be an absolute path",
		    path);
		count_err(t, &err);
		return;
	}
	if ((f = bkey_open_checked(path, 0, &err)) == NULL) {
		count_err(t, &err);
		return;
	}
	if (rules_check(f, path, rules_report, t, &err) < 0)
		rules_report(t, err.detail);
	(void)fclose(f);
}

/* What lives in state_dir and whose it is (workdir.h). */
static const char *const root_subdirs[] = { "breaker", "jti", "recovery",
	"remember", "vault-keys" };

/* One subdirectory, if there: not a link, owned by root or owner, not
 * writable by others. */
static void
check_subdir(int sfd, const char *state_dir, const char *sub, uid_t owner,
    struct tally *t)
{
	bkey_error err = { 0 };
	char shown[1024];
	struct stat st;
	int fd;

	if (fstatat(sfd, sub, &st, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT)
		return;
	(void)snprintf(shown, sizeof(shown), "%s/%s", state_dir, sub);
	if ((fd = bkey_open_dir_owned(sfd, sub, 0, owner, shown, &err)) < 0)
		count_err(t, &err);
	else
		(void)close(fd);
}

/*
 * state_dir as the helper uses it: root's alone (the jti records,
 * recovery codes, remember windows and phone keys are root's), with the
 * network side's own files in state_dir/helper, owned by run_as.
 */
static void
check_state_dir(const struct bkey_config *c, const struct bkey_runas *ra,
    struct tally *t)
{
	bkey_error err = { 0 };
	struct stat st;
	size_t i;
	int fd;

	fd = bkey_open_dir_checked(AT_FDCWD, c->state_dir, 1, c->state_dir,
	    &err);
	if (fd < 0 && ra->drop && stat(c->state_dir, &st) == 0 &&
	    st.st_uid == ra->uid)
		bkey_seterr(&err, BKEY_ERR_CONFIG,
		    "%s: state_dir is owned by run_as user '%s': make it "
		    "root's (chown root:root); run_as gets " BKEY_WORKDIR
		    "/ in it",
		    c->state_dir, ra->name);
	if (fd < 0) {
		count_err(t, &err);
		return;
	}
	if (fstat(fd, &st) != 0)
		bkey_seterr(&err, BKEY_ERR_CONFIG, "%s: cannot stat: %s",
		    c->state_dir, strerror(errno));
	else if ((st.st_mode & (S_IWUSR | S_IXUSR)) != (S_IWUSR | S_IXUSR))
		bkey_seterr(&err, BKEY_ERR_CONFIG,
		    "%s: state_dir is not writable by its owner (mode %04o)",
		    c->state_dir, (unsigned)(st.st_mode & 07777));
	if (err.code != 0)
		count_err(t, &err);
	for (i = 0; i < sizeof(root_subdirs) / sizeof(root_subdirs[0]); i++)
		check_subdir(fd, c->state_dir, root_subdirs[i], geteuid(), t);
	/* run_as's, or root's until the first drop hands it over. */
	check_subdir(fd, c->state_dir, BKEY_WORKDIR,
	    ra->drop ? ra->uid : geteuid(), t);
	(void)close(fd);
}

/* The loader checked the CA file's owner and mode; it must also hold a
 * certificate, or every TLS handshake fails. */
static void
check_cafile(const struct bkey_config *c, struct tally *t)
{
	bkey_error err = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (c->cafile == NULL)
		return;
	if ((f = bkey_open_checked(c->cafile, 0, &err)) == NULL ||
	    (buf = bkey_read_all(f, c->cafile, BKEY_FILE_MAX, &len, &err)) ==
		NULL)
		count_err(t, &err);
	else if (memmem(buf, len, PEM_CERT, strlen(PEM_CERT)) == NULL) {
		bkey_seterr(&err, BKEY_ERR_CONFIG,
		    "%s: cafile holds no PEM "
		    "certificate",
		    c->cafile);
		count_err(t, &err);
	}
	free(buf);
	if (f != NULL)
		(void)fclose(f);
}

static void
check_helper(const char *helper, struct tally *t)
{
	char resolved[PATH_MAX];
	bkey_error err = { 0 };

	if (bkey_helper_check(helper, resolved, &err) != 0)
		count_err(t, &err);
}

int
admin_check(const struct admin_opts *o)
{
	struct bkey_config cfg;
	struct bkey_runas ra;
	struct tally t = { 0 };
	bkey_error err = { 0 };
	char note[256];

	if (bkey_config_load(&cfg, o->config, &err) != 0) {
		count_err(&t, &err);
		/* Without a config the files it names are not known. */
		check_rules(o->rules, &t);
		check_helper(o->helper, &t);
		goto out;
	}
	if (bkey_privdrop_plan(cfg.run_as, cfg.path, &ra, note, sizeof(note),
		&err) != 0)
		count_err(&t, &err);
	else
		check_state_dir(&cfg, &ra, &t);
	check_cafile(&cfg, &t);
	check_users(&cfg, &t);
	check_rules(o->rules, &t);
	check_helper(o->helper, &t);
	bkey_config_free(&cfg);
out:
	if (t.n > 0) {
		(void)fprintf(stderr, "bkey-admin: %zu problem%s found\n", t.n,
		    t.n == 1 ? "" : "s");
		return 78;
	}
	if (!o->quiet)
		(void)printf("bkey-admin: %s: no problems found\n", o->config);
	return fflush(stdout) == 0 ? 0 : 70;
}
