/* SPDX-License-Identifier: ISC */
/* The user->DID map in a directory (ldap_users.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <ldap.h>

#include "ldap_users.h"
#include "ldapconf.h"
#include "users.h" /* bkey_users_key_decode */
#include "valid.h"

/* Where Debian keeps the system's CA bundle: what "no cafile" means. */
#ifndef BKEY_SYSTEM_CA
#define BKEY_SYSTEM_CA "/etc/ssl/certs/ca-certificates.crt"
#endif

static int
ldaperr(bkey_error *err, const char *what, int rc)
{
	return bkey_seterr(err, BKEY_ERR_CONFIG, "users_ldap_uri: %s: %s", what,
	    ldap_err2string(rc));
}

/* Options before any connection: v3, no referrals, deadlines, TLS. */
static int
set_options(LDAP *ld, const struct bkey_config *c, bkey_error *err)
{
	struct timeval tv = { c->users_ldap_timeout, 0 };
	int v3 = LDAP_VERSION3, hard = LDAP_OPT_X_TLS_HARD, zero = 0, rc;

	if ((rc = ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3)) ||
	    (rc = ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF)) ||
	    (rc = ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv)) ||
	    (rc = ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv)) ||
	    (rc = ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &hard)))
		return ldaperr(err, "cannot set options", rc);
	if ((rc = ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE,
		 c->cafile != NULL ? c->cafile : BKEY_SYSTEM_CA)) !=
	    LDAP_SUCCESS)
		return ldaperr(err, "cannot set the CA file", rc);
	/* The TLS options above take effect in a new context. */
	if ((rc = ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero)) !=
	    LDAP_SUCCESS)
		return ldaperr(err, "cannot set up TLS", rc);
	return 0;
}

/* Connect (StartTLS where the URI needs it) and bind. */
static int
open_dir(LDAP **ld, const struct bkey_config *c, bkey_error *err)
{
	struct berval cred = { 0, NULL };
	int rc;

	*ld = NULL;
	/* No ldap.conf, ~/.ldaprc, ./ldaprc or LDAP* variables: only
	 * bkey.conf decides whom TLS trusts and where to connect. */
	if (setenv("LDAPNOINIT", "1", 1) != 0)
		return bkey_seterr(err, BKEY_ERR_INTERNAL, "setenv failed");
	if ((rc = ldap_initialize(ld, c->users_ldap_uri)) != LDAP_SUCCESS)
		return ldaperr(err, "cannot use the URI", rc);
	if (set_options(*ld, c, err) != 0)
		return -1;
	if (c->users_ldap_starttls &&
	    (rc = ldap_start_tls_s(*ld, NULL, NULL)) != LDAP_SUCCESS)
		return ldaperr(err, "StartTLS failed (required)", rc);
	if (c->users_ldap_bindpw != NULL) {
		cred.bv_val = c->users_ldap_bindpw;
		cred.bv_len = strlen(c->users_ldap_bindpw);
	}
	rc = ldap_sasl_bind_s(*ld, c->users_ldap_binddn, LDAP_SASL_SIMPLE,
	    &cred, NULL, NULL, NULL);
	if (rc != LDAP_SUCCESS)
		return ldaperr(err, "bind failed", rc);
	return 0;
}

/* The one value of the DID attribute of the one entry in res. */
static int
take_did(LDAP *ld, LDAPMessage *res, const struct bkey_config *c,
    const char *user, char **did, bkey_error *err)
{
	LDAPMessage *e;
	struct berval **vals = NULL;
	int n = ldap_count_entries(ld, res), rc = -1;

	if (n == 0)
		return 1;
	if (n != 1) {
		bkey_seterr(err, BKEY_ERR_CONFIG,
		    "users_ldap_uri: %d entries "
		    "for user '%s' (must be one)",
		    n, user);
		goto out;
	}
	e = ldap_first_entry(ld, res);
	vals = e != NULL ? ldap_get_values_len(ld, e, c->users_ldap_attr) :
			   NULL;
	if (vals == NULL || ldap_count_values_len(vals) != 1) {
		bkey_seterr(err, BKEY_ERR_CONFIG,
		    "users_ldap_uri: the entry "
		    "of user '%s' must have one %s",
		    user, c->users_ldap_attr);
		goto out;
	}
	if (memchr(vals[0]->bv_val, '\0', vals[0]->bv_len) != NULL ||
	    (*did = strndup(vals[0]->bv_val, vals[0]->bv_len)) == NULL ||
	    !bkey_did_valid(*did)) {
		free(*did);
		*did = NULL;
		bkey_seterr(err, BKEY_ERR_CONFIG,
		    "users_ldap_uri: the %s of "
		    "user '%s' is not a valid DID",
		    c->users_ldap_attr, user);
		goto out;
	}
	rc = 0;
out:
	ldap_value_free_len(vals);
	return rc;
}

