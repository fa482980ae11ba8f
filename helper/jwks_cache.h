/* SPDX-License-Identifier: ISC */
/*
 * The issuer's JWKS, cached in STATE_DIR/helper/jwks-HASH.json (the
 * network side's directory, workdir.h), where HASH is a hash of the
 * jwks_uri: configurations that share a state_dir never trust each
 * other's keys. A cached copy is used when the directory and the file
 * are owned by us (or root) and not group/world writable, the file is a
 * regular file younger than an hour, and it parses; otherwise it is
 * fetched. An unknown kid allows one refetch per run. Fetched sets are
 * written back atomically (temp file + rename, mode 0644) into a checked
 * state_dir; failing to write the cache is not an error.
 */
#ifndef BKEY_JWKS_CACHE_H
#define BKEY_JWKS_CACHE_H

#include <time.h>
#include "buf.h"
#include "jwks.h"
#include "result.h"

#define BKEY_JWKS_CACHE_MAX_AGE 3600   /* seconds */
#define BKEY_JWKS_CACHE_PREFIX "jwks-" /* + hex hash of the URL + ".json" */

/* GET url into body (caller frees with bkey_buf_free). 0 / -1 with err. */
typedef int (*bkey_jwks_fetch_fn)(void *ctx, const char *url, bkey_buf *body,
    bkey_error *err);

struct bkey_jwks_cache {
	const char *state_dir;
	const char *url;
	bkey_jwks_fetch_fn fetch;
	void *fetch_ctx;
	unsigned algs; /* token_algs; 0 (init) = EdDSA */
	struct bkey_jwks ks;
	int have;    /* ks holds a set */
	int fetched; /* ks came from the network this run */
};

void bkey_jwks_cache_init(struct bkey_jwks_cache *jc, const char *state_dir,
    const char *url, bkey_jwks_fetch_fn fetch, void *fetch_ctx);
void bkey_jwks_cache_free(struct bkey_jwks_cache *jc);

/* The current key set: in memory, from the cache file, or fetched. */
int bkey_jwks_cache_get(struct bkey_jwks_cache *jc, const struct bkey_jwks **ks,
    bkey_error *err);

/*
 * A token named a kid the set lacks: fetch once per run. 0 with *ks
 * replaced by a freshly fetched set; 1 when it was already fetched this
 * run (nothing new to try); -1 on error.
 */
int bkey_jwks_cache_refresh(struct bkey_jwks_cache *jc,
    const struct bkey_jwks **ks, bkey_error *err);

#endif
