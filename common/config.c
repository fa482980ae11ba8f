/* SPDX-License-Identifier: ISC */
/*
 * bkey.conf: "key = value" lines. Everything is validated here, so the
 * rest of the code can trust a loaded struct bkey_config.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <sodium.h>

#include "buf.h"
#include "config.h"
#include "fileperm.h"
#include "lines.h"
#include "request.h"
#include "users.h"
#include "ldapconf.h"

#ifndef BKEY_DEFAULT_USERS
#define BKEY_DEFAULT_USERS "/etc/bkey/users"
#endif
#ifndef BKEY_DEFAULT_STATEDIR
#define BKEY_DEFAULT_STATEDIR "/var/lib/bkey"
#endif

#define DEFAULT_API_URL		"https://api.bkey.id"
#define DEFAULT_SCOPE		"approve:action"
#define DEFAULT_RUN_AS		"bkey"
#define SECRET_MAX		4096

enum key_id {
	K_API_URL, K_ISSUER, K_CLIENT_ID, K_CLIENT_SECRET, K_CLIENT_SECRET_FILE,
	K_DIALECT, K_BC_AUTHORIZE, K_TOKEN, K_JWKS, K_AUDIENCE, K_SCOPE,
	K_TIMEOUT, K_REQUESTED_EXPIRY, K_USERS_FILE, K_STATE_DIR, K_CAFILE,
	K_PROXY, K_CONNECT_TIMEOUT, K_CLOCK_LEEWAY, K_RUN_AS, K_DEVICE,
	K_LDAP_URI, K_LDAP_BASE, K_LDAP_FILTER, K_LDAP_ATTR, K_LDAP_BINDDN,
	K_LDAP_BINDPW_FILE, K_LDAP_TIMEOUT,
	K_LDAP_VAULT_KEY_ATTR,
	K_TOKEN_ALGS,
	K_UNAVAILABLE_AFTER, K_OUTAGE_HOLD, K_PUSH_LIMIT,
	K_RECOVERY_DELAY, K_RECOVERY_LOCKOUT, K_COUNT
};

static const char *const key_names[K_COUNT] = {
	[K_API_URL] = "api_url",
	[K_ISSUER] = "issuer",
	[K_CLIENT_ID] = "client_id",
	[K_CLIENT_SECRET] = "client_secret",
	[K_CLIENT_SECRET_FILE] = "client_secret_file",
	[K_DIALECT] = "dialect",
	[K_BC_AUTHORIZE] = "bc_authorize_endpoint",
	[K_TOKEN] = "token_endpoint",
	[K_JWKS] = "jwks_uri",
	[K_AUDIENCE] = "audience",
	[K_SCOPE] = "scope",
	[K_TIMEOUT] = "timeout",
	[K_REQUESTED_EXPIRY] = "requested_expiry",
	[K_USERS_FILE] = "users_file",
	[K_STATE_DIR] = "state_dir",
	[K_CAFILE] = "cafile",
	[K_PROXY] = "proxy",
	[K_CONNECT_TIMEOUT] = "connect_timeout",
	[K_CLOCK_LEEWAY] = "clock_leeway",
	[K_RUN_AS] = "run_as",
	[K_DEVICE] = "device_authorization_endpoint",
	[K_LDAP_URI] = "users_ldap_uri",
	[K_LDAP_BASE] = "users_ldap_base",
	[K_LDAP_FILTER] = "users_ldap_filter",
	[K_LDAP_ATTR] = "users_ldap_attr",
	[K_LDAP_BINDDN] = "users_ldap_binddn",
	[K_LDAP_BINDPW_FILE] = "users_ldap_bindpw_file",
	[K_LDAP_TIMEOUT] = "users_ldap_timeout",
	[K_LDAP_VAULT_KEY_ATTR] = "users_ldap_vault_key_attr",
	[K_TOKEN_ALGS] = "token_algs",
	[K_UNAVAILABLE_AFTER] = "unavailable_after",
	[K_OUTAGE_HOLD] = "outage_hold",
	[K_PUSH_LIMIT] = "push_limit",
	[K_RECOVERY_DELAY] = "recovery_delay",
	[K_RECOVERY_LOCKOUT] = "recovery_lockout",
};

/* Raw values as found in the file (pointers into the read buffer). */
struct raw {
	const char *val[K_COUNT];
	unsigned long line[K_COUNT];
};

