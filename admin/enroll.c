/* SPDX-License-Identifier: ISC */
/*
 * bkey-admin enroll USER: bind a Unix user to the DID of whoever approves
 * on their phone (RFC 8628 device authorization grant). The network part
 * runs in a child that drops to run_as like bkey-approve; it hands back
 * only a verified token's sub. The root side then checks that DID and
 * writes "USER DID" into the users file (usersfile.c) or prints LDIF.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "../cli/privdrop.h"
#include "admin.h"
#include "approve.h"
#include "buf.h"
#include "ciba.h"
#include "clock.h"
#include "config.h"
#include "fileperm.h"
#include "http.h"
#include "json.h"
#include "jwks_cache.h"
#include "jwt.h"
#include "qr.h"
#include "sanitize.h"
#include "users.h"
#include "usersfile.h"

#define FORM_CT "application/x-www-form-urlencoded"
#define DEVICE_GRANT "urn:ietf:params:oauth:grant-type:device_code"
#define REQ_TIMEOUT_MS 30000
#define SLOW_DOWN_MS 5000
#define DEFAULT_INTERVAL_MS 5000
#define MIN_INTERVAL_MS 200 /* as an approval's polls (approve.c) */
#define USER_CODE_MAX 64

struct device {
	char *device_code, *user_code, *uri, *uri_complete;
	long expires_in;
	long interval_ms;
};

struct net {
	const struct bkey_config *c;
	struct bkey_ciba k;
	struct bkey_jwks_cache jc;
	const volatile sig_atomic_t *cancel;
	long long deadline;
};

static void
device_free(struct device *d)
{
	bkey_free_secret(&d->device_code);
	free(d->user_code);
	free(d->uri);
	free(d->uri_complete);
	memset(d, 0, sizeof(*d));
}

/* POST form (client authentication added per dialect) to url. */
static int
post_form(struct net *n, const char *url, bkey_buf *form,
    struct bkey_http_resp *resp, bkey_error *err)
{
	struct bkey_http_req rq;

	memset(&rq, 0, sizeof(rq));
	if (n->c->dialect == BKEY_DIALECT_CIBA) {
		rq.basic_user = n->c->client_id;
		rq.basic_pass = n->c->client_secret;
	} else {
		bkey_form_add(form, "client_id", n->c->client_id);
		bkey_form_add(form, "client_secret", n->c->client_secret);
	}
	if (form->failed)
		return bkey_seterr(err, BKEY_ERR_INTERNAL, "out of memory");
	rq.url = url;
	rq.content_type = FORM_CT;
	rq.body = form->data;
	rq.body_len = form->len;
	rq.timeout_ms = admin_ms_left(n->deadline, REQ_TIMEOUT_MS);
	return bkey_http_do(n->k.http, &rq, resp, err);
}

/* A JSON object body, or BKEY_ERR_PROTOCOL naming what. */
static int
json_body(const struct bkey_http_resp *resp, bkey_json *j, const char *what,
    bkey_error *err)
{
	if (resp->body.data == NULL || resp->body.len == 0 ||
	    bkey_json_parse(j, resp->body.data, resp->body.len) != 0)
		return bkey_seterr(err, BKEY_ERR_PROTOCOL,
		    "%s: HTTP %ld, not "
		    "a JSON object",
		    what, resp->status);
	if (bkey_json_type_of(j, 0) != BKEY_JSON_OBJECT) {
		bkey_json_free(j);
		return bkey_seterr(err, BKEY_ERR_PROTOCOL,
		    "%s: not a JSON "
		    "object",
		    what);
	}
	return 0;
}

