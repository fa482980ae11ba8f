/*
 * pam_bkey: the login waits until the user approves it on their phone.
 *
 * The module never talks to the network itself: it maps the user to a DID,
 * builds the request and starts bkey-approve (common/spawn.c), shows the
 * code and turns the helper's verified result into a PAM code. Every path
 * that is not a verified approval ends in a failure code; PAM_IGNORE is
 * returned only for users the configuration says need no approval.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#define PAM_SM_AUTH
#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "buf.h"
#include "config.h"
#include "event.h"
#include "jsonw.h"
#include "sanitize.h"
#include "request.h"
#include "spawn.h"
#include "users.h"
#include "pam_bkey.h"

#define REQUEST_MAX	(16 * 1024)
#define LOG_FIELD_MAX	128

/* One PAM item, escaped, into dst ("" when unset); its raw value back. */
static const char *
get_item(pam_handle_t *pamh, int type, char *dst, size_t dstsz)
{
	const void *v = NULL;

	dst[0] = '\0';
	if (pam_get_item(pamh, type, &v) != PAM_SUCCESS || v == NULL)
		return NULL;
	bkey_escape_into(dst, dstsz, v, strlen(v));
	return v;
}

static void
get_items(pam_handle_t *pamh, const char *user, struct pbk_items *it)
{
	char host[HOST_NAME_MAX + 1];

	memset(it, 0, sizeof(*it));
	bkey_escape_into(it->user, sizeof(it->user), user, strlen(user));
	it->raw_user = user;
	it->raw_service = get_item(pamh, PAM_SERVICE, it->service,
	    sizeof(it->service));
	it->raw_rhost = get_item(pamh, PAM_RHOST, it->rhost,
	    sizeof(it->rhost));
	(void)get_item(pamh, PAM_TTY, it->tty, sizeof(it->tty));
	if (gethostname(host, sizeof(host)) == 0) {
		host[sizeof(host) - 1] = '\0';
		bkey_escape_into(it->host, sizeof(it->host), host,
		    strlen(host));
	}
}

/*
 * The one line per decision. outcome is a fixed word; detail (may be NULL)
 * is free text from the helper or the config, already sanitized.
 */
static void
log_decision(pam_handle_t *pamh, int prio, const char *outcome,
    const struct pbk_items *it, const struct bkey_event *ev,
    long long t0, const char *detail)
{
	char u[LOG_FIELD_MAX], s[LOG_FIELD_MAX], r[LOG_FIELD_MAX];
	char id[LOG_FIELD_MAX], j[LOG_FIELD_MAX], d[2 * BKEY_DETAIL_MAX];

	bkey_log_word(u, sizeof(u), it->raw_user);
	bkey_log_word(s, sizeof(s), it->raw_service);
	bkey_log_word(r, sizeof(r), it->raw_rhost);
	bkey_log_word(id, sizeof(id), ev ? ev->auth_req_id : NULL);
	bkey_log_word(j, sizeof(j), ev ? ev->jti : NULL);
	(void)bkey_log_quoted(d, sizeof(d), detail);
	pam_syslog(pamh, prio, "outcome=%s user=%s service=%s rhost=%s "
	    "auth_req_id=%s jti=%s elapsed_ms=%lld%s%s%s", outcome, u, s, r,
	    id, j, bkey_now_ms() - t0, d[0] ? " detail=\"" : "", d,
	    d[0] ? "\"" : "");
}

/* {"did", "scope", "message", "action_details": {...}, "timeout"} */
static char *
build_request(const struct pbk_args *a, const struct pbk_items *it,
    const char *did, long timeout)
{
	bkey_buf b, d;
	bkey_jobj o, det;
	char msg[BKEY_MESSAGE_MAX + 1];
	char *out = NULL;

	bkey_buf_init(&b, REQUEST_MAX);
	bkey_buf_init(&d, BKEY_DETAILS_MAX * 2);
	pbk_message_expand(a->message, it, msg, sizeof(msg));

	bkey_jobj_begin(&det, &d);
	bkey_jobj_str(&det, "type", "login");
	bkey_jobj_str(&det, "service", it->service);
	bkey_jobj_str(&det, "user", it->user);
	bkey_jobj_str(&det, "host", it->host);
	if (it->rhost[0])
		bkey_jobj_str(&det, "rhost", it->rhost);
	if (it->tty[0])
		bkey_jobj_str(&det, "tty", it->tty);
	if (bkey_jobj_end(&det) != 0)
		goto out;

	bkey_jobj_begin(&o, &b);
	bkey_jobj_str(&o, "did", did);
	bkey_jobj_str(&o, "scope", a->scope);
	bkey_jobj_str(&o, "message", msg);
	bkey_jobj_raw(&o, "action_details", d.data);
	bkey_jobj_int(&o, "timeout", timeout);
	if (bkey_jobj_end(&o) != 0)
		goto out;
	out = bkey_buf_steal(&b);
out:
	bkey_buf_free(&d);
	bkey_buf_free(&b);
	return out;
}

