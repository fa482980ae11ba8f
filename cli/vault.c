/* SPDX-License-Identifier: ISC */
/* bkey-approve's vault mode: options, the worker's part, the audit line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <sodium.h>

#include "buf.h"
#include "clock.h"
#include "fileperm.h"
#include "output.h"
#include "sanitize.h"
#include "vault.h" /* helper/ */
#include "vault_cli.h"

#define VAR_MAX 128
#define DEFAULT_FIELD "key"

/* ITEM[:FIELD] into item and field; 0 or -1. */
static int
split_spec(const char *spec, char *item, char *field)
{
	const char *colon = strchr(spec, ':');
	size_t n = colon != NULL ? (size_t)(colon - spec) : strlen(spec);
	const char *f = colon != NULL ? colon + 1 : DEFAULT_FIELD;

	if (!bkey_text_printable(spec, n, BKEY_VAULT_ITEM_MAX) ||
	    !bkey_text_printable(f, strlen(f), BKEY_VAULT_FIELD_MAX))
		return -1;
	memcpy(item, spec, n);
	item[n] = '\0';
	(void)snprintf(field, BKEY_VAULT_FIELD_MAX + 1, "%s", f);
	return 0;
}

static int
var_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > VAR_MAX || (s[0] >= '0' && s[0] <= '9'))
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
			(s[i] >= 'A' && s[i] <= 'Z') ||
			(s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

/*
 * Variables --env must not set: each changes how COMMAND is loaded or how
 * a shell or interpreter behaves (ld.so's LD_DEBUG output, a preloaded
 * library, a function or file run at start-up). A secret in one would
 * leak, and a backend that swaps the secret would choose code to run as
 * COMMAND's user (root under sudo). glibc's secure-mode list plus the
 * shells', common interpreters' and the libraries and tools a privileged
 * command is likely to run (OpenSSL loads modules named by its config,
 * psql and git run programs named in theirs). A trailing '*' is a
 * prefix. A list can never be complete: the docs ask for the variable the
 * program reads its password from.
 */
static const char *const refused_vars[] = {
	"LD_*",
	"GCONV_PATH",
	"GETCONF_DIR",
	"GLIBC_TUNABLES",
	"MALLOC_*",
	"LOCPATH",
	"NLSPATH",
	"NIS_PATH",
	"HOSTALIASES",
	"RES_OPTIONS",
	"RESOLV_HOST_CONF",
	"LOCALDOMAIN",
	"TMPDIR",
	"TZ",
	"TZDIR",
	"PATH",
	"IFS",
	"CDPATH",
	"ENV",
	"BASH_ENV",
	"BASH_FUNC_*",
	"SHELLOPTS",
	"BASHOPTS",
	"PS4",
	"PROMPT_COMMAND",
	"GLOBIGNORE",
	"ZDOTDIR",
	"PERL5LIB",
	"PERL5OPT",
	"PERLLIB",
	"PYTHONPATH",
	"PYTHONHOME",
	"PYTHONSTARTUP",
	"RUBYLIB",
	"RUBYOPT",
	"NODE_OPTIONS",
	"JAVA_TOOL_OPTIONS",
	"_JAVA_OPTIONS",
	"TERMINFO",
	"TERMINFO_DIRS",
	"OPENSSL_*",
	"SSL_CERT_*",
	"CURL_CA_BUNDLE",
	"LUA_INIT*",
	"LUA_PATH*",
	"LUA_CPATH*",
	"PSQLRC",
	"PSQL_PAGER",
	"PAGER",
	"EDITOR",
	"VISUAL",
	"SSH_ASKPASS*",
	"SUDO_ASKPASS",
	"GIT_*",
	"XDG_CONFIG_HOME",
	"HOME",
};

static int
var_refused(const char *s)
{
	size_t i, n;
	const char *r;

	for (i = 0; i < sizeof(refused_vars) / sizeof(refused_vars[0]); i++) {
		r = refused_vars[i];
		n = strlen(r);
		if (r[n - 1] == '*' ? strncmp(s, r, n - 1) == 0 :
				      strcmp(s, r) == 0)
			return 1;
	}
	return 0;
}

int
bkey_vault_opt(struct bkey_vault_cli *v, int is_env, const char *arg)
{
	if (is_env) {
		if (v->nvar >= BKEY_VAULT_ITEMS)
			return -1;
		v->var[v->nvar++] = arg;
		return 0;
	}
	if (v->nspec >= BKEY_VAULT_ITEMS)
		return -1;
	v->spec[v->nspec++] = arg;
	return 0;
}

int
bkey_vault_wanted(const struct bkey_vault_cli *v)
{
	return v->nspec > 0 || v->nvar > 0 ||
	    (v->cmd != NULL && v->cmd[0] != NULL);
}

int
bkey_vault_check(const struct bkey_vault_cli *v, bkey_error *err)
{
	char item[BKEY_VAULT_ITEM_MAX + 1], field[BKEY_VAULT_FIELD_MAX + 1];
	int i, k;

	if (v->nspec == 0)
		return bkey_seterr(err, BKEY_ERR_USAGE,
		    "%s needs --vault ITEM[:FIELD]",
		    v->nvar > 0 ? "--env" : "a command after --");
	/* Without one, the released secret would go nowhere. */
	if (v->cmd == NULL || v->cmd[0] == NULL || v->cmd[0][0] == '\0')
		return bkey_seterr(err, BKEY_ERR_USAGE,
		    "--vault needs '-- COMMAND [ARG]...' after the options: "
		    "the command the secret is for");
	if (v->nspec != v->nvar)
		return bkey_seterr(err, BKEY_ERR_USAGE,
		    "give one --env VAR for each --vault ITEM[:FIELD]");
	for (i = 0; i < v->nspec; i++) {
		if (split_spec(v->spec[i], item, field) != 0)
			return bkey_seterr(err, BKEY_ERR_USAGE,
			    "--vault wants "
			    "ITEM[:FIELD]: 1-%d and 1-%d printable characters",
			    BKEY_VAULT_ITEM_MAX, BKEY_VAULT_FIELD_MAX);
		if (!var_ok(v->var[i]))
			return bkey_seterr(err, BKEY_ERR_USAGE,
			    "--env wants a "
			    "variable name (letters, digits, '_')");
		if (var_refused(v->var[i]))
			return bkey_seterr(err, BKEY_ERR_USAGE,
			    "--env %s is refused: it changes how a program "
			    "is loaded or a shell behaves",
			    v->var[i]);
		for (k = 0; k < i; k++)
			if (strcmp(v->var[k], v->var[i]) == 0)
				return bkey_seterr(err, BKEY_ERR_USAGE,
				    "--env %s given twice", v->var[i]);
	}
	return 0;
}

/* One line per access, never the value. Item and field are log words
 * (a blank or '=' escaped): they cannot fake another field. */
static void
audit(const struct bkey_request *r, const char *item, const char *field,
    bkey_result res, const char *id, const char *key)
{
	char w_item[BKEY_VAULT_ITEM_MAX * 6 + 1];
	char w_field[BKEY_VAULT_FIELD_MAX * 6 + 1];

	(void)bkey_log_word(w_item, sizeof(w_item), item);
	(void)bkey_log_word(w_field, sizeof(w_field), field);
	openlog("bkey-approve", LOG_PID, LOG_AUTHPRIV);
	syslog(res == BKEY_APPROVED ? LOG_NOTICE : LOG_WARNING,
	    "vault outcome=%s user=%s did=%s item=%s field=%s request=%s "
	    "phone_key=%s",
	    bkey_result_reason(res), r->user != NULL ? r->user : "-", r->did,
	    w_item, w_field, id[0] != '\0' ? id : "-", key);
	bkey_out_debug("vault: %s:%s %s (request %s, phone_key=%s)", w_item,
	    w_field, bkey_result_reason(res), id[0] != '\0' ? id : "-", key);
}

static bkey_vault_pin_fn pinner;
static void *pinner_ctx;

void
bkey_vault_set_pinner(bkey_vault_pin_fn fn, void *ctx)
{
	pinner = fn;
	pinner_ctx = ctx;
}

/* A key configured for the user is the only one; no record is made or
 * read then. Else the key must be the one on record for the DID (made
 * now on first use). BKEY_APPROVED, or the refusal in err; *how for the
 * audit line. */
static bkey_result
check_pin(const struct bkey_config *c, const struct bkey_vault_cli *v,
    const char *did, const unsigned char pk[32], const char **how,
    bkey_error *err)
{
	int rc;

	if (v->key_from != NULL) {
		*how = "configured";
		if (sodium_memcmp(pk, v->key, sizeof(v->key)) == 0)
			return BKEY_APPROVED;
		*how = "configured-mismatch";
		bkey_seterr(err, BKEY_ERR_PROTOCOL,
		    "vault: the answer comes from another phone key than the "
		    "one configured for %s in the %s",
		    did, v->key_from);
		return BKEY_ERR_PROTOCOL;
	}
	*how = "recorded";
	rc = pinner != NULL ? pinner(pinner_ctx, did, pk, err) :
			      bkey_vault_pin(c->state_dir, did, pk, err);

	if (rc == 0)
		return BKEY_APPROVED;
	if (rc == 1) {
		*how = "recorded-mismatch";
		bkey_seterr(err, BKEY_ERR_PROTOCOL,
		    "vault: the answer comes "
		    "from another phone key than the one recorded for %s "
		    "(%s/vault-keys)",
		    did, c->state_dir);
	}
	return err->code != BKEY_APPROVED ? err->code : BKEY_ERR_INTERNAL;
}

/* Fetch item i; its "VAR=value\0" appended to out. */
static bkey_result
ask_one(const struct bkey_config *c, struct bkey_vault_cli *v, int i,
    const struct bkey_request *r, long long deadline_ms,
    const volatile sig_atomic_t *cancel, bkey_buf *out, bkey_error *err)
{
	char item[BKEY_VAULT_ITEM_MAX + 1], field[BKEY_VAULT_FIELD_MAX + 1];
	struct bkey_vault_ask a;
	struct bkey_vault_got got;
	long long left = (deadline_ms - bkey_now_ms()) / 1000;
	const char *how = "-";
	bkey_result res;

	memset(&a, 0, sizeof(a));
	if (split_spec(v->spec[i], item, field) != 0) {
		bkey_seterr(err, BKEY_ERR_USAGE, "bad --vault");
		return BKEY_ERR_USAGE;
	}
	a.item = item;
	a.field = field;
	a.message = r->message;
	a.did = r->did;
	a.timeout = left < 1 ? 1 : left;
	res = bkey_vault_fetch(c, &a, cancel, bkey_out_pending, &got, err);
	if (res == BKEY_APPROVED)
		res = check_pin(c, v, r->did, got.phone_pk, &how, err);
	if (res == BKEY_APPROVED && *cancel)
		res = BKEY_ERR_CANCELLED;
	audit(r, item, field, res, got.id, how);
	if (res == BKEY_APPROVED) {
		bkey_buf_printf(out, "%s=", v->var[i]);
		bkey_buf_append(out, got.secret, got.len + 1);
		if (out->failed)
			res = BKEY_ERR_INTERNAL;
		bkey_vault_note(v, item, field, got.id);
	}
	bkey_vault_got_free(&got);
	return res;
}

bkey_result
bkey_vault_ask_all(const struct bkey_config *c, struct bkey_vault_cli *v,
    const struct bkey_request *r, const volatile sig_atomic_t *cancel,
    bkey_error *err)
{
	bkey_buf out;
	long timeout = r->timeout > 0 ? r->timeout :
	    c->timeout > 0	      ? c->timeout :
					BKEY_TIMEOUT_DEFAULT;
	long long deadline_ms = bkey_now_ms() + timeout * 1000LL;
	bkey_result res = BKEY_APPROVED;
	int i;

	bkey_buf_init(&out,
	    (size_t)BKEY_VAULT_ITEMS * (VAR_MAX + BKEY_VAULT_SECRET_MAX + 2));
	for (i = 0; i < v->nspec && res == BKEY_APPROVED; i++)
		res = ask_one(c, v, i, r, deadline_ms, cancel, &out, err);
	if (res == BKEY_ERR_INTERNAL && out.failed)
		bkey_seterr(err, BKEY_ERR_INTERNAL, "out of memory");
	if (res == BKEY_APPROVED &&
	    bkey_write_all(v->secret_fd, out.data, out.len) != 0) {
		bkey_seterr(err, BKEY_ERR_INTERNAL,
		    "cannot hand the secret "
		    "to the command's process");
		res = BKEY_ERR_INTERNAL;
	}
	bkey_buf_free(&out); /* wipes */
	(void)close(v->secret_fd);
	v->secret_fd = -1;
	return res;
}
