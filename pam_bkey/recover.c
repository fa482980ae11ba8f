/* SPDX-License-Identifier: ISC */
/*
 * recovery=allow: in an outage under failmode=secure, the user may give a
 * break-glass code instead of the phone's approval. The module only asks
 * for it; bkey-approve checks and burns it as root (helper_run.h), and
 * delays after a wrong one. The answer is wiped as soon as it was sent.
 */
#include <stdlib.h>
#include <string.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "buf.h"
#include "helper_run.h"
#include "pam_bkey.h"

/* One answer, echo off: 0 with *code (the caller wipes it), 1 empty,
 * -1 the conversation failed. */
static int
ask_code(pam_handle_t *pamh, char **code)
{
	int r;

	*code = NULL;
	r = pam_prompt(pamh, PAM_PROMPT_ECHO_OFF, code, "%s",
	    PBK_RECOVERY_PROMPT);
	if (r == PAM_SUCCESS && *code != NULL && **code != '\0')
		return 0;
	if (*code != NULL)
		bkey_free_secret(code);
	return r == PAM_SUCCESS ? 1 : -1;
}

static bkey_result
check_code(const struct pbk_args *a, const char *user, long timeout, char *code,
    long *remaining, bkey_error *err)
{
	struct bkey_ask q;

	memset(&q, 0, sizeof(q));
	q.helper = a->helper;
	q.conf = a->conf;
	q.debug = a->debug;
	q.req.user = user;
	q.req.scope = a->scope;
	q.req.recovery_code = code;
	q.req.timeout = timeout;
	q.slack_ms = PBK_DEADLINE_MARGIN_S * 1000L;
	return bkey_helper_recover(&q, -1, remaining, err);
}

bkey_result
pbk_recover(pam_handle_t *pamh, const struct pbk_args *a, const char *user,
    long timeout, long *remaining, bkey_error *err)
{
	char *code = NULL;
	bkey_result res = BKEY_DENIED;
	int i, r;

	*remaining = 0;
	for (i = 0; i < PBK_RECOVERY_TRIES; i++) {
		memset(err, 0, sizeof(*err));
		if ((r = ask_code(pamh, &code)) != 0) {
			/* No answer is no: a denial, never a retry. */
			bkey_seterr(err, BKEY_DENIED, "%s%s",
			    r > 0 ? "no recovery code given" :
				    "recovery prompt: conversation failed",
			    i > 0 ? " after a refused one" : "");
			return BKEY_DENIED;
		}
		res = check_code(a, user, timeout, code, remaining, err);
		bkey_free_secret(&code);
		/* A success, the lock-out (rate_limited) or an error: no
		 * more prompts. */
		if (res != BKEY_DENIED)
			return res;
	}
	bkey_seterr(err, BKEY_DENIED, "recovery code refused %d times",
	    PBK_RECOVERY_TRIES);
	return res;
}
