/* SPDX-License-Identifier: ISC */
/* JWKS fetch and cache in the state directory (see jwks_cache.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "buf.h"
#include "ciba.h"
#include "fileperm.h"
#include "http.h"
#include "jwks.h"
#include "jwks_cache.h"
#include "result.h"
#include "workdir.h"

void
bkey_jwks_cache_init(struct bkey_jwks_cache *jc, const char *state_dir,
    const char *url, bkey_jwks_fetch_fn fetch, void *fetch_ctx)
{
	memset(jc, 0, sizeof(*jc));
	jc->state_dir = state_dir;
	jc->url = url;
	jc->fetch = fetch;
	jc->fetch_ctx = fetch_ctx;
}

void
bkey_jwks_cache_free(struct bkey_jwks_cache *jc)
{
	if (jc == NULL)
		return;
	if (jc->have)
		bkey_jwks_free(&jc->ks);
	jc->have = 0;
}

#define URL_HASH_LEN 16 /* bytes of BLAKE2b over the jwks_uri */
#define CACHE_NAME_MAX 64

/* "jwks-HEX.json": the cache belongs to one jwks_uri. */
static int
cache_name(const struct bkey_jwks_cache *jc, char *dst, size_t dstsz)
{
	unsigned char h[URL_HASH_LEN];
	char hex[URL_HASH_LEN * 2 + 1];
	int n;

	if (jc->url == NULL || sodium_init() < 0 ||
	    crypto_generichash(h, sizeof(h), (const unsigned char *)jc->url,
		strlen(jc->url), NULL, 0) != 0)
		return -1;
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	n = snprintf(dst, dstsz, "%s%s.json", BKEY_JWKS_CACHE_PREFIX, hex);
	return (n < 0 || (size_t)n >= dstsz) ? -1 : 0;
}

/*
 * The helper's own directory in state_dir (workdir.h), checked: anyone
 * else who can write there could plant keys. -1 (with a debug line)
 * otherwise.
 */
static int
open_state_dir(const struct bkey_jwks_cache *jc)
{
	bkey_error e;
	int fd;

	if (jc->state_dir == NULL || jc->state_dir[0] == '\0')
		return -1;
	memset(&e, 0, sizeof(e));
	if ((fd = bkey_workdir_open(jc->state_dir, geteuid(), &e)) < 0)
		bkey_ciba_debug("jwks cache not used: %s", e.detail);
	return fd;
}

/* Read the cache file if it is fresh and trustworthy; -1 otherwise. */
static int
read_cache(const struct bkey_jwks_cache *jc, bkey_buf *out)
{
	char name[CACHE_NAME_MAX], chunk[4096];
	struct stat st;
	time_t now = time(NULL);
	ssize_t n;
	int dfd, fd = -1, rc = -1;

	if (cache_name(jc, name, sizeof(name)) != 0 ||
	    (dfd = open_state_dir(jc)) < 0)
		return -1;
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd == -1)
		goto out;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    bkey_trust_broken(&st, geteuid(), 0) != BKEY_TRUST_OK ||
	    st.st_size <= 0 || st.st_size > BKEY_HTTP_BODY_MAX ||
	    st.st_mtime > now + 60 ||
	    now - st.st_mtime >= BKEY_JWKS_CACHE_MAX_AGE) {
		bkey_ciba_debug("jwks cache %s/" BKEY_WORKDIR
				"/%s not used (stale or not ours)",
		    jc->state_dir, name);
		goto out;
	}
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto out;
		if (n == 0)
			break;
		if (out->len + (size_t)n > BKEY_HTTP_BODY_MAX ||
		    bkey_buf_append(out, chunk, (size_t)n) != 0)
			goto out;
	}
	rc = out->len > 0 ? 0 : -1;
out:
	if (fd >= 0)
		(void)close(fd);
	(void)close(dfd);
	return rc;
}

