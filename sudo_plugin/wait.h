/* SPDX-License-Identifier: ISC */
/*
 * Waiting for bkey-approve inside sudo. sudo's own signal handlers use
 * SA_RESTART and only record the signal, so a plain blocking wait would not
 * notice Ctrl-C. For the wait we install handlers (SIGINT, SIGTERM, SIGHUP,
 * SIGQUIT) without SA_RESTART that write to a self-pipe, which wakes the
 * poll in bkey_helper_run (its cancel_fd); sudo's handlers and signal mask
 * are put back on every path before we return. alarm() is never used: a
 * pending SIGALRM would abort the command after an approval.
 */
#ifndef BKEY_SUDO_WAIT_H
#define BKEY_SUDO_WAIT_H

#include <signal.h>

/* Extra time past the request's timeout before we give up on the helper
 * (it enforces the timeout itself and answers "expired"). */
#define WAIT_SLACK_MS	15000

struct sigguard {
	struct sigaction old[4];
	struct sigaction old_pipe;
	sigset_t old_mask;
	int pipe[2];
	int installed;
};

/* Install the handlers; 0 / -1 (errno). */
int sigguard_install(struct sigguard *g);
/* The fd that becomes readable when a signal arrives (-1 if none). */
int sigguard_fd(const struct sigguard *g);
/*
 * Put sudo's handlers and mask back; safe to call twice. Returns the first
 * signal caught since install (0 if none), read while the signals are
 * blocked: one arriving later stays pending for sudo's own handler, which
 * then refuses to run the command, so none can slip between the two.
 */
int sigguard_restore(struct sigguard *g);

#endif
