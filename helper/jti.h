/* SPDX-License-Identifier: ISC */
/* Replay protection: each token jti is accepted once per state_dir. */
#ifndef BKEY_JTI_H
#define BKEY_JTI_H

#include <sys/types.h>
#include <time.h>
#include "result.h"

/*
 * Record jti (expires at exp) in STATE_DIR/jti/, whose directories must
 * be owned by root or the effective uid (the monitor: root alone). Atomic (a whole record
 * written under a temporary name, then link()ed to a name made of a hash
 * of jti); entries a day past exp are pruned. A failure leaves no record.
 * Returns 0 if recorded now, 1 if already seen (replay), -1 on error
 * (BKEY_ERR_INTERNAL or BKEY_ERR_CONFIG; the path and strerror in err).
 */
int bkey_jti_record(const char *state_dir, const char *jti, time_t exp,
    bkey_error *err);

#endif
