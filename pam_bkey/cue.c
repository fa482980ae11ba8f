/* SPDX-License-Identifier: ISC */
/*
 * Showing the code to the user. sshd holds back PAM_TEXT_INFO until the
 * module returns or prompts (OpenSSH bug 2876), so for sshd the code goes
 * into a prompt that the user answers with Enter; elsewhere an info line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <sodium.h>

#include "pam_bkey.h"

enum pbk_cue
pbk_cue_effective(const struct pbk_args *a, const char *service)
{
	if (a->cue != PBK_CUE_AUTO)
		return a->cue;
	return service != NULL && strcmp(service, "sshd") == 0 ?
	    PBK_CUE_PROMPT : PBK_CUE_INFO;
}

int
pbk_cue_show(pam_handle_t *pamh, const struct pbk_args *a, int flags,
    const char *service, const char *code)
{
	char *resp = NULL;
	int r;

	switch (pbk_cue_effective(a, service)) {
	case PBK_CUE_NONE:
		return PAM_SUCCESS;
	case PBK_CUE_INFO:
		if (flags & PAM_SILENT)
			return PAM_SUCCESS;
		return pam_info(pamh, "Approve on your phone: code %s", code);
	case PBK_CUE_PROMPT:
	default:
		/* A prompt is not an info message: PAM_SILENT keeps it,
		 * since the user must see the code to check the phone. */
		r = pam_prompt(pamh, PAM_PROMPT_ECHO_OFF, &resp,
		    "Approve on your phone: code %s, then press Enter", code);
		if (resp != NULL) {
			/* Whatever was typed (perhaps a password) is wiped. */
			sodium_memzero(resp, strlen(resp));
			free(resp);
		}
		return r;
	}
}

void
pbk_cue_error(pam_handle_t *pamh, const struct pbk_args *a, int flags,
    const char *text)
{
	if ((flags & PAM_SILENT) || a->cue == PBK_CUE_NONE)
		return;
	/* Best effort: the decision does not depend on the user seeing it. */
	(void)pam_error(pamh, "%s", text);
}
