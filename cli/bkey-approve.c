/* SPDX-License-Identifier: ISC */
/*
 * bkey-approve: ask a user's phone to approve an action and wait for a
 * verified answer. The only program that talks to the network and handles
 * tokens; pam_bkey.so and the sudo plugin start it with --request-stdin.
 *
 * bkey-approve [--config FILE] (--user NAME | --did DID) [--scope SCOPE]
 *              [--message TEXT] [--detail KEY=VALUE]... [--timeout SECONDS]
 *              [--json] [--request-stdin] [--debug] [--version] [--help]
 * bkey-approve [--config FILE] (--user NAME | --did DID)
 *              --vault ITEM[:FIELD] --env VAR [--vault ... --env ...]...
 *              [--message PURPOSE] [--timeout SECONDS] [--json] [--debug]
 *              -- COMMAND [ARG]...
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#include "approve.h"
#include "breaker.h"
#include "buf.h"
#include "config.h"
#include "harden.h"
#include "jsonw.h"
#include "monitor.h"
#include "output.h"
#include "privdrop.h"
#include "recovery_cli.h"
#include "request.h"
#include "result.h"
#include "sanitize.h"
#include "users.h"
#include "ldap_users.h"
#include "vault_cli.h"

#define STDIN_MAX (64 * 1024)
#define MAX_DETAILS 32

static volatile sig_atomic_t cancelled;

struct opts {
	const char *config;
	const char *user, *did, *scope, *message;
	const char *detail[MAX_DETAILS];
	int ndetail;
	long timeout;
	int json, request_stdin, debug;
	struct bkey_vault_cli *vault;
};

/* The number, so the monitor can forward the same signal. */
static void
on_signal(int sig)
{
	cancelled = sig;
}

static void
usage(FILE *f)
{
	(void)fprintf(f,
"usage: bkey-approve [--config FILE] (--user NAME | --did DID) [--scope SCOPE]\n"
"                    [--message TEXT] [--detail KEY=VALUE]... [--timeout SECONDS]\n"
"                    [--json] [--request-stdin] [--debug] [--version] [--help]\n"
"       bkey-approve [--config FILE] (--user NAME | --did DID)\n"
"                    --vault ITEM[:FIELD] --env VAR [--vault ITEM --env VAR]...\n"
"                    [--message PURPOSE] [--timeout SECONDS] [--json]\n"
"                    -- COMMAND [ARG]...\n"
"\n"
"Asks the user's phone to approve an action and waits for a verified answer.\n"
"  --config FILE      configuration (default " BKEY_DEFAULT_CONFIG ")\n"
"  --user NAME        look the DID up in the users file\n"
"  --did DID          ask this DID directly\n"
"  --scope SCOPE      action scope (default: the configured scope)\n"
"  --message TEXT     what to approve, shown on the phone\n"
"  --detail KEY=VALUE add a string to action_details (repeatable)\n"
"  --timeout SECONDS  overall deadline, 1.." BKEY_STR(BKEY_TIMEOUT_MAX)
    " (default: configured)\n"
"  --json             JSON event lines on stdout\n"
"  --request-stdin    read the request as one JSON object on stdin\n"
"  --debug            diagnostics on stderr\n"
"  --vault ITEM[:FIELD] a secret the phone releases (FIELD default key)\n"
"  --env VAR          the variable COMMAND gets it in (one per --vault)\n"
"Exit: 0 approved, 1 denied, 2 expired, 3 unavailable, 4 rejected answer,\n"
"      5 cancelled, 64 usage, 78 configuration; with --vault, COMMAND's.\n");
}

/* Finish with a result that is not an approval. */
static int
fail(bkey_result res, const bkey_error *err)
{
	if (bkey_out_final(res, NULL, err) != 0 && bkey_out_json())
		(void)fprintf(stderr, "bkey-approve: cannot write output\n");
	return bkey_result_exit(res);
}

