/* SPDX-License-Identifier: ISC */
/* Unit tests: bkey.conf loading (common/config.c) and file checks
 * (common/fileperm.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "config.h"
#include "fileperm.h"
#include "lines.h"

static char dir[64];
static char conf[128];
static char expect[512];

#define BASE "client_id = cid\nclient_secret = s3cret#x\n"
#define SECRET_WORD "s3cret"

static void
write_file(const char *path, const char *data, size_t len, mode_t mode)
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

/* Write conf with content and mode, then load it. */
static int
load(const char *content, mode_t mode, struct bkey_config *c, bkey_error *e)
{
	write_file(conf, content, strlen(content), mode);
	memset(e, 0, sizeof(*e));
	return bkey_config_load(c, conf, e);
}

/* Expect content to be refused with "CONF" + suffix as the detail. */
static int
refused(const char *content, const char *suffix)
{
	struct bkey_config c;
	bkey_error e;
	int ok;

	if (load(content, 0600, &c, &e) == 0) {
		bkey_config_free(&c);
		printf("# accepted: %s\n", content);
		return 0;
	}
	snprintf(expect, sizeof(expect), "%s%s", conf, suffix);
	ok = e.code == BKEY_ERR_CONFIG && strcmp(e.detail, expect) == 0 &&
	    strstr(e.detail, SECRET_WORD) == NULL && c.client_secret == NULL;
	if (!ok)
		printf("# got \"%s\", want \"%s\"\n", e.detail, expect);
	return ok;
}

static void
test_defaults(void)
{
	struct bkey_config c;
	bkey_error e;

	CHECK(load(BASE, 0600, &c, &e) == 0);
	CHECK_STR(c.path, conf);
	CHECK_STR(c.api_url, "https://api.bkey.id");
	CHECK_STR(c.issuer, "https://api.bkey.id");
	CHECK_STR(c.client_id, "cid");
	CHECK_STR(c.client_secret, "s3cret#x");	/* '#' inside a value */
	CHECK(c.dialect == BKEY_DIALECT_BKEY);
	CHECK_STR(c.bc_authorize_endpoint,
	    "https://api.bkey.id/oauth/bc-authorize");
	CHECK_STR(c.token_endpoint, "https://api.bkey.id/oauth/token");
	CHECK_STR(c.jwks_uri, "https://api.bkey.id/oauth/jwks");
	CHECK_STR(c.audience, "cid");
	CHECK_STR(c.scope, "approve:action");
	CHECK(c.timeout == 120);
	CHECK(c.requested_expiry == 120 && !c.requested_expiry_set);
	CHECK_STR(c.users_file, BKEY_DEFAULT_USERS);
	CHECK_STR(c.state_dir, BKEY_DEFAULT_STATEDIR);
	CHECK(c.cafile == NULL);
	CHECK_STR(c.proxy, "");
	CHECK(c.connect_timeout == 10);
	CHECK(c.clock_leeway == 30);
	CHECK_STR(c.run_as, "bkey");
	bkey_config_free(&c);
	CHECK(c.client_secret == NULL && c.api_url == NULL);
}

static void
test_every_key(void)
{
	struct bkey_config c;
	bkey_error e;
	char content[2048], ca[160];

	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	write_file(ca, "x\n", 2, 0644);
	snprintf(content, sizeof(content), "# a comment\n"
	    "\n"
	    "   # indented comment = not a key\n"
	    "api_url = http://127.0.0.1:8080/\n"
	    "issuer=https://issuer.example/\n"
	    "  client_id\t=  my client  \r\n"
	    "client_secret = a b#c= d\n"
	    "dialect = ciba\n"
	    "bc_authorize_endpoint = https://idp.example/bc\n"
	    "token_endpoint = http://localhost:9/tok\n"
	    "jwks_uri = http://[::1]:9/jwks\n"
	    "audience = aud1\n"
	    "scope = approve:db.drop_x-1\n"
	    "timeout = 3600\n"
	    "requested_expiry = 30\n"
	    "users_file = /x/users\n"
	    "state_dir = /x/state\n"
	    "cafile = %s\n"
	    "proxy = http://proxy.example:3128\n"
	    "connect_timeout = 120\n"
	    "clock_leeway = 0\n"
	    "run_as = svc-bkey\n", ca);
	CHECK(load(content, 0600, &c, &e) == 0);
	CHECK_STR(c.api_url, "http://127.0.0.1:8080");
	CHECK_STR(c.issuer, "https://issuer.example/");
	CHECK_STR(c.client_id, "my client");
	CHECK_STR(c.client_secret, "a b#c= d");
	CHECK(c.dialect == BKEY_DIALECT_CIBA);
	CHECK_STR(c.bc_authorize_endpoint, "https://idp.example/bc");
	CHECK_STR(c.token_endpoint, "http://localhost:9/tok");
	CHECK_STR(c.jwks_uri, "http://[::1]:9/jwks");
	CHECK_STR(c.audience, "aud1");
	CHECK_STR(c.scope, "approve:db.drop_x-1");
	CHECK(c.timeout == 3600);
	CHECK(c.requested_expiry == 30 && c.requested_expiry_set);
	CHECK_STR(c.users_file, "/x/users");
	CHECK_STR(c.state_dir, "/x/state");
	CHECK_STR(c.cafile, ca);
	CHECK_STR(c.proxy, "http://proxy.example:3128");
	CHECK(c.connect_timeout == 120);
	CHECK(c.clock_leeway == 0);
	CHECK_STR(c.run_as, "svc-bkey");
	bkey_config_free(&c);
}

