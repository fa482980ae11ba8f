/* SPDX-License-Identifier: ISC */
/*
 * /etc/bkey/bkey.conf: "key = value" lines, '#' comments, blank lines.
 * Every problem is reported as BKEY_ERR_CONFIG with "FILE:LINE: problem"
 * (or "FILE: problem" for whole-file problems) in err->detail.
 */
#ifndef BKEY_CONFIG_H
#define BKEY_CONFIG_H

#include <stddef.h>
#include "result.h"

#ifndef BKEY_DEFAULT_CONFIG
#define BKEY_DEFAULT_CONFIG "/etc/bkey/bkey.conf"
#endif

/* Limits in seconds: one source for every reader of a timeout (the
 * config file, module arguments, --timeout, the request's "timeout"). */
#define BKEY_TIMEOUT_MIN		1
#define BKEY_TIMEOUT_MAX		3600	/* the whole wait */
#define BKEY_TIMEOUT_DEFAULT		120
#define BKEY_EXPIRY_MIN			30	/* requested_expiry sent */
#define BKEY_EXPIRY_MAX			600
#define BKEY_CONNECT_TIMEOUT_DEFAULT	10
#define BKEY_CONNECT_TIMEOUT_MAX	120
#define BKEY_LEEWAY_DEFAULT		30	/* clock_leeway */
#define BKEY_LEEWAY_MAX			300
#define BKEY_UNAVAILABLE_AFTER_DEFAULT	5	/* outage budget */
#define BKEY_UNAVAILABLE_AFTER_MAX	300
#define BKEY_OUTAGE_HOLD_DEFAULT	30	/* circuit breaker; 0 off */
#define BKEY_OUTAGE_HOLD_MAX		3600
#define BKEY_PUSH_MAX_DEFAULT		5	/* push_limit = 5/600 */
#define BKEY_PUSH_MAX_MAX		100
#define BKEY_PUSH_WINDOW_DEFAULT	600
#define BKEY_PUSH_WINDOW_MAX		86400
#define BKEY_RECOVERY_DELAY_DEFAULT	2	/* after a wrong recovery code */
#define BKEY_RECOVERY_DELAY_MAX		30
#define BKEY_RECOVERY_LOCKOUT_DEFAULT	10	/* wrong codes in a row */
#define BKEY_RECOVERY_LOCKOUT_MAX	1000
/* A limit as a string literal, for fixed texts such as usage lines. */
#define BKEY_STR_(x)	#x
#define BKEY_STR(x)	BKEY_STR_(x)

/* token_algs: the JWS algorithms a token may be signed with. */
#define BKEY_ALG_EDDSA	0x01u
#define BKEY_ALG_ES256	0x02u
#define BKEY_ALG_ES384	0x04u
#define BKEY_ALG_RS256	0x08u
#define BKEY_ALG_PS256	0x10u

/* The BKEY_ALG_* bit of the n-byte JWS alg name, 0 if not one of ours. */
unsigned bkey_alg_bit(const char *name, size_t n);
/* The names of the bits in algs, space-separated, into buf (truncated). */
void bkey_algs_format(unsigned algs, char *buf, size_t cap);

typedef enum { BKEY_DIALECT_BKEY = 0, BKEY_DIALECT_CIBA } bkey_dialect;

struct bkey_config {
	char *path;			/* file it came from */
	char *api_url;			/* default https://api.bkey.id */
	char *issuer;			/* default api_url */
	char *client_id;		/* required */
	char *client_secret;		/* required (inline or _file); wiped on
					 * free; NULL from _load_public */
	bkey_dialect dialect;
	char *bc_authorize_endpoint;	/* default api_url + /oauth/bc-authorize */
	char *token_endpoint;		/* default api_url + /oauth/token */
	char *jwks_uri;			/* default api_url + /oauth/jwks */
	char *device_endpoint;		/* device_authorization_endpoint,
					 * default api_url + /oauth/device/code */
	char *audience;			/* default client_id */
	char *scope;			/* default approve:action */
	long timeout;			/* seconds, BKEY_TIMEOUT_* */
	long requested_expiry;		/* default timeout, BKEY_EXPIRY_* */
	char *users_file;		/* default /etc/bkey/users */
	char *state_dir;		/* default /var/lib/bkey */
	char *cafile;			/* NULL = system store */
	char *proxy;			/* "" = none; never from the environment */
	long connect_timeout;		/* seconds, default 10 */
	long clock_leeway;		/* seconds, default 30 */
	long unavailable_after;		/* seconds of retries after the first
					 * failed attempt, default 5 */
	long outage_hold;		/* seconds the breaker stays open,
					 * default 30, 0 = no breaker */
	long push_max;			/* push_limit: pushes per user ... */
	long push_window;		/* ... in this many seconds; 0 max =
					 * no limit */
	long recovery_delay;		/* seconds after a wrong code, default 2 */
	long recovery_lockout;		/* wrong codes in a row that lock a
					 * user's codes, default 10 */
	char *run_as;			/* default "bkey" */
	/* requested_expiry was written in the file. When not, the value
	 * above is the configured timeout's, and each run's own timeout
	 * (--timeout, the request's "timeout") takes its place. */
	int requested_expiry_set;
	/* The user->DID map in a directory (NULL uri: the users file). */
	char *users_ldap_uri;
	int users_ldap_starttls;	/* ldap:// to a non-loopback host */
	char *users_ldap_base;
	char *users_ldap_filter;	/* default (uid=%u) */
	char *users_ldap_attr;
	char *users_ldap_binddn;	/* NULL: anonymous */
	char *users_ldap_bindpw_file;
	char *users_ldap_bindpw;	/* helper only; wiped on free */
	long users_ldap_timeout;	/* seconds, default 10 */
	char *users_ldap_vault_key_attr; /* phone keys; NULL: none */
	unsigned token_algs;		/* BKEY_ALG_* bits, default EdDSA */
};

/* Load and validate; on success every field above is set (defaults
 * filled in). On failure the struct is left freed. 0 / -1. */
int bkey_config_load(struct bkey_config *c, const char *path, bkey_error *err);
/* The same for a host module (sshd, sudo): the whole file is validated,
 * but client_secret stays NULL: an inline secret is never copied and
 * client_secret_file is never opened. Only the helper reads the secret. */
int bkey_config_load_public(struct bkey_config *c, const char *path,
    bkey_error *err);
void bkey_config_free(struct bkey_config *c);

/* t clamped to BKEY_EXPIRY_MIN..BKEY_EXPIRY_MAX. */
long bkey_expiry_clamp(long t);

/* 1 if url is https://..., or http:// to 127.0.0.0/8, [::1] or localhost. */
int bkey_url_allowed(const char *url);

#endif
