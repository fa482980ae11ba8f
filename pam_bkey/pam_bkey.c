/* SPDX-License-Identifier: ISC */
/*
 * pam_bkey: the login waits until the user approves it on their phone.
 *
 * The module never talks to the network itself: it maps the user to a DID,
 * asks bkey-approve (common/helper_run.c), shows the code and turns the
 * helper's verified result into a PAM code. Every path
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
#include "clock.h"
#include "config.h"
#include "event.h"
#include "jsonw.h"
#include "outcome.h"
#include "sanitize.h"
#include "helper_run.h"
#include "request.h"
#include "users.h"
#include "pam_bkey.h"

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

/* One authentication: what every step below reads and fills in. */
struct pbk_run {
	pam_handle_t *pamh;
	const struct pbk_args *a;
	int flags;
	struct pbk_items it;
	long long t0;
	char *did;		/* the user's DID, once mapped */
	char user[PBK_ITEM_MAX];	/* users_ldap_uri: for the helper to map */
	long timeout;
	int conv_failed;
};

/*
 * The one line per decision (words: common/outcome.h); detail (may be NULL)
 * is free text from the helper or the config, already sanitized.
 */
static void
log_decision(const struct pbk_run *run, int prio, bkey_outcome outcome,
    const struct bkey_event *ev, const char *detail)
{
	const struct pbk_items *it = &run->it;
	char u[LOG_FIELD_MAX], s[LOG_FIELD_MAX], r[LOG_FIELD_MAX];
	char id[LOG_FIELD_MAX], j[LOG_FIELD_MAX], d[2 * BKEY_DETAIL_MAX];

	bkey_log_word(u, sizeof(u), it->raw_user);
	bkey_log_word(s, sizeof(s), it->raw_service);
	bkey_log_word(r, sizeof(r), it->raw_rhost);
	bkey_log_word(id, sizeof(id), ev ? ev->auth_req_id : NULL);
	bkey_log_word(j, sizeof(j), ev ? ev->jti : NULL);
	(void)bkey_log_quoted(d, sizeof(d), detail);
	pam_syslog(run->pamh, prio, "outcome=%s user=%s service=%s rhost=%s "
	    "auth_req_id=%s jti=%s elapsed_ms=%lld%s%s%s",
	    bkey_outcome_word(outcome), u, s, r, id, j,
	    bkey_now_ms() - run->t0, d[0] ? " detail=\"" : "", d,
	    d[0] ? "\"" : "");
}

