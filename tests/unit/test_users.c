/* SPDX-License-Identifier: ISC */
/* Unit tests: the users file (common/users.c). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "users.h"

/* A valid phone key: base64 of 32 bytes. */
#define KEY_A "3q2+7wABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhs="

static char dir[64];
static char path[128];
static char expect[512];

static void
write_users(const char *data, size_t len, mode_t mode)
{
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len ||
	    fchmod(fd, mode) != 0 || close(fd) != 0) {
		perror(path);
		exit(2);
	}
}

static int
lookup(const char *content, const char *user, char **did, bkey_error *e)
{
	write_users(content, strlen(content), 0644);
	memset(e, 0, sizeof(*e));
	return bkey_users_lookup(path, user, did, e);
}

/* content must be refused for any user, with "PATH" + suffix. */
static int
refused(const char *content, const char *suffix)
{
	char *did = NULL;
	bkey_error e;
	int r;

	r = lookup(content, "alice", &did, &e);
	snprintf(expect, sizeof(expect), "%s%s", path, suffix);
	if (r != -1 || did != NULL || e.code != BKEY_ERR_CONFIG ||
	    strcmp(e.detail, expect) != 0) {
		printf("# r=%d got \"%s\", want \"%s\"\n", r, e.detail, expect);
		free(did);
		return 0;
	}
	return 1;
}

static void
test_found(void)
{
	char *did = NULL;
	bkey_error e;

	CHECK(lookup("# users\n\n  alice   did:bkey:alice  \n"
	    "bob\tdid:bkey:Bob.x_1-2:%41 # trailing comment\n"
	    "machine$ did:web:example.com\n", "bob", &did, &e) == 0);
	CHECK_STR(did, "did:bkey:Bob.x_1-2:%41");
	free(did);
	did = NULL;
	CHECK(lookup("alice did:bkey:alice\n", "alice", &did, &e) == 0);
	CHECK_STR(did, "did:bkey:alice");
	free(did);
	did = NULL;
	/* no final newline */
	CHECK(lookup("machine$ did:web:example.com", "machine$", &did,
	    &e) == 0);
	CHECK_STR(did, "did:web:example.com");
	free(did);
}

static void
test_not_found(void)
{
	char *did = NULL;
	bkey_error e;

	CHECK(lookup("alice did:bkey:alice\n", "carol", &did, &e) == 1);
	CHECK(did == NULL);
	CHECK(lookup("alice did:bkey:alice\n", "Alice", &did, &e) == 1);
	CHECK(lookup("alice did:bkey:alice\n", "alic", &did, &e) == 1);
	CHECK(lookup("", "alice", &did, &e) == 1);
	CHECK(lookup("# nobody\n", "alice", &did, &e) == 1);
	CHECK(did == NULL);
}

static void
test_bad_lines(void)
{
	CHECK(refused("alice\n",
	    ":1: expected \"unixname did [phone-key]\""));
	CHECK(refused("# x\nalice did:bkey:a " KEY_A " extra\n",
	    ":2: expected \"unixname did [phone-key]\""));
	CHECK(refused("-alice did:bkey:a\n",
	    ":1: invalid user name \"-alice\""));
	CHECK(refused("al/ice did:bkey:a\n",
	    ":1: invalid user name \"al/ice\""));
	CHECK(refused("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa did:bkey:a\n",
	    ":1: invalid user name \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\""));
	CHECK(refused("alice did:bkey:\n", ":1: invalid DID \"did:bkey:\""));
	CHECK(refused("alice DID:bkey:a\n", ":1: invalid DID \"DID:bkey:a\""));
	CHECK(refused("alice did:BKEY:a\n", ":1: invalid DID \"did:BKEY:a\""));
	CHECK(refused("alice did:bkey:a/b\n",
	    ":1: invalid DID \"did:bkey:a/b\""));
	/* the user asked for appears before the broken line: still refused */
	CHECK(refused("alice did:bkey:alice\nbob did:bkey:b:\x1b[2J\n",
	    ":2: invalid DID \"did:bkey:b:\""));
}

