/* SPDX-License-Identifier: ISC */
/* The JSON line protocol between bkey-approve and the modules. */
#include "unit.h"
#include "event.h"
#include "valid.h"

static int
parse(struct bkey_event *ev, const char *s)
{
	return bkey_event_parse(ev, s, strlen(s));
}

static void
format_exact(void)
{
	struct bkey_event ev;
	char line[BKEY_EVENT_LINE_MAX];

	memset(&ev, 0, sizeof(ev));
	ev.type = BKEY_EV_PENDING;
	snprintf(ev.auth_req_id, sizeof(ev.auth_req_id), "%s", "req-1");
	snprintf(ev.code, sizeof(ev.code), "%s", "4821");
	ev.expires_in = 300;
	ev.interval = 5;
	CHECK(bkey_event_format(&ev, line, sizeof(line)) == 0);
	CHECK_STR(line, "{\"event\":\"pending\",\"auth_req_id\":\"req-1\","
	    "\"code\":\"4821\",\"expires_in\":300,\"interval\":5}\n");

	memset(&ev, 0, sizeof(ev));
	ev.type = BKEY_EV_APPROVED;
	snprintf(ev.sub, sizeof(ev.sub), "%s", "did:bkey:alice");
	snprintf(ev.jti, sizeof(ev.jti), "%s", "j1");
	snprintf(ev.scope, sizeof(ev.scope), "%s", "openid approve:action");
	ev.exp = 1700000000;
	snprintf(ev.auth_req_id, sizeof(ev.auth_req_id), "%s", "r");
	CHECK(bkey_event_format(&ev, line, sizeof(line)) == 0);
	CHECK_STR(line, "{\"event\":\"approved\",\"sub\":\"did:bkey:alice\","
	    "\"jti\":\"j1\",\"scope\":\"openid approve:action\","
	    "\"exp\":1700000000,\"auth_req_id\":\"r\"}\n");

	memset(&ev, 0, sizeof(ev));
	ev.type = BKEY_EV_DENIED;
	CHECK(bkey_event_format(&ev, line, sizeof(line)) == 0);
	CHECK_STR(line, "{\"event\":\"denied\"}\n");
	ev.type = BKEY_EV_EXPIRED;
	CHECK(bkey_event_format(&ev, line, sizeof(line)) == 0);
	CHECK_STR(line, "{\"event\":\"expired\"}\n");

	ev.type = BKEY_EV_ERROR;
	ev.reason = BKEY_ERR_UNAVAILABLE;
	snprintf(ev.detail, sizeof(ev.detail), "%s", "connect \"x\" failed\x1b[31m");
	CHECK(bkey_event_format(&ev, line, sizeof(line)) == 0);
	CHECK_STR(line, "{\"event\":\"error\",\"reason\":\"unavailable\","
	    "\"detail\":\"connect \\\"x\\\" failed\"}\n");
	/* an error line never says approved */
	ev.reason = BKEY_APPROVED;
	CHECK(bkey_event_format(&ev, line, sizeof(line)) == 0);
	CHECK(strstr(line, "\"reason\":\"internal\"") != NULL);
}

static void
format_limits(void)
{
	struct bkey_event ev;
	char line[64];

	memset(&ev, 0, sizeof(ev));
	ev.type = BKEY_EV_DENIED;
	/* {"event":"denied"}\n is 19 bytes + NUL */
	CHECK(bkey_event_format(&ev, line, 20) == 0);
	CHECK(bkey_event_format(&ev, line, 19) == -1);
	ev.type = BKEY_EV_NONE;
	CHECK(bkey_event_format(&ev, line, sizeof(line)) == -1);
	ev.type = (enum bkey_event_type)42;
	CHECK(bkey_event_format(&ev, line, sizeof(line)) == -1);
}