static void
test_derived_defaults(void)
{
	struct bkey_config c;
	bkey_error e;

	CHECK(load(BASE "api_url = https://idp.example/base/\n", 0600, &c,
	    &e) == 0);
	CHECK_STR(c.api_url, "https://idp.example/base");
	CHECK_STR(c.issuer, "https://idp.example/base");
	CHECK_STR(c.token_endpoint, "https://idp.example/base/oauth/token");
	CHECK_STR(c.jwks_uri, "https://idp.example/base/oauth/jwks");
	CHECK_STR(c.bc_authorize_endpoint,
	    "https://idp.example/base/oauth/bc-authorize");
	bkey_config_free(&c);

	/* requested_expiry follows timeout, clamped to 30..600 */
	CHECK(load(BASE "timeout = 10\n", 0600, &c, &e) == 0);
	CHECK(c.timeout == 10 && c.requested_expiry == 30);
	bkey_config_free(&c);
	CHECK(load(BASE "timeout = 3000\n", 0600, &c, &e) == 0);
	CHECK(c.timeout == 3000 && c.requested_expiry == 600);
	bkey_config_free(&c);
	CHECK(load(BASE "timeout = 200\n", 0600, &c, &e) == 0);
	CHECK(c.requested_expiry == 200);
	bkey_config_free(&c);

	/* empty proxy and cafile mean none */
	CHECK(load(BASE "proxy =\ncafile = \n", 0600, &c, &e) == 0);
	CHECK_STR(c.proxy, "");
	CHECK(c.cafile == NULL);
	bkey_config_free(&c);
}

static void
test_syntax_errors(void)
{
	CHECK(refused(BASE "bogus = 1\n", ":3: unknown key \"bogus\""));
	CHECK(refused(BASE "\n# c\nclient_id = other\n",
	    ":5: duplicate key \"client_id\" (first on line 1)"));
	CHECK(refused("client_id = a\njust words\n",
	    ":2: expected \"key = value\""));
	CHECK(refused(BASE " = x\n", ":3: missing key before '='"));
	CHECK(refused("client_id =\nclient_secret = x\n",
	    ":1: empty value for client_id"));
	CHECK(refused("client_id = a\nclient_secret =   \n",
	    ":2: empty value for client_secret"));
	CHECK(refused("client_id = a\nclient_secret_file =\n",
	    ":2: empty value for client_secret_file"));
	CHECK(refused(BASE "issuer =\n", ":3: empty value for issuer"));
	CHECK(refused("client_id = a\nclient_secret = s3cret\tx\n",
	    ":2: value of client_secret contains a control character"));
	CHECK(refused("client_secret = s3cret\n", ": client_id is required"));
	CHECK(refused("client_id = a\n",
	    ": client_secret or client_secret_file is required"));
	CHECK(refused(BASE "client_secret_file = /etc/s3cret\n",
	    ":3: client_secret and client_secret_file are both set; use one"));
	/* '#' after a value is part of it, not a comment: here a bad number */
	CHECK(refused(BASE "timeout = 5 # five\n",
	    ":3: timeout must be a whole number from 1 to 3600"));
	CHECK(refused("", ": client_id is required"));
}

