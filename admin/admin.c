/* SPDX-License-Identifier: ISC */
/*
 * bkey-admin: root's tool for pam_bkey.
 *
 * bkey-admin check [--config FILE] [--rules FILE] [--helper FILE] [--quiet]
 * bkey-admin self-test [--config FILE] [--json]
 * bkey-admin enroll USER [--config FILE] [--replace] [--ldif] [--timeout S]
 * bkey-admin unenroll USER [--config FILE]
 * bkey-admin list [--config FILE] [--json]
 * bkey-admin pushes USER [--config FILE] [--reset]
 * bkey-admin recovery USER [--config FILE] [--count N | --revoke | --unlock]
 * bkey-admin --version | --help
 *
 * Exit statuses as bkey-approve's: 0 ok, 3 unavailable, 4 protocol or
 * token, 5 cancelled, 64 usage, 78 configuration.
 */
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "../cli/harden.h"
#include "admin.h"
#include "clock.h"
#include "config.h"
#include "sanitize.h"
#include "spawn.h"
#include "users.h"

#define EXIT_USAGE 64

static volatile sig_atomic_t cancelled;

static void
on_signal(int sig)
{
	cancelled = sig;
}

enum {
	OPT_CONFIG = 1, OPT_RULES, OPT_HELPER, OPT_TIMEOUT, OPT_VERSION,
	OPT_HELP, OPT_COUNT
};

/* The switches getopt_long sets itself. */
static int flag_quiet, flag_json, flag_replace, flag_ldif, flag_reset;
static int flag_revoke, flag_unlock;

static const struct option longopts[] = {
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "rules", required_argument, NULL, OPT_RULES },
	{ "helper", required_argument, NULL, OPT_HELPER },
	{ "quiet", no_argument, &flag_quiet, 1 },
	{ "json", no_argument, &flag_json, 1 },
	{ "replace", no_argument, &flag_replace, 1 },
	{ "ldif", no_argument, &flag_ldif, 1 },
	{ "reset", no_argument, &flag_reset, 1 },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "revoke", no_argument, &flag_revoke, 1 },
	{ "unlock", no_argument, &flag_unlock, 1 },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 }
};

static void
usage(FILE *f)
{
	(void)fprintf(f,
"usage: bkey-admin check [--config FILE] [--rules FILE] [--helper FILE]\n"
"                        [--quiet]\n"
"       bkey-admin self-test [--config FILE] [--json]\n"
"       bkey-admin enroll USER [--config FILE] [--replace] [--ldif]\n"
"                  [--timeout SECONDS]\n"
"       bkey-admin unenroll USER [--config FILE]\n"
"       bkey-admin list [--config FILE] [--json]\n"
"       bkey-admin vault-key USER [--config FILE] [--reset]\n"
"       bkey-admin pushes USER [--config FILE] [--reset]\n"
"       bkey-admin recovery USER [--config FILE] [--count N | --revoke |\n"
"                  --unlock]\n"
"       bkey-admin --version | --help\n"
"\n"
"  check   validate the configuration, the users and rules files, state_dir,\n"
"          run_as, the CA file and the helper, without the network; every\n"
"          problem as FILE:LINE: problem\n"
"  self-test  discovery, client credentials, JWKS, TLS and the clock against\n"
"          the service, without starting an approval; one line per step\n"
"  enroll    bind USER to the DID of whoever approves on the phone (QR code)\n"
"  unenroll  remove USER's line from the users file (atomically, locked)\n"
"  list      the users and their DIDs, one per line\n"
"  vault-key the phone key pinned for USER's vault accesses\n"
"  pushes    the pushes push_limit counts for USER now\n"
"  recovery  print N new one-time break-glass codes for USER (default 10),\n"
"          replacing the old ones; --revoke deletes them, --unlock clears\n"
"          the lock-out after too many wrong codes\n"
"  --config FILE  configuration (default " BKEY_DEFAULT_CONFIG ")\n"
"  --rules FILE   sudo rules file (default " BKEY_DEFAULT_RULES ",\n"
"                 if present)\n"
"  --helper FILE  helper to check (default " BKEY_HELPER_PATH ")\n"
"  --quiet        check: print nothing when there is no problem\n"
"  --replace      enroll: change the DID of a user already enrolled\n"
"  --ldif         enroll: print the directory change instead of writing\n"
"  --timeout SECONDS  enroll: how long to wait for the phone, 1..3600\n"
"  --reset        vault-key: forget it (the next access records one)\n"
"                 pushes: clear USER's count\n"
"  --count N      recovery: how many codes, 1..50\n"
"  --json         self-test: one JSON object per step; list: a JSON array\n"
"Exit: 0 ok, 1 denied, 2 expired, 3 unavailable, 4 protocol or token,\n"
"      5 cancelled, 64 usage, 78 configuration.\n");
}