static int usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static int
usage_error(const char *fmt, ...)
{
	bkey_error err;
	char msg[BKEY_DETAIL_MAX];
	va_list ap;

	memset(&err, 0, sizeof(err));
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	bkey_seterr(&err, BKEY_ERR_USAGE, "%s", msg);
	(void)fprintf(stderr, "bkey-approve: %s\n", err.detail);
	if (bkey_out_json())
		(void)bkey_out_final(BKEY_ERR_USAGE, NULL, &err);
	else
		(void)fprintf(stderr, "Try 'bkey-approve --help'.\n");
	return bkey_result_exit(BKEY_ERR_USAGE);
}

static int
parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* Whether json output was asked for, before getopt could complain. */
static int
wants_json(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--json") == 0 ||
		    strcmp(argv[i], "--request-stdin") == 0)
			return 1;
	}
	return 0;
}

enum { OPT_CONFIG = 256, OPT_USER, OPT_DID, OPT_SCOPE, OPT_MESSAGE,
	OPT_DETAIL, OPT_TIMEOUT, OPT_JSON, OPT_STDIN, OPT_DEBUG, OPT_VERSION,
	OPT_HELP, OPT_VAULT, OPT_ENV };

static const struct option longopts[] = {
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "user", required_argument, NULL, OPT_USER },
	{ "did", required_argument, NULL, OPT_DID },
	{ "scope", required_argument, NULL, OPT_SCOPE },
	{ "message", required_argument, NULL, OPT_MESSAGE },
	{ "detail", required_argument, NULL, OPT_DETAIL },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "request-stdin", no_argument, NULL, OPT_STDIN },
	{ "debug", no_argument, NULL, OPT_DEBUG },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "vault", required_argument, NULL, OPT_VAULT },
	{ "env", required_argument, NULL, OPT_ENV },
	{ NULL, 0, NULL, 0 }
};

/* The slot of an option that takes one string, else NULL. */
static const char **
string_slot(struct opts *o, int ch)
{
	switch (ch) {
	case OPT_CONFIG:
		return &o->config;
	case OPT_USER:
		return &o->user;
	case OPT_DID:
		return &o->did;
	case OPT_SCOPE:
		return &o->scope;
	case OPT_MESSAGE:
		return &o->message;
	}
	return NULL;
}

/* The command after a "--" that ended the options (not one that was an
 * option's value, last_arg), else NULL. */
static char **
command_after(int argc, char **argv, const char *last_arg)
{
	if (optind > 1 && optind <= argc &&
	    strcmp(argv[optind - 1], "--") == 0 && argv[optind - 1] != last_arg)
		return argv + optind;
	return NULL;
}

/* --vault, --env and a command: all together or none. The mode is what
 * getopt parsed (abbreviations included), never a spelling. */
static int
vault_args(const struct opts *o, int *status)
{
	bkey_error err;

	memset(&err, 0, sizeof(err));
	if (!bkey_vault_wanted(o->vault)) {
		o->vault->cmd = NULL; /* a bare trailing "--" */
		return 0;
	}
	if (o->request_stdin || o->scope || o->ndetail) {
		*status = usage_error("--vault takes no --request-stdin, "
		    "--scope or --detail");
		return -1;
	}
	if (bkey_vault_check(o->vault, &err) != 0) {
		*status = usage_error("%s", err.detail);
		return -1;
	}
	return 0;
}

/* What the options say together. 0, or -1 with *status (printed). */
static int
check_args(int argc, char **argv, const struct opts *o, int dup,
    int *status)
{
	if (o->vault->cmd == NULL && optind < argc) {
		*status = usage_error("unexpected argument '%s'",
		    argv[optind]);
		return -1;
	}
	if (dup) {
		*status = usage_error("an option was given twice");
		return -1;
	}
	if (vault_args(o, status) != 0)
		return -1;
	if (o->request_stdin) {
		if (o->user || o->did || o->scope || o->message ||
		    o->ndetail || o->timeout) {
			*status = usage_error("--request-stdin takes the request "
			    "from stdin only");
			return -1;
		}
		return 0;
	}
	if ((o->user != NULL) == (o->did != NULL)) {
		*status = usage_error("give exactly one of --user and --did");
		return -1;
	}
	return 0;
}

