/* SPDX-License-Identifier: ISC */
/*
 * Verifying the approval token (docs/protocol.md "The approval token").
 * Order matters: shape, then header (alg in the allow-list), then key by
 * kid and its algorithms, then the signature; only a token whose signature verified has its claims read.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "b64url.h"
#include "config.h"
#include "json.h"
#include "jws_ossl.h"
#include "jwt.h"
#include "request.h"
#include "result.h"

#define AUTH_REQ_ID_CLAIM "urn:openid:params:jwt:claim:auth_req_id"
#define ED25519_SIGLEN 64

static int
tokerr(bkey_error *err, const char *what)
{
	return bkey_seterr(err, BKEY_ERR_TOKEN, "%s", what);
}

static int
is_b64url_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/*
 * Split into three non-empty base64url segments: h = [0,d1), p = (d1,d2),
 * s = (d2,len). 0 / -1.
 */
static int
split_token(const char *t, size_t len, size_t *d1, size_t *d2)
{
	size_t i, dots = 0;

	for (i = 0; i < len; i++) {
		if (t[i] == '.') {
			if (dots == 0)
				*d1 = i;
			else if (dots == 1)
				*d2 = i;
			else
				return -1;
			dots++;
		} else if (!is_b64url_char((unsigned char)t[i]))
			return -1;
	}
	if (dots != 2 || *d1 == 0 || *d2 == *d1 + 1 || *d2 + 1 == len)
		return -1;
	return 0;
}

/* Optional integer member: 0 absent, 1 present, -1 wrong type. */
static int
opt_int(const bkey_json *j, int obj, const char *key, long long *out)
{
	int v;

	*out = 0;
	v = bkey_json_find(j, obj, key);
	if (v < 0)
		return 0;
	if (bkey_json_type_of(j, v) != BKEY_JSON_NUMBER ||
	    bkey_json_int(j, v, out) != 0)
		return -1;
	return 1;
}

/* Issuers equal, ignoring one trailing '/' on either side. */
static int
issuer_matches(const char *got, const char *want)
{
	size_t gl = strlen(got), wl = strlen(want);

	if (gl > 0 && got[gl - 1] == '/')
		gl--;
	if (wl > 0 && want[wl - 1] == '/')
		wl--;
	return gl == wl && memcmp(got, want, gl) == 0;
}

/* Every word of want is granted in have. */
static int
scopes_granted(const char *have, const char *want)
{
	const char *p = want, *e;

	while (*p != '\0') {
		while (*p == ' ')
			p++;
		e = p;
		while (*e != '\0' && *e != ' ')
			e++;
		if (e > p && !bkey_scope_has(have, p, (size_t)(e - p)))
			return 0;
		p = e;
	}
	return 1;
}

/* a - b without overflow; on overflow saturate. */
static long long
sat_sub(long long a, long long b)
{
	long long r;

	if (__builtin_sub_overflow(a, b, &r))
		return b > 0 ? LLONG_MIN : LLONG_MAX;
	return r;
}

static long long
sat_add(long long a, long long b)
{
	long long r;

	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? LLONG_MAX : LLONG_MIN;
	return r;
}

/* aud: string or array of strings containing want. 0 ok / -1 with err. */
static int
check_aud(const bkey_json *j, const struct bkey_jwt_expect *want,
    bkey_error *err)
{
	char *s = NULL;
	int v, n, i, el, found = 0;

	v = bkey_json_find(j, 0, "aud");
	if (v < 0) {
		if (want->require_aud)
			return tokerr(err, "token has no audience");
		return 0;
	}
	if (want->audience == NULL)
		return tokerr(err, "token audience cannot be checked");
	switch (bkey_json_type_of(j, v)) {
	case BKEY_JSON_STRING:
		if (bkey_json_str(j, v, &s) != 0)
			return tokerr(err, "token aud malformed");
		found = strcmp(s, want->audience) == 0;
		free(s);
		break;
	case BKEY_JSON_ARRAY:
		n = bkey_json_size(j, v);
		for (i = 0; i < n; i++) {
			el = bkey_json_array_at(j, v, i);
			if (el < 0 ||
			    bkey_json_type_of(j, el) != BKEY_JSON_STRING ||
			    bkey_json_str(j, el, &s) != 0)
				return tokerr(err, "token aud malformed");
			if (strcmp(s, want->audience) == 0)
				found = 1;
			free(s);
			s = NULL;
		}
		break;
	default:
		return tokerr(err, "token aud malformed");
	}
	if (!found)
		return tokerr(err, "token audience mismatch");
	return 0;
}

