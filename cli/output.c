/* SPDX-License-Identifier: ISC */
/* Event lines and human progress lines (see output.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "approve.h"
#include "event.h"
#include "output.h"
#include "result.h"
#include "sanitize.h"

static int out_json;
static int out_debug;
/* Set when the helper mapped a user itself: the caller learns the DID. */
static char out_did[BKEY_EVENT_FIELD_SIZE];
static int out_unknown_user;
static int out_vault; /* the approval is a vault access: no token */

void
bkey_out_init(int json, int debug)
{
	out_json = json;
	out_debug = debug;
}

void
bkey_out_mapped(const char *did)
{
	bkey_sanitize_into(out_did, sizeof(out_did), did, strlen(did));
}

void
bkey_out_vault(void)
{
	out_vault = 1;
}

void
bkey_out_unknown_user(void)
{
	out_unknown_user = 1;
}

int
bkey_out_json(void)
{
	return out_json;
}

void
bkey_out_debug_msg(const char *msg)
{
	char clean[600];

	if (!out_debug || msg == NULL)
		return;
	bkey_sanitize_into(clean, sizeof(clean), msg, strlen(msg));
	(void)fprintf(stderr, "bkey-approve: debug: %s\n", clean);
	(void)fflush(stderr);
}

void
bkey_out_debug(const char *fmt, ...)
{
	char raw[600];
	va_list ap;

	if (!out_debug)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	bkey_out_debug_msg(raw);
}

/* One event line, written and flushed at once. */
static int
emit(const struct bkey_event *ev)
{
	char line[BKEY_EVENT_LINE_MAX];

	if (bkey_event_format(ev, line, sizeof(line)) != 0)
		return -1;
	if (fputs(line, stdout) == EOF || fflush(stdout) == EOF)
		return -1;
	return 0;
}

static void
copy_field(char *dst, size_t dstsz, const char *src)
{
	if (src == NULL) {
		dst[0] = '\0';
		return;
	}
	bkey_sanitize_into(dst, dstsz, src, strlen(src));
}

void
bkey_out_pending(const struct bkey_pending *p, void *ctx)
{
	struct bkey_event ev;

	(void)ctx;
	if (!out_json) {
		(void)fprintf(stderr,
		    "Approve on your phone: code %s (expires in %ld s)\n",
		    p->code, p->expires_in);
		(void)fflush(stderr);
		return;
	}
	memset(&ev, 0, sizeof(ev));
	ev.type = BKEY_EV_PENDING;
	copy_field(ev.auth_req_id, sizeof(ev.auth_req_id), p->auth_req_id);
	copy_field(ev.code, sizeof(ev.code), p->code);
	ev.expires_in = p->expires_in;
	ev.interval = p->interval;
	memcpy(ev.did, out_did, sizeof(ev.did));
	if (emit(&ev) != 0)
		bkey_out_debug("could not write the pending event");
}

static int
final_json(bkey_result res, const struct bkey_approval *a,
    const bkey_error *err)
{
	struct bkey_event ev;

	memset(&ev, 0, sizeof(ev));
	switch (res) {
	case BKEY_APPROVED:
		ev.type = BKEY_EV_APPROVED;
		copy_field(ev.sub, sizeof(ev.sub), a->sub);
		copy_field(ev.jti, sizeof(ev.jti), a->jti);
		copy_field(ev.scope, sizeof(ev.scope), a->scope);
		copy_field(ev.auth_req_id, sizeof(ev.auth_req_id),
		    a->auth_req_id);
		ev.exp = a->exp;
		ev.no_token = out_vault;
		memcpy(ev.did, out_did, sizeof(ev.did));
		break;
	case BKEY_DENIED:
		ev.type = BKEY_EV_DENIED;
		break;
	case BKEY_EXPIRED:
		ev.type = BKEY_EV_EXPIRED;
		break;
	default:
		ev.type = BKEY_EV_ERROR;
		ev.reason = res;
		ev.unknown_user = out_unknown_user;
		copy_field(ev.detail, sizeof(ev.detail),
		    err->detail[0] ? err->detail : bkey_result_reason(res));
		break;
	}
	return emit(&ev);
}

static int
final_human(bkey_result res, const struct bkey_approval *a,
    const bkey_error *err)
{
	char detail[BKEY_DETAIL_MAX];
	int n;

	switch (res) {
	case BKEY_APPROVED:
		copy_field(detail, sizeof(detail), a->sub);
		n = fprintf(stderr, "Approved by %s\n", detail);
		break;
	case BKEY_DENIED:
		n = fprintf(stderr, "Denied.\n");
		break;
	case BKEY_EXPIRED:
		n = fprintf(stderr, "Expired: no answer.\n");
		break;
	default:
		copy_field(detail, sizeof(detail),
		    err->detail[0] ? err->detail : bkey_result_reason(res));
		n = fprintf(stderr, "Error (%s): %s\n", bkey_result_reason(res),
		    detail);
		break;
	}
	(void)fflush(stderr);
	return n < 0 ? -1 : 0;
}

int
bkey_out_final(bkey_result res, const struct bkey_approval *a,
    const bkey_error *err)
{
	return out_json ? final_json(res, a, err) : final_human(res, a, err);
}