void
bkey_config_free(struct bkey_config *c)
{
	if (c == NULL)
		return;
	bkey_free_secret(&c->client_secret);
	free(c->path);
	free(c->api_url);
	free(c->issuer);
	free(c->client_id);
	free(c->bc_authorize_endpoint);
	free(c->token_endpoint);
	free(c->jwks_uri);
	free(c->device_endpoint);
	free(c->audience);
	free(c->scope);
	free(c->users_file);
	free(c->state_dir);
	free(c->cafile);
	/* A proxy URL may carry credentials. */
	bkey_free_secret(&c->proxy);
	free(c->run_as);
	free(c->users_ldap_uri);
	free(c->users_ldap_base);
	free(c->users_ldap_filter);
	free(c->users_ldap_attr);
	free(c->users_ldap_vault_key_attr);
	free(c->users_ldap_binddn);
	free(c->users_ldap_bindpw_file);
	bkey_free_secret(&c->users_ldap_bindpw);
	memset(c, 0, sizeof(*c));
}

/* ---- URL checks ------------------------------------------------------- */

static int
is_ipv4_loopback(const char *h, size_t n)
{
	unsigned parts = 0;
	size_t i = 0;

	while (i < n) {
		size_t start = i;
		unsigned v = 0;

		while (i < n && h[i] >= '0' && h[i] <= '9') {
			v = v * 10 + (unsigned)(h[i] - '0');
			if (i - start >= 3)
				return 0;
			i++;
		}
		/* 1-3 digits, no leading zero (no octal ambiguity), <= 255 */
		if (i == start || v > 255 || (h[start] == '0' && i - start > 1))
			return 0;
		if (parts == 0 && v != 127)
			return 0;
		parts++;
		if (i == n)
			break;
		if (h[i] != '.' || parts == 4)
			return 0;
		i++;
		if (i == n)
			return 0;	/* trailing dot */
	}
	return parts == 4;
}

static int
port_ok(const char *p, size_t n)
{
	unsigned long v = 0;
	size_t i;

	if (n == 0 || n > 5)
		return 0;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	return v >= 1 && v <= 65535;
}

long
bkey_expiry_clamp(long t)
{
	return t < BKEY_EXPIRY_MIN ? BKEY_EXPIRY_MIN :
	    t > BKEY_EXPIRY_MAX ? BKEY_EXPIRY_MAX : t;
}

int
bkey_url_allowed(const char *url)
{
	const char *auth, *end, *host, *p;
	size_t hlen, alen;
	int https;

	if (url == NULL)
		return 0;
	/* Printable ASCII only; no backslash (some parsers read it as '/'). */
	for (p = url; *p != '\0'; p++)
		if (*p <= ' ' || *p >= 0x7f || *p == '\\')
			return 0;
	if (strncasecmp(url, "https://", 8) == 0) {
		https = 1;
		auth = url + 8;
	} else if (strncasecmp(url, "http://", 7) == 0) {
		https = 0;
		auth = url + 7;
	} else
		return 0;
	alen = strcspn(auth, "/?#");
	end = auth + alen;
	/* No userinfo: "http://127.0.0.1@evil.example" goes to evil. */
	if (memchr(auth, '@', alen) != NULL || alen == 0)
		return 0;
	host = auth;
	if (*host == '[') {
		const char *rb = memchr(host, ']', alen);

		if (rb == NULL)
			return 0;
		hlen = (size_t)(rb - host) + 1;
	} else {
		const char *colon = memchr(host, ':', alen);

		hlen = colon != NULL ? (size_t)(colon - host) : alen;
	}
	if (hlen == 0)
		return 0;
	if (host + hlen != end) {
		if (host[hlen] != ':' ||
		    !port_ok(host + hlen + 1, (size_t)(end - host - hlen - 1)))
			return 0;
	}
	if (https) {
		/* Any host name or literal; only its characters are checked. */
		for (p = host; p < host + hlen; p++)
			if (!isalnum((unsigned char)*p) && *p != '.' &&
			    *p != '-' && *p != '_' && *p != '[' && *p != ']' &&
			    *p != ':')
				return 0;
		return 1;
	}
	if (hlen == 5 && memcmp(host, "[::1]", 5) == 0)
		return 1;
	if (hlen == 9 && strncasecmp(host, "localhost", 9) == 0)
		return 1;
	return is_ipv4_loopback(host, hlen);
}

