/* SPDX-License-Identifier: ISC */
/*
 * The circuit breaker (outage_hold): once the service was found
 * unavailable, approvals answer "unavailable" at once for outage_hold
 * seconds, without a network attempt; after that one approval probes the
 * service (and holds the others off for another period while it does).
 * State: STATE_DIR/helper/breaker-HEX (the network side's directory,
 * workdir.h; HEX a hash of api_url, so that configurations sharing a
 * state_dir never stop each other's service), one line "bkey-breaker 1
 * UNTIL" (the epoch second before which nobody probes), replaced
 * atomically under an flock of STATE_DIR/helper/breaker.lock. No file
 * means closed. A file that is not
 * ours (not a regular file owned by root or the effective uid, writable
 * by others), unreadable or garbled, or whose UNTIL lies further ahead
 * than a hold, is ignored with a warning: the breaker is closed. It can
 * only make the answer come sooner, never change what it is. Warnings go
 * to stderr, syslog and the --debug stream, sanitized.
 */
#ifndef BKEY_BREAKER_H
#define BKEY_BREAKER_H

#include "config.h"
#include "result.h"

#define BKEY_BREAKER_FILE "breaker-" /* + 16 hex digits */
#define BKEY_BREAKER_LOCK "breaker.lock"

enum bkey_breaker {
	BKEY_BREAKER_CLOSED = 0,
	BKEY_BREAKER_PROBE,
	BKEY_BREAKER_OPEN
};

/* Where the breaker stands for one approval; PROBE claims the probe of
 * this period. OPEN fills err (BKEY_ERR_UNAVAILABLE). */
enum bkey_breaker bkey_breaker_check(const struct bkey_config *c,
    bkey_error *err);

/* After the approval: an unavailable service opens the breaker, any
 * answer from it (approved, denied, expired, a protocol or token error)
 * closes it; other results leave it as it is. Best effort. */
void bkey_breaker_record(const struct bkey_config *c, bkey_result res);

#endif
