/* SPDX-License-Identifier: ISC */
/*
 * Starting bkey-approve from inside a host process (sshd's PAM child, sudo)
 * and reading its events. The host's environment, descriptors and signal
 * dispositions never reach the helper: it is started with execve, a fixed
 * envp, only its two pipes, and default, unblocked signals. The request goes
 * to its stdin; secrets and request fields never appear in argv.
 */
#ifndef BKEY_SPAWN_H
#define BKEY_SPAWN_H

#include <limits.h>
#include <sys/types.h>
#include "clock.h"
#include "event.h"
#include "result.h"

/* The helper's address space and data limit in bytes; 0 = unlimited (the
 * Makefile sets that for SANITIZE=1: ASan maps terabytes of shadow). */
#ifndef BKEY_HELPER_AS_LIMIT
#define BKEY_HELPER_AS_LIMIT (512UL * 1024 * 1024)
#endif

#ifndef BKEY_HELPER_PATH
#define BKEY_HELPER_PATH "/usr/local/libexec/bkey/bkey-approve"
#endif

struct bkey_child {
	pid_t pid;			/* -1 when none */
	int out_fd;			/* helper's stdout, -1 when closed */
	char line[BKEY_EVENT_LINE_MAX];
	size_t line_len;
	int exited;			/* reaped (or ECHILD) */
	int status;			/* wait status when reaped by us */
	int request_short;		/* it closed stdin before taking all
					 * of the request: never an approval */
};

/*
 * The helper path rules bkey_spawn applies (also for bkey-admin check):
 * absolute, regular, executable, not group/world writable, owned by root
 * or the euid, in trusted directories; resolved gets the real path.
 * 0 / -1 with BKEY_ERR_CONFIG.
 */
int bkey_helper_check(const char *helper, char resolved[PATH_MAX],
    bkey_error *err);

/*
 * Start helper as: helper --request-stdin [--config conf] [--debug],
 * write request_json to its stdin and close it. helper must be an absolute
 * path to a regular file not writable by group/other, owned by root (or the
 * euid). 0 / -1 (BKEY_ERR_CONFIG for a bad helper path, INTERNAL otherwise).
 * The helper starts with fixed resource limits (spawn.c helper_limits[]),
 * not the host's; if one cannot be set, it is not started (INTERNAL).
 * A helper that exits (or closes its stdin) before taking the whole request
 * is not a spawn failure: it may have written why (an error event), which
 * bkey_spawn_next then reads; request_short is set and no approved event
 * from it is ever accepted.
 */
int bkey_spawn(struct bkey_child *ch, const char *helper, const char *conf,
    int debug, const char *request_json, bkey_error *err);

/*
 * Wait for the next event line, at most until deadline_ms (CLOCK_MONOTONIC
 * milliseconds, see bkey_now_ms), or until cancel_fd (may be -1) becomes
 * readable. 0 with *ev filled; -1 with err set: BKEY_ERR_CANCELLED (cancel_fd),
 * BKEY_EXPIRED (deadline), BKEY_ERR_PROTOCOL (EOF or bad line: the helper
 * died or misbehaved). Retries on EINTR.
 */
int bkey_spawn_next(struct bkey_child *ch, struct bkey_event *ev,
    long long deadline_ms, int cancel_fd, bkey_error *err);

/*
 * Reap the helper after its final event. Returns the final outcome:
 * BKEY_APPROVED only if ev is an approved event AND the helper exited 0 (or
 * was already reaped by the host: ECHILD); anything else is a failure.
 */
bkey_result bkey_spawn_finish(struct bkey_child *ch,
    const struct bkey_event *final, bkey_error *err);

/* Kill (SIGTERM, then SIGKILL after 200 ms) and reap; safe to call twice. */
void bkey_spawn_kill(struct bkey_child *ch);


#endif