/* ---- parsing ---------------------------------------------------------- */

static int
lineerr(bkey_error *err, const char *path, unsigned long line,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
lineerr(bkey_error *err, const char *path, unsigned long line,
    const char *fmt, ...)
{
	char msg[BKEY_DETAIL_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line == 0)
		return bkey_seterr(err, BKEY_ERR_CONFIG, "%s: %s", path, msg);
	return bkey_seterr(err, BKEY_ERR_CONFIG, "%s:%lu: %s", path, line,
	    msg);
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\f' ||
	    *s == '\v')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
	    e[-1] == '\f' || e[-1] == '\v'))
		e--;
	*e = '\0';
	return s;
}

static int
has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

static int
parse_lines(char *buf, size_t len, const char *path, struct raw *raw,
    bkey_error *err)
{
	struct bkey_lines lines;
	char *line, *key, *val, *eq;
	int r, i;

	bkey_lines_init(&lines, buf, len, path);
	while ((r = bkey_lines_next(&lines, &line, err)) == 1) {
		unsigned long ln = lines.lineno;

		key = trim(line);
		if (*key == '\0' || *key == '#')
			continue;
		if ((eq = strchr(key, '=')) == NULL)
			return lineerr(err, path, ln,
			    "expected \"key = value\"");
		*eq = '\0';
		key = trim(key);
		val = trim(eq + 1);
		for (i = 0; i < K_COUNT; i++)
			if (strcmp(key, key_names[i]) == 0)
				break;
		if (*key == '\0')
			return lineerr(err, path, ln, "missing key before '='");
		if (i == K_COUNT)
			return lineerr(err, path, ln, "unknown key \"%.64s\"",
			    key);
		if (raw->val[i] != NULL)
			return lineerr(err, path, ln,
			    "duplicate key \"%s\" (first on line %lu)", key,
			    raw->line[i]);
		/* Never quote a value here: it may be the secret. */
		if (has_control(val))
			return lineerr(err, path, ln,
			    "value of %s contains a control character", key);
		/* run_as = (empty): run as the caller, on purpose. */
		if (*val == '\0' && i != K_PROXY && i != K_CAFILE &&
		    i != K_RUN_AS)
			return lineerr(err, path, ln, "empty value for %s", key);
		raw->val[i] = val;
		raw->line[i] = ln;
	}
	return r;
}

static int
dup_into(char **dst, const char *s, bkey_error *err)
{
	if ((*dst = strdup(s)) == NULL)
		return bkey_seterr(err, BKEY_ERR_INTERNAL, "out of memory");
	return 0;
}

/* Value of key k, or def; copied into *dst. */
static int
str_opt(char **dst, const struct raw *raw, enum key_id k, const char *def,
    bkey_error *err)
{
	return dup_into(dst, raw->val[k] != NULL ? raw->val[k] : def, err);
}

static int
num_opt(long *dst, const struct raw *raw, enum key_id k, long def, long lo,
    long hi, const char *path, bkey_error *err)
{
	const char *s = raw->val[k], *p;
	long v = 0;

	if (s == NULL) {
		*dst = def;
		return 0;
	}
	/* Plain decimal digits only: no sign, no hex, no trailing junk. */
	for (p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || p - s >= 9)
			goto bad;
		v = v * 10 + (*p - '0');
	}
	if (p == s || v < lo || v > hi)
		goto bad;
	*dst = v;
	return 0;
bad:
	return lineerr(err, path, raw->line[k],
	    "%s must be a whole number from %ld to %ld", key_names[k], lo, hi);
}

static int
url_opt(char **dst, const struct raw *raw, enum key_id k, const char *base,
    const char *suffix, const char *path, bkey_error *err)
{
	size_t n;

	if (raw->val[k] == NULL) {
		n = strlen(base) + strlen(suffix) + 1;
		if ((*dst = malloc(n)) == NULL)
			return bkey_seterr(err, BKEY_ERR_INTERNAL,
			    "out of memory");
		snprintf(*dst, n, "%s%s", base, suffix);
		return 0;
	}
	if (!bkey_url_allowed(raw->val[k]))
		return lineerr(err, path, raw->line[k],
		    "%s must be an https URL (http only to 127.0.0.0/8, "
		    "[::1] or localhost)", key_names[k]);
	return dup_into(dst, raw->val[k], err);
}