/* PAM code for a failed (non-approved) outcome. Never SUCCESS or IGNORE. */
static int
failure_code(bkey_result r)
{
	switch (r) {
	case BKEY_DENIED:
	case BKEY_EXPIRED:
	case BKEY_ERR_PROTOCOL:
	case BKEY_ERR_TOKEN:
	case BKEY_ERR_CANCELLED:
		return PAM_AUTH_ERR;
	case BKEY_ERR_UNAVAILABLE:
		return PAM_AUTHINFO_UNAVAIL;
	case BKEY_ERR_CONFIG:
	case BKEY_ERR_USAGE:
		return PAM_SERVICE_ERR;
	case BKEY_APPROVED:	/* a caller bug: never turn it into success */
	case BKEY_ERR_INTERNAL:
	default:
		return PAM_SYSTEM_ERR;
	}
}

static const char *
user_text(bkey_result r)
{
	switch (r) {
	case BKEY_DENIED:
		return "Login denied on the phone.";
	case BKEY_EXPIRED:
		return "Login approval timed out.";
	case BKEY_ERR_UNAVAILABLE:
		return "Login approval service unavailable.";
	default:
		return "Login approval failed.";
	}
}

static int
set_env(pam_handle_t *pamh, const char *name, const char *val)
{
	char buf[512];
	int n = snprintf(buf, sizeof(buf), "%s=%s", name, val);

	if (n < 0 || (size_t)n >= sizeof(buf))
		return PAM_BUF_ERR;
	return pam_putenv(pamh, buf);
}

/* Remove name from the PAM environment; absent is fine. */
static int
unset_env(pam_handle_t *pamh, const char *name)
{
	int r = pam_putenv(pamh, name);

	return r == PAM_BAD_ITEM ? PAM_SUCCESS : r;
}

/*
 * Run the helper and wait for its verdict. Fills *ev with the final event
 * (or leaves type NONE) and returns the outcome; err says why on failure.
 */
static bkey_result
wait_for_approval(pam_handle_t *pamh, const struct pbk_args *a, int flags,
    const struct pbk_items *it, const char *request, long timeout,
    struct bkey_event *ev, bkey_error *err, int *conv_failed)
{
	struct bkey_child ch;
	struct bkey_event pend;
	long long deadline;
	int shown = 0;
	bkey_result res;

	memset(ev, 0, sizeof(*ev));
	memset(&pend, 0, sizeof(pend));
	if (bkey_spawn(&ch, a->helper, a->conf, a->debug, request, err) != 0)
		return err->code;
	deadline = bkey_now_ms() + (timeout + PBK_DEADLINE_MARGIN_S) * 1000LL;
	for (;;) {
		if (bkey_spawn_next(&ch, ev, deadline, -1, err) != 0) {
			res = err->code;
			memset(ev, 0, sizeof(*ev));
			goto fail;
		}
		if (ev->type != BKEY_EV_PENDING)
			break;
		pend = *ev;
		if (a->debug)
			pam_syslog(pamh, LOG_DEBUG, "pending auth_req_id=%s "
			    "expires_in=%ld", pend.auth_req_id, pend.expires_in);
		if (!shown) {
			int r;

			shown = 1;
			r = pbk_cue_show(pamh, a, flags, it->service, ev->code);
			if (r != PAM_SUCCESS) {
				*conv_failed = 1;
				bkey_seterr(err, BKEY_ERR_CANCELLED,
				    "conversation failed: %s",
				    pam_strerror(pamh, r));
				res = BKEY_ERR_CANCELLED;
				memset(ev, 0, sizeof(*ev));
				goto fail;
			}
		}
	}
	res = bkey_spawn_finish(&ch, ev, err);
	if (ev->auth_req_id[0] == '\0')
		memcpy(ev->auth_req_id, pend.auth_req_id,
		    sizeof(ev->auth_req_id));
	bkey_spawn_kill(&ch);
	return res;
fail:
	bkey_spawn_kill(&ch);
	memcpy(ev->auth_req_id, pend.auth_req_id, sizeof(ev->auth_req_id));
	return res == BKEY_APPROVED ? BKEY_ERR_INTERNAL : res;
}

