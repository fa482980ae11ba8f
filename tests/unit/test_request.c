/* SPDX-License-Identifier: ISC */
/* The --request-stdin object. */
#include "unit.h"
#include "request.h"
#include "sanitize.h"

#define ELL "\xe2\x80\xa6"

static int
req(struct bkey_request *r, const char *s, bkey_error *e)
{
	memset(e, 0, sizeof(*e));
	e->code = BKEY_APPROVED;
	return bkey_request_parse(r, s, strlen(s), e);
}

/* Expect a usage error whose detail contains word. */
static int
usage(const char *s, const char *word)
{
	struct bkey_request r;
	bkey_error e;
	int rc = req(&r, s, &e);

	if (rc == 0) {
		bkey_request_free(&r);
		return 0;
	}
	return e.code == BKEY_ERR_USAGE && strstr(e.detail, word) != NULL &&
	    r.user == NULL && r.did == NULL && r.details == NULL;
}

static void
full_request(void)
{
	struct bkey_request r;
	bkey_error e;

	CHECK(req(&r, "{\"user\":\"alice\",\"scope\":\"approve:db.drop_x-1\","
	    "\"message\":\"Drop \\u001b[31mtable\\n\",\"action_details\":"
	    "{\"type\":\"sql\",\"n\":3,\"nested\":{\"a\":1}},\"timeout\":60}",
	    &e) == 0);
	CHECK_STR(r.user, "alice");
	CHECK(r.did == NULL);
	CHECK_STR(r.scope, "approve:db.drop_x-1");
	CHECK_STR(r.message, "Drop table");
	CHECK_STR(r.details, "{\"type\":\"sql\",\"n\":3}");
	CHECK(r.timeout == 60);
	bkey_request_free(&r);
	CHECK(r.user == NULL && r.message == NULL);
	bkey_request_free(&r);		/* twice is harmless */
}

static void
minimal_did_request(void)
{
	struct bkey_request r;
	bkey_error e;

	CHECK(req(&r, " {\"did\":\"did:bkey:abc123\"} \n", &e) == 0);
	CHECK_STR(r.did, "did:bkey:abc123");
	CHECK(r.user == NULL && r.scope == NULL && r.message == NULL &&
	    r.details == NULL && r.timeout == 0);
	bkey_request_free(&r);
}

static void
identity_rules(void)
{
	CHECK(usage("{\"user\":\"alice\",\"did\":\"did:bkey:a\"}", "exactly one"));
	CHECK(usage("{\"scope\":\"x\"}", "exactly one"));
	CHECK(usage("{}", "exactly one"));
	CHECK(usage("{\"user\":\"al ice\"}", "user"));
	CHECK(usage("{\"user\":\"\"}", "user"));
	CHECK(usage("{\"user\":\"../root\"}", "user"));
	CHECK(usage("{\"user\":\"alice\\n\"}", "user"));
	CHECK(usage("{\"user\":1}", "\"user\" must be a string"));
	CHECK(usage("{\"user\":null}", "\"user\""));
	CHECK(usage("{\"did\":\"alice\"}", "DID"));
	CHECK(usage("{\"did\":\"did:bkey:a b\"}", "DID"));
	CHECK(usage("{\"did\":\"did:bkey:a\\u001b[0m\"}", "DID"));
}

static void
unknown_and_malformed(void)
{
	CHECK(usage("{\"user\":\"alice\",\"client_secret\":\"x\"}",
	    "unknown member \"client_secret\""));
	CHECK(usage("{\"user\":\"alice\",\"User\":\"bob\"}", "unknown member"));
	/* the quoted member name is sanitized */
	CHECK(usage("{\"user\":\"alice\",\"x\\u001b[31my\":1}",
	    "unknown member \"xy\""));
	CHECK(usage("{\"user\":\"alice\",\"user\":\"root\"}", "not a valid JSON"));
	CHECK(usage("{\"user\":\"alice\"", "not a valid JSON"));
	CHECK(usage("[\"alice\"]", "not a valid JSON"));
	CHECK(usage("{\"user\":\"alice\"}{\"user\":\"root\"}", "not a valid JSON"));
	CHECK(usage("", "not a valid JSON"));
}

static void
scope_rules(void)
{
	char s[300];

	CHECK(usage("{\"user\":\"alice\",\"scope\":\"approve:x openid admin\"}",
	    "scope"));
	CHECK(usage("{\"user\":\"alice\",\"scope\":\"\"}", "scope"));
	CHECK(usage("{\"user\":\"alice\",\"scope\":\"a\\tb\"}", "scope"));
	CHECK(usage("{\"user\":\"alice\",\"scope\":\"a+b\"}", "scope"));
	CHECK(usage("{\"user\":\"alice\",\"scope\":\"caf\\u00e9\"}", "scope"));
	CHECK(usage("{\"user\":\"alice\",\"scope\":[\"a\"]}", "scope"));
	/* 128 ok, 129 not */
	snprintf(s, sizeof(s), "{\"user\":\"alice\",\"scope\":\"%0128d\"}", 0);
	{
		struct bkey_request r;
		bkey_error e;

		CHECK(req(&r, s, &e) == 0);
		CHECK(r.scope != NULL && strlen(r.scope) == 128);
		bkey_request_free(&r);
	}
	snprintf(s, sizeof(s), "{\"user\":\"alice\",\"scope\":\"%0129d\"}", 0);
	CHECK(usage(s, "scope"));
}