/* Decode one segment into a NUL-terminated buffer and parse it as JSON. */
static int
decode_json(const char *seg, size_t seglen, char **buf, size_t *buflen,
    bkey_json *j)
{
	if (bkey_b64url_decode_alloc(seg, seglen, buf, buflen) != 0) {
		*buf = NULL;
		return -1;
	}
	return bkey_json_parse(j, *buf, *buflen);
}

static void
free_buf(char **buf, size_t len)
{
	if (*buf != NULL) {
		sodium_memzero(*buf, len);
		free(*buf);
		*buf = NULL;
	}
}

/* Header: alg in the allow-list, typ, crit, kid. 0 / -1 with err. */
static int
check_header(const bkey_json *j, unsigned algs, unsigned *alg_bit, char **kid,
    bkey_error *err)
{
	char *alg = NULL, *typ = NULL;
	int r, ret = -1;

	*kid = NULL;
	*alg_bit = 0;
	if (bkey_json_opt_str(j, 0, "alg", &alg) == 1)
		*alg_bit = bkey_alg_bit(alg, strlen(alg)) & algs;
	if (*alg_bit == 0) {
		tokerr(err,
		    algs == BKEY_ALG_EDDSA ?
			"token algorithm not EdDSA" :
			"token algorithm not in token_algs");
		goto out;
	}
	r = bkey_json_opt_str(j, 0, "typ", &typ);
	if (r < 0 ||
	    (r == 1 && strcasecmp(typ, "JWT") != 0 &&
		strcasecmp(typ, "at+jwt") != 0)) {
		tokerr(err, "token type not accepted");
		goto out;
	}
	if (bkey_json_find(j, 0, "crit") >= 0) {
		tokerr(err, "token has critical header extensions");
		goto out;
	}
	if (bkey_json_opt_str(j, 0, "kid", kid) < 0) {
		tokerr(err, "token kid malformed");
		goto out;
	}
	ret = 0;
out:
	free(alg);
	free(typ);
	return ret;
}

/* iss and sub: who issued the token, and for whom. 0 / -1 with err. */
static int
check_parties(const bkey_json *j, const struct bkey_jwt_expect *want,
    struct bkey_jwt_claims *c, bkey_error *err)
{
	if (bkey_json_opt_str(j, 0, "iss", &c->iss) != 1 || c->iss[0] == '\0')
		return tokerr(err, "token iss missing or malformed");
	if (!issuer_matches(c->iss, want->issuer))
		return tokerr(err, "token issuer mismatch");
	if (bkey_json_opt_str(j, 0, "sub", &c->sub) != 1 || c->sub[0] == '\0')
		return tokerr(err, "token sub missing or malformed");
	if (want->sub != NULL && strcmp(c->sub, want->sub) != 0)
		return tokerr(err, "token subject mismatch");
	return 0;
}

/* exp, iat and nbf against now and the leeway. 0 / -1 with err. */
static int
check_times(const bkey_json *j, const struct bkey_jwt_expect *want,
    struct bkey_jwt_claims *c, bkey_error *err)
{
	long long now = (long long)want->now, leeway = want->leeway;