static int
path_opt(char **dst, const struct raw *raw, enum key_id k, const char *def,
    const char *path, bkey_error *err)
{
	const char *v = raw->val[k] != NULL ? raw->val[k] : def;

	if (v == NULL) {
		*dst = NULL;
		return 0;
	}
	if (*v != '/')
		return lineerr(err, path, raw->line[k],
		    "%s must be an absolute path", key_names[k]);
	return dup_into(dst, v, err);
}

/* First line of the secret file, trailing whitespace removed. */
/*
 * The CA file decides whom TLS trusts: a file others can write would let
 * them vouch for any server. Same owner and mode rules as this file.
 */
static int
check_cafile(const char *cafile, const char *path, unsigned long line,
    bkey_error *err)
{
	bkey_error ferr = { 0 };
	FILE *f;

	if ((f = bkey_open_checked(cafile, 0, &ferr)) == NULL)
		return lineerr(err, path, line, "cafile %s", ferr.detail);
	(void)fclose(f);
	return 0;
}

static int
read_secret_file(char **dst, const char *file, bkey_error *err)
{
	FILE *f;
	char *buf = NULL, *nl;
	size_t len = 0, n;
	int rc = -1;

	if ((f = bkey_open_checked(file, BKEY_FILE_SECRET, err)) == NULL)
		return -1;
	if ((buf = bkey_read_all(f, file, SECRET_MAX, &len, err)) == NULL)
		goto out;
	nl = memchr(buf, '\n', len);
	n = nl != NULL ? (size_t)(nl - buf) : len;
	while (n > 0 && isspace((unsigned char)buf[n - 1]))
		n--;
	buf[n] = '\0';
	if (n == 0) {
		bkey_seterr(err, BKEY_ERR_CONFIG, "%s: secret is empty", file);
		goto out;
	}
	if (strlen(buf) != n || has_control(buf)) {
		bkey_seterr(err, BKEY_ERR_CONFIG,
		    "%s: secret contains a control character or NUL byte",
		    file);
		goto out;
	}
	if ((*dst = strdup(buf)) == NULL) {
		bkey_seterr(err, BKEY_ERR_INTERNAL, "out of memory");
		goto out;
	}
	rc = 0;
out:
	if (buf != NULL) {
		sodium_memzero(buf, len);
		free(buf);
	}
	fclose(f);
	return rc;
}

/*
 * The client secret, inline or from its file. Without with_secret (a host
 * module's load) the setting is checked but the value never copied and
 * the file never opened: only the helper holds the secret.
 */
static int
take_secret(struct bkey_config *c, const struct raw *raw, const char *path,
    int with_secret, bkey_error *err)
{
	if (raw->val[K_CLIENT_SECRET] != NULL)
		return with_secret ? dup_into(&c->client_secret,
		    raw->val[K_CLIENT_SECRET], err) : 0;
	if (*raw->val[K_CLIENT_SECRET_FILE] != '/')
		return lineerr(err, path, raw->line[K_CLIENT_SECRET_FILE],
		    "client_secret_file must be an absolute path");
	return with_secret ? read_secret_file(&c->client_secret,
	    raw->val[K_CLIENT_SECRET_FILE], err) : 0;
}