PAM_EXTERN int
pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct pbk_args a;
	struct pbk_items it;
	struct bkey_config cfg;
	struct bkey_event ev;
	bkey_error err;
	const char *user = NULL;
	char *did = NULL, *request = NULL, acct[PBK_ITEM_MAX];
	long long t0 = bkey_now_ms();
	long timeout;
	int cfg_loaded = 0, conv_failed = 0, ret = PAM_SYSTEM_ERR, r;
	bkey_result res;

	memset(&err, 0, sizeof(err));
	memset(&ev, 0, sizeof(ev));
	memset(&it, 0, sizeof(it));
	if (pbk_args_parse(pamh, argc, argv, &a) != PAM_SUCCESS)
		return PAM_SERVICE_ERR;

	r = pam_get_user(pamh, &user, NULL);
	if (r != PAM_SUCCESS || user == NULL || *user == '\0') {
		pam_syslog(pamh, LOG_ERR, "cannot get the user name: %s",
		    pam_strerror(pamh, r));
		if (r == PAM_CONV_AGAIN)
			return PAM_INCOMPLETE;
		return r == PAM_SUCCESS ? PAM_USER_UNKNOWN : r;
	}
	get_items(pamh, user, &it);

	if (a.groups != NULL && bkey_username_valid(user)) {
		/* The account's own name: group member lists name it, not
		 * another spelling a case-insensitive data base accepts. */
		r = bkey_account_name(user, acct, sizeof(acct));
		if (r < 0) {
			log_decision(pamh, LOG_ERR, "error", &it, NULL, t0,
			    "groups=: user or group look-up failed");
			return PAM_SYSTEM_ERR;
		}
		r = pbk_user_in_groups(pamh, r == 0 ? acct : user, a.groups);
		if (r == 0) {
			log_decision(pamh, LOG_INFO, "ignored", &it, NULL, t0,
			    "not in groups=");
			return PAM_IGNORE;
		}
		if (r == PBK_GROUPS_NO_USER) {
			log_decision(pamh, LOG_NOTICE, "unknown_user", &it,
			    NULL, t0, "no such user for groups=");
			return PAM_USER_UNKNOWN;
		}
		if (r == PBK_GROUPS_LOOKUP_FAILED) {
			log_decision(pamh, LOG_ERR, "error", &it, NULL, t0,
			    "groups=: user or group look-up failed");
			return PAM_SYSTEM_ERR;
		}
		if (r < 0) {
			log_decision(pamh, LOG_ERR, "error", &it, NULL, t0,
			    "groups= check failed");
			return PAM_SERVICE_ERR;
		}
	}

	if (bkey_config_load_public(&cfg, a.conf, &err) != 0) {
		log_decision(pamh, LOG_ERR, "error", &it, NULL, t0, err.detail);
		return PAM_SERVICE_ERR;
	}
	cfg_loaded = 1;

	r = bkey_username_valid(user) ?
	    bkey_users_lookup(cfg.users_file, user, &did, &err) : 1;
	if (r > 0) {
		/* Another spelling of an enrolled account's name ("ALICE" with
		 * a case-insensitive user data base) is that account: never
		 * "not enrolled", which nouserok would wave through. */
		int an = bkey_account_name(user, acct, sizeof(acct));

		if (an < 0) {
			log_decision(pamh, LOG_ERR, "error", &it, NULL, t0,
			    "user look-up failed");
			ret = PAM_SYSTEM_ERR;
			goto out;
		}
		if (an == 0 && strcmp(acct, user) != 0 &&
		    bkey_username_valid(acct)) {
			r = bkey_users_lookup(cfg.users_file, acct, &did, &err);
			if (r == 0 && a.debug)
				pam_syslog(pamh, LOG_DEBUG, "user mapped "
				    "through its account name %s", acct);
		}
	}
	if (r < 0) {
		log_decision(pamh, LOG_ERR, "error", &it, NULL, t0, err.detail);
		ret = PAM_SERVICE_ERR;
		goto out;
	}
	if (r > 0) {
		log_decision(pamh, a.nouserok ? LOG_INFO : LOG_NOTICE,
		    a.nouserok ? "ignored" : "unknown_user", &it, NULL, t0,
		    "no DID for this user");
		ret = a.nouserok ? PAM_IGNORE : PAM_USER_UNKNOWN;
		goto out;
	}

	timeout = a.timeout > 0 ? a.timeout : cfg.timeout;
	/* The in-process config was needed only for the two values above. */
	bkey_config_free(&cfg);
	cfg_loaded = 0;

	if ((request = build_request(&a, &it, did, timeout)) == NULL) {
		log_decision(pamh, LOG_ERR, "error", &it, NULL, t0,
		    "cannot build the request");
		ret = PAM_BUF_ERR;
		goto out;
	}
	if (a.debug)
		pam_syslog(pamh, LOG_DEBUG, "request %s", request);

	res = wait_for_approval(pamh, &a, flags, &it, request, timeout, &ev,
	    &err, &conv_failed);

	if (res == BKEY_APPROVED && ev.type == BKEY_EV_APPROVED &&
	    strcmp(ev.sub, did) == 0 &&
	    bkey_scope_has(ev.scope, a.scope, strlen(a.scope))) {
		if (set_env(pamh, "BKEY_APPROVAL_JTI", ev.jti) != PAM_SUCCESS ||
		    set_env(pamh, "BKEY_APPROVED_BY", did) != PAM_SUCCESS) {
			log_decision(pamh, LOG_ERR, "error", &it, &ev, t0,
			    "pam_putenv failed");
			ret = PAM_SYSTEM_ERR;
			goto out;
		}
		log_decision(pamh, LOG_INFO, "approved", &it, &ev, t0, NULL);
		ret = PAM_SUCCESS;
		goto out;
	}
	if (res == BKEY_APPROVED) {
		/* The helper checks sub and scope; this is a second line
		 * of defence. */
		log_decision(pamh, LOG_ERR, "error", &it, &ev, t0,
		    "approval for another DID or scope");
		ret = PAM_AUTH_ERR;
		goto out;
	}
	if (res == BKEY_ERR_UNAVAILABLE && a.failmode_safe &&
	    ev.type == BKEY_EV_ERROR && ev.reason == BKEY_ERR_UNAVAILABLE) {
		/* Success without an approval: no earlier approval's names
		 * may stay behind to be read as this one's. */
		if (unset_env(pamh, "BKEY_APPROVAL_JTI") != PAM_SUCCESS ||
		    unset_env(pamh, "BKEY_APPROVED_BY") != PAM_SUCCESS) {
			log_decision(pamh, LOG_ERR, "error", &it, &ev, t0,
			    "pam_putenv failed");
			ret = PAM_SYSTEM_ERR;
			goto out;
		}
		log_decision(pamh, LOG_WARNING, "unavailable_allowed", &it,
		    &ev, t0, "failmode=safe: login allowed without approval");
		ret = PAM_SUCCESS;
		goto out;
	}
	ret = conv_failed ? PAM_AUTH_ERR : failure_code(res);
	log_decision(pamh, res == BKEY_DENIED || res == BKEY_EXPIRED ?
	    LOG_NOTICE : LOG_ERR, conv_failed ? "conv_error" :
	    bkey_result_reason(res), &it, &ev, t0, err.detail);
	if (!conv_failed)
		pbk_cue_error(pamh, &a, flags, user_text(res));
out:
	if (cfg_loaded)
		bkey_config_free(&cfg);
	free(did);
	if (request != NULL) {
		explicit_bzero(request, strlen(request));
		free(request);
	}
	return ret;
}

PAM_EXTERN int
pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)pamh;
	(void)flags;
	(void)argc;
	(void)argv;
	return PAM_SUCCESS;
}
