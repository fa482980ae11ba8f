/* SPDX-License-Identifier: ISC */
/*
 * Hardening before anything else runs (bkey-approve, bkey-admin): a clean
 * environment, all of root's ids, no core dumps, not dumpable, SIGPIPE
 * ignored, SIGINT/SIGTERM unblocked and sent to on_signal (no SA_RESTART).
 */
#ifndef BKEY_HARDEN_H
#define BKEY_HARDEN_H

int bkey_harden(void (*on_signal)(int));

#endif
