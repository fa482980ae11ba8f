/* SPDX-License-Identifier: ISC */
/*
 * bkey_approval: a sudo approval plugin (struct approval_plugin, sudo >= 1.9)
 * that makes a privileged command wait for a biometric approval on a phone.
 *
 * sudo opens the plugin right before each check() and closes it right
 * after, so open() does all the parsing (options, user_info, the config and
 * the rules) and makes no network call. It never returns 0: that would
 * silently disable the plugin and let the command run. All network and
 * token work happens in bkey-approve, started with execve and a fixed
 * environment, so sudo's (caller-influenced) environment never reaches it.
 *
 * Return codes: 1 approved, 0 rejected (we print the reason: sudo prints
 * nothing), -1 error (never 1 by accident), -2 usage (bad plugin options).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <sudo_plugin.h>

#include "account.h"
#include "clock.h"
#include "config.h"
#include "helper_run.h"
#include "jsonw.h"
#include "outcome.h"
#include "sanitize.h"
#include "request.h"
#include "users.h"
#include "callerenv.h"
#include "cmdline.h"
#include "cmdpath.h"
#include "facts.h"
#include "options.h"
#include "remember.h"
#include "recover.h"
#include "rules.h"
#include "wait.h"

#define LOG_CMD_MAX	512	/* command in the syslog line */
#define FIELD_MAX	256	/* cwd, tty, names in action_details */
#define ENV_DETAIL_MAX	256	/* action_details.env: all names, within
				 * the helper's cap of a detail value */
#define MEMORY_MAX	32	/* approved commands remembered (intercept) */

/* Everything open() gathers; freed by close(). */
static struct plugin_state {
	int is_open;
	sudo_conv_t conv;
	sudo_printf_t printf_fn;
	struct plugin_opts opts;
	char *user, *host, *cwd, *tty;
	gid_t gid;
	int have_gid;
	char *users_file;
	int users_ldap;			/* the helper maps names (LDAP) */
	long timeout;
	int noninteractive;		/* sudo -n: never wait for a phone */
	struct rules rules;
	struct callerenv_src caller;	/* sudo's vectors, not copies */
	char *state_dir;		/* remember windows live there */
	struct remember_key win;	/* uid, session, tty; per rule the rest */
	int have_session;		/* sid and its start time known */
	int ignore_ticket;		/* sudo -k cmd: end the window, ask */
} st;

/*
 * What this sudo process has approved so far. sudo closes the plugin
 * after every check(), so this lives outside st and survives close(): with
 * sudoers "intercept", check() runs again, in the same process, for every
 * program the approved command starts.
 */
static struct {
	unsigned char hash[MEMORY_MAX][crypto_generichash_BYTES];
	size_t n;
	int any;			/* at least one approval granted */
	char auth_req_id[256];		/* of the last approval */
	unsigned long checks;		/* check() calls so far */
	struct callerenv_seen env;	/* the first command's run_envp */
} memory;

/* Rejection texts for errstr: static, so valid until (and after) close. */
static const char ERR_DENIED[] = "approval denied";
static const char ERR_RULE[] = "command denied by bkey rule";
static const char ERR_EXPIRED[] = "approval request expired";
static const char ERR_FAILED[] = "approval failed";
static const char ERR_CHANGED[] = "command changed during the approval";
static const char ERR_CANCELLED[] = "approval cancelled";
static const char ERR_UNAVAIL[] = "approval service unavailable";
static const char ERR_LIMITED[] = "too many approval requests";
static const char ERR_LOCKED[] = "recovery codes locked out";
static const char ERR_NOT_ASKED[] =
    "approval needed; not asked because of -n";
static const char ERR_NOUSER[] = "no BKey identity for the approver";
static const char ERR_INTERNAL[] = "bkey approval plugin error";
static const char ERR_CONFIG[] = "bkey approval plugin configuration error";
static const char ERR_USAGE[] = "bad bkey_approval plugin options";

/* Print one line to the user: the error channel, at once, tty if any. */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
say(const char *fmt, ...)
{
	char raw[1024], clean[1024];
	struct sudo_conv_message msg;
	struct sudo_conv_reply reply;
	va_list ap;
	size_t len;
	int ok = -1;

	va_start(ap, fmt);
	(void)vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	/* Whatever was quoted into it (file contents, server detail). Room is
	 * left for the newline: the result fits in sizeof(clean) - 2 bytes. */
	len = bkey_sanitize_into(clean, sizeof(clean) - 1, raw, strlen(raw));
	clean[len] = '\n';
	clean[len + 1] = '\0';
	if (st.conv != NULL) {
		memset(&msg, 0, sizeof(msg));
		memset(&reply, 0, sizeof(reply));
		msg.msg_type = SUDO_CONV_ERROR_MSG | SUDO_CONV_PREFER_TTY;
		msg.msg = clean;
		ok = st.conv(1, &msg, &reply, NULL);
	}
	if (ok != 0 && st.printf_fn != NULL)
		(void)st.printf_fn(SUDO_CONV_ERROR_MSG, "%s", clean);
}

static void
state_free(void)
{
	opts_free(&st.opts);
	free(st.user);
	free(st.host);
	free(st.cwd);
	free(st.tty);
	free(st.users_file);
	free(st.state_dir);
	rules_free(&st.rules);
	memset(&st, 0, sizeof(st));
}