static void
roundtrip(void)
{
	struct bkey_event a, b;
	char line[BKEY_EVENT_LINE_MAX];
	int t;

	for (t = BKEY_EV_PENDING; t <= BKEY_EV_ERROR; t++) {
		memset(&a, 0, sizeof(a));
		a.type = (enum bkey_event_type)t;
		snprintf(a.auth_req_id, sizeof(a.auth_req_id), "%s", "abc-\xc3\xa9");
		snprintf(a.code, sizeof(a.code), "%s", "0007");
		a.expires_in = 120;
		a.interval = 0;
		snprintf(a.sub, sizeof(a.sub), "%s", "did:bkey:x");
		snprintf(a.jti, sizeof(a.jti), "%s", "jti\"1");
		snprintf(a.scope, sizeof(a.scope), "%s", "s");
		a.exp = -1;
		a.reason = BKEY_ERR_CANCELLED;
		snprintf(a.detail, sizeof(a.detail), "%s", "bye\\");
		CHECK(bkey_event_format(&a, line, sizeof(line)) == 0);
		CHECK(line[strlen(line) - 1] == '\n');
		CHECK(bkey_event_parse(&b, line, strlen(line) - 1) == 0);
		CHECK(b.type == a.type);
		switch (t) {
		case BKEY_EV_PENDING:
			CHECK_STR(b.auth_req_id, a.auth_req_id);
			CHECK_STR(b.code, "0007");
			CHECK(b.expires_in == 120 && b.interval == 0);
			break;
		case BKEY_EV_APPROVED:
			CHECK_STR(b.sub, a.sub);
			CHECK_STR(b.jti, a.jti);
			CHECK_STR(b.scope, a.scope);
			CHECK_STR(b.auth_req_id, a.auth_req_id);
			CHECK(b.exp == -1);
			break;
		case BKEY_EV_ERROR:
			CHECK(b.reason == BKEY_ERR_CANCELLED);
			CHECK_STR(b.detail, "bye\\");
			break;
		}
	}
}

