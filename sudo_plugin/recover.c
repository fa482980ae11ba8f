/* SPDX-License-Identifier: ISC */
/* Recovery codes through sudo's conversation (recover.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "recover.h"
#include "wait.h"

/* One echo-off prompt: the reply (malloc'd, the caller wipes it) or
 * NULL for no conversation, a failed one or an empty answer. */
static char *
prompt_code(sudo_conv_t conv)
{
	struct sudo_conv_message msg;
	struct sudo_conv_reply reply;

	if (conv == NULL)
		return NULL;
	memset(&msg, 0, sizeof(msg));
	memset(&reply, 0, sizeof(reply));
	msg.msg_type = SUDO_CONV_PROMPT_ECHO_OFF;
	msg.msg = RECOVER_PROMPT;
	if (conv(1, &msg, &reply, NULL) != 0 || reply.reply == NULL)
		return NULL;
	if (reply.reply[0] == '\0') {
		free(reply.reply);
		return NULL;
	}
	return reply.reply;
}

/* One check by bkey-approve, with sudo's signals guarded as for a wait. */
static bkey_result
check_code(const struct bkey_ask *ask, long *remaining, bkey_error *err)
{
	struct sigguard g;
	bkey_result res;
	int sig;

	if (sigguard_install(&g) != 0) {
		bkey_seterr(err, BKEY_ERR_INTERNAL,
		    "cannot set up signal handling: %s", strerror(errno));
		return BKEY_ERR_INTERNAL;
	}
	res = bkey_helper_recover(ask, sigguard_fd(&g), remaining, err);
	if ((sig = sigguard_restore(&g)) != 0) {
		res = BKEY_ERR_CANCELLED;
		bkey_seterr(err, res, "cancelled by signal %d", sig);
	}
	return res;
}

bkey_result
recover_ask(sudo_conv_t conv, struct bkey_ask *ask, long *remaining,
    bkey_error *err)
{
	bkey_result res = BKEY_DENIED;
	char *code;
	int i;

	*remaining = 0;
	for (i = 0; i < RECOVER_TRIES && res == BKEY_DENIED; i++) {
		if ((code = prompt_code(conv)) == NULL)
			break;
		memset(err, 0, sizeof(*err));
		ask->req.recovery_code = code;
		res = check_code(ask, remaining, err);
		ask->req.recovery_code = NULL;
		sodium_memzero(code, strlen(code));
		free(code);
	}
	if (res == BKEY_DENIED)
		bkey_seterr(err, BKEY_DENIED, "no valid recovery code");
	return res;
}