static int
read_device(const bkey_json *j, struct device *d, bkey_error *err)
{
	long long v;

	if (bkey_json_get_str(j, 0, "device_code", &d->device_code) != 0 ||
	    bkey_json_get_str(j, 0, "user_code", &d->user_code) != 0 ||
	    bkey_json_get_str(j, 0, "verification_uri", &d->uri) != 0 ||
	    bkey_json_get_int(j, 0, "expires_in", &v) != 0 || v < 1 || v > 3600)
		return bkey_seterr(err, BKEY_ERR_PROTOCOL,
		    "device code: "
		    "device_code, user_code, verification_uri or expires_in "
		    "missing or invalid");
	d->expires_in = (long)v;
	if (bkey_json_opt_str(j, 0, "verification_uri_complete",
		&d->uri_complete) < 0)
		return bkey_seterr(err, BKEY_ERR_PROTOCOL,
		    "device code: bad "
		    "verification_uri_complete");
	d->interval_ms = DEFAULT_INTERVAL_MS;
	if (bkey_json_find(j, 0, "interval") >= 0) {
		if (bkey_json_get_int(j, 0, "interval", &v) != 0 || v < 0 ||
		    v > 60)
			return bkey_seterr(err, BKEY_ERR_PROTOCOL,
			    "device code: bad interval");
		d->interval_ms = (long)v * 1000;
	}
	/* "interval": 0 is no licence to poll back to back. */
	if (d->interval_ms < MIN_INTERVAL_MS)
		d->interval_ms = MIN_INTERVAL_MS;
	/* What goes on the screen must be what it looks like. */
	if (!bkey_text_printable(d->user_code, strlen(d->user_code),
		USER_CODE_MAX) ||
	    !bkey_url_allowed(d->uri) ||
	    (d->uri_complete != NULL && !bkey_url_allowed(d->uri_complete)))
		return bkey_seterr(err, BKEY_ERR_PROTOCOL,
		    "device code: "
		    "user_code or verification URI not acceptable");
	return 0;
}

/* POST form to url (form is freed), the answer in resp (the caller
 * frees resp->body, which j points into) and its JSON object in j.
 * 1: a 5xx, nothing in j. 0 / -1. */
static int
form_call(struct net *n, const char *url, bkey_buf *form,
    struct bkey_http_resp *resp, bkey_json *j, const char *what,
    bkey_error *err)
{
	int rc = -1;

	memset(resp, 0, sizeof(*resp));
	if (post_form(n, url, form, resp, err) == 0)
		rc = resp->status >= 500 ? 1 : json_body(resp, j, what, err);
	bkey_buf_free(form);
	return rc;
}

static int
device_start(struct net *n, struct device *d, bkey_error *err)
{
	struct bkey_http_resp resp;
	bkey_buf form;
	bkey_json j;
	int rc;

	bkey_buf_init(&form, 16384);
	bkey_form_add(&form, "scope", "openid");
	rc = form_call(n, n->c->device_endpoint, &form, &resp, &j,
	    "device code", err);
	if (rc == 1)
		rc = bkey_seterr(err, BKEY_ERR_UNAVAILABLE,
		    "device code: "
		    "HTTP %ld",
		    resp.status);
	else if (rc == 0) {
		if (resp.status != 200)
			rc = bkey_seterr(err, BKEY_ERR_PROTOCOL,
			    "device code: "
			    "refused (HTTP %ld)",
			    resp.status);
		else
			rc = read_device(&j, d, err);
		bkey_json_free(&j);
	}
	bkey_buf_free(&resp.body);
	return rc;
}

/* One poll: 0 with *token (approved), 1 pending (*slow set on slow_down),
 * -1 with err (denied, expired, refused). */
static int
poll_once(struct net *n, const struct device *d, char **token, int *slow,
    bkey_error *err)
{
	struct bkey_http_resp resp;
	bkey_buf form;
	bkey_json j;
	char *code = NULL;
	long status;
	int rc;

	bkey_buf_init(&form, 16384);
	bkey_form_add(&form, "grant_type", DEVICE_GRANT);
	bkey_form_add(&form, "device_code", d->device_code);
	rc = form_call(n, n->c->token_endpoint, &form, &resp, &j,
	    "device token", err);
	status = resp.status;
	if (rc != 0) {
		bkey_buf_free(&resp.body);
		return rc;
	}
	rc = -1;
	if (status == 200) {
		if (bkey_json_get_str(&j, 0, "access_token", token) == 0)
			rc = 0;
		else
			bkey_seterr(err, BKEY_ERR_PROTOCOL,
			    "device token: no "
			    "access_token");
	} else if (bkey_json_get_str(&j, 0, "error", &code) != 0)
		bkey_seterr(err, BKEY_ERR_PROTOCOL, "device token: HTTP %ld",
		    status);
	else if (strcmp(code, "authorization_pending") == 0)
		rc = 1;
	else if (strcmp(code, "slow_down") == 0)
		rc = *slow = 1;
	else if (strcmp(code, "access_denied") == 0)
		bkey_seterr(err, BKEY_DENIED, "denied on the phone");
	else if (strcmp(code, "expired_token") == 0)
		bkey_seterr(err, BKEY_EXPIRED, "the code expired");
	else
		bkey_seterr(err, BKEY_ERR_PROTOCOL, "device token: %.60s",
		    code);
	free(code);
	bkey_json_free(&j);
	bkey_buf_free(&resp.body);
	return rc;
}

