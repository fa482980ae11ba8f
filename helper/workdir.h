/* SPDX-License-Identifier: ISC */
/*
 * The network side's own corner of state_dir. state_dir belongs to root:
 * the jti records, recovery codes, remember windows, circuit breaker and
 * phone keys in it must be out of reach of the unprivileged run_as user,
 * who could otherwise rename a record away (and so reset a pinned phone
 * key) or hold the breaker open. What the network side itself keeps (the
 * JWKS cache, the push counts) lives in STATE_DIR/helper, owned by
 * run_as, mode 0700.
 *
 * Before the privilege drop, still root, bkey_workdir_hold() makes that
 * directory run_as's and keeps it open, so the worker reaches it even
 * when state_dir is root's 0700. Without a drop (run_as empty, or not
 * root) it is opened by path and owned by the caller.
 */
#ifndef BKEY_WORKDIR_H
#define BKEY_WORKDIR_H

#include <sys/types.h>
#include "result.h"

#define BKEY_WORKDIR "helper"

/*
 * Root, before the drop: create STATE_DIR/helper if missing, give it to
 * uid:gid with mode 0700 and keep it open for this process. state_dir
 * itself must pass the root checks (fileperm.h). -1 with err: the caller
 * warns and goes on without it.
 */
int bkey_workdir_hold(const char *state_dir, uid_t uid, gid_t gid,
    bkey_error *err);

/*
 * The directory, as a new descriptor (O_CLOEXEC): the held one, or else
 * STATE_DIR/helper opened by path, created when owner is the effective
 * uid, and checked to be owned by root or owner (run_as, for a root
 * process looking at the worker's files) and writable by no one else.
 * -1 with err.
 */
int bkey_workdir_open(const char *state_dir, uid_t owner, bkey_error *err);

/*
 * A warning about state the helper keeps (a file ignored, not written):
 * sanitized, on stderr and in syslog (authpriv, warning), since a helper
 * started by a module has its stderr on /dev/null. what names the
 * feature ("push_limit"), detail says what happened.
 */
void bkey_state_warn(const char *what, const char *detail);

#endif
