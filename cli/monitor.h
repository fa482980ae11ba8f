/* SPDX-License-Identifier: ISC */
/*
 * The root-side part of bkey-approve (privilege separation, like OpenSSH's
 * monitor). When the helper is going to drop privileges it forks before
 * any network code: the worker drops to run_as and does the approval; the
 * monitor stays root and does only what needs root:
 *  - it makes the jti record the worker asks for (in state_dir, as root,
 *    so root's reserved blocks apply: an unprivileged user who fills the
 *    file system cannot make approvals fail after the phone said yes),
 *    and checks or records a phone key (vault); state_dir and those
 *    records are root's alone, out of the worker's reach;
 *  - it forwards SIGINT/SIGTERM to the worker, reaps it and exits with its
 *    status; a worker that died without its final event gets one from the
 *    monitor (an error: a denial with a reason, never silence).
 * Each message is one datagram with a fixed text format, written and
 * parsed by neighbouring functions in monitor.c. What may be asked, and
 * how often, is the table there.
 */
#ifndef BKEY_MONITOR_H
#define BKEY_MONITOR_H

#include <signal.h>
#include <sys/types.h>
#include <time.h>
#include "result.h"

#define BKEY_MON_NREQ 3 /* kinds of request (monitor.c) */

struct bkey_monitor {
	int fd;			  /* this side's socket; -1 none */
	pid_t worker;		  /* monitor: the worker; worker: 0 */
	char *state_dir;	  /* monitor: where records go */
	int recorded;		  /* monitor: a record was made */
	int no_record;		  /* monitor: success needs no record */
	int final_seen;		  /* monitor: the worker's final is out */
	int asked[BKEY_MON_NREQ]; /* monitor: requests served, by kind */
	/* monitor: a vault run's DID, the only one it pins ("": the first
	 * one asked); NULL (an approval): no pins */
	char *pin_did;
};

/*
 * Fork. 1 in the monitor, 0 in the worker (which dies with the monitor:
 * SIGKILL as parent-death signal), -1 on error with err (in the worker:
 * m->fd is still its socket, so its final can be announced).
 */
int bkey_monitor_fork(struct bkey_monitor *m, const char *state_dir,
    bkey_error *err);

/* Monitor: serve the worker until it is gone; the exit status to use.
 * sig: the number of a SIGINT/SIGTERM received (0 none), to forward. */
int bkey_monitor_run(struct bkey_monitor *m, const volatile sig_atomic_t *sig);

/* Worker: a bkey_record_fn (approve.h) asking the monitor (ctx). */
int bkey_monitor_record(void *ctx, const char *state_dir, const char *jti,
    time_t exp, bkey_error *err);
/* Worker: a bkey_vault_pin_fn (vault_cli.h) asking the monitor (ctx). */
int bkey_monitor_pin(void *ctx, const char *did, const unsigned char pk[32],
    bkey_error *err);
/* Worker: its final event has been written. */
void bkey_monitor_final(struct bkey_monitor *m);

void bkey_monitor_close(struct bkey_monitor *m);

#endif