/* Granted-scope lists: whole words only, any spacing. */
static void
scope_has(void)
{
	const char *w = "approve:db:drop";

	CHECK(bkey_scope_has("openid approve:db:drop", w, strlen(w)));
	CHECK(bkey_scope_has("  approve:db:drop  ", w, strlen(w)));
	CHECK(!bkey_scope_has("approve:db", w, strlen(w)));
	CHECK(!bkey_scope_has("approve:db:drop2 x", w, strlen(w)));
	CHECK(!bkey_scope_has("xapprove:db:drop", w, strlen(w)));
	CHECK(!bkey_scope_has("", w, strlen(w)));
	CHECK(!bkey_scope_has(NULL, w, strlen(w)));
	CHECK(!bkey_scope_has("approve:db:drop", w, 0));
	/* a prefix of the word is not the word */
	CHECK(!bkey_scope_has("approve:db:drop", w, 10));
	CHECK(bkey_scope_has("a approve:db", w, 10));
}

static void
timeout_rules(void)
{
	struct bkey_request r;
	bkey_error e;

	CHECK(req(&r, "{\"user\":\"alice\",\"timeout\":1}", &e) == 0 &&
	    r.timeout == 1);
	bkey_request_free(&r);
	CHECK(req(&r, "{\"user\":\"alice\",\"timeout\":3600}", &e) == 0 &&
	    r.timeout == 3600);
	bkey_request_free(&r);
	CHECK(usage("{\"user\":\"alice\",\"timeout\":0}", "timeout"));
	CHECK(usage("{\"user\":\"alice\",\"timeout\":3601}", "timeout"));
	CHECK(usage("{\"user\":\"alice\",\"timeout\":-5}", "timeout"));
	CHECK(usage("{\"user\":\"alice\",\"timeout\":1.5}", "timeout"));
	CHECK(usage("{\"user\":\"alice\",\"timeout\":1e2}", "timeout"));
	CHECK(usage("{\"user\":\"alice\",\"timeout\":\"60\"}", "timeout"));
	CHECK(usage("{\"user\":\"alice\",\"timeout\":99999999999999999999999}",
	    "timeout"));
}

static void
message_and_details(void)
{
	struct bkey_request r;
	bkey_error e;
	char *s;
	size_t n, i;

	CHECK(usage("{\"user\":\"alice\",\"message\":5}", "message"));
	CHECK(usage("{\"user\":\"alice\",\"message\":\"\\ud800\"}", "message"));
	CHECK(usage("{\"user\":\"alice\",\"action_details\":\"x\"}",
	    "action_details"));
	CHECK(usage("{\"user\":\"alice\",\"action_details\":[1]}",
	    "action_details"));
	CHECK(usage("{\"user\":\"alice\",\"action_details\":{\"a\":\"\\udc00\"}}",
	    "action_details"));
	/* a 1000-byte message is capped at 256 ending in the ellipsis */
	n = 1100;
	s = malloc(n);
	if (s == NULL)
		return;
	i = (size_t)snprintf(s, n, "{\"user\":\"alice\",\"message\":\"");
	memset(s + i, 'm', 1000);
	i += 1000;
	memcpy(s + i, "\"}", 3);
	CHECK(req(&r, s, &e) == 0);
	CHECK(r.message != NULL && strlen(r.message) == BKEY_MESSAGE_MAX);
	CHECK(r.message != NULL &&
	    strcmp(r.message + BKEY_MESSAGE_MAX - 3, ELL) == 0);
	bkey_request_free(&r);
	free(s);
	/* details over 2 KiB are cut to whole members, within the cap */
	n = 12000;
	s = malloc(n);
	if (s == NULL)
		return;
	i = (size_t)snprintf(s, n, "{\"did\":\"did:bkey:a\",\"action_details\":{");
	for (int k = 0; k < 30; k++)
		i += (size_t)snprintf(s + i, n - i, "%s\"k%d\":\"%0300d\"",
		    k ? "," : "", k, k);
	i += (size_t)snprintf(s + i, n - i, "}}");
	CHECK(req(&r, s, &e) == 0);
	CHECK(r.details != NULL && strlen(r.details) <= BKEY_DETAILS_MAX);
	CHECK(r.details != NULL && strncmp(r.details, "{\"k0\":\"", 7) == 0);
	CHECK(r.details != NULL && r.details[strlen(r.details) - 1] == '}');
	bkey_request_free(&r);
	free(s);
}