/* Poll until an answer, honouring interval and slow_down, within the
 * deadline (the code's expires_in or --timeout, the sooner). */
static int
poll_loop(struct net *n, struct device *d, char **token, bkey_error *err)
{
	long long next;
	int r, slow;

	for (;;) {
		next = bkey_now_ms() + d->interval_ms;
		if (next >= n->deadline)
			return bkey_seterr(err, BKEY_EXPIRED,
			    "no answer in "
			    "time");
		if (bkey_ciba_sleep_until(n->cancel, next, err) != 0)
			return -1;
		slow = 0;
		r = poll_once(n, d, token, &slow, err);
		/* Our own deadline cutting a request short is no outage. */
		if (r < 0 && err->code == BKEY_ERR_UNAVAILABLE &&
		    bkey_now_ms() + 1 >= n->deadline)
			return bkey_seterr(err, BKEY_EXPIRED,
			    "no answer in "
			    "time");
		if (r <= 0)
			return r;
		if (slow)
			d->interval_ms += SLOW_DOWN_MS;
	}
}

static int
fetch_jwks(void *ctx, const char *url, bkey_buf *body, bkey_error *err)
{
	struct net *n = ctx;

	return bkey_ciba_get(&n->k, url, n->deadline, body, err);
}

/* The token's sub, once it passes the approvals' verifier. */
static int
verified_did(struct net *n, const char *token, char *did, size_t didsz,
    bkey_error *err)
{
	struct bkey_jwt_expect want;
	struct bkey_jwt_claims cl;
	int rc = -1;

	memset(&want, 0, sizeof(want));
	want.issuer = n->c->issuer;
	want.audience = n->c->audience;
	want.leeway = n->c->clock_leeway;
	want.now = time(NULL);
	want.algs = n->c->token_algs;
	bkey_jwks_cache_init(&n->jc, n->c->state_dir, n->c->jwks_uri,
	    fetch_jwks, n);
	n->jc.algs = n->c->token_algs;
	if (bkey_approve_verify_jwt(&n->jc, token, "access token", &want, &cl,
		err) != 0)
		goto out;
	if (cl.sub == NULL || !bkey_did_valid(cl.sub) ||
	    strlen(cl.sub) >= didsz)
		bkey_seterr(err, BKEY_ERR_TOKEN,
		    "access token: sub is not a "
		    "DID");
	else {
		(void)snprintf(did, didsz, "%s", cl.sub);
		rc = 0;
	}
	bkey_jwt_claims_free(&cl);
out:
	bkey_jwks_cache_free(&n->jc);
	return rc;
}

static void
show_code(const struct device *d)
{
	const char *uri = d->uri_complete != NULL ? d->uri_complete : d->uri;
	char code[USER_CODE_MAX + 1];

	(void)bkey_sanitize_into(code, sizeof(code), d->user_code,
	    strlen(d->user_code));

	(void)fprintf(stderr,
	    "Scan this with the phone of the user to "
	    "enroll:\n\n");
	if (admin_qr_print(stderr, uri) != 0)
		(void)fprintf(stderr, "(no QR code: it could not be drawn)\n");
	(void)fprintf(stderr, "\nOr open %s\nand enter the code %s\n", d->uri,
	    code);
	(void)fflush(stderr);
}