/* action_details: {"type": "login", "service", "user", "host", ...}. */
static char *
build_details(const struct pbk_items *it)
{
	bkey_buf d;
	bkey_jobj det;
	char *out = NULL;

	bkey_buf_init(&d, BKEY_DETAILS_MAX * 2);
	bkey_jobj_begin(&det, &d);
	bkey_jobj_str(&det, "type", "login");
	bkey_jobj_str(&det, "service", it->service);
	bkey_jobj_str(&det, "user", it->user);
	bkey_jobj_str(&det, "host", it->host);
	if (it->rhost[0])
		bkey_jobj_str(&det, "rhost", it->rhost);
	if (it->tty[0])
		bkey_jobj_str(&det, "tty", it->tty);
	if (bkey_jobj_end(&det) == 0)
		out = bkey_buf_steal(&d);
	bkey_buf_free(&d);
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
	case BKEY_ERR_RATE_LIMITED:
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
	case BKEY_ERR_RATE_LIMITED:
		return "Too many login approval requests; try again later.";
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

/* Show the code; a failed conversation aborts the request. */
static int
on_pending(const struct bkey_event *ev, void *ctx, bkey_error *err)
{
	struct pbk_run *run = ctx;
	int r;

	if (run->a->debug)
		pam_syslog(run->pamh, LOG_DEBUG, "pending auth_req_id=%s "
		    "expires_in=%ld", ev->auth_req_id, ev->expires_in);
	r = pbk_cue_show(run->pamh, run->a, run->flags, run->it.service,
	    ev->code);
	if (r == PAM_SUCCESS)
		return 0;
	run->conv_failed = 1;
	return bkey_seterr(err, BKEY_ERR_CANCELLED, "conversation failed: %s",
	    pam_strerror(run->pamh, r));
}

/* The user's name from PAM: PAM_SUCCESS or the code to return. */
static int
get_user(pam_handle_t *pamh, const char **user)
{
	int r = pam_get_user(pamh, user, NULL);

	if (r == PAM_SUCCESS && *user != NULL && **user != '\0')
		return PAM_SUCCESS;
	pam_syslog(pamh, LOG_ERR, "cannot get the user name: %s",
	    pam_strerror(pamh, r));
	if (r == PAM_CONV_AGAIN)
		return PAM_INCOMPLETE;
	return r == PAM_SUCCESS ? PAM_USER_UNKNOWN : r;
}

/* groups=: PAM_SUCCESS if the user needs an approval, else the code. */
static int
check_groups(struct pbk_run *run, const char *user)
{
	pam_handle_t *pamh = run->pamh;
	char acct[PBK_ITEM_MAX];
	int r;

	if (run->a->groups == NULL || !bkey_username_valid(user))
		return PAM_SUCCESS;
	/* The account's own name: group member lists name it, not
	 * another spelling a case-insensitive data base accepts. */
	r = bkey_account_name(user, acct, sizeof(acct));
	if (r < 0)
		goto lookup_failed;
	r = pbk_user_in_groups(pamh, r == 0 ? acct : user, run->a->groups);
	if (r > 0)
		return PAM_SUCCESS;
	if (r == 0) {
		log_decision(run, LOG_INFO, BKEY_OUT_IGNORED, NULL,
		    "not in groups=");
		return PAM_IGNORE;
	}
	if (r == PBK_GROUPS_NO_USER) {
		log_decision(run, LOG_NOTICE, BKEY_OUT_UNKNOWN_USER, NULL,
		    "no such user for groups=");
		return PAM_USER_UNKNOWN;
	}
	if (r != PBK_GROUPS_LOOKUP_FAILED) {
		log_decision(run, LOG_ERR, BKEY_OUT_ERROR, NULL,
		    "groups= check failed");
		return PAM_SERVICE_ERR;
	}
lookup_failed:
	log_decision(run, LOG_ERR, BKEY_OUT_ERROR, NULL,
	    "groups=: user or group look-up failed");
	return PAM_SYSTEM_ERR;
}

/*
 * The DID in the users file for user: 0, 1 none, -1 error (err set), -2
 * the account look-up failed. Another spelling of an enrolled account's
 * name ("ALICE" with a case-insensitive user data base) is that account:
 * never "not enrolled", which nouserok would wave through.
 */
static int
lookup_did(struct pbk_run *run, const char *users, const char *user,
    bkey_error *err)
{
	char acct[PBK_ITEM_MAX];
	int r, an;

	r = bkey_username_valid(user) ?
	    bkey_users_lookup(users, user, &run->did, err) : 1;
	if (r <= 0)
		return r;
	an = bkey_account_name(user, acct, sizeof(acct));
	if (an < 0)
		return -2;
	if (an == 0 && strcmp(acct, user) != 0 && bkey_username_valid(acct)) {
		r = bkey_users_lookup(users, acct, &run->did, err);
		if (r == 0 && run->a->debug)
			pam_syslog(run->pamh, LOG_DEBUG, "user mapped "
			    "through its account name %s", acct);
	}
	return r;
}

/*
 * users_ldap_uri: the helper maps the name (this process never talks to
 * the directory). The account's own spelling is sent, as lookup_did
 * would map it: 0, 1 not a name that can be enrolled, -2 look-up failed.
 */
static int
ldap_user(struct pbk_run *run, const char *user)
{
	char acct[PBK_ITEM_MAX];
	int an;

	if (!bkey_username_valid(user))
		return 1;
	an = bkey_account_name(user, acct, sizeof(acct));
	if (an < 0)
		return -2;
	if (an == 0 && bkey_username_valid(acct))
		user = acct;
	(void)snprintf(run->user, sizeof(run->user), "%s", user);
	return 0;
}

/* A user with no DID: nouserok decides. */
static int
no_did(struct pbk_run *run)
{
	log_decision(run, run->a->nouserok ? LOG_INFO : LOG_NOTICE,
	    run->a->nouserok ? BKEY_OUT_IGNORED : BKEY_OUT_UNKNOWN_USER,
	    NULL, "no DID for this user");
	return run->a->nouserok ? PAM_IGNORE : PAM_USER_UNKNOWN;
}

/* The user's DID and the timeout: PAM_SUCCESS, or the code to return. */
static int
map_user(struct pbk_run *run, const char *user)
{
	struct bkey_config cfg;
	bkey_error err;
	int r, ret = PAM_SUCCESS;

	memset(&err, 0, sizeof(err));
	if (bkey_config_load_public(&cfg, run->a->conf, &err) != 0) {
		log_decision(run, LOG_ERR, BKEY_OUT_ERROR, NULL, err.detail);
		return PAM_SERVICE_ERR;
	}
	if (cfg.users_ldap_uri != NULL)
		r = ldap_user(run, user);
	else
		r = lookup_did(run, cfg.users_file, user, &err);
	if (r == -2) {
		log_decision(run, LOG_ERR, BKEY_OUT_ERROR, NULL,
		    "user look-up failed");
		ret = PAM_SYSTEM_ERR;
	} else if (r < 0) {
		log_decision(run, LOG_ERR, BKEY_OUT_ERROR, NULL, err.detail);
		ret = PAM_SERVICE_ERR;
	} else if (r > 0)
		ret = no_did(run);
	run->timeout = run->a->timeout > 0 ? run->a->timeout : cfg.timeout;
	/* The in-process config was needed only for these two values. */
	bkey_config_free(&cfg);
	return ret;
}

/* Ask the helper for the approval: its result, *ev its final event. */
static bkey_result
ask(struct pbk_run *run, struct bkey_event *ev, bkey_error *err)
{
	struct bkey_ask q;
	char msg[BKEY_MESSAGE_MAX + 1], *details, *json;
	bkey_result res;

	memset(ev, 0, sizeof(*ev));
	if ((details = build_details(&run->it)) == NULL) {
		bkey_seterr(err, BKEY_ERR_INTERNAL, "cannot build the request");
		return BKEY_ERR_INTERNAL;
	}
	pbk_message_expand(run->a->message, &run->it, msg, sizeof(msg));
	memset(&q, 0, sizeof(q));
	q.helper = run->a->helper;
	q.conf = run->a->conf;
	q.debug = run->a->debug;
	q.req.did = run->did;
	q.req.user = run->user;
	q.req.scope = run->a->scope;
	q.req.message = msg;
	q.req.details = details;
	q.req.timeout = run->timeout;
	q.slack_ms = PBK_DEADLINE_MARGIN_S * 1000L;
	if (run->a->debug && (json = bkey_request_write(&q.req)) != NULL) {
		pam_syslog(run->pamh, LOG_DEBUG, "request %s", json);
		bkey_free_secret(&json);
	}
	res = bkey_helper_run(&q, -1, on_pending, run, ev, err);
	free(details);
	return res;
}

/* The service could not be reached (breaker open included): the only
 * result failmode=safe or a recovery code may turn into a success. */
static int
is_outage(bkey_result res, const struct bkey_event *ev)
{
	return res == BKEY_ERR_UNAVAILABLE && ev->type == BKEY_EV_ERROR &&
	    ev->reason == BKEY_ERR_UNAVAILABLE;
}

/* Success without an approval: no earlier approval's names may stay
 * behind to be read as this one's. */
static int
clear_approval_env(pam_handle_t *pamh)
{
	int r = unset_env(pamh, "BKEY_APPROVAL_JTI");

	return r == PAM_SUCCESS ? unset_env(pamh, "BKEY_APPROVED_BY") : r;
}

/* recovery=allow in an outage: a break-glass code instead, logged. */
static int
recover(struct pbk_run *run, const struct bkey_event *ev)
{
	bkey_error err;
	char detail[64];
	long left = 0;
	bkey_result res = BKEY_DENIED;

	memset(&err, 0, sizeof(err));
	/* Codes are kept under the account's own spelling of the name. */
	if (run->user[0] == '\0' && ldap_user(run, run->it.raw_user) != 0)
		bkey_seterr(&err, BKEY_DENIED, "no recovery for this name");
	else
		res = pbk_recover(run->pamh, run->a, run->user, run->timeout,
		    &left, &err);
	if (res == BKEY_APPROVED) {
		if (clear_approval_env(run->pamh) != PAM_SUCCESS) {
			log_decision(run, LOG_ERR, BKEY_OUT_ERROR, ev,
			    "pam_putenv failed");
			return PAM_SYSTEM_ERR;
		}
		(void)snprintf(detail, sizeof(detail), "recovery code used, "
		    "remaining=%ld", left);
		log_decision(run, LOG_ALERT, BKEY_OUT_RECOVERED, ev, detail);
		return PAM_SUCCESS;
	}
	log_decision(run, res == BKEY_DENIED ? LOG_NOTICE : LOG_ERR,
	    bkey_outcome_of(res), ev, err.detail);
	/* rate_limited from a recovery check is its lock-out. */
	pbk_cue_error(run->pamh, run->a, run->flags,
	    res == BKEY_ERR_RATE_LIMITED ? PBK_RECOVERY_LOCKED :
					   "Recovery code refused.");
	return res == BKEY_DENIED ? PAM_AUTH_ERR : failure_code(res);
}

/* The PAM code for the helper's answer, logged. */
static int
decide(struct pbk_run *run, bkey_result res, const struct bkey_event *ev,
    const bkey_error *err)
{
	pam_handle_t *pamh = run->pamh;
	int r;

	if (res == BKEY_APPROVED) {
		r = set_env(pamh, "BKEY_APPROVAL_JTI", ev->jti);
		if (r == PAM_SUCCESS)
			r = set_env(pamh, "BKEY_APPROVED_BY",
			    run->did != NULL ? run->did : ev->did);
		if (r != PAM_SUCCESS)
			goto putenv_failed;
		log_decision(run, LOG_INFO, BKEY_OUT_APPROVED, ev, NULL);
		return PAM_SUCCESS;
	}
	if (is_outage(res, ev) && run->a->failmode_safe) {
		if (clear_approval_env(pamh) != PAM_SUCCESS)
			goto putenv_failed;
		log_decision(run, LOG_WARNING, BKEY_OUT_UNAVAILABLE_ALLOWED, ev,
		    "failmode=safe: login allowed without approval");
		return PAM_SUCCESS;
	}
	if (is_outage(res, ev) && run->a->recovery)
		return recover(run, ev);
	/* Only the helper's own "no DID" for a user it mapped, never
	 * another error, is "not enrolled". */
	if (run->did == NULL && ev->type == BKEY_EV_ERROR && ev->unknown_user &&
	    res == BKEY_ERR_CONFIG && ev->reason == BKEY_ERR_CONFIG)
		return no_did(run);
	log_decision(run, res == BKEY_DENIED || res == BKEY_EXPIRED ?
	    LOG_NOTICE : LOG_ERR, run->conv_failed ? BKEY_OUT_CONV_ERROR :
	    bkey_outcome_of(res), ev, err->detail);
	if (run->conv_failed)
		return PAM_AUTH_ERR;
	pbk_cue_error(pamh, run->a, run->flags, user_text(res));
	return failure_code(res);
putenv_failed:
	log_decision(run, LOG_ERR, BKEY_OUT_ERROR, ev, "pam_putenv failed");
	return PAM_SYSTEM_ERR;
}

/* Parse the arguments, check groups=, map the user, ask, decide. */
PAM_EXTERN int
pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct pbk_args a;
	struct pbk_run run;
	struct bkey_event ev;
	bkey_error err;
	const char *user = NULL;
	int ret;

	memset(&run, 0, sizeof(run));
	memset(&err, 0, sizeof(err));
	run.pamh = pamh;
	run.a = &a;
	run.flags = flags;
	run.t0 = bkey_now_ms();
	if (pbk_args_parse(pamh, argc, argv, &a) != PAM_SUCCESS)
		return PAM_SERVICE_ERR;
	if ((ret = get_user(pamh, &user)) != PAM_SUCCESS)
		return ret;
	get_items(pamh, user, &run.it);
	if ((ret = check_groups(&run, user)) != PAM_SUCCESS ||
	    (ret = map_user(&run, user)) != PAM_SUCCESS)
		goto out;
	ret = decide(&run, ask(&run, &ev, &err), &ev, &err);
out:
	free(run.did);
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
