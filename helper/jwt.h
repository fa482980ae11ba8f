/* SPDX-License-Identifier: ISC */
/* Verifying signed JWTs (EdDSA, ES256/384, RS256, PS256) as
 * docs/protocol.md "The approval token" says. */
#ifndef BKEY_JWT_H
#define BKEY_JWT_H

#include <time.h>
#include "jwks.h"
#include "result.h"

#define BKEY_JWT_MAX 8192

struct bkey_jwt_expect {
	const char *issuer;   /* trailing '/' tolerated on either side */
	const char *audience; /* checked only if the token has aud */
	int require_aud;      /* id_token: aud must be present */
	const char
	    *scope; /* space-separated, each must be granted; NULL = none */
	const char *sub;	 /* must equal */
	const char *auth_req_id; /* id_token claim, if the token carries it */
	long leeway;		 /* seconds */
	time_t now;
	unsigned algs; /* BKEY_ALG_* allowed; 0 = EdDSA */
};

struct bkey_jwt_claims {
	char *kid;
	char *iss, *sub, *jti, *scope; /* jti, scope may be NULL when absent */
	long long iat, exp, nbf;       /* nbf 0 when absent */
};

#define BKEY_JWT_UNKNOWN_KID 1

/*
 * 0: valid, claims filled (free with bkey_jwt_claims_free).
 * BKEY_JWT_UNKNOWN_KID: well-formed, but kid is not in ks (refetch JWKS once).
 * -1: rejected, BKEY_ERR_TOKEN with the reason in err.
 */
int bkey_jwt_verify(const char *token, const struct bkey_jwks *ks,
    const struct bkey_jwt_expect *want, struct bkey_jwt_claims *out,
    bkey_error *err);
void bkey_jwt_claims_free(struct bkey_jwt_claims *c);

#endif