/* The one value of users_ldap_vault_key_attr of the entry, a phone key:
 * anything else is refused, never taken for "no key" (a directory that
 * loses the value must not turn a pinned key into first use). */
static int
take_key(LDAP *ld, LDAPMessage *res, const struct bkey_config *c,
    const char *user, unsigned char key[32], bkey_error *err)
{
	const char *a = c->users_ldap_vault_key_attr;
	LDAPMessage *e = ldap_first_entry(ld, res);
	struct berval **vals = e != NULL ? ldap_get_values_len(ld, e, a) : NULL;
	int rc = -1;

	if (vals == NULL || ldap_count_values_len(vals) != 1)
		bkey_seterr(err, BKEY_ERR_PROTOCOL,
		    "users_ldap_uri: the entry of user '%s' must have one %s "
		    "(users_ldap_vault_key_attr)",
		    user, a);
	else if (bkey_users_key_decode(vals[0]->bv_val, vals[0]->bv_len, key) !=
	    0)
		bkey_seterr(err, BKEY_ERR_PROTOCOL,
		    "users_ldap_uri: the %s of user '%s' is not a phone key "
		    "(standard base64 of 32 bytes)",
		    a, user);
	else
		rc = 0;
	ldap_value_free_len(vals);
	return rc;
}

int
bkey_ldap_users_lookup(const struct bkey_config *c, const char *user,
    char **did, bkey_error *err)
{
	return bkey_ldap_users_lookup_key(c, user, did, NULL, err);
}

int
bkey_ldap_users_lookup_key(const struct bkey_config *c, const char *user,
    char **did, unsigned char *key, bkey_error *err)
{
	char filter[BKEY_LDAP_FILTER_MAX];
	char *attrs[3] = { c->users_ldap_attr, NULL, NULL };
	struct timeval tv = { c->users_ldap_timeout, 0 };
	LDAPMessage *res = NULL;
	LDAP *ld = NULL;
	int rc = -1, lrc;

	*did = NULL;
	if (c->users_ldap_vault_key_attr == NULL)
		key = NULL;
	attrs[1] = key != NULL ? c->users_ldap_vault_key_attr : NULL;
	if (bkey_ldap_filter_build(c->users_ldap_filter, user, filter,
		sizeof(filter)) != 0) {
		bkey_seterr(err, BKEY_ERR_CONFIG,
		    "users_ldap_filter: too long for user '%s'", user);
		return -1;
	}
	if (open_dir(&ld, c, err) != 0)
		goto out;
	/* A size limit of 2: a second entry is all it takes to refuse. */
	lrc = ldap_search_ext_s(ld, c->users_ldap_base, LDAP_SCOPE_SUBTREE,
	    filter, attrs, 0, NULL, NULL, &tv, 2, &res);
	if (lrc == LDAP_SIZELIMIT_EXCEEDED)
		bkey_seterr(err, BKEY_ERR_CONFIG,
		    "users_ldap_uri: more than "
		    "one entry for user '%s'",
		    user);
	else if (lrc != LDAP_SUCCESS)
		ldaperr(err, "search failed", lrc);
	else
		rc = take_did(ld, res, c, user, did, err);
	if (rc == 0 && key != NULL &&
	    take_key(ld, res, c, user, key, err) != 0) {
		free(*did);
		*did = NULL;
		rc = -1;
	}
out:
	if (res != NULL)
		ldap_msgfree(res);
	if (ld != NULL)
		ldap_unbind_ext_s(ld, NULL, NULL);
	return rc;
}

