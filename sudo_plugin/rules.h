/* SPDX-License-Identifier: ISC */
/*
 * The sudo rules file: which commands need an approval, with which scope and
 * from whom. One rule per line, first match wins; see examples/sudo.rules
 * for the syntax. Pure logic: no sudo, no network, so the unit tests compile
 * it directly.
 */
#ifndef BKEY_SUDO_RULES_H
#define BKEY_SUDO_RULES_H

#include <stddef.h>
#include <stdio.h>
#include <regex.h>
#include <sys/types.h>

#include "result.h"

#ifndef BKEY_DEFAULT_RULES
#define BKEY_DEFAULT_RULES "/etc/bkey/sudo.rules"
#endif

#define RULES_DEFAULT_SCOPE	"approve:sudo"
#define RULES_LINE_MAX		4096	/* longer lines are an error */
#define RULES_REASON_MAX	200
#define RULES_REMEMBER_MAX	900	/* remember=SECONDS, at most */
#define RULES_TEXT_HASH		16	/* bytes of a rule's text hash */

enum rule_action { RULE_APPROVE = 0, RULE_ALLOW, RULE_DENY };

struct rule {
	int line;			/* 0: the built-in default */
	char **users;			/* NULL: any; "name", "%group", "%#gid" */
	long long *user_gids;		/* same order: the group's id, -1 for
					 * a user name or an unknown group */
	size_t nusers;
	char **runas;			/* NULL: any */
	size_t nrunas;
	char *command;			/* glob, NULL: any */
	regex_t args_re;
	int has_args;
	int args_icase;
	regex_t env_re;			/* env=: some caller-set NAME=value */
	int has_env;
	enum rule_action action;
	char *scope;			/* approve: never NULL after parsing */
	char *approver;			/* approve: unix name or DID; NULL: self */
	char *reason;			/* deny: NULL for the default text */
	long remember;			/* approve: remember=SECONDS, 0 off */
	int has_remember;		/* remember= was given */
	unsigned char text_hash[RULES_TEXT_HASH]; /* of the line as written:
					 * an edited rule ends its windows */
	int recovery;			/* approve: recovery=allow 1, =deny -1,
					 * 0: the plugin option decides */
};

struct rules {
	char *path;			/* for messages; NULL when no file */
	struct rule *v;
	size_t n;
	int uses_groups;		/* some rule names a %group */
};

/* What a command looks like to the rules. */
struct rule_subject {
	const char *user;		/* invoking user */
	const gid_t *gids;		/* all the user's group ids */
	size_t ngroups;
	const char *runas;		/* runas user name */
	const char *command;		/* command_info command=, or "sudoedit" */
	const char *cwd;		/* the user's cwd, for a relative command */
	const char *resolved;		/* the file command names (cmdpath_resolve);
					 * NULL if unknown, or for "sudoedit" */
	int trusted;			/* only root can change what it names */
	const char *args;		/* run_argv[1..] joined by single spaces */
	const char *args_norm;		/* sudoedit: the files made absolute and
					 * normalized, joined; else NULL */
	char *const *env;		/* variables the caller set (NAME=value),
					 * NULL-terminated; NULL: none */
};

/* Empty rule set: every command falls to the default rule. */
void rules_init(struct rules *rs);

/*
 * Parse rules from f; name is used in messages. On error returns -1 with
 * err "NAME:LINE: problem" (BKEY_ERR_CONFIG) and rs left empty. 0 on
 * success.
 */
int rules_parse(struct rules *rs, FILE *f, const char *name, bkey_error *err);

/* One problem of a rules file, "NAME:LINE: problem". */
typedef void (*rules_report_fn)(void *ctx, const char *msg);

/*
 * Check every line of f (bkey-admin check): each problem goes to report
 * and the check goes on. 0 none, 1 some reported, -1 a problem with the
 * whole file (read error, no memory) in err.
 */
int rules_check(FILE *f, const char *name, rules_report_fn report, void *ctx,
    bkey_error *err);

/*
 * Open path with the ownership checks of bkey_open_checked (root-owned, not
 * group/world writable, regular file, no symlink) and parse it. -1 with
 * err set on any problem, including a missing file.
 */
int rules_load(struct rules *rs, const char *path, bkey_error *err);

void rules_free(struct rules *rs);

/*
 * Look up the id of every %group the rules name (bkey_account_group), for
 * rules_match. A group that does not exist matches nobody; a look-up that
 * fails (NSS/LDAP error) is -1 with the group and line in err: the
 * caller must then refuse, since the rule it could not evaluate might have
 * been a deny or a stricter approve. 0 on success.
 */
int rules_resolve_groups(struct rules *rs, bkey_error *err);

/*
 * The first rule matching s, or the built-in default (approve:sudo,
 * line 0) when none does. Never NULL. Deny and approve rules match any
 * spelling of the command (as sudo passes it, normalized by text, and the
 * resolved file) and of sudoedit's files (as typed, and absolute). An
 * allow rule applies only to the resolved file (so never when it is not
 * known or the caller could change it), only to the absolute sudoedit
 * files, and never when the caller set any environment variable.
 */
const struct rule *rules_match(const struct rules *rs,
    const struct rule_subject *s);

/* "approve", "allow", "deny". */
const char *rules_action_name(enum rule_action a);

#endif