long
admin_ms_left(long long deadline, long cap)
{
	long long left = deadline - bkey_now_ms();

	return left < cap ? (long)(left > 0 ? left : 1) : cap;
}

void
admin_problem(const char *msg)
{
	char clean[BKEY_DETAIL_MAX];

	(void)bkey_sanitize_into(clean, sizeof(clean), msg, strlen(msg));
	(void)fprintf(stderr, "%s\n", clean);
}

static int usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static int
usage_error(const char *fmt, ...)
{
	char msg[BKEY_DETAIL_MAX];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	(void)fprintf(stderr, "bkey-admin: ");
	admin_problem(msg);
	(void)fprintf(stderr, "Try 'bkey-admin --help'.\n");
	return EXIT_USAGE;
}

/* A value option given twice is a usage error, not a silent override. */
static void
set_once(const char **slot, const char *v, int *dup)
{
	*dup |= *slot != NULL;
	*slot = v;
}

/* 1..3600 from plain digits, else 0. */
static long
seconds(const char *s)
{
	long v = 0;

	if (*s == '\0' || strlen(s) > 4)
		return 0;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return 0;
		v = v * 10 + (*s - '0');
	}
	return v <= 3600 ? v : 0;
}

/* 0 go on, 1 done (*status set: help, version or a usage error). */
static int
parse_args(int argc, char **argv, struct admin_opts *o, int *status)
{
	const char *bad;
	int ch, dup = 0, info = 0;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_CONFIG:
			set_once(&o->config, optarg, &dup);
			break;
		case OPT_RULES:
			set_once(&o->rules, optarg, &dup);
			break;
		case OPT_HELPER:
			set_once(&o->helper, optarg, &dup);
			break;
		case 0:
			break;
		case OPT_TIMEOUT:
			dup |= o->timeout != 0;
			if ((o->timeout = seconds(optarg)) == 0) {
				*status = usage_error("--timeout must be a "
				    "number of seconds from 1 to 3600");
				return 1;
			}
			break;
		case OPT_COUNT:
			dup |= o->count != 0;
			if ((o->count = seconds(optarg)) == 0 || o->count > 50) {
				*status = usage_error("--count must be a number "
				    "from 1 to 50");
				return 1;
			}
			break;
		case OPT_VERSION:
		case OPT_HELP:
			info = ch;
			break;
		default:
			bad = optind > 0 && optind <= argc ?
			    argv[optind - 1] : "?";
			*status = usage_error(ch == ':' ? "option '%s' needs a "
			    "value" : "unknown option '%s'", bad);
			return 1;
		}
	}
	o->quiet = flag_quiet;
	o->json = flag_json;
	o->replace = flag_replace;
	o->ldif = flag_ldif;
	o->reset = flag_reset;
	o->revoke = flag_revoke;
	o->unlock = flag_unlock;
	if (info != 0) {
		if (info == OPT_HELP)
			usage(stdout);
		else
			(void)printf("bkey-admin " BKEY_VERSION "\n");
		*status = fflush(stdout) == 0 ? 0 : 70;
		return 1;
	}
	if (dup) {
		*status = usage_error("an option was given twice");
		return 1;
	}
	if (optind >= argc) {
		*status = usage_error("no command given");
		return 1;
	}
	o->command = argv[optind++];
	if (optind < argc && (strcmp(o->command, "unenroll") == 0 ||
	    strcmp(o->command, "enroll") == 0 ||
	    strcmp(o->command, "vault-key") == 0 ||
	    strcmp(o->command, "pushes") == 0 ||
	    strcmp(o->command, "recovery") == 0))
		o->user = argv[optind++];
	if (optind < argc) {
		*status = usage_error("unexpected argument '%s'",
		    argv[optind]);
		return 1;
	}
	return 0;
}

