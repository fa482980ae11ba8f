/* SPDX-License-Identifier: ISC */
/* bkey-approve's side of a break-glass code (recovery.c). */
#ifndef BKEY_RECOVERY_CLI_H
#define BKEY_RECOVERY_CLI_H

#include <signal.h>

#include "config.h"
#include "request.h"

/* Answer req (which has a recovery_code) on stdout; the exit status. */
int bkey_recovery_answer(const struct bkey_config *cfg,
    const struct bkey_request *req, const volatile sig_atomic_t *cancelled);

#endif