/* The one value of attr in e as a string, or NULL (malloc'd). */
static char *
one_value(LDAP *ld, LDAPMessage *e, char *attr, int *count)
{
	struct berval **v = ldap_get_values_len(ld, e, attr);
	char *s = NULL;

	*count = v != NULL ? ldap_count_values_len(v) : 0;
	if (*count == 1 && memchr(v[0]->bv_val, '\0', v[0]->bv_len) == NULL)
		s = strndup(v[0]->bv_val, v[0]->bv_len);
	ldap_value_free_len(v);
	return s;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
problem_at(bkey_ldap_problem_fn problem, void *ctx, const char *what,
    const char *name)
{
	bkey_error e = { 0 };

	bkey_seterr(&e, BKEY_ERR_CONFIG, "users_ldap_uri: %s: %s", name, what);
	problem(ctx, &e);
}

/* Check (names != NULL: collect) or give out (names NULL) the entries. */
static int
walk(LDAP *ld, LDAPMessage *res, const struct bkey_config *c, char *nattr,
    char **names, bkey_ldap_entry_fn entry, bkey_ldap_problem_fn problem,
    void *ctx)
{
	LDAPMessage *e;
	const char *why;
	char *name, *did, *dn;
	int nn, nd, bad = 0, i = 0;

	for (e = ldap_first_entry(ld, res); e != NULL;
	     e = ldap_next_entry(ld, e)) {
		name = one_value(ld, e, nattr, &nn);
		did = one_value(ld, e, c->users_ldap_attr, &nd);
		dn = ldap_get_dn(ld, e);
		why = NULL;
		if (nd > 0 && (name == NULL || !bkey_username_valid(name)))
			why = "not one valid user name";
		else if (nd > 0 && (did == NULL || !bkey_did_valid(did)))
			why = "not one valid DID";
		if (why != NULL) {
			bad = 1;
			problem_at(problem, ctx, why, dn != NULL ? dn : "?");
		} else if (nd > 0 && names != NULL) {
			names[i++] = name;
			name = NULL;
		} else if (nd > 0)
			entry(ctx, name, did);
		ldap_memfree(dn);
		free(name);
		free(did);
	}
	return bad;
}

/* A name on more than one entry: each reported once. */
static int
dup_names(char **names, int n, bkey_ldap_problem_fn problem, void *ctx)
{
	int i, bad = 0;

	qsort(names, (size_t)n, sizeof(*names), cmp_str);
	for (i = 1; i < n; i++)
		if (strcmp(names[i], names[i - 1]) == 0 &&
		    (i == 1 || strcmp(names[i], names[i - 2]) != 0)) {
			bad = 1;
			problem_at(problem, ctx, "more than one entry",
			    names[i]);
		}
	return bad;
}

int
bkey_ldap_users_list(const struct bkey_config *c, bkey_ldap_entry_fn entry,
    bkey_ldap_problem_fn problem, void *ctx, bkey_error *err)
{
	char filter[BKEY_LDAP_FILTER_MAX], nattr[65], **names = NULL;
	char *attrs[3] = { nattr, c->users_ldap_attr, NULL };
	struct timeval tv = { c->users_ldap_timeout, 0 };
	LDAPMessage *res = NULL;
	LDAP *ld = NULL;
	int rc = -1, lrc, n = 0, i;

	if (bkey_ldap_filter_all(c->users_ldap_filter, filter, sizeof(filter),
		nattr, sizeof(nattr)) != 0)
		return bkey_seterr(err, BKEY_ERR_CONFIG,
		    "users_ldap_filter: "
		    "listing needs a (ATTR=%%u) term");
	if (open_dir(&ld, c, err) != 0)
		goto out;
	lrc = ldap_search_ext_s(ld, c->users_ldap_base, LDAP_SCOPE_SUBTREE,
	    filter, attrs, 0, NULL, NULL, &tv, 0, &res);
	if (lrc != LDAP_SUCCESS) {
		ldaperr(err, "search failed", lrc);
		goto out;
	}
	n = ldap_count_entries(ld, res);
	if (n < 0 || (names = calloc((size_t)n + 1, sizeof(*names))) == NULL) {
		bkey_seterr(err, BKEY_ERR_INTERNAL, "out of memory");
		goto out;
	}
	rc = walk(ld, res, c, nattr, names, NULL, problem, ctx);
	for (i = 0; i < n && names[i] != NULL; i++)
		;
	if (dup_names(names, i, problem, ctx))
		rc = 1;
	if (rc == 0)
		(void)walk(ld, res, c, nattr, NULL, entry, problem, ctx);
out:
	for (i = 0; names != NULL && i < n; i++)
		free(names[i]);
	free(names);
	if (res != NULL)
		ldap_msgfree(res);
	if (ld != NULL)
		ldap_unbind_ext_s(ld, NULL, NULL);
	return rc;
}