/* bkey-admin recovery: its options alone, one action at a time. */
static int
recovery_cmd(const struct admin_opts *o, int check_only)
{
	if (check_only || o->json || o->replace || o->ldif || o->timeout ||
	    o->reset || (o->count != 0) + o->revoke + o->unlock > 1)
		return usage_error("recovery takes --config and one of "
		    "--count, --revoke, --unlock");
	if (!bkey_username_valid(o->user))
		return usage_error("recovery needs a valid user name");
	return admin_recovery(o);
}

int
main(int argc, char **argv)
{
	struct admin_opts o;
	int status = 0, check_only;

	memset(&o, 0, sizeof(o));
	if (bkey_harden(on_signal) != 0) {
		(void)fprintf(stderr, "bkey-admin: cannot harden the process\n");
		return 70;
	}
	if (sodium_init() < 0) {
		(void)fprintf(stderr, "bkey-admin: libsodium init failed\n");
		return 70;
	}
	if (parse_args(argc, argv, &o, &status) != 0)
		return status;
	check_only = o.quiet || o.rules != NULL || o.helper != NULL;
	if (o.config == NULL)
		o.config = BKEY_DEFAULT_CONFIG;
	if (o.helper == NULL)
		o.helper = BKEY_HELPER_PATH;
	if (strcmp(o.command, "check") == 0)
		return o.json ? usage_error("check has no --json") :
		    admin_check(&o);
	if (strcmp(o.command, "self-test") == 0)
		return check_only ? usage_error("self-test "
		    "takes only --config and --json") :
		    admin_self_test(&o, &cancelled);
	if (strcmp(o.command, "recovery") == 0)
		return recovery_cmd(&o, check_only);
	if (o.count || o.revoke || o.unlock)
		return usage_error("--count, --revoke and --unlock are for "
		    "recovery");
	if (strcmp(o.command, "list") == 0)
		return check_only ? usage_error("list takes only --config and "
		    "--json") : admin_list(&o);
	if (strcmp(o.command, "enroll") == 0) {
		if (check_only || o.json)
			return usage_error("enroll takes --config, --replace, "
			    "--ldif and --timeout");
		if (!bkey_username_valid(o.user))
			return usage_error("enroll needs a valid user name");
		return admin_enroll(&o, &cancelled);
	}
	if (o.replace || o.ldif || o.timeout)
		return usage_error("--replace, --ldif and --timeout are for "
		    "enroll");
	if (strcmp(o.command, "vault-key") == 0) {
		if (check_only || o.json || !bkey_username_valid(o.user))
			return usage_error("vault-key takes a valid user name, "
			    "--config and --reset");
		return admin_vault_key(&o);
	}
	if (strcmp(o.command, "pushes") == 0) {
		if (check_only || o.json || !bkey_username_valid(o.user))
			return usage_error("pushes takes a valid user name, "
			    "--config and --reset");
		return admin_pushes(&o);
	}
	if (o.reset)
		return usage_error("--reset is for vault-key and pushes");
	if (strcmp(o.command, "unenroll") == 0) {
		if (check_only || o.json)
			return usage_error("unenroll takes only --config");
		if (!bkey_username_valid(o.user))
			return usage_error("unenroll needs a valid user name");
		return admin_unenroll(&o);
	}
	return usage_error("unknown command '%s'", o.command);
}