/* The optional third field: the phone's X25519 key for vault accesses. */
static void
test_phone_key(void)
{
	char *did = NULL, *key = NULL;
	bkey_error e;

	write_users("bob did:bkey:b\nalice did:bkey:a  " KEY_A "  # pinned\n",
	    sizeof("bob did:bkey:b\nalice did:bkey:a  " KEY_A "  # pinned\n") -
		1,
	    0644);
	memset(&e, 0, sizeof(e));
	CHECK(bkey_users_lookup_key(path, "alice", &did, &key, &e) == 0);
	CHECK(did != NULL && strcmp(did, "did:bkey:a") == 0);
	CHECK(key != NULL && strcmp(key, KEY_A) == 0);
	free(did);
	free(key);
	CHECK(bkey_users_lookup_key(path, "bob", &did, &key, &e) == 0);
	CHECK(did != NULL && key == NULL);
	free(did);
	/* The old lookup still works on a file with keys. */
	CHECK(bkey_users_lookup(path, "alice", &did, &e) == 0);
	free(did);
}

static void
test_bad_phone_key(void)
{
	static const char *bad[] = {
		"alice did:bkey:a extra\n",
		/* 31 and 33 bytes */
		"alice did:bkey:a AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\n",
		"alice did:bkey:a AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
		/* no padding, URL-safe alphabet */
		"alice did:bkey:a AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
		"alice did:bkey:a ____________________________________________\n",
		"alice did:bkey:a AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA-A=\n",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		printf("# %s", bad[i]);
		CHECK(refused(bad[i], ":1: invalid phone key (want standard "
				      "base64 of 32 bytes)"));
	}
	/* another user's bad key is still the file's error */
	CHECK(refused("bob did:bkey:b AAAA\nalice did:bkey:a\n",
	    ":1: invalid phone key (want standard base64 of 32 bytes)"));
}

/* A DID's key (bkey-approve --did --vault): from any line naming it;
 * lines without a key add nothing; two different keys are refused. */
static int
did_key(const char *content, const char *did, char **key, bkey_error *e)
{
	write_users(content, strlen(content), 0644);
	memset(e, 0, sizeof(*e));
	*key = NULL;
	return bkey_users_did_key(path, did, key, e);
}

#define KEY_B "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

static void
test_did_key(void)
{
	char *key = NULL;
	bkey_error e;

	CHECK(did_key("alice did:bkey:a\nops did:bkey:a " KEY_A "\n",
	    "did:bkey:a", &key, &e) == 0);
	CHECK_STR(key, KEY_A);
	free(key);
	CHECK(did_key("alice did:bkey:a " KEY_A "\nops did:bkey:a " KEY_A
	    "\n", "did:bkey:a", &key, &e) == 0);
	CHECK_STR(key, KEY_A);
	free(key);
	/* no key for it, or not named at all: none configured */
	CHECK(did_key("alice did:bkey:a\nbob did:bkey:b " KEY_A "\n",
	    "did:bkey:a", &key, &e) == 1 && key == NULL);
	CHECK(did_key("bob did:bkey:b " KEY_A "\n", "did:bkey:a", &key,
	    &e) == 1 && key == NULL);
	/* a user name is not a DID */
	CHECK(did_key("bob did:bkey:b " KEY_A "\n", "bob", &key, &e) == 1);
	CHECK(did_key("alice did:bkey:a " KEY_A "\n\nops did:bkey:a " KEY_B
	    "\n", "did:bkey:a", &key, &e) == -1 && key == NULL);
	snprintf(expect, sizeof(expect), "%s:3: another phone key for "
	    "did:bkey:a than on line 1", path);
	CHECK_STR(e.detail, expect);
	CHECK(e.code == BKEY_ERR_CONFIG);
	/* a bad line anywhere is still the file's error */
	CHECK(did_key("alice did:bkey:a " KEY_A "\nbob did:bkey:b x\n",
	    "did:bkey:a", &key, &e) == -1 && key == NULL);
}

static void
test_duplicate(void)
{
	CHECK(refused("alice did:bkey:a\nbob did:bkey:b\n\nalice did:bkey:c\n",
	    ":4: duplicate user \"alice\" (first on line 1)"));
	CHECK(refused("zed did:bkey:z\nbob did:bkey:b\nzed did:bkey:z\n",
	    ":3: duplicate user \"zed\" (first on line 1)"));
}

static void
test_long_and_nul(void)
{
	static const char nul[] = "alice did:bkey:a\nbob did:bkey:\0b\n";
	char *buf, *did = NULL;
	bkey_error e;
	size_t n = 5000;

	buf = malloc(n + 1);
	CHECK(buf != NULL);
	if (buf == NULL)
		return;
	memset(buf, ' ', n);
	memcpy(buf, "alice did:bkey:a", 16);
	buf[n - 1] = '\n';
	buf[n] = '\0';
	CHECK(refused(buf, ":1: line is longer than 4096 bytes"));
	free(buf);

	write_users(nul, sizeof(nul) - 1, 0644);
	CHECK(bkey_users_lookup(path, "alice", &did, &e) == -1);
	snprintf(expect, sizeof(expect), "%s:2: line contains a NUL byte",
	    path);
	CHECK_STR(e.detail, expect);
	CHECK(did == NULL);
}

