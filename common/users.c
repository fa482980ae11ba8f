/* SPDX-License-Identifier: ISC */
/*
 * The users file: "unixname did [phone-key]" per line. The whole file is validated on
 * every lookup, so a broken line is reported even when the user asked for
 * sits above it.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "fileperm.h"
#include "lines.h"
#include "users.h"

struct entry {
	const char *name, *did, *key; /* key NULL: the line has none */
	unsigned long line;
};

static int
entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int r = strcmp(x->name, y->name);

	if (r != 0)
		return r;
	return x->line < y->line ? -1 : x->line > y->line;
}

static int
entry_did_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int r = strcmp(x->did, y->did);

	if (r != 0)
		return r;
	return x->line < y->line ? -1 : x->line > y->line;
}

static int
is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\f' ||
	    ch == '\v';
}

/* Split line into at most max whitespace-separated fields; returns the
 * number found (max + 1 if there are more). */
static int
split(char *line, char **f, int max)
{
	int n = 0;
	char *p = line;

	for (;;) {
		while (is_space(*p))
			p++;
		if (*p == '\0')
			return n;
		if (n == max)
			return n + 1;
		f[n++] = p;
		while (*p != '\0' && !is_space(*p))
			p++;
		if (*p != '\0')
			*p++ = '\0';
	}
}

int
bkey_users_key_decode(const char *b64, size_t len, unsigned char pk[32])
{
	size_t n = 0;

	/* 44 characters with padding: one spelling per key. */
	if (len != sodium_base64_ENCODED_LEN(32,
		       sodium_base64_VARIANT_ORIGINAL) - 1 ||
	    sodium_base642bin(pk, 32, b64, len, NULL, &n, NULL,
		sodium_base64_VARIANT_ORIGINAL) != 0 || n != 32)
		return -1;
	return 0;
}

int
bkey_users_parse_entry(char *line, const char *path, unsigned long ln,
    char **name, char **did, char **key, bkey_error *err)
{
	unsigned char pk[32];
	char *hash, *fld[3];
	int r;

	/* No field can hold '#', so it always starts a comment. */
	if ((hash = strchr(line, '#')) != NULL)
		*hash = '\0';
	r = split(line, fld, 3);
	if (r == 0)
		return 0;
	if (r != 2 && r != 3)
		return bkey_seterr(err, BKEY_ERR_CONFIG,
		    "%s:%lu: expected \"unixname did [phone-key]\"", path, ln);
	if (!bkey_username_valid(fld[0]))
		return bkey_seterr(err, BKEY_ERR_CONFIG,
		    "%s:%lu: invalid user name \"%.40s\"", path, ln, fld[0]);
	if (!bkey_did_valid(fld[1]))
		return bkey_seterr(err, BKEY_ERR_CONFIG,
		    "%s:%lu: invalid DID \"%.80s\"", path, ln, fld[1]);
	if (r == 3 && bkey_users_key_decode(fld[2], strlen(fld[2]), pk) != 0)
		return bkey_seterr(err, BKEY_ERR_CONFIG,
		    "%s:%lu: invalid phone key (want standard base64 of 32 "
		    "bytes)", path, ln);
	*name = fld[0];
	*did = fld[1];
	if (key != NULL)
		*key = r == 3 ? fld[2] : NULL;
	return 1;
}

int
bkey_users_parse_line(char *line, const char *path, unsigned long ln,
    char **name, char **did, bkey_error *err)
{
	return bkey_users_parse_entry(line, path, ln, name, did, NULL, err);
}

/* A line problem: the end of the scan, or one report among others. */
static int
problem(bkey_users_report_fn report, void *ctx, size_t *nprob,
    bkey_error *err)
{
	if (report == NULL || err->code == BKEY_ERR_INTERNAL)
		return -1;
	report(ctx, err);
	(*nprob)++;
	memset(err, 0, sizeof(*err));
	return 0;
}