static void
test_long_line_and_nul(void)
{
	char *big;
	size_t n = 4096 + 256;
	struct bkey_config c;
	bkey_error e;
	static const char nul[] = "client_id = a\nclient_secret = s3\0cret\n";

	big = malloc(n + 1);
	CHECK(big != NULL);
	if (big == NULL)
		return;
	/* exactly 4096 bytes: accepted */
	memset(big, ' ', n);
	memcpy(big, BASE "scope = a", strlen(BASE "scope = a"));
	big[strlen(BASE) + 4096] = '\n';
	big[strlen(BASE) + 4097] = '\0';
	CHECK(load(big, 0600, &c, &e) == 0);
	if (e.detail[0] != '\0')
		printf("# %s\n", e.detail);
	bkey_config_free(&c);
	/* 4097 bytes: refused */
	memset(big, ' ', n);
	memcpy(big, BASE "scope = a", strlen(BASE "scope = a"));
	big[strlen(BASE) + 4097] = '\n';
	big[strlen(BASE) + 4098] = '\0';
	CHECK(refused(big, ":3: line is longer than 4096 bytes"));
	free(big);

	write_file(conf, nul, sizeof(nul) - 1, 0600);
	memset(&e, 0, sizeof(e));
	CHECK(bkey_config_load(&c, conf, &e) == -1);
	snprintf(expect, sizeof(expect), "%s:2: line contains a NUL byte",
	    conf);
	CHECK_STR(e.detail, expect);
	CHECK(e.code == BKEY_ERR_CONFIG);
}

#define UNAVAIL_RANGE "unavailable_after must be a whole number from 0 to 300"
#define HOLD_RANGE "outage_hold must be a whole number from 0 to 3600"
#define DELAY_RANGE "recovery_delay must be a whole number from 0 to 30"
#define LOCKOUT_RANGE "recovery_lockout must be a whole number from 1 to 1000"
#define PUSH_FORM                                                      \
	"push_limit must be COUNT/SECONDS, COUNT 0 to 100 (0: no limit), " \
	"SECONDS 1 to 86400"

