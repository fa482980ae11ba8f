/* SPDX-License-Identifier: ISC */
/*
 * The facts about one check()'s command (see facts.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmdline.h"
#include "facts.h"
#include "options.h"

#define CMD_FULL_MAX	1024	/* action_details.command, the log line */

static int
ferr(char *errbuf, size_t errsz, const char *msg)
{
	(void)snprintf(errbuf, errsz, "%s", msg);
	return -1;
}

/* sudoedit's files: NULL for a plain command. */
static char *const *
edit_files(char *const command_info[], char *const run_argv[])
{
	const char *v = kv_get(command_info, "sudoedit");
	const char *nf = kv_get(command_info, "sudoedit_nfiles");
	long n = 0;

	if (v == NULL || strcmp(v, "true") != 0)
		return NULL;
	/* A bad count falls back to the "--" separator. */
	if (nf != NULL) {
		char *end;

		errno = 0;
		n = strtol(nf, &end, 10);
		if (*nf == '\0' || *end != '\0' || errno != 0)
			n = 0;
	}
	return cmd_edit_files(run_argv, n);
}

/*
 * Each file absolute and normalized, against the caller's cwd (sudoedit
 * opens them from the front end, before any runcwd): a NULL-terminated
 * malloc'd vector. 0, -1 (ENOMEM), 1 a name that cannot be normalized
 * (too long): never matched as typed instead, which a deny would miss.
 */
