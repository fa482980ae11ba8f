/* SPDX-License-Identifier: ISC */
/* users_ldap_* checks and the RFC 4515 filter (common/ldapconf.c). */
#include "unit.h"
#include "ldapconf.h"

static int
builds(const char *f, const char *user, const char *want)
{
	char out[BKEY_LDAP_FILTER_MAX];

	return bkey_ldap_filter_build(f, user, out, sizeof(out)) == 0 &&
	    strcmp(out, want) == 0;
}

/* Whatever the name holds, it stays one value: no new filter terms. */
static void
filter_escapes_the_name(void)
{
	char small[12];

	CHECK(builds("(uid=%u)", "alice", "(uid=alice)"));
	CHECK(builds("(uid=%u)", "*", "(uid=\\2a)"));
	CHECK(builds("(uid=%u)", ")(uid=*", "(uid=\\29\\28uid=\\2a)"));
	CHECK(builds("(uid=%u)", "a\\b", "(uid=a\\5cb)"));
	CHECK(builds("(uid=%u)", "\xc3\xa9", "(uid=\\c3\\a9)"));
	CHECK(builds("(&(objectClass=person)(uid=%u))", "bob",
	    "(&(objectClass=person)(uid=bob))"));
	CHECK(bkey_ldap_filter_build("(uid=%u)", "abcdefgh", small,
	    sizeof(small)) == -1 && small[0] == '\0');
	CHECK(bkey_ldap_filter_build("(uid=%u)", "abc", small,
	    sizeof(small)) == 0);
}

static void
filter_and_attr_checks(void)
{
	CHECK(bkey_ldap_filter_valid("(uid=%u)"));
	CHECK(!bkey_ldap_filter_valid("uid=%u"));
	CHECK(!bkey_ldap_filter_valid("(cn=*)"));
	CHECK(!bkey_ldap_filter_valid("(|(uid=%u)(mail=%u))"));
	CHECK(!bkey_ldap_filter_valid("(|(uid=%u)(mail=%s))"));
	CHECK(!bkey_ldap_filter_valid("(uid=%%u)"));
	CHECK(!bkey_ldap_filter_valid("(uid=%u\n)"));
	CHECK(bkey_ldap_attr_valid("description"));
	CHECK(bkey_ldap_attr_valid("bkey-did2"));
	CHECK(!bkey_ldap_attr_valid("2did"));
	CHECK(!bkey_ldap_attr_valid("de sc"));
	CHECK(!bkey_ldap_attr_valid(""));
}

/* ldap:// off loopback needs StartTLS; nothing but host and port. */
static void
uri_checks(void)
{
	int tls = -1;

	CHECK(bkey_ldap_uri_check("ldaps://ldap.example.com", &tls) == 0 &&
	    tls == 0);
	CHECK(bkey_ldap_uri_check("ldap://ldap.example.com:389/", &tls) == 0 &&
	    tls == 1);
	CHECK(bkey_ldap_uri_check("ldap://127.0.0.1:3890", &tls) == 0 &&
	    tls == 0);
	CHECK(bkey_ldap_uri_check("ldap://localhost", &tls) == 0 && tls == 0);
	CHECK(bkey_ldap_uri_check("ldap://[::1]:389", &tls) == 0 && tls == 0);
	CHECK(bkey_ldap_uri_check("ldap://127.0.0.1.evil.example", &tls) == 0 &&
	    tls == 1);
	CHECK(bkey_ldap_uri_check("ldapi:///run/slapd/ldapi", &tls) == -1);
	CHECK(bkey_ldap_uri_check("ldap://h/dc=x??sub?(uid=*)", &tls) == -1);
	CHECK(bkey_ldap_uri_check("ldaps://u@h", &tls) == -1);
	CHECK(bkey_ldap_uri_check("ldaps://h ldap://i", &tls) == -1);
	CHECK(bkey_ldap_uri_check("https://h", &tls) == -1);
	CHECK(bkey_ldap_uri_check("ldaps://", &tls) == -1);
}

/* bkey-admin list: every entry, and which attribute names the user. */
static void
filter_for_all(void)
{
	char f[BKEY_LDAP_FILTER_MAX], a[65];

	CHECK(bkey_ldap_filter_all("(uid=%u)", f, sizeof(f), a, sizeof(a)) ==
	    0);
	CHECK_STR(f, "(uid=*)");
	CHECK_STR(a, "uid");
	CHECK(bkey_ldap_filter_all("(&(objectClass=person)(cn=%u))", f,
	    sizeof(f), a, sizeof(a)) == 0);
	CHECK_STR(f, "(&(objectClass=person)(cn=*))");
	CHECK_STR(a, "cn");
	CHECK(bkey_ldap_filter_all("(uid=x%u)", f, sizeof(f), a,
	    sizeof(a)) == -1);
	CHECK(bkey_ldap_filter_all("(uid=%u*)", f, sizeof(f), a,
	    sizeof(a)) == -1);
	CHECK(bkey_ldap_filter_all("(uid=%u)", f, 6, a, sizeof(a)) == -1);
}

int
main(void)
{
	unit_suite = "ldapconf";
	RUN(filter_escapes_the_name);
	RUN(filter_and_attr_checks);
	RUN(uri_checks);
	RUN(filter_for_all);
	UNIT_DONE();
}