	if (leeway < 0)
		leeway = 0;
	if (opt_int(j, 0, "exp", &c->exp) != 1)
		return tokerr(err, "token exp missing or malformed");
	if (opt_int(j, 0, "iat", &c->iat) != 1)
		return tokerr(err, "token iat missing or malformed");
	if (opt_int(j, 0, "nbf", &c->nbf) < 0)
		return tokerr(err, "token nbf malformed");
	/* RFC 7519: valid only while now < exp; the leeway widens that,
	 * and at exp + leeway the token is dead. */
	if (now >= sat_add(c->exp, leeway))
		return tokerr(err, "token expired");
	/* Usable from nbf (- leeway) on, not a second before. */
	if (bkey_json_find(j, 0, "nbf") >= 0 && now < sat_sub(c->nbf, leeway))
		return tokerr(err, "token not yet valid");
	if (c->iat > sat_add(now, leeway))
		return tokerr(err, "token issued in the future");
	if (c->iat > c->exp)
		return tokerr(err, "token issued after it expires");
	return 0;
}

/* Claims of a token whose signature verified. 0 / -1 with err. */
static int
check_claims(const bkey_json *j, const struct bkey_jwt_expect *want,
    struct bkey_jwt_claims *c, bkey_error *err)
{
	char *arid = NULL;
	int r, ret = -1;

	if (check_parties(j, want, c, err) != 0 ||
	    check_times(j, want, c, err) != 0 || check_aud(j, want, err) != 0)
		goto out;
	r = bkey_json_opt_str(j, 0, "scope", &c->scope);
	if (r < 0) {
		tokerr(err, "token scope malformed");
		goto out;
	}
	if (want->scope != NULL &&
	    (r == 0 || !scopes_granted(c->scope, want->scope))) {
		tokerr(err, "token lacks the requested scope");
		goto out;
	}
	r = bkey_json_opt_str(j, 0, "jti", &c->jti);
	if (r < 0 || (r == 1 && c->jti[0] == '\0')) {
		tokerr(err, "token jti malformed");
		goto out;
	}
	r = bkey_json_opt_str(j, 0, AUTH_REQ_ID_CLAIM, &arid);
	if (r < 0) {
		tokerr(err, "token auth_req_id malformed");
		goto out;
	}
	if (r == 1 && want->auth_req_id != NULL &&
	    strcmp(arid, want->auth_req_id) != 0) {
		tokerr(err, "token auth_req_id mismatch");
		goto out;
	}
	ret = 0;
out:
	free(arid);
	return ret;
}

/* A decoded token: where its parts are, and its signature. */
struct jws_parts {
	size_t d1, d2; /* the two dots */
	unsigned char sig[BKEY_JWS_SIG_MAX + 1];
	size_t siglen;
	unsigned alg; /* BKEY_ALG_* of the header */
};

/* Three base64url parts, a signature of a possible size into p->sig.
 * With EdDSA alone allowed, only an Ed25519 signature's size is. */
static int
check_shape(const char *token, unsigned algs, struct jws_parts *p,
    bkey_error *err)
{
	size_t len = strnlen(token, BKEY_JWT_MAX + 1);

	if (len > BKEY_JWT_MAX)
		return tokerr(err, "token too large");
	if (split_token(token, len, &p->d1, &p->d2) != 0)
		return tokerr(err, "token malformed");
	if (bkey_b64url_decode(token + p->d2 + 1, len - p->d2 - 1, p->sig,
		sizeof(p->sig), &p->siglen) != 0 ||
	    p->siglen == 0 || p->siglen > BKEY_JWS_SIG_MAX ||
	    (algs == BKEY_ALG_EDDSA && p->siglen != ED25519_SIGLEN))
		return tokerr(err, "token signature malformed");
	return 0;
}

/*
 * The key must be allowed p->alg (an RSA key never verifies an EdDSA or
 * ES token, a P-256 key never ES384, ...), then the signature over the
 * ASCII "header.payload". 0 / -1 with err.
 */