/* Atomically replace the cache file; failures only cost a refetch later. */
static void
write_cache(const struct bkey_jwks_cache *jc, const bkey_buf *body)
{
	unsigned char rnd[8];
	char name[CACHE_NAME_MAX], tmp[CACHE_NAME_MAX + 32], hex[17];
	int dfd, fd = -1, n;

	if (cache_name(jc, name, sizeof(name)) != 0 ||
	    (dfd = open_state_dir(jc)) < 0)
		return;
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
	n = snprintf(tmp, sizeof(tmp), ".%s.%s", name, hex);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		goto out;
	fd = openat(dfd, tmp,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1) {
		bkey_ciba_debug("jwks cache: cannot create %s/" BKEY_WORKDIR
				"/%s: %s",
		    jc->state_dir, tmp, strerror(errno));
		goto out;
	}
	if (fchmod(fd, 0644) != 0 ||
	    bkey_write_all(fd, body->data, body->len) != 0 || fsync(fd) != 0) {
		bkey_ciba_debug("jwks cache: cannot write %s/" BKEY_WORKDIR
				"/%s: %s",
		    jc->state_dir, tmp, strerror(errno));
		goto drop;
	}
	n = close(fd);
	fd = -1;
	if (n != 0 || renameat(dfd, tmp, dfd, name) != 0) {
		bkey_ciba_debug("jwks cache: cannot install %s/" BKEY_WORKDIR
				"/%s: %s",
		    jc->state_dir, name, strerror(errno));
		goto drop;
	}
	goto out;
drop:
	(void)unlinkat(dfd, tmp, 0);
out:
	if (fd >= 0)
		(void)close(fd);
	(void)close(dfd);
}

static int
fetch_set(struct bkey_jwks_cache *jc, bkey_error *err)
{
	struct bkey_jwks ks;
	bkey_buf body;
	int rc = -1;

	memset(&ks, 0, sizeof(ks));
	bkey_buf_init(&body, BKEY_HTTP_BODY_MAX + 1);
	if (jc->fetch == NULL || jc->url == NULL) {
		bkey_seterr(err, BKEY_ERR_INTERNAL, "no way to fetch the JWKS");
		goto out;
	}
	if (jc->fetch(jc->fetch_ctx, jc->url, &body, err) != 0)
		goto out;
	if (body.data == NULL ||
	    bkey_jwks_parse_algs(&ks, body.data, body.len, jc->algs, err) !=
		0) {
		if (err != NULL && err->code != BKEY_ERR_PROTOCOL)
			err->code = BKEY_ERR_PROTOCOL;
		if (body.data == NULL)
			bkey_seterr(err, BKEY_ERR_PROTOCOL, "JWKS: empty");
		goto out;
	}
	if (jc->have)
		bkey_jwks_free(&jc->ks);
	jc->ks = ks;
	jc->have = 1;
	jc->fetched = 1;
	write_cache(jc, &body);
	rc = 0;
out:
	bkey_buf_free(&body);
	return rc;
}

int
bkey_jwks_cache_get(struct bkey_jwks_cache *jc, const struct bkey_jwks **ks,
    bkey_error *err)
{
	bkey_buf body;
	bkey_error ignored;

	if (!jc->have) {
		bkey_buf_init(&body, BKEY_HTTP_BODY_MAX + 1);
		memset(&ignored, 0, sizeof(ignored));
		if (read_cache(jc, &body) == 0 &&
		    bkey_jwks_parse_algs(&jc->ks, body.data, body.len, jc->algs,
			&ignored) == 0) {
			jc->have = 1;
			bkey_ciba_debug("jwks: using the cached set (%zu keys)",
			    jc->ks.n);
		}
		bkey_buf_free(&body);
	}
	if (!jc->have && fetch_set(jc, err) != 0)
		return -1;
	*ks = &jc->ks;
	return 0;
}

int
bkey_jwks_cache_refresh(struct bkey_jwks_cache *jc, const struct bkey_jwks **ks,
    bkey_error *err)
{
	if (jc->fetched) {
		*ks = jc->have ? &jc->ks : NULL;
		return 1;
	}
	bkey_ciba_debug("jwks: unknown kid, fetching the key set again");
	if (fetch_set(jc, err) != 0)
		return -1;
	*ks = &jc->ks;
	return 0;
}