static void
test_value_errors(void)
{
	static const struct {
		const char *line, *msg;
	} bad[] = {
		{ "dialect = oidc", "dialect must be \"bkey\" or \"ciba\"" },
		{ "timeout = 0", "timeout must be a whole number from 1 to 3600" },
		{ "timeout = 3601", "timeout must be a whole number from 1 to 3600" },
		{ "timeout = abc", "timeout must be a whole number from 1 to 3600" },
		{ "timeout = -5", "timeout must be a whole number from 1 to 3600" },
		{ "timeout = +5", "timeout must be a whole number from 1 to 3600" },
		{ "timeout = 1e3", "timeout must be a whole number from 1 to 3600" },
		{ "timeout = 0x10", "timeout must be a whole number from 1 to 3600" },
		{ "timeout = 99999999999999999999", "timeout must be a whole number from 1 to 3600" },
		{ "timeout =", "empty value for timeout" },
		{ "requested_expiry = 29", "requested_expiry must be a whole number from 30 to 600" },
		{ "requested_expiry = 601", "requested_expiry must be a whole number from 30 to 600" },
		{ "connect_timeout = 0", "connect_timeout must be a whole number from 1 to 120" },
		{ "connect_timeout = 121", "connect_timeout must be a whole number from 1 to 120" },
		{ "clock_leeway = -1", "clock_leeway must be a whole number from 0 to 300" },
		{ "clock_leeway = 301", "clock_leeway must be a whole number from 0 to 300" },
		{ "scope = approve action", "scope must be 1 to 128 characters of A-Z a-z 0-9 : . _ -" },
		{ "scope = approve/x", "scope must be 1 to 128 characters of A-Z a-z 0-9 : . _ -" },
		{ "scope = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		  "scope must be 1 to 128 characters of A-Z a-z 0-9 : . _ -" },
		{ "run_as = -root", "run_as is not a valid user name" },
		{ "run_as = a b", "run_as is not a valid user name" },
		{ "users_file = etc/users", "users_file must be an absolute path" },
		{ "state_dir = state", "state_dir must be an absolute path" },
		{ "cafile = ca.pem", "cafile must be an absolute path" },
		{ "client_id = x", "duplicate key \"client_id\" (first on line 1)" },
		/* issue 11: outages, recovery codes, push limits */
		{ "unavailable_after = 301", UNAVAIL_RANGE },
		{ "unavailable_after = -1", UNAVAIL_RANGE },
		{ "unavailable_after = 5s", UNAVAIL_RANGE },
		{ "unavailable_after =", "empty value for unavailable_after" },
		{ "outage_hold = 3601", HOLD_RANGE },
		{ "outage_hold = 1h", HOLD_RANGE },
		{ "outage_hold = 0x1e", HOLD_RANGE },
		{ "recovery_delay = 31", DELAY_RANGE },
		{ "recovery_delay = 2.5", DELAY_RANGE },
		{ "recovery_lockout = 0", LOCKOUT_RANGE },
		{ "recovery_lockout = 1001", LOCKOUT_RANGE },
		{ "recovery_lockout = ten", LOCKOUT_RANGE },
		{ "push_limit = 5", PUSH_FORM },
		{ "push_limit = 101/600", PUSH_FORM },
		{ "push_limit = 5/0", PUSH_FORM },
		{ "push_limit = 5/86401", PUSH_FORM },
		{ "push_limit = -1/600", PUSH_FORM },
		{ "push_limit = 5/-600", PUSH_FORM },
		{ "push_limit = 5/600x", PUSH_FORM },
		{ "push_limit = 5/600/1", PUSH_FORM },
		{ "push_limit = 5/", PUSH_FORM },
		{ "push_limit = /600", PUSH_FORM },
		{ "push_limit = 5 / 600", PUSH_FORM },
		{ "push_limit = 99999999999999999999/600", PUSH_FORM },
		{ "push_limit = 5/99999999999999999999", PUSH_FORM },
	};
	char content[512], suffix[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(content, sizeof(content), BASE "%s\n", bad[i].line);
		snprintf(suffix, sizeof(suffix), ":3: %s", bad[i].msg);
		CHECK(refused(content, suffix));
	}
	/* a 128-character scope is fine */
	{
		struct bkey_config c;
		bkey_error e;
		char s[256];

		memset(s, 'a', 128);
		s[128] = '\0';
		snprintf(content, sizeof(content), BASE "scope = %s\n", s);
		CHECK(load(content, 0600, &c, &e) == 0);
		bkey_config_free(&c);
	}
}

/* The issue 11 keys: their defaults, and both ends of each range. */
static void
test_outage_recovery_limits(void)
{
	static const struct {
		const char *lines;
		long unavail, hold, push_max, push_window, delay, lockout;
	} ok[] = {
		{ "", 5, 30, 5, 600, 2, 10 },
		{ "unavailable_after = 0\noutage_hold = 0\npush_limit = 0/1\n"
		  "recovery_delay = 0\nrecovery_lockout = 1\n",
		    0, 0, 0, 1, 0, 1 },
		{ "unavailable_after = 300\noutage_hold = 3600\n"
		  "push_limit = 100/86400\nrecovery_delay = 30\n"
		  "recovery_lockout = 1000\n",
		    300, 3600, 100, 86400, 30, 1000 },
	};
	struct bkey_config c;
	bkey_error e;
	char content[512];
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(content, sizeof(content), BASE "%s", ok[i].lines);
		if (load(content, 0600, &c, &e) != 0) {
			printf("# refused: %s: %s\n", ok[i].lines, e.detail);
			CHECK(0);
			continue;
		}
		CHECK(c.unavailable_after == ok[i].unavail &&
		    c.outage_hold == ok[i].hold);
		CHECK(c.push_max == ok[i].push_max &&
		    c.push_window == ok[i].push_window);
		CHECK(c.recovery_delay == ok[i].delay &&
		    c.recovery_lockout == ok[i].lockout);
		bkey_config_free(&c);
	}
}

static void
test_url_errors(void)
{
	static const char *const keys[] = { "bc_authorize_endpoint",
	    "token_endpoint", "jwks_uri" };
	static const char *const urls[] = {
		"http://evil.example/x", "ftp://127.0.0.1/", "127.0.0.1/x",
		"http://127.0.0.1@evil.example/", "http://127.0.0.1.evil.example/",
		"http://localhost.evil.example/", "http://[::2]/",
		"https://user:pw@idp.example/", "http://127.0.0.1:0/",
		"http://127.0.0.1:99999/", "https://idp.example\\@evil/",
	};
	char content[512], suffix[256];
	size_t i, k;

	for (i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		snprintf(content, sizeof(content), BASE "api_url = %s\n",
		    urls[i]);
		CHECK(refused(content, ":3: api_url must be an https URL "
		    "without query or fragment (http only to 127.0.0.0/8, "
		    "[::1] or localhost)"));
		for (k = 0; k < 3; k++) {
			snprintf(content, sizeof(content), BASE "%s = %s\n",
			    keys[k], urls[i]);
			snprintf(suffix, sizeof(suffix), ":3: %s must be an "
			    "https URL (http only to 127.0.0.0/8, [::1] or "
			    "localhost)", keys[k]);
			CHECK(refused(content, suffix));
		}
	}
	CHECK(refused(BASE "api_url = https://idp.example/?x=1\n",
	    ":3: api_url must be an https URL without query or fragment "
	    "(http only to 127.0.0.0/8, [::1] or localhost)"));
}

