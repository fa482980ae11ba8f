/* SPDX-License-Identifier: ISC */
/*
 * bkey-approve's answer to a "recovery_code" request: as root, with no
 * network, check the code against the user's hashes (helper/recovery.h),
 * burn it, log it, and answer {"event":"recovered","remaining":N}. A
 * wrong code costs recovery_delay seconds before the denial is written.
 * A lock-out (recovery_lockout wrong codes in a row, this one included)
 * is answered rate_limited, so that the modules ask no more codes.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "event.h"
#include "fileperm.h"
#include "output.h"
#include "recovery.h"
#include "recovery_cli.h"
#include "sanitize.h"

static void
log_use(int prio, const char *what, const char *user, int remaining)
{
	char u[80];

	(void)bkey_log_word(u, sizeof(u), user);
	openlog("bkey-approve", LOG_PID, LOG_AUTHPRIV);
	if (remaining >= 0)
		syslog(prio, "%s user=%s remaining=%d", what, u, remaining);
	else
		syslog(prio, "%s user=%s", what, u);
	closelog();
}

/* The delay after a wrong code; a signal ends it (the answer is no). */
static void
pause_after_wrong(long seconds, const volatile sig_atomic_t *cancelled)
{
	struct timespec t = { seconds, 0 };

	while (!*cancelled && nanosleep(&t, &t) != 0 && errno == EINTR)
		;
}

static int
write_recovered(int remaining)
{
	struct bkey_event ev;
	char line[BKEY_EVENT_LINE_MAX];

	memset(&ev, 0, sizeof(ev));
	ev.type = BKEY_EV_RECOVERED;
	ev.remaining = remaining;
	if (bkey_event_format(&ev, line, sizeof(line)) != 0 ||
	    bkey_write_all(STDOUT_FILENO, line, strlen(line)) != 0)
		return -1;
	return 0;
}

int
bkey_recovery_answer(const struct bkey_config *cfg,
    const struct bkey_request *req, const volatile sig_atomic_t *cancelled)
{
	bkey_error err;
	int remaining, locked;
	bkey_result res = BKEY_APPROVED;

	memset(&err, 0, sizeof(err));
	if (bkey_recovery_use(cfg->state_dir, req->user, req->recovery_code,
		cfg->recovery_lockout, &remaining, &locked, &err) != 0)
		res = err.code;
	if (res == BKEY_APPROVED) {
		log_use(LOG_ALERT, "recovery code used", req->user, remaining);
		if (write_recovered(remaining) == 0)
			return bkey_result_exit(BKEY_APPROVED);
		/* The caller never saw it: the code is burned, but no yes. */
		(void)fprintf(stderr,
		    "bkey-approve: cannot write the result\n");
		return bkey_result_exit(BKEY_ERR_INTERNAL);
	}
	if (locked == BKEY_RECOVERY_LOCKED)
		log_use(LOG_ALERT, "recovery refused: locked out", req->user,
		    -1);
	else if (res == BKEY_DENIED)
		log_use(LOG_WARNING, "recovery code refused", req->user, -1);
	if (locked == BKEY_RECOVERY_NOW_LOCKED)
		log_use(LOG_ALERT, "recovery locked out", req->user, -1);
	/* Only a code that was checked costs the delay. */
	if (res == BKEY_DENIED && locked != BKEY_RECOVERY_LOCKED)
		pause_after_wrong(cfg->recovery_delay, cancelled);
	/* rate_limited, not denied: the modules stop asking for codes. */
	if (locked)
		res = BKEY_ERR_RATE_LIMITED;
	(void)bkey_out_final(*cancelled ? BKEY_ERR_CANCELLED : res, NULL, &err);
	return bkey_result_exit(*cancelled ? BKEY_ERR_CANCELLED : res);
}