static void
oversized_request(void)
{
	size_t n = 70 * 1024;
	char *s = malloc(n + 1);

	if (s == NULL)
		return;
	memset(s, ' ', n);
	memcpy(s, "{\"user\":\"alice\"}", 16);
	s[n] = '\0';
	CHECK(usage(s, "too long"));
	free(s);
}

/* The one validator the command line, the config and stdin share. */
static void
scope_validator(void)
{
	char s[BKEY_SCOPE_MAX + 2];

	CHECK(bkey_scope_valid("approve:db:drop"));
	CHECK(bkey_scope_valid("a.b_c-D9"));
	CHECK(!bkey_scope_valid(NULL));
	CHECK(!bkey_scope_valid(""));
	CHECK(!bkey_scope_valid("openid approve:x"));
	CHECK(!bkey_scope_valid("approve/x"));
	CHECK(!bkey_scope_valid("caf\xc3\xa9"));
	memset(s, 'a', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	CHECK(!bkey_scope_valid(s));
	s[BKEY_SCOPE_MAX] = '\0';
	CHECK(bkey_scope_valid(s));
}

/* What bkey_request_write writes, bkey_request_parse reads back. */
static void
write_round_trip(void)
{
	struct bkey_request_spec sp;
	struct bkey_request r;
	bkey_error e;
	char *json;

	memset(&sp, 0, sizeof(sp));
	sp.did = "did:bkey:alice";
	sp.scope = "approve:login";
	sp.message = "Log in as \"alice\" \xe2\x86\x92 host\\1";
	sp.details = "{\"type\":\"login\",\"user\":\"alice\"}";
	sp.timeout = 42;
	CHECK((json = bkey_request_write(&sp)) != NULL);
	CHECK(strncmp(json, "{\"did\":\"did:bkey:alice\",", 24) == 0);
	CHECK(req(&r, json, &e) == 0);
	CHECK_STR(r.did, sp.did);
	CHECK(r.user == NULL);
	CHECK_STR(r.scope, sp.scope);
	CHECK_STR(r.message, sp.message);
	CHECK_STR(r.details, sp.details);
	CHECK(r.timeout == 42);
	bkey_request_free(&r);
	free(json);

	/* Optional members stay out, and come back absent. */
	sp.message = NULL;
	sp.details = NULL;
	sp.timeout = 0;
	CHECK((json = bkey_request_write(&sp)) != NULL);
	CHECK_STR(json, "{\"did\":\"did:bkey:alice\","
	    "\"scope\":\"approve:login\"}");
	CHECK(req(&r, json, &e) == 0);
	CHECK(r.message == NULL && r.details == NULL && r.timeout == 0);
	bkey_request_free(&r);
	free(json);
}

static void
write_refuses_what_cannot_be_json(void)
{
	struct bkey_request_spec sp;

	memset(&sp, 0, sizeof(sp));
	sp.did = "did:bkey:alice";
	sp.scope = "approve:login";
	sp.message = "bad \xff utf-8";
	CHECK(bkey_request_write(&sp) == NULL);
}

/* A break-glass code: only with "user", written and read back, wiped. */
static void
recovery_code_member(void)
{
	struct bkey_request_spec sp;
	struct bkey_request r;
	bkey_error e;
	char *json;

	CHECK(req(&r, "{\"user\":\"alice\",\"recovery_code\":"
	    "\"4821-9930-1175-3306\"}", &e) == 0);
	CHECK_STR(r.recovery_code, "4821-9930-1175-3306");
	bkey_request_free(&r);
	CHECK(r.recovery_code == NULL);
	CHECK(usage("{\"did\":\"did:bkey:a\",\"recovery_code\":\"1\"}",
	    "needs \"user\""));
	CHECK(usage("{\"user\":\"a\",\"recovery_code\":1}",
	    "must be a string"));
	memset(&sp, 0, sizeof(sp));
	sp.user = "alice";
	sp.scope = "approve:login";
	sp.recovery_code = "1234";
	CHECK((json = bkey_request_write(&sp)) != NULL);
	CHECK(json != NULL && strstr(json, "\"recovery_code\":\"1234\"") !=
	    NULL);
	CHECK(json != NULL && req(&r, json, &e) == 0);
	CHECK_STR(r.recovery_code, "1234");
	bkey_request_free(&r);
	free(json);
}

int
main(void)
{
	unit_suite = "request";
	RUN(full_request);
	RUN(minimal_did_request);
	RUN(identity_rules);
	RUN(unknown_and_malformed);
	RUN(scope_rules);
	RUN(scope_has);
	RUN(scope_validator);
	RUN(timeout_rules);
	RUN(message_and_details);
	RUN(oversized_request);
	RUN(write_round_trip);
	RUN(write_refuses_what_cannot_be_json);
	RUN(recovery_code_member);
	UNIT_DONE();
}