static void
test_url_allowed(void)
{
	CHECK(bkey_url_allowed("https://api.bkey.id"));
	CHECK(bkey_url_allowed("HTTPS://api.bkey.id/oauth/token"));
	CHECK(bkey_url_allowed("https://api.bkey.id:443/x?y=z"));
	CHECK(bkey_url_allowed("https://[2001:db8::1]:8443/x"));
	CHECK(bkey_url_allowed("http://127.0.0.1"));
	CHECK(bkey_url_allowed("http://127.0.0.1:8080/oauth/token"));
	CHECK(bkey_url_allowed("http://127.255.3.4/"));
	CHECK(bkey_url_allowed("http://localhost:1/"));
	CHECK(bkey_url_allowed("http://LocalHost/"));
	CHECK(bkey_url_allowed("http://[::1]:5000/x"));
	CHECK(bkey_url_allowed("http://[::1]"));

	CHECK(!bkey_url_allowed(NULL));
	CHECK(!bkey_url_allowed(""));
	CHECK(!bkey_url_allowed("https://"));
	CHECK(!bkey_url_allowed("https:///x"));
	CHECK(!bkey_url_allowed("https://a b/"));
	CHECK(!bkey_url_allowed("https://a\x01/"));
	CHECK(!bkey_url_allowed("https://ex\xc3\xa9.example/"));
	CHECK(!bkey_url_allowed("http://example.com/"));
	CHECK(!bkey_url_allowed("http://10.0.0.1/"));
	CHECK(!bkey_url_allowed("http://128.0.0.1/"));
	CHECK(!bkey_url_allowed("http://127.0.0.1@evil.com"));
	CHECK(!bkey_url_allowed("http://127.0.0.1:80@evil.com/"));
	CHECK(!bkey_url_allowed("http://user@127.0.0.1/"));
	CHECK(!bkey_url_allowed("http://127.0.0.1.evil.com"));
	CHECK(!bkey_url_allowed("http://127.0.0.1./"));
	CHECK(!bkey_url_allowed("http://127.0.0/"));
	CHECK(!bkey_url_allowed("http://127.0.0.1.5/"));
	CHECK(!bkey_url_allowed("http://127.0.0.256/"));
	CHECK(!bkey_url_allowed("http://127.0.0.0001/"));
	CHECK(!bkey_url_allowed("http://0177.0.0.1/"));
	CHECK(!bkey_url_allowed("http://2130706433/"));
	CHECK(!bkey_url_allowed("http://0x7f.0.0.1/"));
	CHECK(!bkey_url_allowed("http://localhost.evil.com/"));
	CHECK(!bkey_url_allowed("http://localhost:/"));
	CHECK(!bkey_url_allowed("http://localhost:8x/"));
	CHECK(!bkey_url_allowed("http://[::1/"));
	CHECK(!bkey_url_allowed("http://[::1]evil/"));
	CHECK(!bkey_url_allowed("http://[::2]/"));
	CHECK(!bkey_url_allowed("http://[::ffff:127.0.0.1]/"));
	CHECK(!bkey_url_allowed("http://127.0.0.1\\@evil.com/"));
	CHECK(!bkey_url_allowed("file:///etc/passwd"));
	CHECK(!bkey_url_allowed("http:/127.0.0.1/"));
}

