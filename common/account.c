/* SPDX-License-Identifier: ISC */
/* User and group database look-ups (see account.h). */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "account.h"

#define LOOKUP_BUF_MAX (1024 * 1024)

/* Starting size for the reentrant calls' string buffer. */
static size_t
initial_size(int which)
{
	long sz = sysconf(which);

	return sz < 1024 ? 1024 : (size_t)sz;
}

/*
 * The *_r calls return 0 with a NULL result for "not found", but glibc
 * also reports ENOENT, ESRCH, EBADF or EPERM for a missing entry with some
 * NSS modules (getpwnam(3) NOTES): those count as "not found" too.
 */
static int
not_found(int r)
{
	return r == 0 || r == ENOENT || r == ESRCH || r == EBADF || r == EPERM;
}

/* getpwnam_r into *pw, its strings in *buf (the caller frees it):
 * 0 found, 1 no such user, -1 error. */
static int
get_user(const char *name, struct passwd *pw, char **buf)
{
	struct passwd *res = NULL;
	size_t sz = initial_size(_SC_GETPW_R_SIZE_MAX);
	char *nb;
	int r;

	*buf = NULL;
	for (;;) {
		if ((nb = realloc(*buf, sz)) == NULL)
			return -1;
		*buf = nb;
		r = getpwnam_r(name, pw, *buf, sz, &res);
		if (r != ERANGE || sz >= LOOKUP_BUF_MAX)
			break;
		sz *= 4;
	}
	if (res != NULL && r == 0)
		return 0;
	return not_found(r) ? 1 : -1;
}

int
bkey_account_user(const char *name, uid_t *uid, gid_t *gid)
{
	struct passwd pw;
	char *buf;
	int ret;

	ret = get_user(name, &pw, &buf);
	if (ret == 0) {
		if (uid != NULL)
			*uid = pw.pw_uid;
		if (gid != NULL)
			*gid = pw.pw_gid;
	}
	free(buf);
	return ret;
}

int
bkey_account_name(const char *user, char *dst, size_t dstsz)
{
	struct passwd pw;
	char *buf;
	size_t n;
	int ret;

	ret = get_user(user, &pw, &buf);
	if (ret == 0) {
		n = strlen(pw.pw_name);
		if (n < dstsz)
			memcpy(dst, pw.pw_name, n + 1);
		else
			ret = 1;
	}
	free(buf);
	return ret;
}

int
bkey_account_group(const char *name, gid_t *gid)
{
	struct group gr, *res = NULL;
	size_t sz = initial_size(_SC_GETGR_R_SIZE_MAX);
	char *buf = NULL, *nb;
	int r, ret = -1;

	for (;;) {
		if ((nb = realloc(buf, sz)) == NULL)
			goto out;
		buf = nb;
		r = getgrnam_r(name, &gr, buf, sz, &res);
		if (r != ERANGE || sz >= LOOKUP_BUF_MAX)
			break;
		sz *= 4;
	}
	if (res != NULL && r == 0) {
		if (gid != NULL)
			*gid = gr.gr_gid;
		ret = 0;
	} else if (not_found(r))
		ret = 1;
out:
	free(buf);
	return ret;
}

int
bkey_account_groups(const char *user, gid_t base, gid_t **list, int *n)
{
	gid_t *g = NULL, *ng;
	int cap = 32;

	*list = NULL;
	*n = 0;
	for (;;) {
		int cnt = cap;

		if ((ng = reallocarray(g, (size_t)cap, sizeof(*g))) == NULL)
			break;
		g = ng;
		if (getgrouplist(user, base, g, &cnt) >= 0) {
			*list = g;
			*n = cnt;
			return 0;
		}
		/* glibc sets cnt to the size needed; anything else is an error. */
		if (cnt <= cap || cnt > BKEY_GROUPS_MAX)
			break;
		cap = cnt;
	}
	free(g);
	return -1;
}