static void
parse_rejects(void)
{
	struct bkey_event ev;
	char big[600];

	CHECK(parse(&ev, "") == -1);
	CHECK(parse(&ev, "not json") == -1);
	CHECK(parse(&ev, "[]") == -1);
	CHECK(parse(&ev, "{}") == -1);
	CHECK(parse(&ev, "{\"event\":\"Approved\"}") == -1);
	CHECK(parse(&ev, "{\"event\":\"ok\"}") == -1);
	CHECK(parse(&ev, "{\"event\":1}") == -1);
	CHECK(parse(&ev, "{\"event\":\"denied\",\"event\":\"approved\"}") == -1);
	CHECK(parse(&ev, "{\"event\":\"denied\"} {\"event\":\"approved\"}") == -1);
	CHECK(ev.type == BKEY_EV_NONE);
	/* pending */
	CHECK(parse(&ev, "{\"event\":\"pending\",\"auth_req_id\":\"r\","
	    "\"code\":\"4821\",\"expires_in\":300,\"interval\":5}") == 0);
	CHECK(ev.type == BKEY_EV_PENDING);
	CHECK(parse(&ev, "{\"event\":\"pending\",\"auth_req_id\":\"r\","
	    "\"code\":\"482\",\"expires_in\":300,\"interval\":5}") == -1);
	CHECK(parse(&ev, "{\"event\":\"pending\",\"auth_req_id\":\"r\","
	    "\"code\":\"48210\",\"expires_in\":300,\"interval\":5}") == -1);
	CHECK(parse(&ev, "{\"event\":\"pending\",\"auth_req_id\":\"r\","
	    "\"code\":\"48a1\",\"expires_in\":300,\"interval\":5}") == -1);
	CHECK(parse(&ev, "{\"event\":\"pending\",\"auth_req_id\":\"r\","
	    "\"code\":4821,\"expires_in\":300,\"interval\":5}") == -1);
	CHECK(parse(&ev, "{\"event\":\"pending\",\"auth_req_id\":\"r\","
	    "\"code\":\"\\u0664821\",\"expires_in\":300,\"interval\":5}") == -1);
	CHECK(parse(&ev, "{\"event\":\"pending\",\"auth_req_id\":\"r\","
	    "\"code\":\"4821\",\"expires_in\":-1,\"interval\":5}") == -1);
	CHECK(parse(&ev, "{\"event\":\"pending\",\"auth_req_id\":\"r\","
	    "\"code\":\"4821\",\"expires_in\":300,\"interval\":5.5}") == -1);
	CHECK(parse(&ev, "{\"event\":\"pending\",\"auth_req_id\":\"r\","
	    "\"code\":\"4821\",\"expires_in\":300}") == -1);
	CHECK(parse(&ev, "{\"event\":\"pending\","
	    "\"code\":\"4821\",\"expires_in\":300,\"interval\":5}") == -1);
	CHECK(parse(&ev, "{\"event\":\"pending\",\"auth_req_id\":\"\","
	    "\"code\":\"4821\",\"expires_in\":300,\"interval\":5}") == -1);
	/* approved */
	CHECK(parse(&ev, "{\"event\":\"approved\",\"sub\":\"did:bkey:a\","
	    "\"jti\":\"j\",\"scope\":\"s\",\"exp\":1,\"auth_req_id\":\"r\"}") == 0);
	CHECK(ev.type == BKEY_EV_APPROVED && ev.exp == 1);
	CHECK(parse(&ev, "{\"event\":\"approved\",\"sub\":\"did:bkey:a\","
	    "\"jti\":\"j\",\"scope\":\"s\",\"exp\":\"1\",\"auth_req_id\":\"r\"}") == -1);
	CHECK(ev.type == BKEY_EV_NONE);
	CHECK(parse(&ev, "{\"event\":\"approved\",\"sub\":\"did:bkey:a\","
	    "\"jti\":\"j\",\"scope\":\"s\",\"exp\":1}") == -1);
	CHECK(parse(&ev, "{\"event\":\"approved\","
	    "\"jti\":\"j\",\"scope\":\"s\",\"exp\":1,\"auth_req_id\":\"r\"}") == -1);
	CHECK(parse(&ev, "{\"event\":\"approved\",\"sub\":\"\\u001b\","
	    "\"jti\":\"j\",\"scope\":\"s\",\"exp\":1,\"auth_req_id\":\"r\"}") == -1);
	CHECK(parse(&ev, "{\"event\":\"approved\",\"sub\":null,"
	    "\"jti\":\"j\",\"scope\":\"s\",\"exp\":1,\"auth_req_id\":\"r\"}") == -1);
	/* over-long values: 256 bytes do not fit a 256-byte field (jti);
	 * sub holds a DID, BKEY_DID_MAX bytes (longest_did), not one more */
	memset(big, 'a', BKEY_DID_MAX + 1);
	big[BKEY_DID_MAX + 1] = '\0';
	{
		char line[1024];

		snprintf(line, sizeof(line), "{\"event\":\"approved\",\"sub\":"
		    "\"%s\",\"jti\":\"j\",\"scope\":\"s\",\"exp\":1,"
		    "\"auth_req_id\":\"r\"}", big);
		CHECK(parse(&ev, line) == -1);
		big[256] = '\0';
		snprintf(line, sizeof(line), "{\"event\":\"approved\",\"sub\":"
		    "\"s\",\"jti\":\"%s\",\"scope\":\"s\",\"exp\":1,"
		    "\"auth_req_id\":\"r\"}", big);
		CHECK(parse(&ev, line) == -1);
		big[255] = '\0';
		snprintf(line, sizeof(line), "{\"event\":\"approved\",\"sub\":"
		    "\"s\",\"jti\":\"%s\",\"scope\":\"s\",\"exp\":1,"
		    "\"auth_req_id\":\"r\"}", big);
		CHECK(parse(&ev, line) == 0);
		CHECK(strlen(ev.jti) == 255);
	}
	/* a line with a newline inside, or longer than the protocol max */
	CHECK(parse(&ev, "{\"event\":\"denied\"}\n") == -1);
	{
		char *l = malloc(BKEY_EVENT_LINE_MAX + 100);

		if (l != NULL) {
			memset(l, ' ', BKEY_EVENT_LINE_MAX + 100);
			memcpy(l, "{\"event\":\"denied\"}", 18);
			CHECK(bkey_event_parse(&ev, l, BKEY_EVENT_LINE_MAX + 100)
			    == -1);
			CHECK(bkey_event_parse(&ev, l, BKEY_EVENT_LINE_MAX) == 0);
			free(l);
		}
	}
}