static int
add_entry(struct entry **ents, size_t *nent, size_t *capent,
    const char *name, const char *did, const char *key, unsigned long ln,
    bkey_error *err)
{
	struct entry *nents;

	if (*nent == *capent) {
		size_t ncap = *capent ? *capent * 2 : 32;

		nents = realloc(*ents, ncap * sizeof(**ents));
		if (nents == NULL)
			return bkey_seterr(err, BKEY_ERR_INTERNAL,
			    "out of memory");
		*ents = nents;
		*capent = ncap;
	}
	(*ents)[*nent].name = name;
	(*ents)[*nent].did = did;
	(*ents)[*nent].key = key;
	(*ents)[*nent].line = ln;
	(*nent)++;
	return 0;
}

static int
check_duplicates(struct entry *ents, size_t nent, const char *path,
    bkey_users_report_fn report, void *ctx, size_t *nprob, bkey_error *err)
{
	size_t i, first = 0;

	if (nent < 2)
		return 0;
	qsort(ents, nent, sizeof(*ents), entry_cmp);
	for (i = 1; i < nent; i++) {
		if (strcmp(ents[first].name, ents[i].name) != 0) {
			first = i;
			continue;
		}
		bkey_seterr(err, BKEY_ERR_CONFIG, "%s:%lu: duplicate user "
		    "\"%s\" (first on line %lu)", path, ents[i].line,
		    ents[i].name, ents[first].line);
		if (problem(report, ctx, nprob, err) != 0)
			return -1;
	}
	return 0;
}

/*
 * bkey-admin check only: two lines giving one DID different phone keys.
 * A vault access for that DID refuses them at run time (one phone, one
 * key); approvals do not care, so a lookup does not fail on it.
 */
static int
check_keys(struct entry *ents, size_t nent, const char *path,
    bkey_users_report_fn report, void *ctx, size_t *nprob, bkey_error *err)
{
	size_t i, keyed = 0;
	int have = 0;

	if (report == NULL || nent < 2)
		return 0;
	qsort(ents, nent, sizeof(*ents), entry_did_cmp);
	for (i = 0; i < nent; i++) {
		if (i > 0 && strcmp(ents[i - 1].did, ents[i].did) != 0)
			have = 0;
		if (ents[i].key == NULL)
			continue;
		if (!have) {
			keyed = i;
			have = 1;
			continue;
		}
		if (strcmp(ents[keyed].key, ents[i].key) == 0)
			continue;
		bkey_seterr(err, BKEY_ERR_CONFIG,
		    "%s:%lu: another phone key for %s than on line %lu", path,
		    ents[i].line, ents[i].did, ents[keyed].line);
		if (problem(report, ctx, nprob, err) != 0)
			return -1;
	}
	return 0;
}

/* What a lookup wants: user's line, or the key of the lines naming did.
 * found and key point into the file's buffer until scan copies them. */
struct query {
	const char *user, *did;
	const char *found, *key;
	unsigned long key_line;
};

/* One valid line against q. 0, or -1 (did has two keys) with err. */
static int
match(struct query *q, const char *path, unsigned long ln, const char *name,
    const char *d, const char *k, bkey_error *err)
{
	if (q->user != NULL) {
		if (q->found == NULL && strcmp(name, q->user) == 0) {
			q->found = d;
			q->key = k;
		}
		return 0;
	}
	if (q->did == NULL || k == NULL || strcmp(d, q->did) != 0)
		return 0;
	if (q->key == NULL) {
		q->found = d;
		q->key = k;
		q->key_line = ln;
		return 0;
	}
	/* Two phones for one DID: neither can be the only one. */
	if (strcmp(q->key, k) != 0)
		return bkey_seterr(err, BKEY_ERR_CONFIG, "%s:%lu: another "
		    "phone key for %s than on line %lu", path, ln, q->did,
		    q->key_line);
	return 0;
}