static void
test_file_checks(void)
{
	char other[160], sub[160];
	struct bkey_config c;
	bkey_error e;
	FILE *f;

	/* group writable */
	CHECK(load(BASE, 0664, &c, &e) == -1);
	snprintf(expect, sizeof(expect),
	    "%s: is group or world writable (mode 0664)", conf);
	CHECK_STR(e.detail, expect);
	CHECK(e.code == BKEY_ERR_CONFIG);
	/* world writable */
	CHECK(load(BASE, 0602, &c, &e) == -1);
	snprintf(expect, sizeof(expect),
	    "%s: is group or world writable (mode 0602)", conf);
	CHECK_STR(e.detail, expect);
	/* world readable with an inline secret */
	CHECK(load(BASE, 0644, &c, &e) == -1);
	snprintf(expect, sizeof(expect),
	    "%s: holds client_secret and is world readable (mode 0644)", conf);
	CHECK_STR(e.detail, expect);
	CHECK(c.client_secret == NULL);
	/* group readable is fine */
	CHECK(load(BASE, 0640, &c, &e) == 0);
	bkey_config_free(&c);

	/* symbolic link */
	write_file(conf, BASE, strlen(BASE), 0600);
	snprintf(other, sizeof(other), "%s/link.conf", dir);
	unlink(other);
	CHECK(symlink(conf, other) == 0);
	memset(&e, 0, sizeof(e));
	CHECK(bkey_config_load(&c, other, &e) == -1);
	snprintf(expect, sizeof(expect), "%s: is a symbolic link", other);
	CHECK_STR(e.detail, expect);
	unlink(other);

	/* directory */
	snprintf(sub, sizeof(sub), "%s/adir", dir);
	CHECK(mkdir(sub, 0700) == 0);
	CHECK(bkey_config_load(&c, sub, &e) == -1);
	snprintf(expect, sizeof(expect), "%s: is not a regular file", sub);
	CHECK_STR(e.detail, expect);
	rmdir(sub);

	/* a FIFO: refused at once, without blocking */
	snprintf(sub, sizeof(sub), "%s/fifo", dir);
	CHECK(mkfifo(sub, 0600) == 0);
	CHECK(bkey_config_load(&c, sub, &e) == -1);
	snprintf(expect, sizeof(expect), "%s: is not a regular file", sub);
	CHECK_STR(e.detail, expect);
	unlink(sub);

	/* missing */
	snprintf(sub, sizeof(sub), "%s/missing.conf", dir);
	CHECK(bkey_config_load(&c, sub, &e) == -1);
	snprintf(expect, sizeof(expect),
	    "%s: cannot open: No such file or directory", sub);
	CHECK_STR(e.detail, expect);
	CHECK(e.code == BKEY_ERR_CONFIG);

	/* bkey_open_checked on its own */
	f = bkey_open_checked(conf, BKEY_FILE_SECRET, &e);
	CHECK(f != NULL);
	if (f != NULL)
		fclose(f);
	CHECK(chmod(conf, 0604) == 0);
	CHECK(bkey_open_checked(conf, BKEY_FILE_SECRET, &e) == NULL);
	snprintf(expect, sizeof(expect),
	    "%s: holds a secret and is world readable (mode 0604)", conf);
	CHECK_STR(e.detail, expect);
	f = bkey_open_checked(conf, 0, &e);
	CHECK(f != NULL);
	if (f != NULL)
		fclose(f);
	CHECK(bkey_open_checked("", 0, &e) == NULL);
}

/*
 * bkey_read_all leaves no copy of the file in the stream's own buffer:
 * fclose frees that buffer without wiping it, and the config (with its
 * client_secret) is read inside sshd and sudo. glibc's FILE fields show it.
 */
static void
test_read_all_no_stdio_copy(void)
{
	bkey_error e;
	size_t len = 0;
	char *buf;
	FILE *f;

	write_file(conf, BASE, strlen(BASE), 0600);
	memset(&e, 0, sizeof(e));
	f = bkey_open_checked(conf, BKEY_FILE_SECRET, &e);
	CHECK(f != NULL);
	if (f == NULL)
		return;
	buf = bkey_read_all(f, conf, BKEY_FILE_MAX, &len, &e);
	CHECK(buf != NULL && len == strlen(BASE) &&
	    memcmp(buf, BASE, len) == 0);
#ifdef __GLIBC__
	CHECK(f->_IO_buf_base == NULL ||
	    memmem(f->_IO_buf_base, (size_t)(f->_IO_buf_end - f->_IO_buf_base),
	    SECRET_WORD, strlen(SECRET_WORD)) == NULL);
#endif
	fclose(f);
	free(buf);
}

static void
test_owner(void)
{
	struct bkey_config c;
	bkey_error e;

	write_file(conf, BASE, strlen(BASE), 0600);
	CHECK(chown(conf, 65534, 65534) == 0);
	memset(&e, 0, sizeof(e));
	CHECK(bkey_config_load(&c, conf, &e) == -1);
	snprintf(expect, sizeof(expect), "%s: is owned by uid 65534, not root",
	    conf);
	CHECK_STR(e.detail, expect);
	CHECK(e.code == BKEY_ERR_CONFIG);
}