/* The service: its URLs, who we are to it, the dialect and the scope. */
static int
build_service(struct bkey_config *c, const struct raw *raw, const char *path,
    bkey_error *err)
{
	const char *v;
	size_t n;

	/* api_url first: the endpoint defaults hang off it. */
	v = raw->val[K_API_URL] != NULL ? raw->val[K_API_URL] : DEFAULT_API_URL;
	if (!bkey_url_allowed(v) || strcspn(v, "?#") != strlen(v))
		return lineerr(err, path, raw->line[K_API_URL],
		    "api_url must be an https URL without query or fragment "
		    "(http only to 127.0.0.0/8, [::1] or localhost)");
	if (dup_into(&c->api_url, v, err) != 0)
		return -1;
	n = strlen(c->api_url);
	if (n > 0 && c->api_url[n - 1] == '/')
		c->api_url[n - 1] = '\0';

	if (raw->val[K_CLIENT_ID] == NULL)
		return lineerr(err, path, 0, "client_id is required");
	if (raw->val[K_CLIENT_SECRET] != NULL &&
	    raw->val[K_CLIENT_SECRET_FILE] != NULL)
		return lineerr(err, path, raw->line[K_CLIENT_SECRET_FILE],
		    "client_secret and client_secret_file are both set; "
		    "use one");
	if (raw->val[K_CLIENT_SECRET] == NULL &&
	    raw->val[K_CLIENT_SECRET_FILE] == NULL)
		return lineerr(err, path, 0,
		    "client_secret or client_secret_file is required");

	if (str_opt(&c->issuer, raw, K_ISSUER, c->api_url, err) != 0 ||
	    str_opt(&c->client_id, raw, K_CLIENT_ID, NULL, err) != 0 ||
	    str_opt(&c->audience, raw, K_AUDIENCE, c->client_id, err) != 0)
		return -1;

	v = raw->val[K_DIALECT];
	if (v == NULL || strcmp(v, "bkey") == 0)
		c->dialect = BKEY_DIALECT_BKEY;
	else if (strcmp(v, "ciba") == 0)
		c->dialect = BKEY_DIALECT_CIBA;
	else
		return lineerr(err, path, raw->line[K_DIALECT],
		    "dialect must be \"bkey\" or \"ciba\"");

	if (url_opt(&c->bc_authorize_endpoint, raw, K_BC_AUTHORIZE,
	    c->api_url, "/oauth/bc-authorize", path, err) != 0 ||
	    url_opt(&c->token_endpoint, raw, K_TOKEN, c->api_url,
	    "/oauth/token", path, err) != 0 ||
	    url_opt(&c->jwks_uri, raw, K_JWKS, c->api_url, "/oauth/jwks",
	    path, err) != 0 ||
	    url_opt(&c->device_endpoint, raw, K_DEVICE, c->api_url,
	    "/oauth/device/code", path, err) != 0)
		return -1;

	if (raw->val[K_SCOPE] != NULL && !bkey_scope_valid(raw->val[K_SCOPE]))
		return lineerr(err, path, raw->line[K_SCOPE],
		    "scope must be 1 to %d characters of A-Z a-z 0-9 : . _ -",
		    BKEY_SCOPE_MAX);
	return str_opt(&c->scope, raw, K_SCOPE, DEFAULT_SCOPE, err);
}

/* JWS "alg" names we verify; index = bit (BKEY_ALG_*). */
static const char *const alg_names[] = {
	"EdDSA", "ES256", "ES384", "RS256", "PS256",
};

unsigned
bkey_alg_bit(const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(alg_names) / sizeof(alg_names[0]); i++)
		if (strlen(alg_names[i]) == n &&
		    memcmp(alg_names[i], name, n) == 0)
			return 1u << i;
	return 0;
}

void
bkey_algs_format(unsigned algs, char *buf, size_t cap)
{
	size_t i, off = 0;
	int n;

	if (cap == 0)
		return;
	buf[0] = '\0';
	for (i = 0; i < sizeof(alg_names) / sizeof(alg_names[0]); i++) {
		if ((algs & (1u << i)) == 0)
			continue;
		n = snprintf(buf + off, cap - off, "%s%s", off ? " " : "",
		    alg_names[i]);
		if (n < 0 || (size_t)n >= cap - off)
			return;
		off += (size_t)n;
	}
}

/*
 * token_algs: space-separated names from alg_names. "none" and the HMAC
 * algorithms are named in the error: they are the classic JWT holes.
 */