static int
absolute_files(struct cmd_facts *f, const char *user_cwd)
{
	char buf[CMDPATH_MAX];
	size_t n = 0, i;

	while (f->edit_raw[n] != NULL)
		n++;
	if ((f->edit_abs = calloc(n + 1, sizeof(*f->edit_abs))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (cmdpath_edit_file(f->edit_raw[i], user_cwd, buf,
		    sizeof(buf)) != 0)
			return 1;
		if ((f->edit_abs[i] = strdup(buf)) == NULL)
			return -1;
	}
	return 0;
}

/*
 * The file the command names. sudoers found it, so any failure but "no
 * such file" (a name that only fails at exec) is a refusal: a path too
 * deep, a loop or a /proc link would otherwise be judged by its text.
 * 0, or -1 with the reason in errbuf.
 */
static int
resolve(struct cmd_facts *f, char *errbuf, size_t errsz)
{
	struct stat st;

	/* Relative to where it runs: sudo changes to runcwd before exec. */
	if (cmdpath_normalize(f->command, f->cwd, f->typed,
	    sizeof(f->typed)) != 0)
		(void)snprintf(f->typed, sizeof(f->typed), "%s", f->command);
	if (cmdpath_resolve(f->command, f->cwd, f->resolved,
	    sizeof(f->resolved), &f->trusted, &st) == 0) {
		f->dev = st.st_dev;
		f->ino = st.st_ino;
		return 0;
	}
	f->resolved[0] = '\0';
	f->trusted = 0;
	if (errno == ENOENT)
		return 0;
	(void)snprintf(errbuf, errsz, "cannot tell which file %s is (%s)",
	    f->command, strerror(errno));
	return -1;
}

static void
hash_str(crypto_generichash_state *h, const char *s)
{
	unsigned long long len = strlen(s);

	(void)crypto_generichash_update(h, (const unsigned char *)&len,
	    sizeof(len));
	(void)crypto_generichash_update(h, (const unsigned char *)s, len);
}

static void
hash_vec(crypto_generichash_state *h, char *const *v)
{
	unsigned long long n = 0;
	char *const *p;

	for (p = v; p != NULL && *p != NULL; p++)
		n++;
	(void)crypto_generichash_update(h, (const unsigned char *)&n,
	    sizeof(n));
	for (p = v; p != NULL && *p != NULL; p++)
		hash_str(h, *p);
}

/* The file, argv and caller-set variables, length-prefixed so that no
 * two different commands hash alike. */
static int
command_hash(struct cmd_facts *f)
{
	crypto_generichash_state h;

	if (crypto_generichash_init(&h, NULL, 0, sizeof(f->hash)) != 0)
		return -1;
	hash_str(&h, f->resolved[0] != '\0' ? f->resolved : f->command);
	hash_vec(&h, f->argv);
	hash_vec(&h, f->env);
	return crypto_generichash_final(&h, f->hash, sizeof(f->hash));
}

/* What sudo passed about the command. 0 / -1 when something is missing. */
static int
take_info(struct cmd_facts *f, char *const command_info[],
    char *const run_argv[], const char *user_cwd)
{
	f->command = kv_get(command_info, "command");
	f->runas = kv_get(command_info, "runas_user");
	f->runas_group = kv_get(command_info, "runas_group");
	f->runas_uid = kv_get(command_info, "runas_uid");
	if (f->runas_uid == NULL)
		f->runas_uid = "";
	f->cwd = kv_get(command_info, "cwd");
	if (f->cwd == NULL)
		f->cwd = kv_get(command_info, "runcwd");
	if (f->cwd == NULL)
		f->cwd = user_cwd;
	f->argv = run_argv;
	return f->command == NULL || *f->command == '\0' ||
	    f->runas == NULL || run_argv == NULL || run_argv[0] == NULL ?
	    -1 : 0;
}

int
cmd_facts_gather(struct cmd_facts *f, char *const command_info[],
    char *const run_argv[], char *const run_envp[],
    const struct callerenv_src *src, const char *user_cwd, char *errbuf,
    size_t errsz)
{
	memset(f, 0, sizeof(*f));
	if (take_info(f, command_info, run_argv, user_cwd) != 0)
		return ferr(errbuf, errsz,
		    "sudo passed no command, runas user or argv");
	if (resolve(f, errbuf, errsz) != 0)
		return -1;
	f->edit_raw = edit_files(command_info, run_argv);
	/* sudoedit runs the editor as the caller: the variables it gets
	 * give it nothing the caller does not have. */
	if (f->edit_raw == NULL && callerenv_find(src, run_envp, &f->env) != 0)
		goto nomem;
	if (f->edit_raw != NULL) {
		int rc = absolute_files(f, user_cwd);

		if (rc > 0)
			return ferr(errbuf, errsz, "a file to edit has a name "
			    "too long to judge");
		if (rc < 0 || (f->args_norm = cmd_join_args(f->edit_abs)) ==
		    NULL)
			goto nomem;
	}
	f->args = cmd_join_args(f->edit_raw != NULL ? f->edit_raw :
	    run_argv + 1);
	f->full = cmd_full(cmd_facts_path(f), run_argv, CMD_FULL_MAX);
	if (f->args == NULL || f->full == NULL)
		goto nomem;
	if (command_hash(f) != 0)
		return ferr(errbuf, errsz, "hashing failed");
	return 0;
nomem:
	return ferr(errbuf, errsz, "out of memory");
}

void
cmd_facts_free(struct cmd_facts *f)
{
	size_t i;

	free(f->env);
	for (i = 0; f->edit_abs != NULL && f->edit_abs[i] != NULL; i++)
		free(f->edit_abs[i]);
	free(f->edit_abs);
	free(f->args);
	free(f->args_norm);
	free(f->full);
	memset(f, 0, sizeof(*f));
}

int
cmd_facts_unchanged(const struct cmd_facts *f)
{
	char now[CMDPATH_MAX];
	struct stat st;
	int trusted;

	if (f->resolved[0] == '\0')
		return access(f->typed, F_OK) != 0;
	return cmdpath_resolve(f->command, f->cwd, now, sizeof(now),
	    &trusted, &st) == 0 && strcmp(now, f->resolved) == 0 &&
	    trusted == f->trusted && st.st_dev == f->dev &&
	    st.st_ino == f->ino;
}

const char *
cmd_facts_path(const struct cmd_facts *f)
{
	return f->trusted && f->resolved[0] != '\0' ? f->resolved :
	    f->command;
}

void
cmd_facts_subject(const struct cmd_facts *f, struct rule_subject *s)
{
	s->command = f->edit_raw != NULL ? "sudoedit" : f->command;
	s->resolved = f->edit_raw == NULL && f->resolved[0] != '\0' ?
	    f->resolved : NULL;
	s->trusted = f->trusted;
	s->args = f->args;
	s->args_norm = f->args_norm;
	s->env = f->env;
}