/* 0 go on, 1 done (help/version printed), -1 usage error (printed). */
static int
parse_args(int argc, char **argv, struct opts *o, int *status)
{
	int ch, dup = 0;
	const char *bad = NULL, **slot, *last_arg = NULL;

	opterr = 0;
	/* '+': the options end at the first other argument or "--". */
	while ((ch = getopt_long(argc, argv, "+:", longopts, NULL)) != -1) {
		last_arg = optarg;
		if ((slot = string_slot(o, ch)) != NULL) {
			dup |= *slot != NULL;
			*slot = optarg;
			continue;
		}
		bad = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
		switch (ch) {
		case OPT_DETAIL:
			if (o->ndetail >= MAX_DETAILS) {
				*status = usage_error("too many --detail "
				    "options");
				return -1;
			}
			o->detail[o->ndetail++] = optarg;
			break;
		case OPT_TIMEOUT:
			dup |= o->timeout != 0;
			if (parse_long(optarg, BKEY_TIMEOUT_MIN,
			    BKEY_TIMEOUT_MAX, &o->timeout)) {
				*status = usage_error("--timeout must be a "
				    "number of seconds from %d to %d, not "
				    "'%s'", BKEY_TIMEOUT_MIN, BKEY_TIMEOUT_MAX,
				    optarg);
				return -1;
			}
			break;
		case OPT_JSON:
			o->json = 1;
			break;
		case OPT_VAULT:
		case OPT_ENV:
			if (bkey_vault_opt(o->vault, ch == OPT_ENV,
			    optarg) != 0) {
				*status = usage_error("at most %d --vault "
				    "items", BKEY_VAULT_ITEMS);
				return -1;
			}
			break;
		case OPT_STDIN:
			o->request_stdin = 1;
			break;
		case OPT_DEBUG:
			o->debug = 1;
			break;
		case OPT_VERSION:
			(void)printf("bkey-approve " BKEY_VERSION "\n");
			*status = fflush(stdout) == 0 ? 0 : 70;
			return 1;
		case OPT_HELP:
			usage(stdout);
			*status = fflush(stdout) == 0 ? 0 : 70;
			return 1;
		case ':':
			*status = usage_error("option '%s' needs a value", bad);
			return -1;
		default:
			*status = usage_error("unknown option '%s'", bad);
			return -1;
		}
	}
	o->vault->cmd = command_after(argc, argv, last_arg);
	return check_args(argc, argv, o, dup, status);
}

static int
detail_key_valid(const char *k)
{
	for (; *k != '\0'; k++)
		if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') ||
		    (*k >= '0' && *k <= '9') || *k == '_' || *k == '.' ||
		    *k == '-'))
			return 0;
	return 1;
}

