/* SPDX-License-Identifier: ISC */
/*
 * JSON Web Key Sets. Only OKP / Ed25519 signing keys are kept; everything
 * else is skipped. A set that publishes a private key ("d") is refused as a
 * whole: a server that leaks its signing key cannot be trusted for any key.
 */
#include <stdlib.h>
#include <string.h>

#include "b64url.h"
#include "json.h"
#include "jwks.h"
#include "result.h"

#define JWKS_MAX_KEYS 16

/* Optional member equal to want when present: 1 ok, 0 not ok. */
static int
member_is(const bkey_json *j, int obj, const char *key, const char *want,
    int required)
{
	char *s = NULL;
	int r, ok;

	r = bkey_json_opt_str(j, obj, key, &s);
	if (r == 0)
		return !required;
	ok = (r == 1 && strcmp(s, want) == 0);
	free(s);
	return ok;
}

/*
 * key_ops (RFC 7517 4.3), when present, must be an array of strings that
 * holds "verify". 1 usable for verifying, 0 not (absent is usable).
 */
static int
key_ops_allow_verify(const bkey_json *j, int obj)
{
	char *s = NULL;
	int v, n, i, el, found = 0;

	if ((v = bkey_json_find(j, obj, "key_ops")) < 0)
		return 1;
	if (bkey_json_type_of(j, v) != BKEY_JSON_ARRAY)
		return 0;
	n = bkey_json_size(j, v);
	for (i = 0; i < n; i++) {
		el = bkey_json_array_at(j, v, i);
		if (el < 0 || bkey_json_type_of(j, el) != BKEY_JSON_STRING ||
		    bkey_json_str(j, el, &s) != 0)
			return 0;
		found |= strcmp(s, "verify") == 0;
		free(s);
		s = NULL;
	}
	return found;
}

/*
 * Examine one JWK. Returns 1 with *k filled when usable, 0 when skipped.
 * A private key has already been ruled out by the caller.
 */
static int
parse_key(const bkey_json *j, int obj, struct bkey_jwk *k)
{
	char *x = NULL, *kid = NULL;
	size_t outlen = 0, kidlen;
	int r, usable = 0;

	memset(k, 0, sizeof(*k));
	if (!member_is(j, obj, "kty", "OKP", 1) ||
	    !member_is(j, obj, "crv", "Ed25519", 1) ||
	    !member_is(j, obj, "alg", "EdDSA", 0) ||
	    !member_is(j, obj, "use", "sig", 0) ||
	    !key_ops_allow_verify(j, obj))
		goto out;
	if (bkey_json_opt_str(j, obj, "x", &x) != 1)
		goto out;
	/* One spare byte of room so an over-long x fails instead of fitting. */
	{
		unsigned char pk[sizeof(k->pk) + 1];

		if (bkey_b64url_decode(x, strlen(x), pk, sizeof(pk),
		    &outlen) != 0 || outlen != sizeof(k->pk))
			goto out;
		memcpy(k->pk, pk, sizeof(k->pk));
	}
	r = bkey_json_opt_str(j, obj, "kid", &kid);
	if (r < 0)
		goto out;
	if (r == 1) {
		kidlen = strlen(kid);
		if (kidlen == 0 || kidlen >= sizeof(k->kid))
			goto out;
		memcpy(k->kid, kid, kidlen + 1);
	}
	usable = 1;
 out:
	free(x);
	free(kid);
	if (!usable)
		memset(k, 0, sizeof(*k));
	return usable;
}

int
bkey_jwks_parse(struct bkey_jwks *ks, const char *json, size_t len,
    bkey_error *err)
{
	bkey_json j;
	struct bkey_jwk k;
	int arr, n, i, el, parsed = 0, ret = -1;
	size_t a;

	if (ks == NULL)
		return bkey_seterr(err, BKEY_ERR_INTERNAL, "JWKS: no output");
	ks->keys = NULL;
	ks->n = 0;
	memset(&j, 0, sizeof(j));
	if (json == NULL || bkey_json_parse(&j, json, len) != 0) {
		bkey_seterr(err, BKEY_ERR_PROTOCOL, "JWKS is not valid JSON");
		goto out;
	}
	parsed = 1;
	arr = bkey_json_find(&j, 0, "keys");
	if (arr < 0 || bkey_json_type_of(&j, arr) != BKEY_JSON_ARRAY) {
		bkey_seterr(err, BKEY_ERR_PROTOCOL, "JWKS has no \"keys\" array");
		goto out;
	}
	n = bkey_json_size(&j, arr);
	/* First pass: shape, and no private key anywhere in the set. */
	for (i = 0; i < n; i++) {
		el = bkey_json_array_at(&j, arr, i);
		if (el < 0 || bkey_json_type_of(&j, el) != BKEY_JSON_OBJECT) {
			bkey_seterr(err, BKEY_ERR_PROTOCOL,
			    "JWKS key %d is not an object", i);
			goto out;
		}
		if (bkey_json_find(&j, el, "d") >= 0) {
			bkey_seterr(err, BKEY_ERR_PROTOCOL,
			    "JWKS publishes a private key");
			goto out;
		}
	}
	ks->keys = calloc(JWKS_MAX_KEYS, sizeof(*ks->keys));
	if (ks->keys == NULL) {
		bkey_seterr(err, BKEY_ERR_INTERNAL, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		el = bkey_json_array_at(&j, arr, i);
		if (!parse_key(&j, el, &k))
			continue;
		/* Two keys under one kid would make the choice ambiguous. */
		for (a = 0; k.kid[0] != '\0' && a < ks->n; a++) {
			if (strcmp(ks->keys[a].kid, k.kid) == 0) {
				bkey_seterr(err, BKEY_ERR_PROTOCOL,
				    "JWKS has two keys with one kid");
				goto out;
			}
		}
		if (ks->n == JWKS_MAX_KEYS) {
			bkey_seterr(err, BKEY_ERR_PROTOCOL,
			    "JWKS has more than %d usable keys", JWKS_MAX_KEYS);
			goto out;
		}
		ks->keys[ks->n++] = k;
	}
	if (ks->n == 0) {
		bkey_seterr(err, BKEY_ERR_PROTOCOL,
		    "JWKS has no usable Ed25519 key");
		goto out;
	}
	ret = 0;
 out:
	if (parsed)
		bkey_json_free(&j);
	if (ret != 0)
		bkey_jwks_free(ks);
	return ret;
}

void
bkey_jwks_free(struct bkey_jwks *ks)
{
	if (ks == NULL)
		return;
	free(ks->keys);
	ks->keys = NULL;
	ks->n = 0;
}

const struct bkey_jwk *
bkey_jwks_find(const struct bkey_jwks *ks, const char *kid)
{
	size_t i;

	if (ks == NULL || ks->keys == NULL || ks->n == 0)
		return NULL;
	if (kid == NULL)
		return ks->n == 1 ? &ks->keys[0] : NULL;
	/* An empty kid names no key: keys without a kid store "". */
	if (kid[0] == '\0')
		return NULL;
	for (i = 0; i < ks->n; i++)
		if (strcmp(ks->keys[i].kid, kid) == 0)
			return &ks->keys[i];
	return NULL;
}