static int
build_algs(struct bkey_config *c, const struct raw *raw, const char *path,
    bkey_error *err)
{
	const char *p = raw->val[K_TOKEN_ALGS], *e;
	unsigned long line = raw->line[K_TOKEN_ALGS];
	unsigned bit;

	c->token_algs = BKEY_ALG_EDDSA;
	if (p == NULL)
		return 0;
	c->token_algs = 0;
	for (; *p != '\0'; p = e) {
		while (*p == ' ' || *p == '\t')
			p++;
		e = p + strcspn(p, " \t");
		if (e == p)
			break;
		if ((e - p == 4 && strncasecmp(p, "none", 4) == 0) ||
		    ((p[0] == 'H' || p[0] == 'h') && (p[1] == 'S' || p[1] == 's')))
			return lineerr(err, path, line, "token_algs: none and "
			    "HS* are never accepted (unsigned or shared-key "
			    "tokens)");
		if ((bit = bkey_alg_bit(p, (size_t)(e - p))) == 0)
			return lineerr(err, path, line, "token_algs: unknown "
			    "algorithm (accepted: EdDSA ES256 ES384 RS256 "
			    "PS256)");
		c->token_algs |= bit;
	}
	if (c->token_algs == 0)
		return lineerr(err, path, line, "token_algs is empty");
	return 0;
}

/* push_limit = COUNT/SECONDS: at most COUNT pushes per user in any
 * SECONDS; COUNT 0 means no limit. */
static int
push_limit_opt(struct bkey_config *c, const struct raw *raw,
    const char *path, bkey_error *err)
{
	const char *s = raw->val[K_PUSH_LIMIT];
	char *end;
	long n, w;

	c->push_max = BKEY_PUSH_MAX_DEFAULT;
	c->push_window = BKEY_PUSH_WINDOW_DEFAULT;
	if (s == NULL)
		return 0;
	if (*s < '0' || *s > '9')
		goto bad;
	errno = 0;
	n = strtol(s, &end, 10);
	if (errno != 0 || *end != '/' || end[1] < '0' || end[1] > '9' ||
	    n > BKEY_PUSH_MAX_MAX)
		goto bad;
	w = strtol(end + 1, &end, 10);
	if (errno != 0 || *end != '\0' || w < 1 || w > BKEY_PUSH_WINDOW_MAX)
		goto bad;
	c->push_max = n;
	c->push_window = w;
	return 0;
bad:
	return lineerr(err, path, raw->line[K_PUSH_LIMIT], "push_limit must be "
	    "COUNT/SECONDS, COUNT 0 to %d (0: no limit), SECONDS 1 to %d",
	    BKEY_PUSH_MAX_MAX, BKEY_PUSH_WINDOW_MAX);
}

/* The timeouts and limits, in seconds. */
static int
build_limits(struct bkey_config *c, const struct raw *raw, const char *path,
    bkey_error *err)
{
	long def_expiry;

	if (num_opt(&c->timeout, raw, K_TIMEOUT, BKEY_TIMEOUT_DEFAULT,
	    BKEY_TIMEOUT_MIN, BKEY_TIMEOUT_MAX, path, err) != 0)
		return -1;
	def_expiry = bkey_expiry_clamp(c->timeout);
	if (num_opt(&c->requested_expiry, raw, K_REQUESTED_EXPIRY, def_expiry,
	    BKEY_EXPIRY_MIN, BKEY_EXPIRY_MAX, path, err) != 0 ||
	    num_opt(&c->connect_timeout, raw, K_CONNECT_TIMEOUT,
	    BKEY_CONNECT_TIMEOUT_DEFAULT, 1, BKEY_CONNECT_TIMEOUT_MAX, path,
	    err) != 0 ||
	    num_opt(&c->clock_leeway, raw, K_CLOCK_LEEWAY, BKEY_LEEWAY_DEFAULT,
	    0, BKEY_LEEWAY_MAX, path, err) != 0 ||
	    num_opt(&c->unavailable_after, raw, K_UNAVAILABLE_AFTER,
	    BKEY_UNAVAILABLE_AFTER_DEFAULT, 0, BKEY_UNAVAILABLE_AFTER_MAX, path,
	    err) != 0 ||
	    num_opt(&c->outage_hold, raw, K_OUTAGE_HOLD,
	    BKEY_OUTAGE_HOLD_DEFAULT, 0, BKEY_OUTAGE_HOLD_MAX, path, err) != 0 ||
	    push_limit_opt(c, raw, path, err) != 0 ||
	    num_opt(&c->recovery_delay, raw, K_RECOVERY_DELAY,
	    BKEY_RECOVERY_DELAY_DEFAULT, 0, BKEY_RECOVERY_DELAY_MAX, path,
	    err) != 0 ||
	    num_opt(&c->recovery_lockout, raw, K_RECOVERY_LOCKOUT,
	    BKEY_RECOVERY_LOCKOUT_DEFAULT, 1, BKEY_RECOVERY_LOCKOUT_MAX, path,
	    err) != 0)
		return -1;
	c->requested_expiry_set = raw->val[K_REQUESTED_EXPIRY] != NULL;
	return 0;
}