/* --detail KEY=VALUE... -> sanitized action_details JSON. */
static int
build_details(const struct opts *o, char **out, bkey_error *err)
{
	bkey_buf b;
	bkey_jobj obj;
	char key[65], *val = NULL;
	const char *eq;
	size_t klen;
	int i, j, bad = 0, rc = -1;

	*out = NULL;
	if (o->ndetail == 0)
		return 0;
	bkey_buf_init(&b, 64 * 1024);
	bkey_jobj_begin(&obj, &b);
	for (i = 0; i < o->ndetail; i++) {
		eq = strchr(o->detail[i], '=');
		klen = eq != NULL ? (size_t)(eq - o->detail[i]) : 0;
		if (eq == NULL || klen == 0 || klen >= sizeof(key)) {
			bkey_seterr(err, BKEY_ERR_USAGE, "--detail wants "
			    "KEY=VALUE with a key of 1 to 64 bytes");
			goto out;
		}
		for (j = 0; j < i; j++)
			if (strncmp(o->detail[j], o->detail[i], klen + 1) ==
			    0) {
				bkey_seterr(err, BKEY_ERR_USAGE,
				    "--detail key given twice");
				goto out;
			}
		memcpy(key, o->detail[i], klen);
		key[klen] = '\0';
		if (!detail_key_valid(key)) {
			bkey_seterr(err, BKEY_ERR_USAGE, "--detail key '%s' "
			    "must be letters, digits, '_', '.' or '-'", key);
			goto out;
		}
		/* Like --message: replaced and stripped, not refused. */
		free(val);
		if ((val = bkey_sanitize(eq + 1, strlen(eq + 1),
		    BKEY_DETAILS_MAX)) == NULL) {
			bkey_seterr(err, BKEY_ERR_INTERNAL, "out of memory");
			goto out;
		}
		bkey_jobj_str(&obj, key, val);
	}
	if (bkey_jobj_end(&obj) != 0) {
		bkey_seterr(err, BKEY_ERR_USAGE, "--detail values too long");
		goto out;
	}
	if ((*out = bkey_sanitize_details(b.data, b.len, &bad)) == NULL) {
		bkey_seterr(err, bad ? BKEY_ERR_USAGE : BKEY_ERR_INTERNAL,
		    bad ? "--detail values are not usable" : "out of memory");
		goto out;
	}
	rc = 0;
out:
	free(val);
	bkey_buf_free(&b);
	return rc;
}

static int
request_from_args(const struct opts *o, struct bkey_request *r,
    bkey_error *err)
{
	memset(r, 0, sizeof(*r));
	if (o->user != NULL && !bkey_username_valid(o->user))
		return bkey_seterr(err, BKEY_ERR_USAGE,
		    "'%s' is not a valid user name", o->user);
	if (o->did != NULL && !bkey_did_valid(o->did))
		return bkey_seterr(err, BKEY_ERR_USAGE,
		    "'%s' is not a valid DID", o->did);
	if (o->scope != NULL && !bkey_scope_valid(o->scope))
		return bkey_seterr(err, BKEY_ERR_USAGE,
		    "'%s' is not a valid scope (letters, digits, ':._-')",
		    o->scope);
	if ((o->user && (r->user = strdup(o->user)) == NULL) ||
	    (o->did && (r->did = strdup(o->did)) == NULL) ||
	    (o->scope && (r->scope = strdup(o->scope)) == NULL))
		goto nomem;
	if (o->message != NULL && (r->message = bkey_sanitize(o->message,
	    strlen(o->message), BKEY_MESSAGE_MAX)) == NULL)
		goto nomem;
	if (build_details(o, &r->details, err) != 0)
		return -1;
	r->timeout = o->timeout;
	return 0;
nomem:
	return bkey_seterr(err, BKEY_ERR_INTERNAL, "out of memory");
}

