/* SPDX-License-Identifier: ISC */
/*
 * push_limit: at most push_max pushes per user on this host in any
 * push_window seconds. Each user is counted by the DID the push goes to
 * (whether the request named a Unix user or the DID: one person, one
 * count), in a file STATE_DIR/helper/push/HEX (BLAKE2b of the DID; the
 * network side's directory, workdir.h) listing the epoch seconds of the
 * pushes in the window, one a line. The read, the count and the rewrite
 * (a temporary file renamed over it) happen under an exclusive flock of
 * the push directory itself, so concurrent helpers count every push
 * exactly once. Only pushes that can have gone out count: one whose
 * request never reached the service, or that the service refused with a
 * 5xx, is given back.
 */
#ifndef BKEY_PUSHLIMIT_H
#define BKEY_PUSHLIMIT_H

#include <sys/types.h>
#include "config.h"
#include "result.h"

#define BKEY_PUSH_DIR "push"

/*
 * Count one push to did. 0 when it may go out (counted at *stamp, 0 if
 * nothing was counted); -1 with BKEY_ERR_RATE_LIMITED when the limit is
 * reached (nothing counted). A state directory that cannot be used is
 * warned about and the push goes out: the limit stops spam, it is not an
 * access control.
 */
int bkey_push_take(const struct bkey_config *c, const char *did,
    long long *stamp, bkey_error *err);

/* Un-count the push bkey_push_take counted at stamp: its request never
 * reached the service (or got a 5xx), so no phone was bothered. Best
 * effort. */
void bkey_push_give_back(const struct bkey_config *c, const char *did,
    long long stamp);

/*
 * bkey-admin pushes: the pushes counted for did now (*n) and the epoch
 * second the oldest of them was sent (*oldest, 0 when none); with reset,
 * the count is cleared. owner is whose files they are (run_as, for root).
 * Under the same lock as bkey_push_take. -1 with err when the state
 * directory cannot be used (the admin must know).
 */
int bkey_push_count(const struct bkey_config *c, const char *did, uid_t owner,
    int reset, size_t *n, long long *oldest, bkey_error *err);

#endif
