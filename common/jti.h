/* Replay protection: each token jti is accepted once per state_dir. */
#ifndef BKEY_JTI_H
#define BKEY_JTI_H

#include <time.h>
#include "result.h"

/*
 * Record jti (expires at exp) in STATE_DIR/jti/. Atomic (O_CREAT|O_EXCL on a
 * file named by a hash of jti); entries past exp + leeway are pruned.
 * Returns 0 if recorded now, 1 if already seen (replay), -1 on error
 * (BKEY_ERR_INTERNAL or BKEY_ERR_CONFIG with the path in err).
 */
int bkey_jti_record(const char *state_dir, const char *jti, time_t exp,
    bkey_error *err);

#endif
