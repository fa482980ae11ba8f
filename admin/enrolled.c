/* SPDX-License-Identifier: ISC */
/*
 * bkey-admin unenroll and list: the users file as the modules read it.
 * unenroll changes it only under the lock and when the whole file is
 * valid, and logs the change to authpriv.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "admin.h"
#include "buf.h"
#include "config.h"
#include "fileperm.h"
#include "lines.h"
#include "jsonw.h"
#include "ldap_users.h"
#include "sanitize.h"
#include "users.h"
#include "usersfile.h"

#define EXIT_CONFIG 78

/* list: where the recovery codes are counted (NULL: not counted). */
static const char *list_state_dir;

static int
fail_with(const bkey_error *err)
{
	admin_problem(err->detail);
	return bkey_result_exit(err->code == 0 ? BKEY_ERR_INTERNAL :
	    err->code);
}

/* Who ran it: the uid, and the login uid the kernel keeps across su and
 * sudo (-1 when not set). */
void
admin_log_change(const char *what, const char *user, const char *did)
{
	char u[80], d[BKEY_DID_MAX + 8], buf[32] = "";
	FILE *f;

	(void)bkey_log_word(u, sizeof(u), user);
	(void)bkey_log_word(d, sizeof(d), did);
	if ((f = fopen("/proc/self/loginuid", "re")) != NULL) {
		if (fgets(buf, sizeof(buf), f) == NULL)
			buf[0] = '\0';
		(void)fclose(f);
	}
	buf[strcspn(buf, "\n")] = '\0';
	openlog("bkey-admin", LOG_PID, LOG_AUTHPRIV);
	syslog(LOG_NOTICE, "%s user=%s did=%s by uid=%lu loginuid=%s", what,
	    u, d, (unsigned long)getuid(), buf[0] != '\0' ? buf : "-");
	closelog();
}

int
admin_unenroll(const struct admin_opts *o)
{
	struct bkey_config cfg;
	bkey_error err = { 0 };
	char *did = NULL;
	int lock = -1, r, status;

	if (bkey_config_load_public(&cfg, o->config, &err) != 0)
		return fail_with(&err);
	if ((lock = admin_users_lock(cfg.users_file, &err)) < 0) {
		status = fail_with(&err);
		goto out;
	}
	r = bkey_users_lookup(cfg.users_file, o->user, &did, &err);
	if (r == 1)
		bkey_seterr(&err, BKEY_ERR_CONFIG, "%s: user \"%s\" is not "
		    "enrolled", cfg.users_file, o->user);
	if (r != 0 || admin_users_edit(cfg.users_file, o->user, NULL,
	    &err) != 0) {
		status = fail_with(&err);
		goto out;
	}
	admin_log_change("unenrolled", o->user, did);
	(void)printf("unenrolled %s (%s)\n", o->user, did);
	status = fflush(stdout) == 0 ? 0 : 70;
out:
	admin_users_unlock(lock);
	free(did);
	bkey_config_free(&cfg);
	return status;
}

static void
list_report(void *ctx, const bkey_error *e)
{
	(void)ctx;
	admin_problem(e->detail);
}

static void
print_entry(int json, int first, const char *name, const char *did)
{
	bkey_buf b;
	bkey_jobj j;
	int left = admin_recovery_left(list_state_dir, name);

	if (!json) {
		if (left > 0)
			(void)printf("%s %s recovery_codes=%d\n", name, did,
			    left);
		else
			(void)printf("%s %s\n", name, did);
		return;
	}
	bkey_buf_init(&b, 1024);
	bkey_jobj_begin(&j, &b);
	bkey_jobj_str(&j, "user", name);
	bkey_jobj_str(&j, "did", did);
	if (left > 0)
		bkey_jobj_int(&j, "recovery_codes", left);
	if (bkey_jobj_end(&j) == 0)
		(void)printf("%s%.*s", first ? "" : ",", (int)b.len, b.data);
	bkey_buf_free(&b);
}

/* The entries of a file already checked: names and DIDs are plain. */
static int
print_entries(const char *path, int json, bkey_error *err)
{
	struct bkey_lines lines;
	char *buf = NULL, *line, *name, *did;
	size_t len = 0, n = 0;
	FILE *f;
	int r = -1;

	if ((f = bkey_open_checked(path, 0, err)) == NULL)
		return -1;
	if ((buf = bkey_read_all(f, path, BKEY_FILE_MAX, &len, err)) == NULL)
		goto out;
	bkey_lines_init(&lines, buf, len, path);
	if (json)
		(void)printf("[");
	while ((r = bkey_lines_next(&lines, &line, err)) == 1) {
		r = bkey_users_parse_line(line, path, lines.lineno, &name,
		    &did, err);
		if (r < 0)
			break;
		if (r == 1)
			print_entry(json, n++ == 0, name, did);
	}
	if (json)
		(void)printf("]\n");
out:
	free(buf);
	(void)fclose(f);
	return r;
}

struct list_ctx {
	int json, n;
};

static void
list_entry(void *ctx, const char *name, const char *did)
{
	struct list_ctx *l = ctx;

	if (l->json && l->n == 0)
		(void)printf("[");
	print_entry(l->json, l->n++ == 0, name, did);
}

/* users_ldap_uri: the directory, checked whole before anything is listed
 * (the full load: a bind password is needed). */
static int
list_directory(const struct admin_opts *o)
{
	struct bkey_config cfg;
	struct list_ctx l = { o->json, 0 };
	bkey_error err = { 0 };
	int r;

	if (bkey_config_load(&cfg, o->config, &err) != 0)
		return fail_with(&err);
	list_state_dir = cfg.state_dir;
	r = bkey_ldap_users_list(&cfg, list_entry, list_report, &l, &err);
	if (r == 0 && o->json)
		(void)printf("%s]\n", l.n == 0 ? "[" : "");
	bkey_config_free(&cfg);
	list_state_dir = NULL;
	if (r < 0)
		return fail_with(&err);
	if (r > 0)
		return EXIT_CONFIG;
	return fflush(stdout) != 0 ? 70 : 0;
}

int
admin_list(const struct admin_opts *o)
{
	struct bkey_config cfg;
	bkey_error err = { 0 };
	int r, status = 0;

	if (bkey_config_load_public(&cfg, o->config, &err) != 0)
		return fail_with(&err);
	list_state_dir = cfg.state_dir;
	if (cfg.users_ldap_uri != NULL) {
		bkey_config_free(&cfg);
		return list_directory(o);
	}
	r = bkey_users_check(cfg.users_file, list_report, NULL, &err);
	if (r < 0 || (r == 0 && print_entries(cfg.users_file, o->json,
	    &err) != 0))
		status = fail_with(&err);
	else if (r > 0)
		status = EXIT_CONFIG;
	if (status == 0 && fflush(stdout) != 0)
		status = 70;
	list_state_dir = NULL;
	bkey_config_free(&cfg);
	return status;
}
