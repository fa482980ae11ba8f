/*
 * The users file: "unixname did" per line. The whole file is validated on
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
	const char *name;
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

/* One "unixname did" line split into r fields. 0 / -1. */
static int
check_line(int r, char *const *fld, const char *path, unsigned long ln,
    bkey_error *err)
{
	if (r != 2)
		return bkey_seterr(err, BKEY_ERR_CONFIG,
		    "%s:%lu: expected \"unixname did\"", path, ln);
	if (!bkey_username_valid(fld[0]))
		return bkey_seterr(err, BKEY_ERR_CONFIG,
		    "%s:%lu: invalid user name \"%.40s\"", path, ln, fld[0]);
	if (!bkey_did_valid(fld[1]))
		return bkey_seterr(err, BKEY_ERR_CONFIG,
		    "%s:%lu: invalid DID \"%.80s\"", path, ln, fld[1]);
	return 0;
}

/* No user on two lines (ents sorted here). 0 / -1. */
static int
check_unique(struct entry *ents, size_t nent, const char *path,
    bkey_error *err)
{
	size_t i;

	if (nent < 2)
		return 0;
	qsort(ents, nent, sizeof(*ents), entry_cmp);
	for (i = 1; i < nent; i++)
		if (strcmp(ents[i - 1].name, ents[i].name) == 0)
			return bkey_seterr(err, BKEY_ERR_CONFIG,
			    "%s:%lu: duplicate user \"%s\" (first on line "
			    "%lu)", path, ents[i].line, ents[i].name,
			    ents[i - 1].line);
	return 0;
}

int
bkey_users_lookup(const char *path, const char *user, char **did,
    bkey_error *err)
{
	struct bkey_lines lines;
	struct entry *ents = NULL, *nents;
	size_t nent = 0, capent = 0;
	const char *found = NULL;
	char *buf = NULL, *line, *hash, *fld[2];
	size_t len = 0;
	FILE *f = NULL;
	int r, rc = -1;

	*did = NULL;
	if ((f = bkey_open_checked(path, 0, err)) == NULL)
		goto out;
	if ((buf = bkey_read_all(f, path, BKEY_FILE_MAX, &len, err)) == NULL)
		goto out;
	bkey_lines_init(&lines, buf, len, path);
	while ((r = bkey_lines_next(&lines, &line, err)) == 1) {
		unsigned long ln = lines.lineno;

		/* Neither field can hold '#', so it always starts a comment. */
		if ((hash = strchr(line, '#')) != NULL)
			*hash = '\0';
		r = split(line, fld, 2);
		if (r == 0)
			continue;
		if (check_line(r, fld, path, ln, err) != 0)
			goto out;
		if (nent == capent) {
			size_t ncap = capent ? capent * 2 : 32;

			nents = realloc(ents, ncap * sizeof(*ents));
			if (nents == NULL) {
				bkey_seterr(err, BKEY_ERR_INTERNAL,
				    "out of memory");
				goto out;
			}
			ents = nents;
			capent = ncap;
		}
		ents[nent].name = fld[0];
		ents[nent].line = ln;
		nent++;
		if (found == NULL && user != NULL && strcmp(fld[0], user) == 0)
			found = fld[1];
	}
	if (r != 0 || check_unique(ents, nent, path, err) != 0)
		goto out;
	if (found == NULL) {
		rc = 1;
		goto out;
	}
	if ((*did = strdup(found)) == NULL) {
		bkey_seterr(err, BKEY_ERR_INTERNAL, "out of memory");
		goto out;
	}
	rc = 0;
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