static char *
dup_or_empty(const char *s)
{
	return strdup(s != NULL ? s : "");
}

/* The config is read now so that a broken one stops sudo here, with the
 * file and line named; only what the plugin needs is kept (no secret). */
static int
load_config(void)
{
	struct bkey_config cfg;
	bkey_error err;

	memset(&cfg, 0, sizeof(cfg));
	memset(&err, 0, sizeof(err));
	if (bkey_config_load_public(&cfg, st.opts.conf, &err) != 0) {
		say("bkey: %s", err.detail[0] ? err.detail :
		    "cannot load the configuration");
		return -1;
	}
	st.users_file = strdup(cfg.users_file);
	st.state_dir = cfg.state_dir != NULL ? strdup(cfg.state_dir) : NULL;
	st.users_ldap = cfg.users_ldap_uri != NULL;
	st.timeout = st.opts.timeout > 0 ? st.opts.timeout : cfg.timeout;
	bkey_config_free(&cfg);
	if (st.users_file == NULL) {
		say("bkey: out of memory");
		return -1;
	}
	return 0;
}

static int
load_rules(void)
{
	bkey_error err;
	struct stat sb;
	const char *path = st.opts.rules;

	rules_init(&st.rules);
	if (path == NULL) {
		/* No rules= and no default file: everything needs approval. */
		if (lstat(BKEY_DEFAULT_RULES, &sb) != 0 && errno == ENOENT)
			return 0;
		path = BKEY_DEFAULT_RULES;
	}
	memset(&err, 0, sizeof(err));
	if (rules_load(&st.rules, path, &err) != 0) {
		say("bkey: %s", err.detail);
		return -1;
	}
	return 0;
}

/* Who runs sudo, where: user_info's user, host, cwd, tty and gid. 0 / -1
 * (said). */
static int
load_user_info(char *const user_info[])
{
	const char *v;
	char *end;
	unsigned long g;

	/* user= comes from the real uid: trusted, unlike SUDO_USER. */
	v = kv_get(user_info, "user");
	if (v == NULL || *v == '\0' || kv_get(user_info, "host") == NULL) {
		say("bkey: sudo passed no user or host");
		return -1;
	}
	st.user = strdup(v);
	st.host = strdup(kv_get(user_info, "host"));
	st.cwd = dup_or_empty(kv_get(user_info, "cwd"));
	st.tty = dup_or_empty(kv_get(user_info, "tty"));
	if (st.user == NULL || st.host == NULL || st.cwd == NULL ||
	    st.tty == NULL) {
		say("bkey: out of memory");
		return -1;
	}
	if ((v = kv_get(user_info, "gid")) != NULL) {
		errno = 0;
		g = strtoul(v, &end, 10);
		if (*v != '\0' && *end == '\0' && errno == 0 &&
		    g == (gid_t)g) {
			st.gid = (gid_t)g;
			st.have_gid = 1;
		}
	}
	return 0;
}

/* sudo -n puts "noninteractive=true" in the settings, sudo -k CMD
 * "ignore_ticket=true". key ends in '='. */
static int
setting_true(char *const settings[], const char *key)
{
	size_t i, klen = strlen(key);

	for (i = 0; settings != NULL && settings[i] != NULL; i++)
		if (strncmp(settings[i], key, klen) == 0)
			return strcmp(settings[i] + klen, "true") == 0;
	return 0;
}

/* A positive decimal from user_info, or -1. */
static long
info_number(char *const user_info[], const char *key)
{
	const char *v = kv_get(user_info, key);
	char *end;
	long n;

	if (v == NULL || *v < '0' || *v > '9')
		return -1;
	errno = 0;
	n = strtol(v, &end, 10);
	return errno == 0 && *end == '\0' ? n : -1;
}

/* What remember windows are keyed on besides the rule: the uid, the
 * session (sid and its leader's start time) and the tty. Unknown: no
 * window is used or opened. */
static void
load_session(char *const user_info[])
{
	long uid = info_number(user_info, "uid");

	st.win.sid = info_number(user_info, "sid");
	st.win.uid = (uid_t)uid;
	st.win.tty = st.tty;
	st.have_session = uid >= 0 && (long)(uid_t)uid == uid &&
	    st.win.sid > 0 &&
	    remember_proc_start(st.win.sid, &st.win.sid_start) == 0;
}

