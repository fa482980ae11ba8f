/* SPDX-License-Identifier: ISC */
/*
 * Unit tests: the two trust rules (common/fileperm.c) every trusted file
 * and directory is held to, and the account name look-up (account.c).
 */
#include <sys/stat.h>
#include <unistd.h>

#include "account.h"
#include "fileperm.h"
#include "unit.h"

static struct stat
st_of(mode_t mode, uid_t uid)
{
	struct stat st;

	memset(&st, 0, sizeof(st));
	st.st_mode = mode;
	st.st_uid = uid;
	return st;
}

static void
trust_writers_rule(void)
{
	struct stat st = st_of(S_IFREG | 0644, 0);

	CHECK(bkey_trust_broken(&st, 1000, 0) == BKEY_TRUST_OK);
	st = st_of(S_IFREG | 0664, 0);
	CHECK(bkey_trust_broken(&st, 1000, 0) == BKEY_TRUST_WRITERS);
	st = st_of(S_IFREG | 0646, 0);
	CHECK(bkey_trust_broken(&st, 1000, 0) == BKEY_TRUST_WRITERS);
	/* Writable by others and owned by another: writers is named first. */
	st = st_of(S_IFREG | 0666, 4242);
	CHECK(bkey_trust_broken(&st, 1000, 0) == BKEY_TRUST_WRITERS);
}

static void
trust_sticky_directories(void)
{
	struct stat st = st_of(S_IFDIR | 01777, 0);

	CHECK(bkey_trust_broken(&st, 0, BKEY_TRUST_STICKY_OK) ==
	    BKEY_TRUST_OK);
	CHECK(bkey_trust_broken(&st, 0, 0) == BKEY_TRUST_WRITERS);
	/* Sticky counts for directories only. */
	st = st_of(S_IFREG | 01777, 0);
	CHECK(bkey_trust_broken(&st, 0, BKEY_TRUST_STICKY_OK) ==
	    BKEY_TRUST_WRITERS);
	st = st_of(S_IFDIR | 0777, 0);
	CHECK(bkey_trust_broken(&st, 0, BKEY_TRUST_STICKY_OK) ==
	    BKEY_TRUST_WRITERS);
}

static void
trust_owner_rule(void)
{
	struct stat st = st_of(S_IFREG | 0600, 1000);

	CHECK(bkey_trust_broken(&st, 1000, 0) == BKEY_TRUST_OK);
	CHECK(bkey_trust_broken(&st, 1001, 0) == BKEY_TRUST_OWNER);
	CHECK(bkey_trust_broken(&st, 0, 0) == BKEY_TRUST_OWNER);
	st = st_of(S_IFDIR | 0755, 0);
	CHECK(bkey_trust_broken(&st, 1001, 0) == BKEY_TRUST_OK);
}

static void
account_name_found_missing_and_short(void)
{
	char name[64], tiny[4];

	memset(name, 'x', sizeof(name));
	CHECK(bkey_account_name("root", name, sizeof(name)) == 0);
	CHECK_STR(name, "root");
	CHECK(bkey_account_name("bkey-no-such-user-x", name,
	    sizeof(name)) == 1);
	/* "root" and its NUL need 5 bytes: a name that does not fit. */
	CHECK(bkey_account_name("root", tiny, sizeof(tiny)) == 1);
}

int
main(void)
{
	unit_suite = "fileperm";
	RUN(trust_writers_rule);
	RUN(trust_sticky_directories);
	RUN(trust_owner_rule);
	RUN(account_name_found_missing_and_short);
	UNIT_DONE();
}