static int
check_signature(const char *token, const struct jws_parts *p,
    const struct bkey_jwk *key, bkey_error *err)
{
	const unsigned char *msg = (const unsigned char *)token;

	if ((key->algs & p->alg) == 0)
		return tokerr(err, "token algorithm does not match the key");
	if (p->alg == BKEY_ALG_EDDSA) {
		if (p->siglen != ED25519_SIGLEN)
			return tokerr(err, "token signature malformed");
		if (crypto_sign_verify_detached(p->sig, msg, p->d2, key->pk) !=
		    0)
			return tokerr(err, "token signature invalid");
		return 0;
	}
	if (bkey_jws_verify(p->alg, key->pkey, msg, p->d2, p->sig, p->siglen) !=
	    0)
		return tokerr(err, "token signature invalid");
	return 0;
}

/* No key for kid: -1 without a kid, else BKEY_JWT_UNKNOWN_KID (the
 * caller may refetch the set once). err set either way. */
static int
unknown_key(const char *kid, bkey_error *err)
{
	if (kid == NULL)
		return tokerr(err, "token has no kid");
	tokerr(err, "token signed by an unknown key");
	return BKEY_JWT_UNKNOWN_KID;
}

int
bkey_jwt_verify(const char *token, const struct bkey_jwks *ks,
    const struct bkey_jwt_expect *want, struct bkey_jwt_claims *out,
    bkey_error *err)
{
	struct bkey_jwt_claims c;
	struct jws_parts p;
	const struct bkey_jwk *key;
	bkey_json hj, pj;
	char *hbuf = NULL, *pbuf = NULL;
	size_t hlen = 0, plen = 0;
	unsigned algs;
	int hparsed = 0, pparsed = 0, ret = -1;

	memset(&c, 0, sizeof(c));
	memset(&p, 0, sizeof(p));
	memset(&hj, 0, sizeof(hj));
	memset(&pj, 0, sizeof(pj));
	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (token == NULL || ks == NULL || want == NULL ||
	    want->issuer == NULL) {
		bkey_seterr(err, BKEY_ERR_INTERNAL, "token check misused");
		goto out;
	}
	if (sodium_init() < 0) {
		bkey_seterr(err, BKEY_ERR_INTERNAL, "libsodium init failed");
		goto out;
	}

	algs = want->algs != 0 ? want->algs : BKEY_ALG_EDDSA;

	/* 1. Shape. */
	if (check_shape(token, algs, &p, err) != 0)
		goto out;

	/* 2. Header (alg listed before any key is tried), then the key. */
	if (decode_json(token, p.d1, &hbuf, &hlen, &hj) != 0) {
		tokerr(err, "token header malformed");
		goto out;
	}
	hparsed = 1;
	if (check_header(&hj, algs, &p.alg, &c.kid, err) != 0)
		goto out;
	if ((key = bkey_jwks_find(ks, c.kid)) == NULL) {
		ret = unknown_key(c.kid, err);
		goto out;
	}

	/* The signature, before any claim is read. */
	if (check_signature(token, &p, key, err) != 0)
		goto out;

	/* 3-8. Claims. */
	if (decode_json(token + p.d1 + 1, p.d2 - p.d1 - 1, &pbuf, &plen, &pj) !=
	    0) {
		tokerr(err, "token payload malformed");
		goto out;
	}
	pparsed = 1;
	if (check_claims(&pj, want, &c, err) != 0)
		goto out;
	ret = 0;
	if (out != NULL) {
		*out = c;
		memset(&c, 0, sizeof(c));
	}
out:
	if (hparsed)
		bkey_json_free(&hj);
	if (pparsed)
		bkey_json_free(&pj);
	free_buf(&hbuf, hlen);
	free_buf(&pbuf, plen);
	bkey_jwt_claims_free(&c);
	return ret;
}

void
bkey_jwt_claims_free(struct bkey_jwt_claims *c)
{
	if (c == NULL)
		return;
	free(c->kid);
	free(c->iss);
	free(c->sub);
	free(c->jti);
	free(c->scope);
	memset(c, 0, sizeof(*c));
}