/* What is local to this host: files, the proxy, the user to run as. */
static int
build_local(struct bkey_config *c, const struct raw *raw, const char *path,
    bkey_error *err)
{
	const char *v;

	if (path_opt(&c->users_file, raw, K_USERS_FILE, BKEY_DEFAULT_USERS,
	    path, err) != 0 ||
	    path_opt(&c->state_dir, raw, K_STATE_DIR, BKEY_DEFAULT_STATEDIR,
	    path, err) != 0)
		return -1;
	/* An empty cafile means the system store, like no cafile at all. */
	if (raw->val[K_CAFILE] != NULL && *raw->val[K_CAFILE] != '\0') {
		if (path_opt(&c->cafile, raw, K_CAFILE, NULL, path, err) != 0 ||
		    check_cafile(c->cafile, path, raw->line[K_CAFILE], err) != 0)
			return -1;
	}
	if (str_opt(&c->proxy, raw, K_PROXY, "", err) != 0)
		return -1;

	v = raw->val[K_RUN_AS] != NULL ? raw->val[K_RUN_AS] : DEFAULT_RUN_AS;
	if (*v != '\0' && !bkey_username_valid(v))
		return lineerr(err, path, raw->line[K_RUN_AS],
		    "run_as is not a valid user name");
	return dup_into(&c->run_as, v, err);
}

/* users_ldap_vault_key_attr: empty (the default) is none. */
static int
ldap_vault_key(struct bkey_config *c, const struct raw *raw, const char *path,
    bkey_error *err)
{
	const char *v = raw->val[K_LDAP_VAULT_KEY_ATTR];

	if (v == NULL || v[0] == '\0')
		return 0;
	if (raw->val[K_LDAP_URI] == NULL)
		return lineerr(err, path, raw->line[K_LDAP_VAULT_KEY_ATTR],
		    "users_ldap_vault_key_attr needs users_ldap_uri");
	if (!bkey_ldap_attr_valid(v))
		return lineerr(err, path, raw->line[K_LDAP_VAULT_KEY_ATTR],
		    "users_ldap_vault_key_attr is not an attribute name");
	return dup_into(&c->users_ldap_vault_key_attr, v, err);
}