/*
 * Every line of the file. Without report the first problem ends it (-1);
 * with report each line problem goes there and the scan goes on (*nprob
 * counts them). 0 with what q found copied into *did and *key (when
 * not NULL), or -1 (a whole-file problem, or no memory).
 */
static int
scan(const char *path, struct query *q, char **did, char **key,
    bkey_users_report_fn report, void *ctx, size_t *nprob, bkey_error *err)
{
	struct bkey_lines lines;
	struct entry *ents = NULL;
	size_t nent = 0, capent = 0;
	char *buf = NULL, *line, *name = NULL, *d = NULL, *k = NULL;
	size_t len = 0;
	FILE *f = NULL;
	int r, rc = -1;

	if ((f = bkey_open_checked(path, 0, err)) == NULL)
		goto out;
	if ((buf = bkey_read_all(f, path, BKEY_FILE_MAX, &len, err)) == NULL)
		goto out;
	bkey_lines_init(&lines, buf, len, path);
	for (;;) {
		r = bkey_lines_next(&lines, &line, err);
		if (r == 0)
			break;
		if (r == 1)
			r = bkey_users_parse_entry(line, path, lines.lineno,
			    &name, &d, &k, err);
		if (r == 1 && match(q, path, lines.lineno, name, d, k,
		    err) != 0)
			r = -1;
		if (r < 0) {
			if (problem(report, ctx, nprob, err) != 0)
				goto out;
			/* Past a too long line the lines are not known. */
			if (line == NULL)
				break;
			continue;
		}
		if (r == 0)
			continue;
		if (add_entry(&ents, &nent, &capent, name, d, k, lines.lineno,
		    err) != 0)
			goto out;
	}
	if (check_duplicates(ents, nent, path, report, ctx, nprob, err) != 0 ||
	    check_keys(ents, nent, path, report, ctx, nprob, err) != 0)
		goto out;
	rc = 0;
	if ((q->found != NULL && did != NULL &&
	    (*did = strdup(q->found)) == NULL) ||
	    (q->key != NULL && (*key = strdup(q->key)) == NULL))
		rc = bkey_seterr(err, BKEY_ERR_INTERNAL, "out of memory");
out:
	free(ents);
	if (buf != NULL) {
		sodium_memzero(buf, len);
		free(buf);
	}
	if (f != NULL)
		fclose(f);
	return rc;
}

int
bkey_users_lookup_key(const char *path, const char *user, char **did,
    char **key, bkey_error *err)
{
	struct query q = { user, NULL, NULL, NULL, 0 };
	size_t nprob = 0;

	*did = NULL;
	*key = NULL;
	if (scan(path, &q, did, key, NULL, NULL, &nprob, err) == 0)
		return *did != NULL ? 0 : 1;
	free(*did);
	free(*key);
	*did = NULL;
	*key = NULL;
	return -1;
}

int
bkey_users_did_key(const char *path, const char *did, char **key,
    bkey_error *err)
{
	struct query q = { NULL, did, NULL, NULL, 0 };
	size_t nprob = 0;

	*key = NULL;
	if (scan(path, &q, NULL, key, NULL, NULL, &nprob, err) == 0)
		return *key != NULL ? 0 : 1;
	free(*key);
	*key = NULL;
	return -1;
}

int
bkey_users_lookup(const char *path, const char *user, char **did,
    bkey_error *err)
{
	char *key = NULL;
	int r = bkey_users_lookup_key(path, user, did, &key, err);

	free(key);
	return r;
}

int
bkey_users_check(const char *path, bkey_users_report_fn report, void *ctx,
    bkey_error *err)
{
	struct query q = { NULL, NULL, NULL, NULL, 0 };
	size_t nprob = 0;
	char *did = NULL, *key = NULL;
	int rc;

	rc = scan(path, &q, &did, &key, report, ctx, &nprob, err);
	free(did);
	free(key);
	if (rc != 0)
		return -1;
	return nprob > 0;
}