static int
bk_open(unsigned int version, sudo_conv_t conversation,
    sudo_printf_t sudo_plugin_printf, char *const settings[],
    char *const user_info[], int submit_optind, char *const submit_argv[],
    char *const submit_envp[], char *const plugin_options[],
    const char **errstr)
{
	bkey_error err;
	int usage;

	state_free();
	st.noninteractive = setting_true(settings, "noninteractive=");
	st.ignore_ticket = setting_true(settings, "ignore_ticket=");
	/* sudo's own argv and the caller's environment: they stay valid
	 * for the life of the sudo process, so pointers are enough. */
	st.caller.submit_argv = submit_argv;
	st.caller.submit_optind = submit_optind;
	st.caller.submit_envp = submit_envp;
	st.conv = conversation;
	st.printf_fn = sudo_plugin_printf;
	if (SUDO_API_VERSION_GET_MAJOR(version) != SUDO_API_VERSION_MAJOR) {
		say("bkey: incompatible sudo plugin API %u.%u",
		    SUDO_API_VERSION_GET_MAJOR(version),
		    SUDO_API_VERSION_GET_MINOR(version));
		*errstr = ERR_INTERNAL;
		return -1;
	}
	memset(&err, 0, sizeof(err));
	if (opts_parse(&st.opts, plugin_options, &err) != 0) {
		say("bkey_approval: %s", err.detail);
		usage = err.code == BKEY_ERR_USAGE;
		*errstr = usage ? ERR_USAGE : ERR_INTERNAL;
		return usage ? -2 : -1;
	}

	if (load_user_info(user_info) != 0)
		goto fail;
	load_session(user_info);
	if (sodium_init() < 0) {
		say("bkey: libsodium failed to initialise");
		goto fail;
	}
	if (load_config() != 0) {
		*errstr = ERR_CONFIG;
		goto fail_cfg;
	}
	if (load_rules() != 0) {
		*errstr = ERR_CONFIG;
		goto fail_cfg;
	}
	st.is_open = 1;
	return 1;
fail:
	*errstr = ERR_INTERNAL;
fail_cfg:
	state_free();
	return -1;
}

static void
bk_close(void)
{
	state_free();
}

static int
bk_show_version(int verbose)
{
	(void)verbose;
	if (st.printf_fn != NULL)
		(void)st.printf_fn(SUDO_CONV_INFO_MSG,
		    "bkey_approval plugin version %s\n", BKEY_VERSION);
	return 1;
}

/*
 * The invoking user's group ids and the ids of the groups the rules name,
 * for %group rules. Any look-up that fails (not "no such entry") is -1:
 * a rule that cannot be evaluated might have been a deny.
 */
