/* SPDX-License-Identifier: ISC */
/*
 * RSA and ECDSA for JWS through OpenSSL's EVP interface: no big-number or
 * curve arithmetic of our own. Keys are built from their JWK members with
 * EVP_PKEY_fromdata (which refuses an EC point off the curve) and checked
 * before they are ever used.
 */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include "config.h"
#include "jws_ossl.h"

#define EC_MAX_COORD 48

/*
 * Build an EVP_PKEY of type name from params. An EC key is then checked
 * (point on the curve, not at infinity); an RSA key is not: OpenSSL's
 * check (SP 800-56B: n composite) costs milliseconds, and what matters,
 * size, n odd and e, is checked before. 0 / -1.
 */
static int
key_from_params(const char *name, OSSL_PARAM_BLD *bld, void **out)
{
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL, *chk = NULL;
	EVP_PKEY *pkey = NULL;
	int ret = -1;

	*out = NULL;
	if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, name, NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		goto out;
	if (strcmp(name, "EC") == 0 &&
	    ((chk = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) == NULL ||
		EVP_PKEY_public_check_quick(chk) != 1))
		goto out;
	*out = pkey;
	pkey = NULL;
	ret = 0;
out:
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(chk);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return ret;
}

int
bkey_jws_ec_key(const unsigned char *x, const unsigned char *y, size_t clen,
    void **out)
{
	unsigned char pt[1 + 2 * EC_MAX_COORD];
	OSSL_PARAM_BLD *bld = NULL;
	const char *group;
	int ret = -1;

	*out = NULL;
	if (clen == 32)
		group = "P-256";
	else if (clen == 48)
		group = "P-384";
	else
		return -1;
	/* SEC 1 uncompressed point: 0x04 || x || y. */
	pt[0] = 0x04;
	memcpy(pt + 1, x, clen);
	memcpy(pt + 1 + clen, y, clen);
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
		group, 0) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt,
		1 + 2 * clen) != 1)
		goto out;
	ret = key_from_params("EC", bld, out);
out:
	OSSL_PARAM_BLD_free(bld);
	return ret;
}

/* e as a number: odd, 3 .. 2^32-1 (a huge e only costs verify time). */
static int
rsa_e_ok(const unsigned char *e, size_t elen)
{
	unsigned long v = 0;
	size_t i = 0;

	while (i < elen && e[i] == 0)
		i++;
	if (elen - i > 4)
		return 0;
	for (; i < elen; i++)
		v = (v << 8) | e[i];
	return v >= 3 && (v & 1) == 1;
}

int
bkey_jws_rsa_key(const unsigned char *n, size_t nlen, const unsigned char *e,
    size_t elen, void **out)
{
	OSSL_PARAM_BLD *bld = NULL;
	BIGNUM *bn = NULL, *be = NULL;
	int bits, ret = -1;

	*out = NULL;
	if (n == NULL || e == NULL || !rsa_e_ok(e, elen))
		return -1;
	if ((bn = BN_bin2bn(n, (int)nlen, NULL)) == NULL ||
	    (be = BN_bin2bn(e, (int)elen, NULL)) == NULL)
		goto out;
	bits = BN_num_bits(bn);
	if (bits < BKEY_RSA_MIN_BITS || bits > BKEY_RSA_MAX_BITS ||
	    !BN_is_odd(bn))
		goto out;
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) != 1)
		goto out;
	ret = key_from_params("RSA", bld, out);
out:
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn);
	BN_free(be);
	return ret;
}

void
bkey_jws_key_free(void *key)
{
	EVP_PKEY_free(key);
}

/*
 * JWS R||S (RFC 7518 3.4) to the DER ECDSA-Sig-Value the verifier takes.
 * *der from OPENSSL_malloc. 0 / -1.
 */
static int
ecdsa_der(const unsigned char *sig, size_t half, unsigned char **der,
    int *derlen)
{
	ECDSA_SIG *es = NULL;
	BIGNUM *r = NULL, *s = NULL;
	int ret = -1;

	*der = NULL;
	if ((r = BN_bin2bn(sig, (int)half, NULL)) == NULL ||
	    (s = BN_bin2bn(sig + half, (int)half, NULL)) == NULL ||
	    (es = ECDSA_SIG_new()) == NULL || ECDSA_SIG_set0(es, r, s) != 1)
		goto out;
	r = s = NULL; /* owned by es now */
	if ((*derlen = i2d_ECDSA_SIG(es, der)) <= 0) {
		*der = NULL;
		goto out;
	}
	ret = 0;
out:
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	return ret;
}

/* What alg asks of the key: digest, key type, size. 0 / -1. */
static int
alg_params(unsigned alg, const EVP_PKEY *pkey, size_t slen, const char **md)
{
	int bits = EVP_PKEY_get_bits(pkey);

	switch (alg) {
	case BKEY_ALG_ES256:
	case BKEY_ALG_ES384:
		*md = alg == BKEY_ALG_ES256 ? "SHA256" : "SHA384";
		if (!EVP_PKEY_is_a(pkey, "EC") ||
		    bits != (alg == BKEY_ALG_ES256 ? 256 : 384))
			return -1;
		return slen == 2 * (size_t)((bits + 7) / 8) ? 0 : -1;
	case BKEY_ALG_RS256:
	case BKEY_ALG_PS256:
		*md = "SHA256";
		if (!EVP_PKEY_is_a(pkey, "RSA"))
			return -1;
		return slen == (size_t)EVP_PKEY_get_size(pkey) ? 0 : -1;
	default:
		return -1;
	}
}

int
bkey_jws_verify(unsigned alg, void *key, const unsigned char *msg, size_t mlen,
    const unsigned char *sig, size_t slen)
{
	EVP_MD_CTX *mctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char *der = NULL;
	const unsigned char *vsig = sig;
	const char *md = NULL;
	size_t vlen = slen;
	int derlen = 0, ret = -1;

	if (key == NULL || sig == NULL || alg_params(alg, key, slen, &md) != 0)
		return -1;
	if (alg == BKEY_ALG_ES256 || alg == BKEY_ALG_ES384) {
		if (ecdsa_der(sig, slen / 2, &der, &derlen) != 0)
			goto out;
		vsig = der;
		vlen = (size_t)derlen;
	}
	if ((mctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit_ex(mctx, &pctx, md, NULL, NULL, key, NULL) !=
		1)
		goto out;
	/* PS256: PSS, MGF1 with SHA-256, salt as long as the hash. */
	if (alg == BKEY_ALG_PS256 &&
	    (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
		EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, "SHA256", NULL) != 1 ||
		EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx,
		    RSA_PSS_SALTLEN_DIGEST) != 1))
		goto out;
	if (alg == BKEY_ALG_RS256 &&
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1)
		goto out;
	if (EVP_DigestVerify(mctx, vsig, vlen, msg, mlen) == 1)
		ret = 0;
out:
	EVP_MD_CTX_free(mctx); /* frees pctx too */
	OPENSSL_free(der);
	return ret;
}