static void
test_file_checks(void)
{
	char *did = NULL;
	bkey_error e;
	char link[160];

	write_users("alice did:bkey:a\n", 17, 0664);
	CHECK(bkey_users_lookup(path, "alice", &did, &e) == -1);
	snprintf(expect, sizeof(expect),
	    "%s: is group or world writable (mode 0664)", path);
	CHECK_STR(e.detail, expect);

	snprintf(link, sizeof(link), "%s/users.link", dir);
	write_users("alice did:bkey:a\n", 17, 0644);
	CHECK(symlink(path, link) == 0);
	CHECK(bkey_users_lookup(link, "alice", &did, &e) == -1);
	snprintf(expect, sizeof(expect), "%s: is a symbolic link", link);
	CHECK_STR(e.detail, expect);
	unlink(link);

	if (geteuid() == 0) {
		CHECK(chown(path, 65534, 65534) == 0);
		CHECK(bkey_users_lookup(path, "alice", &did, &e) == -1);
		snprintf(expect, sizeof(expect),
		    "%s: is owned by uid 65534, not root", path);
		CHECK_STR(e.detail, expect);
	}
	unlink(path);
	CHECK(bkey_users_lookup(path, "alice", &did, &e) == -1);
	snprintf(expect, sizeof(expect),
	    "%s: cannot open: No such file or directory", path);
	CHECK_STR(e.detail, expect);
	CHECK(e.code == BKEY_ERR_CONFIG);
	CHECK(did == NULL);
}

static void
test_validators(void)
{
	char big[BKEY_DID_MAX + 2];

	CHECK(bkey_username_valid("alice"));
	CHECK(bkey_username_valid("a"));
	CHECK(bkey_username_valid("A.b_c-9"));
	CHECK(bkey_username_valid("host$"));
	CHECK(bkey_username_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));	/* 32 */
	CHECK(!bkey_username_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
	CHECK(!bkey_username_valid(""));
	CHECK(!bkey_username_valid(NULL));
	CHECK(!bkey_username_valid("-x"));
	CHECK(!bkey_username_valid("$"));
	CHECK(!bkey_username_valid("a$b"));
	CHECK(!bkey_username_valid("a b"));
	CHECK(!bkey_username_valid("a:b"));
	CHECK(!bkey_username_valid("\xc3\xa9"));

	CHECK(bkey_did_valid("did:bkey:alice"));
	CHECK(bkey_did_valid("did:web:example.com:user:a%20b"));
	CHECK(bkey_did_valid("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"));
	CHECK(!bkey_did_valid(NULL));
	CHECK(!bkey_did_valid(""));
	CHECK(!bkey_did_valid("did:"));
	CHECK(!bkey_did_valid("did::x"));
	CHECK(!bkey_did_valid("did:bkey"));
	CHECK(!bkey_did_valid("did:bkey:"));
	CHECK(!bkey_did_valid("did:b-key:x"));
	CHECK(!bkey_did_valid("did:bkey:a b"));
	CHECK(!bkey_did_valid("did:bkey:a\n"));
	CHECK(!bkey_did_valid("did:bkey:a\"b"));
	CHECK(!bkey_did_valid("xdid:bkey:a"));
	memcpy(big, "did:bkey:", 9);
	memset(big + 9, 'a', BKEY_DID_MAX - 9);
	big[BKEY_DID_MAX] = '\0';
	CHECK(bkey_did_valid(big));
	big[BKEY_DID_MAX] = 'a';
	big[BKEY_DID_MAX + 1] = '\0';
	CHECK(!bkey_did_valid(big));
}

int
main(void)
{
	unit_suite = "users";
	snprintf(dir, sizeof(dir), "/tmp/bkey-test-users.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/users", dir);

	RUN(test_found);
	RUN(test_not_found);
	RUN(test_bad_lines);
	RUN(test_phone_key);
	RUN(test_bad_phone_key);
	RUN(test_did_key);
	RUN(test_duplicate);
	RUN(test_long_and_nul);
	RUN(test_file_checks);
	RUN(test_validators);

	unlink(path);
	rmdir(dir);
	UNIT_DONE();
}