static void
parse_error_events(void)
{
	struct bkey_event ev;

	CHECK(parse(&ev, "{\"event\":\"error\",\"reason\":\"config\","
	    "\"detail\":\"bad \\u001b[2Jline\\n\"}") == 0);
	CHECK(ev.type == BKEY_EV_ERROR && ev.reason == BKEY_ERR_CONFIG);
	CHECK_STR(ev.detail, "bad line");
	CHECK(parse(&ev, "{\"event\":\"error\",\"reason\":\"token\","
	    "\"detail\":\"\"}") == 0);
	CHECK(ev.reason == BKEY_ERR_TOKEN);
	/* unknown reason: internal; an outcome word is no error reason */
	CHECK(parse(&ev, "{\"event\":\"error\",\"reason\":\"weird\","
	    "\"detail\":\"x\"}") == 0);
	CHECK(ev.reason == BKEY_ERR_INTERNAL);
	CHECK(parse(&ev, "{\"event\":\"error\",\"reason\":\"approved\","
	    "\"detail\":\"x\"}") == 0);
	CHECK(ev.reason == BKEY_ERR_INTERNAL);
	CHECK(parse(&ev, "{\"event\":\"error\",\"reason\":\"denied\","
	    "\"detail\":\"x\"}") == 0);
	CHECK(ev.reason == BKEY_ERR_INTERNAL);
	CHECK(parse(&ev, "{\"event\":\"error\",\"detail\":\"x\"}") == -1);
	CHECK(parse(&ev, "{\"event\":\"error\",\"reason\":\"usage\"}") == -1);
	CHECK(parse(&ev, "{\"event\":\"error\",\"reason\":4,"
	    "\"detail\":\"x\"}") == -1);
}

/* REV finding: a DID of BKEY_DID_MAX bytes is valid in the users file; the
 * approved event must carry it whole, or the module's "approved for the
 * DID asked" check denies every approval that user ever gets. */
static void
longest_did(void)
{
	struct bkey_event ev;
	char did[BKEY_DID_MAX + 1], line[BKEY_EVENT_LINE_MAX];

	memcpy(did, "did:bkey:", 9);
	memset(did + 9, 'a', BKEY_DID_MAX - 9);
	did[BKEY_DID_MAX] = '\0';
	CHECK(bkey_did_valid(did));
	snprintf(line, sizeof(line), "{\"event\":\"approved\",\"sub\":\"%s\","
	    "\"jti\":\"j\",\"scope\":\"approve:action\",\"exp\":1,"
	    "\"auth_req_id\":\"r\"}", did);
	memset(&ev, 0, sizeof(ev));
	CHECK(parse(&ev, line) == 0);
	CHECK_STR(ev.sub, did);
}

/* "recovered": its own final event, never read as an approval. */
static void
recovered_event(void)
{
	struct bkey_event ev;
	char line[BKEY_EVENT_LINE_MAX];

	memset(&ev, 0, sizeof(ev));
	ev.type = BKEY_EV_RECOVERED;
	ev.remaining = 7;
	CHECK(bkey_event_format(&ev, line, sizeof(line)) == 0);
	CHECK_STR(line, "{\"event\":\"recovered\",\"remaining\":7}\n");
	CHECK(parse(&ev, "{\"event\":\"recovered\",\"remaining\":3}") == 0);
	CHECK(ev.type == BKEY_EV_RECOVERED && ev.remaining == 3);
	CHECK(parse(&ev, "{\"event\":\"recovered\"}") != 0);
	CHECK(parse(&ev, "{\"event\":\"recovered\",\"remaining\":-1}") != 0);
}

int
main(void)
{
	unit_suite = "event";
	RUN(format_exact);
	RUN(format_limits);
	RUN(roundtrip);
	RUN(parse_rejects);
	RUN(parse_error_events);
	RUN(longest_did);
	RUN(recovered_event);
	UNIT_DONE();
}