static int
request_from_stdin(struct bkey_request *r, bkey_error *err)
{
	bkey_buf b;
	char chunk[4096];
	ssize_t n;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	bkey_buf_init(&b, STDIN_MAX);
	for (;;) {
		n = read(STDIN_FILENO, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR && !cancelled)
			continue;
		if (n < 0) {
			bkey_seterr(err, cancelled ? BKEY_ERR_CANCELLED :
			    BKEY_ERR_USAGE, "reading the request: %s",
			    strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (bkey_buf_append(&b, chunk, (size_t)n) != 0) {
			bkey_seterr(err, b.overflow ? BKEY_ERR_USAGE :
			    BKEY_ERR_INTERNAL, b.overflow ?
			    "request on stdin is over 64 KiB" :
			    "out of memory");
			goto out;
		}
	}
	if (b.len == 0) {
		bkey_seterr(err, BKEY_ERR_USAGE, "no request on stdin");
		goto out;
	}
	rc = bkey_request_parse(r, b.data, b.len, err);
out:
	sodium_memzero(chunk, sizeof(chunk));
	bkey_buf_free(&b);
	return rc;
}

/* From stdin or the options. 0; 1 a usage error, printed, *status set;
 * -1 another error in err. */
static int
get_request(const struct opts *o, struct bkey_request *r, bkey_error *err,
    int *status)
{
	int rc = o->request_stdin ? request_from_stdin(r, err) :
	    request_from_args(o, r, err);

	if (rc == 0)
		return 0;
	if (err->code == BKEY_ERR_USAGE) {
		*status = usage_error("%s", err->detail);
		return 1;
	}
	return -1;
}

/* --user: the users file, or the directory, names the DID (and, for a
 * vault access, maybe the phone's key). --did for a vault access: the
 * users file may configure that DID's phone key. */
static int
resolve_did(const struct bkey_config *c, struct bkey_request *r,
    struct bkey_vault_cli *vault, bkey_error *err)
{
	const char *from = c->users_ldap_uri != NULL ? "the directory" :
	    c->users_file;
	char *did = NULL;
	int rc;

	if (r->did != NULL)
		return vault->cmd != NULL ?
		    bkey_vault_did_lookup(c, vault, r->did, err) : 0;
	if (r->user == NULL)
		return bkey_seterr(err, BKEY_ERR_USAGE, "no user or DID given");
	rc = bkey_vault_lookup(c, vault, r->user, &did, err);
	if (rc < 0)
		return -1;
	if (rc == 1 || did == NULL) {
		if (c->users_ldap_uri != NULL)
			bkey_out_unknown_user();
		return bkey_seterr(err, BKEY_ERR_CONFIG,
		    "user '%s' has no DID in %s", r->user, from);
	}
	if (!bkey_did_valid(did)) {
		free(did);
		return bkey_seterr(err, BKEY_ERR_CONFIG,
		    "user '%s' has an invalid DID in %s", r->user, from);
	}
	if (c->users_ldap_uri != NULL)
		bkey_out_mapped(did);
	r->did = did;
	return 0;
}

/*
 * Leave root before any network I/O; what needs root stays behind in the
 * monitor, which keeps nothing of the config but state_dir (the secret is
 * wiped). 0: go on (the worker, or no drop); 1: this was the monitor, done,
 * *status set; -1: error in err.
 */
static int
leave_root(struct bkey_config *cfg, struct bkey_request *req,
    struct bkey_vault_cli *vault, struct bkey_monitor *mon, int *status,
    bkey_error *err)
{
	struct bkey_runas ra;
	char note[256];
	int rc;

	if (bkey_privdrop_plan(cfg->run_as, cfg->path, &ra, note, sizeof(note),
	    err) != 0)
		return -1;
	if (ra.drop) {
		rc = bkey_monitor_fork(mon, cfg->state_dir, err);
		if (rc >= 0)
			bkey_vault_split(vault, rc == 1);
		if (rc == 1) {
			/* A vault access records no jti; it pins its DID's
			 * phone key only ("": learned from the directory). */
			mon->no_record = vault->cmd != NULL;
			if (vault->cmd != NULL)
				mon->pin_did = strdup(req->did != NULL ?
				    req->did : "");
			bkey_config_free(cfg);
			bkey_request_free(req);
			*status = bkey_monitor_run(mon, &cancelled);
			return 1;
		}
		if (rc < 0)
			return -1;
		bkey_out_debug("monitor: pid %ld", (long)getppid());
		bkey_approve_set_recorder(bkey_monitor_record, mon);
		bkey_vault_set_pinner(bkey_monitor_pin, mon);
		if (bkey_privdrop(&ra, cfg->state_dir, note, sizeof(note), err) != 0)
			return -1;
	}
	bkey_out_debug("privileges: %s", note);
	return 0;
}

/* The DID (and a vault access's phone key) around the privilege drop:
 * the users file may be root's only, the directory is asked after it
 * (a --did needs neither, or the users file only). As leave_root. */
static int
resolve_and_drop(struct bkey_config *cfg, struct bkey_request *req,
    struct bkey_vault_cli *vault, struct bkey_monitor *mon, int *status,
    bkey_error *err)
{
	int rc;

	if ((cfg->users_ldap_uri == NULL || req->did != NULL) &&
	    resolve_did(cfg, req, vault, err) != 0)
		return -1;
	if ((rc = leave_root(cfg, req, vault, mon, status, err)) != 0)
		return rc;
	if (req->did == NULL && resolve_did(cfg, req, vault, err) != 0)
		return -1;
	return 0;
}

/* Before anything else: output mode, hardening, libsodium, the options.
 * 0 go on; else done, with the exit status in *status. */
static int
start(int argc, char **argv, struct opts *o, int *status)
{
	bkey_error err;

	memset(&err, 0, sizeof(err));
	bkey_out_init(wants_json(argc, argv), 0);
	if (bkey_harden(on_signal) != 0) {
		bkey_seterr(&err, BKEY_ERR_INTERNAL, "cannot harden the process");
		*status = fail(BKEY_ERR_INTERNAL, &err);
		return -1;
	}
	if (sodium_init() < 0) {
		bkey_seterr(&err, BKEY_ERR_INTERNAL, "libsodium init failed");
		*status = fail(BKEY_ERR_INTERNAL, &err);
		return -1;
	}
	if (parse_args(argc, argv, o, status) != 0)
		return -1;
	bkey_out_init(o->json || o->request_stdin, o->debug);
	bkey_approve_set_debug(bkey_out_debug_msg);
	if (o->vault->cmd == NULL)
		bkey_vault_free(o->vault); /* the environment copy */
	/* Forked now, before the config: it never holds the client secret. */
	if (o->vault->cmd != NULL &&
	    bkey_vault_runner_start(o->vault, &err) != 0) {
		*status = fail(err.code, &err);
		return -1;
	}
	return 0;
}

/*
 * The circuit breaker, read as root before the drop (approvals only): the
 * network side must not be able to hold it open. 0 go on, -1 open (err
 * says so: the answer is "unavailable" at once).
 */
static int
breaker_begin(struct bkey_breaker_run *br, const struct bkey_config *cfg,
    const struct bkey_vault_cli *vault, bkey_error *err)
{
	if (vault->cmd != NULL)
		return 0;
	return bkey_breaker_begin(br, cfg, err) == BKEY_BREAKER_OPEN ? -1 : 0;
}

/* The approval itself, with libcurl set up around it; a signal that
 * raced the last answer still means no. */
static bkey_result
ask(const struct bkey_config *cfg, const struct bkey_request *req,
    struct bkey_vault_cli *vault, struct bkey_approval *appr,
    bkey_error *err)
{
	bkey_result res;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		bkey_seterr(err, BKEY_ERR_INTERNAL, "curl_global_init failed");
		return BKEY_ERR_INTERNAL;
	}
	if (vault->cmd != NULL) {
		res = bkey_vault_ask_all(cfg, vault, req, &cancelled, err);
		if (res == BKEY_APPROVED &&
		    bkey_vault_approval(vault, req->did, appr) != 0) {
			bkey_seterr(err, BKEY_ERR_INTERNAL, "out of memory");
			res = BKEY_ERR_INTERNAL;
		}
	} else
		res = bkey_approve(cfg, req, &cancelled, bkey_out_pending,
		    NULL, appr, err);
	curl_global_cleanup();
	if (cancelled && res != BKEY_ERR_CANCELLED) {
		bkey_approval_free(appr);
		memset(err, 0, sizeof(*err));
		bkey_seterr(err, BKEY_ERR_CANCELLED, "cancelled");
		res = BKEY_ERR_CANCELLED;
	}
	return res;
}

/* Write the final answer and tell the monitor; the exit status. */
static int
finish(bkey_result res, const struct bkey_approval *appr, bkey_error *err,
    struct bkey_monitor *mon)
{
	if (res == BKEY_ERR_CANCELLED && err->detail[0] == '\0')
		bkey_seterr(err, BKEY_ERR_CANCELLED, "cancelled");
	if (bkey_out_final(res, appr, err) != 0 && bkey_out_json()) {
		/* The caller never saw the answer: do not claim success. */
		(void)fprintf(stderr, "bkey-approve: cannot write the result\n");
		if (res == BKEY_APPROVED)
			res = BKEY_ERR_INTERNAL;
	}
	/* The worker tells its monitor the final event is out. */
	bkey_monitor_final(mon);
	return bkey_result_exit(res);
}

static int
load_config(const struct opts *o, struct bkey_config *cfg, bkey_error *err)
{
	if (bkey_config_load(cfg, o->config != NULL ? o->config :
	    BKEY_DEFAULT_CONFIG, err) != 0) {
		if (err->code != BKEY_ERR_INTERNAL)
			err->code = BKEY_ERR_CONFIG;
		return -1;
	}
	bkey_out_debug("config %s: api %s, dialect %s", cfg->path,
	    cfg->api_url, cfg->dialect == BKEY_DIALECT_CIBA ? "ciba" : "bkey");
	return 0;
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct bkey_config cfg;
	struct bkey_request req;
	struct bkey_approval appr;
	bkey_error err;
	bkey_result res;
	struct bkey_monitor mon;
	struct bkey_vault_cli vault;
	struct bkey_breaker_run br;
	int status = 0, have_cfg = 0, rc;

	memset(&o, 0, sizeof(o));
	memset(&cfg, 0, sizeof(cfg));
	memset(&req, 0, sizeof(req));
	memset(&appr, 0, sizeof(appr));
	memset(&err, 0, sizeof(err));
	memset(&mon, 0, sizeof(mon));
	memset(&br, 0, sizeof(br));
	mon.fd = -1;
	o.vault = &vault;
	if ((status = bkey_vault_early(&vault)) != 0)
		goto out;
	if (start(argc, argv, &o, &status) != 0)
		goto out;

	if ((rc = get_request(&o, &req, &err, &status)) != 0) {
		res = err.code;
		if (rc > 0)
			goto out;
		goto done;
	}

	if (load_config(&o, &cfg, &err) != 0) {
		res = err.code;
		goto done;
	}
	have_cfg = 1;
	if (req.recovery_code != NULL) { /* as root, no network */
		status = bkey_recovery_answer(&cfg, &req, &cancelled);
		goto out;
	}
	if (breaker_begin(&br, &cfg, &vault, &err) != 0) {
		res = err.code;
		goto done;
	}
	rc = resolve_and_drop(&cfg, &req, &vault, &mon, &status, &err);
	if (rc == 1) { /* the monitor, once the worker's run is over */
		bkey_breaker_end(&br, bkey_result_from_exit(status));
		have_cfg = 0;
		goto out;
	}
	if (rc < 0) {
		res = err.code;
		goto done;
	}

	res = ask(&cfg, &req, &vault, &appr, &err);
done:
	status = finish(res, &appr, &err, &mon);
	if (mon.fd < 0) /* no monitor records it for us */
		bkey_breaker_end(&br, res);
out:
	bkey_breaker_drop(&br);
	status = bkey_vault_finish(&vault, status, &cancelled);
	bkey_vault_free(&vault);
	bkey_monitor_close(&mon);
	bkey_approval_free(&appr);
	bkey_request_free(&req);
	if (have_cfg)
		bkey_config_free(&cfg);
	return status;
}