static int
groups_load(gid_t **list, int *n)
{
	bkey_error err;
	gid_t base = st.gid;
	int rc;

	*list = NULL;
	*n = 0;
	if (!st.have_gid) {
		if ((rc = bkey_account_user(st.user, NULL, &base)) != 0) {
			say("bkey: cannot look up user %s%s", st.user,
			    rc > 0 ? ": no such user" : "");
			return -1;
		}
	}
	if (bkey_account_groups(st.user, base, list, n) != 0) {
		say("bkey: cannot read the groups of %s", st.user);
		return -1;
	}
	memset(&err, 0, sizeof(err));
	if (rules_resolve_groups(&st.rules, &err) != 0) {
		say("bkey: %s", err.detail);
		free(*list);
		*list = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

static int
remembered(const unsigned char hash[crypto_generichash_BYTES])
{
	size_t i;

	for (i = 0; i < memory.n; i++)
		if (sodium_memcmp(memory.hash[i], hash,
		    crypto_generichash_BYTES) == 0)
			return 1;
	return 0;
}

/* All the facts about one check() that the log line and request need. */
struct decision {
	struct cmd_facts f;		/* what runs */
	const struct rule *rule;
	bkey_outcome outcome;
	char approver_did[BKEY_DID_MAX + 1];
	char auth_req_id[256];
	char jti[256];
	int code_spent;			/* a recovery code was burned */
	long remaining;			/* then: the codes left */
	long long t0;
};

static void
log_decision(const struct decision *d, int prio)
{
	char cmd[2 * LOG_CMD_MAX + 8], env[2 * LOG_CMD_MAX + 8];
	char user[FIELD_MAX], runas[FIELD_MAX], did[FIELD_MAX], id[FIELD_MAX];
	char jti[FIELD_MAX], scope[FIELD_MAX], rule[64], line[4096];
	char left[40] = "";
	char *words = NULL;
	long long ms = bkey_now_ms() - d->t0;

	bkey_log_quoted(cmd, sizeof(cmd), d->f.full);
	/* Names that do not fit, or no memory: still say there were some. */
	if (d->f.env != NULL && cmd_env_words(d->f.env, LOG_CMD_MAX,
	    &words) != 0)
		words = NULL;
	bkey_log_quoted(env, sizeof(env), d->f.env == NULL ? "" : words != NULL ?
	    words : "?");
	free(words);
	bkey_log_word(user, sizeof(user), st.user);
	bkey_log_word(runas, sizeof(runas), d->f.runas);
	bkey_log_word(scope, sizeof(scope), d->rule &&
	    d->rule->action == RULE_APPROVE ? d->rule->scope : NULL);
	bkey_log_word(did, sizeof(did), d->approver_did);
	bkey_log_word(id, sizeof(id), d->auth_req_id);
	bkey_log_word(jti, sizeof(jti), d->jti);
	if (d->rule == NULL || d->rule->line == 0)
		(void)snprintf(rule, sizeof(rule), "default");
	else
		(void)snprintf(rule, sizeof(rule), "line %d", d->rule->line);
	if (d->code_spent)
		(void)snprintf(left, sizeof(left), " remaining=%ld",
		    d->remaining);
	(void)snprintf(line, sizeof(line),
	    "outcome=%s user=%s runas=%s command=\"%s\" env=\"%s\" "
	    "rule=\"%s\" scope=%s approver=%s auth_req_id=%s jti=%s "
	    "elapsed_ms=%lld%s", bkey_outcome_word(d->outcome), user, runas,
	    cmd, env, rule, scope, did, id, jti, ms, left);
	/* Open and close around the line: sudo logs with its own ident. */
	openlog("sudo-bkey", LOG_PID, LOG_AUTHPRIV);
	syslog(prio, "%s", line);
	closelog();
	if (st.opts.debug && st.printf_fn != NULL)
		(void)st.printf_fn(SUDO_CONV_INFO_MSG, "bkey-debug: %s\n",
		    line);
}

/* Who approves d: a DID or a user name (the rule's, or the caller). */
static const char *
approver_of(const struct decision *d)
{
	return d->rule->approver ? d->rule->approver : st.user;
}

/*
 * The approver's DID: 0 found, 1 not enrolled (message printed), -1 error.
 * With users_ldap the helper maps a name: 0 with *did NULL.
 */
static int
approver_did(const char *who, char **did)
{
	bkey_error err;
	int rc;

	*did = NULL;
	if (strncmp(who, "did:", 4) == 0)
		return (*did = strdup(who)) != NULL ? 0 : -1;
	if (st.users_ldap) {
		if (bkey_username_valid(who))
			return 0;
		say("bkey: %s has no BKey identity in the directory", who);
		return 1;
	}
	memset(&err, 0, sizeof(err));
	rc = bkey_users_lookup(st.users_file, who, did, &err);
	if (rc == 1)
		say("bkey: %s has no BKey identity in %s", who,
		    st.users_file);
	else if (rc != 0)
		say("bkey: %s", err.detail[0] ? err.detail :
		    "cannot read the users file");
	return rc;
}

static void
put_field(bkey_jobj *o, const char *key, const char *val)
{
	char clean[FIELD_MAX];

	(void)bkey_sanitize_into(clean, sizeof(clean), val ? val : "",
	    val ? strlen(val) : 0);
	bkey_jobj_str(o, key, clean);
}

/* action_details: what the phone's detail view and the audit trail get. */
static int
put_details(bkey_jobj *o, const struct decision *d, const char *msg)
{
	const struct cmd_facts *f = &d->f;
	char *env = NULL;

	bkey_jobj_str(o, "type", "sudo");
	bkey_jobj_str(o, "description", msg);
	if (f->env != NULL) {
		/* Quoted and escaped like the arguments: already plain. */
		if (cmd_env_words(f->env, ENV_DETAIL_MAX, &env) != 0)
			return -1;
		bkey_jobj_str(o, "env", env);
		free(env);
	}
	bkey_jobj_str(o, "command", f->full);
	if (strcmp(cmd_facts_path(f), f->command) != 0)
		put_field(o, "typed_command", f->command);
	else if (f->resolved[0] != '\0' && strcmp(f->resolved,
	    f->command) != 0)
		put_field(o, "resolves_to", f->resolved);
	put_field(o, "cwd", f->cwd);
	put_field(o, "tty", st.tty);
	put_field(o, "runas_user", f->runas);
	put_field(o, "runas_uid", f->runas_uid);
	if (f->runas_group != NULL)
		put_field(o, "runas_group", f->runas_group);
	put_field(o, "user", st.user);
	put_field(o, "host", st.host);
	return 0;
}

/*
 * d's remember window key in k: 1, or 0 when d can have none: the rule
 * has no remember=, the session is unknown, or the command carries
 * caller-set variables or a path the caller could change (what an allow
 * never covers, a window does not either).
 */
static int
window_key(const struct decision *d, struct remember_key *k)
{
	if (d->rule->remember <= 0 || !st.have_session ||
	    st.state_dir == NULL || d->f.env != NULL || !d->f.trusted ||
	    d->f.resolved[0] == '\0')
		return 0;
	*k = st.win;
	k->rule_line = d->rule->line;
	k->rule_hash = d->rule->text_hash;
	k->runas = d->f.runas;
	k->runas_group = d->f.runas_group;
	k->scope = d->rule->scope;
	return 1;
}

/* 1 if an open window covers d. sudo -k CMD ends it instead. */
static int
window_covers(const struct decision *d)
{
	struct remember_key k;
	char name[REMEMBER_NAME], why[BKEY_DETAIL_MAX];
	int open;

	if (!window_key(d, &k))
		return 0;
	remember_name(&k, name);
	if (st.ignore_ticket) {
		if (remember_forget(st.state_dir, name, why, sizeof(why)) != 0)
			say("bkey: warning: remember window: %s", why);
		return 0;
	}
	open = remember_open_at(st.state_dir, name, (long long)time(NULL),
	    d->rule->remember, why, sizeof(why));
	if (why[0] != '\0')
		say("bkey: warning: remember window ignored: %s", why);
	return open;
}

/* An approval for a remember= rule opens its window: never past the
 * token's exp. Not for sudo -k CMD. */
static void
window_open(const struct decision *d, const struct bkey_event *ev)
{
	struct remember_key k;
	char name[REMEMBER_NAME], why[BKEY_DETAIL_MAX];
	long long now = (long long)time(NULL), end;

	if (!window_key(d, &k) || st.ignore_ticket)
		return;
	end = now + d->rule->remember;
	if (ev->exp < end)
		end = ev->exp;
	if (end <= now)
		return;
	remember_name(&k, name);
	if (remember_store(st.state_dir, name, end, why, sizeof(why)) != 0)
		say("bkey: warning: remember window not opened: %s", why);
}

/*
 * " and similar commands for up to 5 min" when the approval opens a
 * window. "Up to": the window also ends with the token's exp, which is
 * not known when the phone is asked; remember= is all that is certain.
 */
static void
window_note(const struct decision *d, char *dst, size_t dstsz)
{
	struct remember_key k;
	long r = d->rule->remember;

	dst[0] = '\0';
	if (!window_key(d, &k) || st.ignore_ticket)
		return;
	(void)snprintf(dst, dstsz, " and similar commands for up to %ld %s",
	    r % 60 == 0 ? r / 60 : r, r % 60 == 0 ? "min" : "s");
}

/* The action_details object text. malloc'd, NULL on failure. */
static char *
build_details(const struct decision *d, const char *msg)
{
	bkey_buf det;
	bkey_jobj o;
	char *out = NULL;

	bkey_buf_init(&det, 16384);
	bkey_jobj_begin(&o, &det);
	if (put_details(&o, d, msg) == 0 && bkey_jobj_end(&o) == 0)
		out = bkey_buf_steal(&det);
	bkey_buf_free(&det);
	return out;
}

/* What the phone shows: "alice → postgres on db-prod-1: psql ...".
 * 0, 1 it cannot be shown (too many variables), -1 ENOMEM. */
static int
phone_message(const struct decision *d, char **msg)
{
	const struct cmd_facts *f = &d->f;
	struct cmd_view v;
	char as[2 * FIELD_MAX], note[64], *longer;
	size_t len;
	int rc;

	/* "root:shadow" for sudo -g shadow: the group is a privilege too. */
	(void)snprintf(as, sizeof(as), "%s%s%s", f->runas,
	    f->runas_group ? ":" : "", f->runas_group ? f->runas_group : "");
	memset(&v, 0, sizeof(v));
	v.user = st.user;
	v.runas = as;
	v.host = st.host;
	v.command = f->command;
	v.typed = f->typed;
	v.resolved = f->resolved[0] != '\0' ? f->resolved : NULL;
	v.trusted = f->trusted;
	v.argv = f->argv;
	v.edit_files = f->edit_abs;
	v.env = f->env;
	window_note(d, note, sizeof(note));
	rc = cmd_message(&v, BKEY_MESSAGE_MAX - strlen(note), msg);
	if (rc != 0 || note[0] == '\0')
		return rc;
	len = strlen(*msg);
	if ((longer = realloc(*msg, len + strlen(note) + 1)) == NULL)
		return -1;
	memcpy(longer + len, note, strlen(note) + 1);
	*msg = longer;
	return 0;
}

/* The code to show; and the DID a name mapped to (LDAP), for the log
 * line of every outcome, not only an approval. */
static int
on_pending(const struct bkey_event *ev, void *ctx, bkey_error *err)
{
	struct decision *d = ctx;
	const char *approver = d->rule->approver; /* name or DID; NULL: self */

	(void)err;
	if (d->approver_did[0] == '\0' && ev->did[0] != '\0')
		(void)snprintf(d->approver_did, sizeof(d->approver_did), "%s",
		    ev->did);
	if (approver == NULL)
		say("bkey: approve on your phone: code %s (expires in %ld s)",
		    ev->code, ev->expires_in);
	else
		say("bkey: waiting for %s to approve on their phone: code %s "
		    "(expires in %ld s)", approver, ev->code, ev->expires_in);
	return 0;
}

/*
 * Ask the helper, with sudo's signals guarded: a signal at any point of
 * the wait cancels it, even alongside an approval.
 */
static bkey_result
ask_helper(struct decision *d, const char *did, const char *msg,
    struct bkey_event *ev, bkey_error *err)
{
	struct sigguard g;
	struct bkey_ask q;
	char *details;
	bkey_result res;
	int sig;

	memset(ev, 0, sizeof(*ev));
	memset(&q, 0, sizeof(q));
	q.helper = st.opts.helper;
	q.conf = st.opts.conf;
	q.debug = st.opts.debug;
	q.req.did = did;
	q.req.user = did == NULL ? approver_of(d) : NULL;
	q.req.scope = d->rule->scope;
	q.req.message = msg;
	q.req.timeout = st.timeout;
	q.slack_ms = WAIT_SLACK_MS;
	if ((details = build_details(d, msg)) == NULL) {
		bkey_seterr(err, BKEY_ERR_INTERNAL, "out of memory");
		return BKEY_ERR_INTERNAL;
	}
	q.req.details = details;
	if (sigguard_install(&g) != 0) {
		bkey_seterr(err, BKEY_ERR_INTERNAL,
		    "cannot set up signal handling: %s", strerror(errno));
		free(details);
		return BKEY_ERR_INTERNAL;
	}
	res = bkey_helper_run(&q, sigguard_fd(&g), on_pending, d, ev, err);
	if ((sig = sigguard_restore(&g)) != 0) {
		res = BKEY_ERR_CANCELLED;
		bkey_seterr(err, res, "cancelled by signal %d", sig);
	}
	free(details);
	return res;
}

/* What the user and the log get for each of the helper's results. */
static const struct verdict {
	bkey_result res;
	bkey_outcome outcome;
	const char *errstr;	/* NULL: approved */
	const char *pre;	/* said: pre, the detail if with_detail, post */
	int with_detail;
	const char *post;
	int ret;		/* check()'s return */
} verdicts[] = {
	{ BKEY_APPROVED, BKEY_OUT_APPROVED, NULL, "bkey: approved", 0, "", 1 },
	{ BKEY_DENIED, BKEY_OUT_DENIED, ERR_DENIED, "bkey: approval denied",
	    0, "", 0 },
	{ BKEY_EXPIRED, BKEY_OUT_EXPIRED, ERR_EXPIRED,
	    "bkey: approval request expired unanswered", 0, "", 0 },
	{ BKEY_ERR_CANCELLED, BKEY_OUT_CANCELLED, ERR_CANCELLED,
	    "bkey: approval cancelled", 0, "", 0 },
	{ BKEY_ERR_PROTOCOL, BKEY_OUT_PROTOCOL, ERR_FAILED,
	    "bkey: approval failed: ", 1, "", 0 },
	{ BKEY_ERR_TOKEN, BKEY_OUT_TOKEN, ERR_FAILED,
	    "bkey: approval failed: ", 1, "", 0 },
	{ BKEY_ERR_UNAVAILABLE, BKEY_OUT_UNAVAILABLE, ERR_UNAVAIL,
	    "bkey: approval service unavailable (", 1, "); command refused",
	    0 },
	{ BKEY_ERR_RATE_LIMITED, BKEY_OUT_RATE_LIMITED, ERR_LIMITED,
	    "bkey: not asked: ", 1, "; command refused", 0 },
	{ BKEY_ERR_CONFIG, BKEY_OUT_CONFIG, ERR_CONFIG,
	    "bkey: approval error: ", 1, "", -1 },
	{ BKEY_ERR_USAGE, BKEY_OUT_USAGE, ERR_INTERNAL,
	    "bkey: approval error: ", 1, "", -1 },
	{ BKEY_ERR_INTERNAL, BKEY_OUT_INTERNAL, ERR_INTERNAL,
	    "bkey: approval error: ", 1, "", -1 },
};

/* failmode=safe and the service unreachable: run, and say so loudly. */
static const struct verdict allowed_unavailable = {
	BKEY_ERR_UNAVAILABLE, BKEY_OUT_UNAVAILABLE_ALLOWED, NULL,
	"bkey: WARNING: approval service unavailable (", 1,
	"); running without approval (failmode=safe)", 1
};

/* A command that changed on disk while its approval was pending. */
static const struct verdict changed_meanwhile = {
	BKEY_APPROVED, BKEY_OUT_CHANGED, ERR_CHANGED, "bkey: ", 0,
	" changed while waiting for the approval; command refused", 0
};

static const struct verdict *
verdict_for(bkey_result res)
{
	size_t i;

	if (res == BKEY_ERR_UNAVAILABLE && st.opts.failmode_safe)
		return &allowed_unavailable;
	for (i = 0; i < sizeof(verdicts) / sizeof(verdicts[0]); i++)
		if (verdicts[i].res == res)
			return &verdicts[i];
	return &verdicts[sizeof(verdicts) / sizeof(verdicts[0]) - 1];
}

/* An approval granted: later checks in this process may be covered. */
static void
remember(struct decision *d, const struct bkey_event *ev)
{
	(void)snprintf(d->jti, sizeof(d->jti), "%s", ev->jti);
	if (memory.n < MEMORY_MAX)
		memcpy(memory.hash[memory.n++], d->f.hash,
		    crypto_generichash_BYTES);
	memory.any = 1;
	(void)snprintf(memory.auth_req_id, sizeof(memory.auth_req_id), "%s",
	    d->auth_req_id);
}

/* Act on the helper's answer: say it, log it, return check()'s code. */
static int
apply_verdict(struct decision *d, bkey_result res,
    const struct bkey_event *ev, const bkey_error *err, const char **errstr)
{
	const struct verdict *v = verdict_for(res);
	const char *detail = err->detail[0] ? err->detail :
	    bkey_result_reason(res);

	(void)snprintf(d->auth_req_id, sizeof(d->auth_req_id), "%s",
	    ev->auth_req_id);
	/* The wait is long: what the path names must be what was shown. */
	if (res == BKEY_APPROVED && !cmd_facts_unchanged(&d->f)) {
		v = &changed_meanwhile;
		detail = d->f.command;
	}
	say("%s%s%s", v->pre, v->with_detail || v == &changed_meanwhile ?
	    detail : "", v->post);
	d->outcome = v->outcome;
	if (v->errstr != NULL)
		*errstr = v->errstr;
	if (v->outcome == BKEY_OUT_APPROVED) {
		remember(d, ev);
		window_open(d, ev);
	}
	return v->ret;
}

/*
 * The approver's DID and the phone's message for d: 0, or -1 with *ret
 * check()'s code (said, outcome and errstr set): no request can be made.
 */
static int
prepare(struct decision *d, char **did, char **msg, const char **errstr,
    int *ret)
{
	int rc;

	rc = approver_did(approver_of(d), did);
	if (rc != 0) {
		d->outcome = rc == 1 ? BKEY_OUT_UNKNOWN_USER : BKEY_OUT_ERROR;
		*errstr = rc == 1 ? ERR_NOUSER : ERR_CONFIG;
		*ret = rc == 1 ? 0 : -1;
		return -1;
	}
	(void)snprintf(d->approver_did, sizeof(d->approver_did), "%s",
	    *did != NULL ? *did : "");
	if ((rc = phone_message(d, msg)) == 1) {
		say("bkey: too many environment variables to show on the "
		    "phone; command refused");
		d->outcome = BKEY_OUT_ERROR;
		*errstr = ERR_FAILED;
		*ret = 0;
		return -1;
	}
	if (rc != 0) {
		say("bkey: out of memory");
		d->outcome = BKEY_OUT_ERROR;
		*errstr = ERR_INTERNAL;
		*ret = -1;
		return -1;
	}
	return 0;
}

/*
 * A name the helper mapped: the DID it asked is the approver's, and its
 * own "no DID" (never another error) is "not enrolled". 1 if that, said.
 */
static int
helper_mapped(struct decision *d, bkey_result res,
    const struct bkey_event *ev, const char **errstr)
{
	if (res == BKEY_APPROVED)
		(void)snprintf(d->approver_did, sizeof(d->approver_did), "%s",
		    ev->did);
	if (res != BKEY_ERR_CONFIG || ev->type != BKEY_EV_ERROR ||
	    ev->reason != BKEY_ERR_CONFIG || !ev->unknown_user)
		return 0;
	say("bkey: %s has no BKey identity in the directory", approver_of(d));
	d->outcome = BKEY_OUT_UNKNOWN_USER;
	*errstr = ERR_NOUSER;
	return 1;
}

/* recovery=allow for d: the rule's key, else the plugin option. Only
 * for the caller's own approval: a code never stands in for another
 * approver's (approver=). */
static int
recovery_applies(const struct decision *d)
{
	if (d->rule->approver != NULL)
		return 0;
	return d->rule->recovery != 0 ? d->rule->recovery > 0 :
	    st.opts.recovery;
}

/* One recovery code for d's user, asked through sudo's conversation. */
static bkey_result
recover_code(const struct decision *d, long *left, bkey_error *err)
{
	struct bkey_ask q;

	memset(&q, 0, sizeof(q));
	q.helper = st.opts.helper;
	q.conf = st.opts.conf;
	q.debug = st.opts.debug;
	q.req.user = st.user;
	q.req.scope = d->rule->scope;
	q.req.timeout = st.timeout;
	q.slack_ms = WAIT_SLACK_MS;
	return recover_ask(st.conv, &q, left, err);
}

/*
 * An outage under failmode=secure, recovery=allow: ask for a code. 1 if
 * that decided d (said; outcome, errstr and *ret, check()'s code, set):
 * a code let it in, was spent on a command that changed meanwhile, or
 * the codes are locked out; 0 apply *res, which a failed check (a signal, an error) replaces, with
 * *err. A code stands for this one command: it opens no remember window
 * and covers nothing in intercept mode (apply_verdict is not reached).
 */
static int
recover(struct decision *d, bkey_result *res, bkey_error *err,
    const char **errstr, int *ret)
{
	bkey_error rerr;
	bkey_result r;
	long left;

	if (*res != BKEY_ERR_UNAVAILABLE || st.opts.failmode_safe ||
	    !recovery_applies(d))
		return 0;
	memset(&rerr, 0, sizeof(rerr));
	r = recover_code(d, &left, &rerr);
	if (r == BKEY_APPROVED) {
		d->code_spent = 1;
		d->remaining = left;
		if (cmd_facts_unchanged(&d->f)) {
			*ret = 1;
			say("bkey: recovery code accepted (%ld left); command "
			    "allowed", left);
			d->outcome = BKEY_OUT_RECOVERED;
			return 1;
		}
		/* Burned before the answer: say so, the user is short one. */
		say("bkey: %s changed while the recovery code was checked; "
		    "command refused (the code is used up: %ld left)",
		    d->f.command, left);
		d->outcome = BKEY_OUT_CHANGED;
		*errstr = ERR_CHANGED;
		*ret = 0;
		return 1;
	}
	if (r == BKEY_ERR_RATE_LIMITED) {
		/* The helper's lock-out: recover_ask asked no more. */
		say("bkey: recovery codes locked out after too many wrong ones "
		    "(an administrator can lift it: bkey-admin recovery %s "
		    "--unlock); command refused", st.user);
		d->outcome = BKEY_OUT_RATE_LIMITED;
		*errstr = ERR_LOCKED;
		*ret = 0;
		return 1;
	}
	if (r == BKEY_DENIED)
		say("bkey: no valid recovery code");
	else {
		*res = r;
		*err = rerr;
	}
	return 0;
}

/* Ask for the approval of d; returns the check() code. */
static int
request_approval(struct decision *d, const char **errstr)
{
	struct bkey_event ev;
	bkey_error err;
	bkey_result res;
	char *did = NULL, *msg = NULL;
	int ret;

	memset(&err, 0, sizeof(err));
	if (prepare(d, &did, &msg, errstr, &ret) == 0) {
		res = ask_helper(d, did, msg, &ev, &err);
		if (did == NULL && helper_mapped(d, res, &ev, errstr))
			ret = 0;
		else if (recover(d, &res, &err, errstr, &ret) == 0)
			ret = apply_verdict(d, res, &ev, &err, errstr);
	}
	free(did);
	free(msg);
	return ret;
}

/* The rule for d's command. 0 / -1 (a group look-up failed: said). */
static int
match_rule(struct decision *d)
{
	struct rule_subject subj;
	gid_t *gids = NULL;
	int ngids = 0;

	if (st.rules.uses_groups && groups_load(&gids, &ngids) != 0)
		return -1;
	memset(&subj, 0, sizeof(subj));
	subj.user = st.user;
	subj.gids = gids;
	subj.ngroups = (size_t)ngids;
	subj.runas = d->f.runas;
	subj.cwd = st.cwd;	/* where sudo resolved a relative command */
	cmd_facts_subject(&d->f, &subj);
	d->rule = rules_match(&st.rules, &subj);
	free(gids);
	return 0;
}

/*
 * Intercept mode: a program run by an approved command is covered by that
 * approval, unless a rule of its own (not the default) asks for an
 * approval, which it then gets. The very same file, argv and caller-set
 * variables approved before are always covered.
 */
static int
covered(const struct decision *d)
{
	return remembered(d->f.hash) || (memory.any && d->rule->line == 0);
}

/* Act on d's rule: the check() code, *prio for the log line. */
static int
apply_rule(struct decision *d, int *prio, const char **errstr)
{
	int ret;

	*prio = LOG_INFO;
	*errstr = NULL;
	switch (d->rule->action) {
	case RULE_DENY:
		if (d->rule->reason != NULL)
			say("bkey: %s", d->rule->reason);
		else
			say("bkey: this command is not allowed (%s:%d)",
			    st.rules.path, d->rule->line);
		d->outcome = BKEY_OUT_DENIED_BY_RULE;
		*errstr = ERR_RULE;
		*prio = LOG_WARNING;
		return 0;
	case RULE_ALLOW:
		d->outcome = BKEY_OUT_ALLOWED_BY_RULE;
		return 1;
	case RULE_APPROVE:
		break;
	}
	if (covered(d)) {
		(void)snprintf(d->auth_req_id, sizeof(d->auth_req_id), "%s",
		    memory.auth_req_id);
		d->outcome = BKEY_OUT_COVERED;
		return 1;
	}
	if (window_covers(d)) {
		say("bkey: approved earlier (remember window of %s:%d)",
		    st.rules.path, d->rule->line);
		d->outcome = BKEY_OUT_REMEMBERED;
		return 1;
	}
	if (st.noninteractive) {
		/* Automation (sudo -n) would block on a phone nobody
		 * watches: refuse at once, and say why. */
		say("bkey: %s", ERR_NOT_ASKED);
		d->outcome = BKEY_OUT_NOT_ASKED;
		*errstr = ERR_NOT_ASKED;
		*prio = LOG_WARNING;
		return 0;
	}
	ret = request_approval(d, errstr);
	*prio = ret == 1 ? LOG_NOTICE : ret == 0 ? LOG_WARNING : LOG_ERR;
	if (d->code_spent)
		*prio = LOG_ALERT;	/* break-glass: someone must look */
	if (ret == 1)
		*errstr = NULL;
	return ret;
}

static int
bk_check(char *const command_info[], char *const run_argv[],
    char *const run_envp[], const char **errstr)
{
	struct decision d;
	char why[128];
	int ret = -1, prio = LOG_ERR;

	memset(&d, 0, sizeof(d));
	d.t0 = bkey_now_ms();
	d.outcome = BKEY_OUT_ERROR;
	*errstr = ERR_INTERNAL;
	if (!st.is_open) {
		say("bkey: check() before open()");
		return -1;
	}
	/*
	 * run_envp is judged (caller-set variables), never used. In
	 * intercept mode the first check() is sudo's command; what its
	 * children add to that environment, the caller's command added.
	 */
	st.caller.parent = memory.checks++ > 0 ? &memory.env : NULL;
	if (st.caller.parent == NULL)
		callerenv_remember(&memory.env, run_envp);
	if (cmd_facts_gather(&d.f, command_info, run_argv, run_envp,
	    &st.caller, st.cwd, why, sizeof(why)) != 0) {
		say("bkey: %s", why);
		goto out;	/* logged like every decision */
	}
	if (match_rule(&d) != 0)
		goto out;
	ret = apply_rule(&d, &prio, errstr);
out:
	log_decision(&d, prio);
	cmd_facts_free(&d.f);
	/* Nothing but an explicit decision above ever returns 1. */
	return ret;
}

__attribute__((visibility("default"))) struct approval_plugin bkey_approval = {
	SUDO_APPROVAL_PLUGIN,
	SUDO_API_VERSION,
	bk_open,
	bk_close,
	bk_check,
	bk_show_version,
};