/* users_ldap_*: all or none; every other users_ldap_ key needs the URI. */
static int
build_ldap(struct bkey_config *c, const struct raw *raw, const char *path,
    int with_secret, bkey_error *err)
{
	const char *uri = raw->val[K_LDAP_URI], *v;
	enum key_id k;

	for (k = K_LDAP_BASE; uri == NULL && k <= K_LDAP_TIMEOUT; k++)
		if (raw->val[k] != NULL)
			return lineerr(err, path, raw->line[k],
			    "%s needs users_ldap_uri", key_names[k]);
	if (ldap_vault_key(c, raw, path, err) != 0)
		return -1;
	if (uri == NULL)
		return 0;
	if (bkey_ldap_uri_check(uri, &c->users_ldap_starttls) != 0)
		return lineerr(err, path, raw->line[K_LDAP_URI], "users_ldap_uri "
		    "must be ldaps://HOST[:PORT] or ldap://HOST[:PORT] "
		    "(StartTLS is then required unless HOST is loopback)");
	if (raw->val[K_LDAP_BASE] == NULL || raw->val[K_LDAP_ATTR] == NULL)
		return lineerr(err, path, raw->line[K_LDAP_URI], "users_ldap_uri "
		    "needs users_ldap_base and users_ldap_attr");
	v = raw->val[K_LDAP_FILTER] != NULL ? raw->val[K_LDAP_FILTER] :
	    "(uid=%u)";
	if (!bkey_ldap_filter_valid(v))
		return lineerr(err, path, raw->line[K_LDAP_FILTER],
		    "users_ldap_filter must be \"(...)\" with %%u once "
		    "and no other %% sequence");
	if (!bkey_ldap_attr_valid(raw->val[K_LDAP_ATTR]))
		return lineerr(err, path, raw->line[K_LDAP_ATTR],
		    "users_ldap_attr is not an attribute name");
	if ((raw->val[K_LDAP_BINDDN] == NULL) !=
	    (raw->val[K_LDAP_BINDPW_FILE] == NULL))
		return lineerr(err, path, raw->line[K_LDAP_URI],
		    "users_ldap_binddn and users_ldap_bindpw_file go together");
	if (dup_into(&c->users_ldap_uri, uri, err) != 0 ||
	    str_opt(&c->users_ldap_base, raw, K_LDAP_BASE, NULL, err) != 0 ||
	    dup_into(&c->users_ldap_filter, v, err) != 0 ||
	    str_opt(&c->users_ldap_attr, raw, K_LDAP_ATTR, NULL, err) != 0 ||
	    (raw->val[K_LDAP_BINDDN] != NULL && str_opt(&c->users_ldap_binddn,
	    raw, K_LDAP_BINDDN, NULL, err) != 0) ||
	    path_opt(&c->users_ldap_bindpw_file, raw, K_LDAP_BINDPW_FILE,
	    NULL, path, err) != 0 ||
	    num_opt(&c->users_ldap_timeout, raw, K_LDAP_TIMEOUT, 10, 1, 120,
	    path, err) != 0)
		return -1;
	if (!with_secret || c->users_ldap_bindpw_file == NULL)
		return 0;
	return read_secret_file(&c->users_ldap_bindpw,
	    c->users_ldap_bindpw_file, err);
}

static int
build(struct bkey_config *c, const struct raw *raw, const char *path,
    int with_secret, bkey_error *err)
{
	if (build_service(c, raw, path, err) != 0 ||
	    build_algs(c, raw, path, err) != 0 ||
	    build_limits(c, raw, path, err) != 0 ||
	    build_local(c, raw, path, err) != 0 ||
	    build_ldap(c, raw, path, with_secret, err) != 0)
		return -1;
	return take_secret(c, raw, path, with_secret, err);
}

static int
load(struct bkey_config *c, const char *path, int with_secret,
    bkey_error *err)
{
	struct raw raw;
	struct stat st;
	FILE *f = NULL;
	char *buf = NULL;
	size_t len = 0;
	int rc = -1;

	memset(c, 0, sizeof(*c));
	memset(&raw, 0, sizeof(raw));
	if (path == NULL)
		path = BKEY_DEFAULT_CONFIG;
	/* Opened without BKEY_FILE_SECRET: whether the file holds a secret
	 * is known only after parsing (checked below, on the same fd). */
	if ((f = bkey_open_checked(path, 0, err)) == NULL)
		goto out;
	if ((buf = bkey_read_all(f, path, BKEY_FILE_MAX, &len, err)) == NULL)
		goto out;
	if (parse_lines(buf, len, path, &raw, err) != 0)
		goto out;
	if (raw.val[K_CLIENT_SECRET] != NULL) {
		if (fstat(fileno(f), &st) != 0) {
			bkey_seterr(err, BKEY_ERR_CONFIG, "%s: cannot stat: %s",
			    path, strerror(errno));
			goto out;
		}
		if (st.st_mode & S_IROTH) {
			bkey_seterr(err, BKEY_ERR_CONFIG,
			    "%s: holds client_secret and is world readable "
			    "(mode %04o)", path, (unsigned)(st.st_mode & 07777));
			goto out;
		}
	}
	if (dup_into(&c->path, path, err) != 0)
		goto out;
	if (build(c, &raw, path, with_secret, err) != 0)
		goto out;
	rc = 0;
out:
	if (buf != NULL) {
		sodium_memzero(buf, len);
		free(buf);
	}
	if (f != NULL)
		fclose(f);
	if (rc != 0)
		bkey_config_free(c);
	return rc;
}

int
bkey_config_load(struct bkey_config *c, const char *path, bkey_error *err)
{
	return load(c, path, 1, err);
}

int
bkey_config_load_public(struct bkey_config *c, const char *path,
    bkey_error *err)
{
	return load(c, path, 0, err);
}