/* A CA file others can write would let them vouch for any server. */
static void
test_cafile_checks(void)
{
	char ca[160], content[512];
	struct bkey_config c;
	bkey_error e;

	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	snprintf(content, sizeof(content), BASE "cafile = %s\n", ca);
	write_file(ca, "x\n", 2, 0664);
	CHECK(load(content, 0600, &c, &e) == -1);
	snprintf(expect, sizeof(expect), "%s:3: cafile %s: is group or world "
	    "writable (mode 0664)", conf, ca);
	CHECK_STR(e.detail, expect);
	CHECK(e.code == BKEY_ERR_CONFIG);

	unlink(ca);
	CHECK(load(content, 0600, &c, &e) == -1);
	CHECK(strncmp(e.detail, conf, strlen(conf)) == 0);
	CHECK(strstr(e.detail, ":3: cafile ") != NULL);

	write_file(ca, "x\n", 2, 0644);
	CHECK(load(content, 0600, &c, &e) == 0);
	CHECK_STR(c.cafile, ca);
	bkey_config_free(&c);
}

static void
test_secret_file(void)
{
	char sec[160], content[512];
	struct bkey_config c;
	bkey_error e;

	snprintf(sec, sizeof(sec), "%s/secret", dir);
	snprintf(content, sizeof(content),
	    "client_id = cid\nclient_secret_file = %s\n", sec);

	write_file(sec, "  s3cret value \t\r\nsecond line\n", 30, 0600);
	/* no inline secret: a world-readable config is fine */
	CHECK(load(content, 0644, &c, &e) == 0);
	CHECK_STR(c.client_secret, "  s3cret value");
	bkey_config_free(&c);

	write_file(sec, "s3cret", 6, 0400);	/* no newline at all */
	CHECK(load(content, 0600, &c, &e) == 0);
	CHECK_STR(c.client_secret, "s3cret");
	bkey_config_free(&c);

	write_file(sec, "s3cret\n", 7, 0644);
	CHECK(load(content, 0600, &c, &e) == -1);
	snprintf(expect, sizeof(expect),
	    "%s: holds a secret and is world readable (mode 0644)", sec);
	CHECK_STR(e.detail, expect);

	write_file(sec, "s3cret\n", 7, 0620);
	CHECK(load(content, 0600, &c, &e) == -1);
	snprintf(expect, sizeof(expect),
	    "%s: is group or world writable (mode 0620)", sec);
	CHECK_STR(e.detail, expect);

	write_file(sec, " \n", 2, 0600);
	CHECK(load(content, 0600, &c, &e) == -1);
	snprintf(expect, sizeof(expect), "%s: secret is empty", sec);
	CHECK_STR(e.detail, expect);

	write_file(sec, "", 0, 0600);
	CHECK(load(content, 0600, &c, &e) == -1);
	CHECK_STR(e.detail, expect);

	write_file(sec, "s3\0cret\n", 8, 0600);
	CHECK(load(content, 0600, &c, &e) == -1);
	snprintf(expect, sizeof(expect),
	    "%s: secret contains a control character or NUL byte", sec);
	CHECK_STR(e.detail, expect);
	CHECK(strstr(e.detail, SECRET_WORD) == NULL);

	unlink(sec);
	CHECK(load(content, 0600, &c, &e) == -1);
	snprintf(expect, sizeof(expect),
	    "%s: cannot open: No such file or directory", sec);
	CHECK_STR(e.detail, expect);

	CHECK(refused("client_id = a\nclient_secret_file = secret\n",
	    ":2: client_secret_file must be an absolute path"));
}

/* token_algs: the allow-list, EdDSA alone by default; none / HS* never. */
static void
test_token_algs(void)
{
	struct bkey_config c;
	bkey_error e;

	CHECK(load(BASE, 0600, &c, &e) == 0);
	CHECK(c.token_algs == BKEY_ALG_EDDSA);
	bkey_config_free(&c);
	CHECK(load(BASE "token_algs = RS256  ES256 PS256 ES384 EdDSA\n", 0600,
	    &c, &e) == 0);
	CHECK(c.token_algs == (BKEY_ALG_EDDSA | BKEY_ALG_ES256 |
	    BKEY_ALG_ES384 | BKEY_ALG_RS256 | BKEY_ALG_PS256));
	bkey_config_free(&c);
	CHECK(load(BASE "token_algs = ES256\n", 0600, &c, &e) == 0);
	CHECK(c.token_algs == BKEY_ALG_ES256);
	bkey_config_free(&c);
	CHECK(refused(BASE "token_algs = EdDSA none\n", ":3: token_algs: none "
	    "and HS* are never accepted (unsigned or shared-key tokens)"));
	CHECK(refused(BASE "token_algs = HS256\n", ":3: token_algs: none "
	    "and HS* are never accepted (unsigned or shared-key tokens)"));
	CHECK(refused(BASE "token_algs = hs512 RS256\n", ":3: token_algs: "
	    "none and HS* are never accepted (unsigned or shared-key tokens)"));
	CHECK(refused(BASE "token_algs = rs256\n", ":3: token_algs: unknown "
	    "algorithm (accepted: EdDSA ES256 ES384 RS256 PS256)"));
	CHECK(refused(BASE "token_algs = RS512\n", ":3: token_algs: unknown "
	    "algorithm (accepted: EdDSA ES256 ES384 RS256 PS256)"));
	CHECK(bkey_alg_bit("PS256", 5) == BKEY_ALG_PS256);
	CHECK(bkey_alg_bit("PS2567", 6) == 0 && bkey_alg_bit("PS25", 4) == 0);
}