/* The child: no root, the network, a DID on fd. Its exit status. */
static int
enroll_net(const struct bkey_config *c, const struct admin_opts *o,
    const volatile sig_atomic_t *cancel, int fd)
{
	struct net n;
	struct device d;
	bkey_error err = { 0 };
	char did[BKEY_DID_MAX + 1], *token = NULL;
	int rc = -1;

	memset(&n, 0, sizeof(n));
	memset(&d, 0, sizeof(d));
	n.c = c;
	n.cancel = cancel;
	n.deadline = bkey_now_ms() +
	    (o->timeout > 0 ? o->timeout : c->timeout) * 1000;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		admin_problem("curl init failed");
		return 70;
	}
	if (bkey_ciba_init(&n.k, c, cancel, &err) == 0 &&
	    device_start(&n, &d, &err) == 0) {
		if (bkey_now_ms() + d.expires_in * 1000 < n.deadline)
			n.deadline = bkey_now_ms() + d.expires_in * 1000;
		show_code(&d);
		if (poll_loop(&n, &d, &token, &err) == 0 &&
		    verified_did(&n, token, did, sizeof(did), &err) == 0 &&
		    bkey_write_all(fd, did, strlen(did)) == 0)
			rc = 0;
	}
	if (rc != 0 && *cancel)
		bkey_seterr(&err, BKEY_ERR_CANCELLED, "cancelled");
	if (rc != 0)
		admin_problem(err.detail);
	bkey_free_secret(&token);
	device_free(&d);
	bkey_ciba_free(&n.k);
	curl_global_cleanup();
	return rc == 0 ?
	    0 :
	    bkey_result_exit(err.code ? err.code : BKEY_ERR_INTERNAL);
}

/* The DID the child wrote, once it exited 0. A SIGINT or SIGTERM here
 * is passed on, so the child ends its wait (status 5). */
static int
child_did(pid_t pid, int fd, const volatile sig_atomic_t *cancel, char *did,
    size_t didsz)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t len = 0;
	ssize_t r;
	int st, sent = 0;

	for (;;) {
		if (*cancel && !sent)
			sent = kill(pid, SIGTERM) == 0;
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		r = read(fd, did + len, didsz - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || (len += (size_t)r) >= didsz - 1)
			break;
	}
	did[len] = '\0';
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return 70;
	if (!WIFEXITED(st))
		return bkey_result_exit(BKEY_ERR_INTERNAL);
	if (WEXITSTATUS(st) != 0)
		return WEXITSTATUS(st);
	return bkey_did_valid(did) ? 0 : bkey_result_exit(BKEY_ERR_TOKEN);
}

/* Fork the network child (dropped to run_as), get back the DID. */
static int
run_child(struct bkey_config *c, const struct admin_opts *o,
    const volatile sig_atomic_t *cancel, char *did, size_t didsz)
{
	struct bkey_runas ra;
	bkey_error err = { 0 };
	char note[256];
	int p[2], st;
	pid_t pid;

	if (bkey_privdrop_plan(c->run_as, c->path, &ra, note, sizeof(note),
		&err) != 0) {
		admin_problem(err.detail);
		return bkey_result_exit(err.code);
	}
	if (pipe2(p, O_CLOEXEC) != 0 || (pid = fork()) < 0) {
		admin_problem("cannot start the network process");
		return 70;
	}
	if (pid == 0) {
		(void)close(p[0]);
		if (ra.drop &&
		    bkey_privdrop(&ra, c->state_dir, note, sizeof(note),
			&err) != 0) {
			admin_problem(err.detail);
			st = bkey_result_exit(err.code);
		} else
			st = enroll_net(c, o, cancel, p[1]);
		bkey_config_free(c);
		(void)fflush(NULL);
		_exit(st);
	}
	(void)close(p[1]);
	/* Only the child needs the secret. */
	bkey_free_secret(&c->client_secret);
	st = child_did(pid, p[0], cancel, did, didsz);
	(void)close(p[0]);
	return st;
}

/* 0 go on, else the exit status: an enrolled user needs --replace. The
 * line's DID and phone key (or NULL) into *old and *key when not NULL. */
static int
may_enroll(const struct bkey_config *c, const struct admin_opts *o, char **old,
    char **key)
{
	bkey_error err = { 0 };
	char *d = NULL, *k = NULL;
	int r;

	r = bkey_users_lookup_key(c->users_file, o->user, &d, &k, &err);
	if (r == 0 && !o->replace)
		bkey_seterr(&err, BKEY_ERR_CONFIG,
		    "%s: user \"%s\" is already "
		    "enrolled (%s); --replace to change it",
		    c->users_file, o->user, d);
	if (r < 0 || (r == 0 && !o->replace)) {
		admin_problem(err.detail);
		free(d);
		free(k);
		return bkey_result_exit(err.code);
	}
	if (old != NULL && key != NULL) {
		*old = d;
		*key = k;
	} else {
		free(d);
		free(k);
	}
	return 0;
}

