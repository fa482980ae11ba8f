/* SPDX-License-Identifier: ISC */
/* Unit tests: user and group look-ups (common/account.c). */
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/types.h>

#include "account.h"
#include "unit.h"

static void
user_root_found(void)
{
	uid_t uid = 99;
	gid_t gid = 99;

	CHECK(bkey_account_user("root", &uid, &gid) == 0);
	CHECK(uid == 0 && gid == 0);
	CHECK(bkey_account_user("root", NULL, NULL) == 0);
}

static void
user_missing_is_not_error(void)
{
	uid_t uid = 99;

	CHECK(bkey_account_user("bkey-no-such-user-x", &uid, NULL) == 1);
	CHECK(uid == 99);
}

static void
group_found_and_missing(void)
{
	gid_t gid = 99;

	CHECK(bkey_account_group("root", &gid) == 0 && gid == 0);
	CHECK(bkey_account_group("bkey-no-such-group-x", &gid) == 1);
}

static void
groups_include_primary(void)
{
	gid_t *list = NULL;
	int n = -1, i, seen = 0;

	CHECK(bkey_account_groups("root", 0, &list, &n) == 0);
	CHECK(list != NULL && n >= 1);
	for (i = 0; list != NULL && i < n; i++)
		seen |= list[i] == 0;
	CHECK(seen);
	free(list);
	/* An unknown user still has the base group. */
	CHECK(bkey_account_groups("bkey-no-such-user-x", 4242, &list, &n) == 0);
	CHECK(n == 1 && list != NULL && list[0] == 4242);
	free(list);
}

int
main(void)
{
	unit_suite = "account";
	RUN(user_root_found);
	RUN(user_missing_is_not_error);
	RUN(group_found_and_missing);
	RUN(groups_include_primary);
	UNIT_DONE();
}
