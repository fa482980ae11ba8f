/* SPDX-License-Identifier: ISC */
/*
 * The facts about the command of one check(), gathered once: what sudo
 * passed (command_info, run_argv), the file the command path really names,
 * sudoedit's files made absolute, the variables the caller set, and the
 * texts the rules, the phone and the log are given. Everything a rule, a
 * message or the intercept memory looks at comes from here, so they cannot
 * disagree about what runs.
 */
#ifndef BKEY_SUDO_FACTS_H
#define BKEY_SUDO_FACTS_H

#include <sys/types.h>

#include <sodium.h>

#include "callerenv.h"
#include "cmdpath.h"
#include "rules.h"

struct cmd_facts {
	const char *command;		/* command_info command= (as typed) */
	const char *runas;
	const char *runas_group;	/* sudo -g, or NULL */
	const char *runas_uid;		/* "" when sudo gave none */
	const char *cwd;		/* the command's cwd */
	char *const *argv;		/* run_argv */
	char typed[CMDPATH_MAX];	/* command normalized by text, or as is */
	char resolved[CMDPATH_MAX];	/* the file it names; "" if unknown */
	int trusted;			/* only root can change that */
	dev_t dev;			/* and which file it is */
	ino_t ino;
	char **env;			/* caller-set NAME=value, or NULL */
	char *const *edit_raw;		/* sudoedit: files as passed, or NULL */
	char **edit_abs;		/* sudoedit: the same, absolute */
	char *args;			/* argv[1..] or files, joined */
	char *args_norm;		/* sudoedit: absolute files, joined */
	char *full;			/* quoted path and arguments, capped */
	unsigned char hash[crypto_generichash_BYTES];
};

/*
 * Gather the facts; user_cwd is where sudo was run (sudoedit's files and,
 * without runcwd, a relative command are relative to it). 0, or -1 with
 * the reason in errbuf (sudo passed no command, runas user or argv; the
 * file it names cannot be told; a file to edit cannot be normalized; out
 * of memory): a check() that must refuse.
 */
int cmd_facts_gather(struct cmd_facts *f, char *const command_info[],
    char *const run_argv[], char *const run_envp[],
    const struct callerenv_src *src, const char *user_cwd, char *errbuf,
    size_t errsz);
void cmd_facts_free(struct cmd_facts *f);

/*
 * 1 if the command still names the file it named when gathered (an
 * approval wait is long: a link the caller owns could be swapped in the
 * meantime); 0 if not. A command that was not there must still not be.
 */
int cmd_facts_unchanged(const struct cmd_facts *f);

/* The command part of a rule subject (user, groups, runas left alone). */
void cmd_facts_subject(const struct cmd_facts *f, struct rule_subject *s);

/* The path shown and logged: the resolved file when trusted, else as
 * typed. */
const char *cmd_facts_path(const struct cmd_facts *f);

#endif