/* Load conf as a host module does: without the secret. */
static int
load_public(const char *content, mode_t mode, struct bkey_config *c,
    bkey_error *e)
{
	write_file(conf, content, strlen(content), mode);
	memset(e, 0, sizeof(*e));
	return bkey_config_load_public(c, conf, e);
}

/* The modules' load: everything checked, the secret never read. */
static void
test_public_load_has_no_secret(void)
{
	char sec[160], content[512];
	struct bkey_config c;
	bkey_error e;

	CHECK(load_public(BASE "users_file = /etc/u\ntimeout = 77\n", 0600,
	    &c, &e) == 0);
	CHECK(c.client_secret == NULL);
	CHECK_STR(c.client_id, "cid");
	CHECK_STR(c.users_file, "/etc/u");
	CHECK(c.timeout == 77);
	bkey_config_free(&c);

	/* The secret file is not opened: one the full load refuses (world
	 * readable), or one that does not exist, does not matter here. */
	snprintf(sec, sizeof(sec), "%s/secret", dir);
	snprintf(content, sizeof(content),
	    "client_id = cid\nclient_secret_file = %s\n", sec);
	write_file(sec, "s3cret\n", 7, 0644);
	CHECK(load(content, 0600, &c, &e) == -1);
	CHECK(load_public(content, 0600, &c, &e) == 0);
	CHECK(c.client_secret == NULL);
	bkey_config_free(&c);
	unlink(sec);
	CHECK(load_public(content, 0600, &c, &e) == 0);
	CHECK(c.client_secret == NULL);
	bkey_config_free(&c);

	/* Yet the whole file is validated, with FILE:LINE. */
	CHECK(load_public(BASE "colour = blue\n", 0600, &c, &e) == -1);
	snprintf(expect, sizeof(expect), "%s:3: unknown key \"colour\"",
	    conf);
	CHECK_STR(e.detail, expect);
	CHECK(c.client_secret == NULL);
	CHECK(load_public("client_id = a\nclient_secret_file = secret\n",
	    0600, &c, &e) == -1);
	snprintf(expect, sizeof(expect),
	    "%s:2: client_secret_file must be an absolute path", conf);
	CHECK_STR(e.detail, expect);
	CHECK(load_public("client_id = a\n", 0600, &c, &e) == -1);
	CHECK(strstr(e.detail, "client_secret or client_secret_file is "
	    "required") != NULL);
	/* An inline secret in a world-readable file is still refused. */
	CHECK(load_public(BASE, 0644, &c, &e) == -1);
	CHECK(strstr(e.detail, "world readable") != NULL);
	CHECK(strstr(e.detail, SECRET_WORD) == NULL);
}

int
main(void)
{
	unit_suite = "config";
	snprintf(dir, sizeof(dir), "/tmp/bkey-test-config.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(conf, sizeof(conf), "%s/bkey.conf", dir);

	RUN(test_defaults);
	RUN(test_every_key);
	RUN(test_derived_defaults);
	RUN(test_syntax_errors);
	RUN(test_long_line_and_nul);
	RUN(test_value_errors);
	RUN(test_outage_recovery_limits);
	RUN(test_url_errors);
	RUN(test_url_allowed);
	RUN(test_file_checks);
	RUN(test_read_all_no_stdio_copy);
	if (geteuid() == 0)
		RUN(test_owner);
	else
		SKIP(test_owner, "needs root to chown");
	RUN(test_secret_file);
	RUN(test_cafile_checks);
	RUN(test_public_load_has_no_secret);
	RUN(test_token_algs);

	unlink(conf);
	rmdir(dir);
	UNIT_DONE();
}
