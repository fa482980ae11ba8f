/* SPDX-License-Identifier: ISC */
/*
 * The circuit breaker (outage_hold): once the service was found
 * unavailable, approvals answer "unavailable" at once for outage_hold
 * seconds, without a network attempt; after that one approval probes the
 * service (and holds the others off for another period while it does).
 *
 * It is root's: under failmode=safe an open breaker lets everyone in, so
 * the network side (which a hostile answer might subvert, and which could
 * leave a process behind) must not be able to write it. bkey-approve
 * reads it before it leaves root and records the run's outcome after the
 * worker is gone (the monitor, from the worker's exit status).
 *
 * State: STATE_DIR/breaker/HEX (HEX a hash of api_url, so configurations
 * sharing a state_dir never stop each other's service), one line
 * "bkey-breaker 1 UNTIL" (the epoch second before which nobody probes),
 * replaced atomically under an flock of STATE_DIR/breaker/lock. No file
 * means closed. A file that is not ours (not a regular file owned by root
 * or the effective uid, writable by others), unreadable or garbled, or
 * whose UNTIL lies further ahead than a hold, is ignored with a warning:
 * the breaker is closed. It can only make the answer come sooner, never
 * change what it is. Warnings go to stderr, syslog and --debug, sanitized.
 */
#ifndef BKEY_BREAKER_H
#define BKEY_BREAKER_H

#include "config.h"
#include "result.h"

#define BKEY_BREAKER_DIR "breaker"
#define BKEY_BREAKER_NAME_MAX 17 /* 16 hex digits */

enum bkey_breaker {
	BKEY_BREAKER_CLOSED = 0,
	BKEY_BREAKER_PROBE,
	BKEY_BREAKER_OPEN
};

/* One run's view of the breaker: what bkey_breaker_end needs, copied, so
 * it outlives the configuration (the monitor keeps no config). */
struct bkey_breaker_run {
	char *state_dir; /* NULL: the breaker is off for this run */
	char name[BKEY_BREAKER_NAME_MAX];
	long hold;
	enum bkey_breaker state;
};

/* Where the breaker stands for this run; PROBE claims the probe of this
 * period. OPEN fills err (BKEY_ERR_UNAVAILABLE). */
enum bkey_breaker bkey_breaker_begin(struct bkey_breaker_run *b,
    const struct bkey_config *c, bkey_error *err);

/* After the run: an unavailable service opens the breaker, any answer
 * from it (approved, denied, expired, a protocol or token error) closes
 * it; a probe that ended before the service could tell (cancelled, rate
 * limited, an internal or configuration error) hands the probe on to the
 * next run. Best effort; frees b. */
void bkey_breaker_end(struct bkey_breaker_run *b, bkey_result res);
/* Free b and record nothing (the worker's copy; a run that never began).
 * Safe on a zeroed or already ended b. */
void bkey_breaker_drop(struct bkey_breaker_run *b);

#endif