/* The new line: the old phone key stays with its DID; another DID is
 * another phone, so a key there is dropped, and said so. */
static int
new_line(const struct admin_opts *o, const char *did, const char *old,
    const char *key, char *line, size_t linesz)
{
	int n;

	if (key != NULL && old != NULL && strcmp(old, did) == 0)
		n = snprintf(line, linesz, "%s %s %s\n", o->user, did, key);
	else {
		if (key != NULL)
			(void)fprintf(stderr,
			    "bkey-admin: the phone key of %s's old line (for "
			    "%s) is dropped: the DID changed; configure the "
			    "new phone's key again\n",
			    o->user, old);
		n = snprintf(line, linesz, "%s %s\n", o->user, did);
	}
	return n > 0 && (size_t)n < linesz ? 0 : -1;
}

static int
write_entry(const struct bkey_config *c, const struct admin_opts *o,
    const char *did)
{
	bkey_error err = { 0 };
	char line[BKEY_DID_MAX + 192], *old = NULL, *key = NULL;
	int lock, st;

	if ((lock = admin_users_lock(c->users_file, &err)) < 0) {
		admin_problem(err.detail);
		return bkey_result_exit(err.code);
	}
	/* Again under the lock: another run may have enrolled meanwhile. */
	if ((st = may_enroll(c, o, &old, &key)) != 0)
		goto out;
	if (new_line(o, did, old, key, line, sizeof(line)) != 0 ||
	    admin_users_edit(c->users_file, o->user, line, &err) != 0) {
		if (err.detail[0] == '\0')
			bkey_seterr(&err, BKEY_ERR_INTERNAL, "line too long");
		admin_problem(err.detail);
		st = bkey_result_exit(err.code);
	} else {
		admin_log_change("enrolled", o->user, did);
		(void)printf("enrolled %s as %s\n", o->user, did);
	}
out:
	free(old);
	free(key);
	admin_users_unlock(lock);
	return st;
}

/*
 * The change for a directory instead of the file. With users_ldap_* set it
 * names the configured attribute and an entry under users_ldap_base; else
 * example names, said to be ones to replace. user and did are checked
 * names (no DN or LDIF special characters).
 */
static void
ldif_print(const struct bkey_config *c, const char *user, const char *did)
{
	const char *attr = c->users_ldap_attr, *base = c->users_ldap_base;

	if (attr == NULL || base == NULL) {
		(void)printf(
		    "# bkey-admin enroll %s: no users_ldap_base and "
		    "users_ldap_attr in the config;\n# replace the example DN "
		    "and attribute with your directory's\n",
		    user);
		attr = "bkeyDID";
		base = "ou=people,dc=example,dc=org";
	} else {
		(void)printf("# bkey-admin enroll %s: the entry that "
			     "users_ldap_filter finds\n",
		    user);
	}
	(void)printf("dn: uid=%s,%s\nchangetype: modify\nreplace: %s\n"
		     "%s: %s\n-\n",
	    user, base, attr, attr, did);
}

int
admin_enroll(const struct admin_opts *o, const volatile sig_atomic_t *cancel)
{
	struct bkey_config cfg;
	bkey_error err = { 0 };
	char did[BKEY_DID_MAX + 1];
	int st;

	if (bkey_config_load(&cfg, o->config, &err) != 0) {
		admin_problem(err.detail);
		return bkey_result_exit(err.code == BKEY_ERR_INTERNAL ?
			BKEY_ERR_INTERNAL :
			BKEY_ERR_CONFIG);
	}
	if ((o->ldif || (st = may_enroll(&cfg, o, NULL, NULL)) == 0) &&
	    (st = run_child(&cfg, o, cancel, did, sizeof(did))) == 0) {
		if (o->ldif)
			ldif_print(&cfg, o->user, did);
		else
			st = write_entry(&cfg, o, did);
	}
	if (st == 0 && fflush(stdout) != 0)
		st = 70;
	bkey_config_free(&cfg);
	return st;
}
