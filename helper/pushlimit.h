/* SPDX-License-Identifier: ISC */
/*
 * push_limit: at most push_max pushes per user on this host in any
 * push_window seconds. Each user (the Unix name asked for, else the DID)
 * has a file STATE_DIR/push/HEX (BLAKE2b of the name) listing the epoch
 * seconds of the pushes in the window, one a line. The read, the count
 * and the rewrite (a temporary file renamed over it) happen under an
 * exclusive flock of STATE_DIR/push itself, so concurrent helpers count
 * every push exactly once.
 */
#ifndef BKEY_PUSHLIMIT_H
#define BKEY_PUSHLIMIT_H

#include "config.h"
#include "result.h"

#define BKEY_PUSH_DIR "push"

/*
 * Count one push for who. 0 when it may go out (counted); -1 with
 * BKEY_ERR_RATE_LIMITED when the limit is reached (nothing counted). A
 * state directory that cannot be used is warned about and the push goes
 * out: the limit stops spam, it is not an access control.
 */
int bkey_push_take(const struct bkey_config *c, const char *who,
    bkey_error *err);

/*
 * bkey-admin pushes: the pushes counted for who now (*n) and the epoch
 * second the oldest of them was sent (*oldest, 0 when none); with reset,
 * the count is cleared. Under the same lock as bkey_push_take. -1 with
 * err when the state directory cannot be used (the admin must know).
 */
int bkey_push_count(const struct bkey_config *c, const char *who, int reset,
    size_t *n, long long *oldest, bkey_error *err);

#endif
