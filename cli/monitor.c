/* SPDX-License-Identifier: ISC */
/*
 * bkey-approve's monitor and the worker's side of its messages (see
 * monitor.h). The messages, one SOCK_SEQPACKET datagram each:
 *   worker -> monitor  "record EXP JTI"  EXP decimal > 0, JTI 1..255 bytes
 *                                        of printable UTF-8
 *                      "final"           the final event is out
 *                      "pin KEY DID"     KEY the base64 X25519 key of DID's
 *                                        phone (vault); "replay": another
 *                                        key is on record; a vault run's
 *                                        own DID only
 *   monitor -> worker  "ok" | "replay" | "error REASON DETAIL"
 * The monitor trusts nothing it is sent beyond what the record needs.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "event.h"
#include "jti.h"
#include "monitor.h"
#include "output.h"
#include "result.h"
#include "sanitize.h"
#include "valid.h"
#include "vault_cli.h"

#define MSG_MAX 512
#define JTI_MAX (BKEY_EVENT_FIELD_SIZE - 1) /* as approve.c accepts */
#define EXP_DIGITS 19
#define ANSWER_WAIT_MS 10000 /* one fsync'ed file: quick */

/* ---- the messages: each writer beside its parser ----------------------- */

static int
send_msg(int fd, const char *msg, size_t len)
{
	ssize_t n;

	do {
		n = send(fd, msg, len, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	return n == (ssize_t)len ? 0 : -1;
}

/* jti as the record needs it: bounded, printable, valid UTF-8. */
static int
jti_usable(const char *s, size_t n)
{
	return bkey_text_printable(s, n, JTI_MAX);
}

static int
record_write(int fd, const char *jti, time_t exp)
{
	char msg[MSG_MAX];
	int n;

	if (jti == NULL || !jti_usable(jti, strlen(jti)) || exp <= 0)
		return -1;
	n = snprintf(msg, sizeof(msg), "record %lld %s", (long long)exp, jti);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return -1;
	return send_msg(fd, msg, (size_t)n);
}

/* args: what follows "record ". 0 with *exp and jti (NUL-terminated in
 * args), or -1. */
static int
record_parse(char *args, time_t *exp, const char **jti)
{
	long long v = 0;
	size_t i;

	for (i = 0; args[i] >= '0' && args[i] <= '9'; i++) {
		if (i == EXP_DIGITS)
			return -1;
		v = v * 10 + (args[i] - '0');
	}
	if (i == 0 || args[i] != ' ' || v <= 0 || (time_t)v != v)
		return -1;
	*exp = (time_t)v;
	*jti = args + i + 1;
	return jti_usable(*jti, strlen(*jti)) ? 0 : -1;
}

/* rc as bkey_jti_record returns it; err says why for -1. */
static int
answer_write(int fd, int rc, const bkey_error *err)
{
	char msg[MSG_MAX];
	int n;

	if (rc == 0 || rc == 1)
		n = snprintf(msg, sizeof(msg), "%s", rc == 0 ? "ok" : "replay");
	else
		n = snprintf(msg, sizeof(msg), "error %s %s",
		    bkey_result_reason(err->code), err->detail);
	if (n < 0)
		return -1;
	return send_msg(fd, msg,
	    (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
}

/* The worker reads the answer: 0 recorded, 1 replay, -1 with err. */
static int
answer_parse(const char *msg, bkey_error *err)
{
	char reason[16];
	const char *d;
	size_t n;
	bkey_result code;

	if (strcmp(msg, "ok") == 0)
		return 0;
	if (strcmp(msg, "replay") == 0)
		return 1;
	if (strncmp(msg, "error ", 6) != 0 ||
	    (d = strchr(msg + 6, ' ')) == NULL ||
	    (n = (size_t)(d - msg - 6)) >= sizeof(reason))
		return bkey_seterr(err, BKEY_ERR_INTERNAL,
		    "monitor: malformed answer");
	memcpy(reason, msg + 6, n);
	reason[n] = '\0';
	/* Only the record's own failures come back this way. */
	code = bkey_result_from_reason(reason);
	if (code != BKEY_ERR_CONFIG)
		code = BKEY_ERR_INTERNAL;
	return bkey_seterr(err, code, "%s", d + 1);
}

/* ---- the monitor -------------------------------------------------------- */

static int answer_record(struct bkey_monitor *m, char *args);
static int answer_final(struct bkey_monitor *m, char *args);
static int answer_pin(struct bkey_monitor *m, char *args);

/* Everything the worker may ask, and how often per run. */
static const struct {
	const char *verb;
	int (*answer)(struct bkey_monitor *m, char *args);
	int max;
} requests[BKEY_MON_NREQ] = {
	{ "record", answer_record, 1 },
	{ "final", answer_final, 1 },
	{ "pin", answer_pin, BKEY_VAULT_ITEMS },
};

static int
answer_record(struct bkey_monitor *m, char *args)
{
	bkey_error err;
	const char *jti = NULL;
	time_t exp = 0;
	int rc;

	memset(&err, 0, sizeof(err));
	if (args == NULL || record_parse(args, &exp, &jti) != 0) {
		bkey_seterr(&err, BKEY_ERR_INTERNAL,
		    "monitor: bad record "
		    "request");
		rc = -1;
	} else
		rc = bkey_jti_record(m->state_dir, jti, exp, &err);
	if (rc == 0)
		m->recorded = 1;
	bkey_out_debug("monitor: record: %s",
	    rc == 0	? "made" :
		rc == 1 ? "replay" :
			  err.detail);
	return answer_write(m->fd, rc, &err);
}

static int
answer_final(struct bkey_monitor *m, char *args)
{
	if (args != NULL)
		return -1;
	m->final_seen = 1;
	return 0;
}

/* "KEY DID": the key's 32 bytes into pk, the DID checked. */
static int
pin_parse(char *args, unsigned char pk[32], const char **did)
{
	char *sp = args != NULL ? strchr(args, ' ') : NULL;
	size_t n = 0;

	if (sp == NULL)
		return -1;
	*sp = '\0';
	*did = sp + 1;
	if (sodium_base642bin(pk, 32, args, strlen(args), NULL, &n, NULL,
		sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    n != 32)
		return -1;
	return bkey_did_valid(*did) ? 0 : -1;
}

/* Only a vault run pins, and only its own DID: the one known at the
 * fork, or (a directory lookup after the drop) the first one asked. */
static int
pin_allowed(struct bkey_monitor *m, const char *did)
{
	if (m->pin_did == NULL)
		return 0;
	if (m->pin_did[0] == '\0') {
		free(m->pin_did);
		return (m->pin_did = strdup(did)) != NULL;
	}
	return strcmp(m->pin_did, did) == 0;
}

static int
answer_pin(struct bkey_monitor *m, char *args)
{
	unsigned char pk[32];
	const char *did = NULL;
	bkey_error err;
	int rc;

	memset(&err, 0, sizeof(err));
	if (pin_parse(args, pk, &did) != 0)
		rc = bkey_seterr(&err, BKEY_ERR_INTERNAL,
		    "monitor: bad pin "
		    "request");
	else if (!pin_allowed(m, did))
		rc = bkey_seterr(&err, BKEY_ERR_INTERNAL,
		    "monitor: no pin for this run's DID");
	else
		rc = bkey_vault_pin(m->state_dir, did, pk, &err);
	bkey_out_debug("monitor: pin: %s",
	    rc == 0	? "matches" :
		rc == 1 ? "another key" :
			  err.detail);
	return answer_write(m->fd, rc, &err);
}

/* One request. 0 go on, -1 the worker is gone (or its socket broke). */
static int
serve_one(struct bkey_monitor *m)
{
	char msg[MSG_MAX + 1], *args;
	bkey_error err;
	size_t vlen;
	ssize_t n;
	int i;

	n = recv(m->fd, msg, MSG_MAX, MSG_TRUNC | MSG_DONTWAIT);
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -1;
	if (n == 0)
		return -1;
	for (i = 0; n <= MSG_MAX && i < BKEY_MON_NREQ; i++) {
		vlen = strlen(requests[i].verb);
		if ((size_t)n < vlen ||
		    memcmp(msg, requests[i].verb, vlen) != 0 ||
		    ((size_t)n > vlen && msg[vlen] != ' '))
			continue;
		if (memchr(msg, '\0', (size_t)n) != NULL ||
		    m->asked[i]++ >= requests[i].max)
			break;
		msg[n] = '\0';
		args = (size_t)n > vlen ? msg + vlen + 1 : NULL;
		(void)requests[i].answer(m, args);
		return 0;
	}
	memset(&err, 0, sizeof(err));
	bkey_seterr(&err, BKEY_ERR_INTERNAL, "monitor: request refused");
	bkey_out_debug("%s", err.detail);
	(void)answer_write(m->fd, -1, &err);
	return 0;
}

/* Serve until the worker's socket closes; forward a cancel once. */
static void
serve(struct bkey_monitor *m, const volatile sig_atomic_t *sig, int *forwarded)
{
	sigset_t block, old, during;
	struct pollfd p;
	int r;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	/* Signals arrive only inside ppoll: none is lost between the check
	 * of *sig and the wait. */
	if (sigprocmask(SIG_BLOCK, &block, &old) != 0)
		return;
	during = old;
	sigdelset(&during, SIGINT);
	sigdelset(&during, SIGTERM);
	for (;;) {
		if (*sig != 0 && !*forwarded) {
			(void)kill(m->worker, *sig);
			*forwarded = 1;
		}
		p.fd = m->fd;
		p.events = POLLIN;
		p.revents = 0;
		r = ppoll(&p, 1, NULL, &during);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || (p.revents & POLLNVAL))
			break;
		if ((p.revents & (POLLIN | POLLHUP | POLLERR)) &&
		    serve_one(m) != 0)
			break;
	}
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
}

/* The exit status for how the worker ended. */
static int
worker_outcome(struct bkey_monitor *m, int st, int cancelled)
{
	bkey_result res = cancelled ? BKEY_ERR_CANCELLED : BKEY_ERR_INTERNAL;
	bkey_error err;

	if (WIFEXITED(st) && m->final_seen) {
		if (WEXITSTATUS(st) != 0 || m->recorded || m->no_record)
			return WEXITSTATUS(st);
		/* An approval the monitor never recorded is none. */
		(void)fprintf(stderr,
		    "bkey-approve: monitor: the worker "
		    "reported an approval that was never recorded\n");
		return bkey_result_exit(BKEY_ERR_INTERNAL);
	}
	memset(&err, 0, sizeof(err));
	if (WIFSIGNALED(st))
		bkey_seterr(&err, res, "the worker was killed by signal %d",
		    WTERMSIG(st));
	else
		bkey_seterr(&err, res,
		    "the worker exited (status %d) without "
		    "a result",
		    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	if (bkey_out_final(res, NULL, &err) != 0)
		(void)fprintf(stderr, "bkey-approve: %s\n", err.detail);
	return bkey_result_exit(res);
}

int
bkey_monitor_run(struct bkey_monitor *m, const volatile sig_atomic_t *sig)
{
	int st = 0, forwarded = 0;
	pid_t r;

	serve(m, sig, &forwarded);
	(void)close(m->fd);
	m->fd = -1;
	/* The socket closed: the worker is exiting (or broke it). */
	while ((r = waitpid(m->worker, &st, 0)) < 0 && errno == EINTR) {
		if (*sig != 0 && !forwarded) {
			(void)kill(m->worker, *sig);
			forwarded = 1;
		}
	}
	if (r != m->worker) {
		(void)kill(m->worker, SIGKILL);
		st = SIGKILL; /* reads as "killed by signal 9" */
	}
	m->worker = -1;
	return worker_outcome(m, st, *sig != 0);
}

int
bkey_monitor_fork(struct bkey_monitor *m, const char *state_dir,
    bkey_error *err)
{
	pid_t parent = getpid(), pid;
	int sv[2];

	memset(m, 0, sizeof(*m));
	m->fd = -1;
	if ((m->state_dir = strdup(state_dir)) == NULL)
		return bkey_seterr(err, BKEY_ERR_INTERNAL, "out of memory");
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		return bkey_seterr(err, BKEY_ERR_INTERNAL, "socketpair: %s",
		    strerror(errno));
	/* Nothing buffered may be written twice. */
	(void)fflush(stdout);
	(void)fflush(stderr);
	if ((pid = fork()) < 0) {
		(void)close(sv[0]);
		(void)close(sv[1]);
		return bkey_seterr(err, BKEY_ERR_INTERNAL, "fork: %s",
		    strerror(errno));
	}
	if (pid > 0) {
		(void)close(sv[1]);
		m->fd = sv[0];
		m->worker = pid;
		return 1;
	}
	(void)close(sv[0]);
	m->fd = sv[1];
	/* The worker never outlives the monitor (bkey_privdrop keeps it). */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 ||
	    getppid() != parent)
		return bkey_seterr(err, BKEY_ERR_CANCELLED,
		    "the monitor went away during start-up");
	return 0;
}

/* ---- the worker's side -------------------------------------------------- */

static int await_answer(struct bkey_monitor *m, const char *what,
    bkey_error *err);

int
bkey_monitor_record(void *ctx, const char *state_dir, const char *jti,
    time_t exp, bkey_error *err)
{
	struct bkey_monitor *m = ctx;

	(void)state_dir; /* the monitor has its own */
	if (record_write(m->fd, jti, exp) != 0)
		return bkey_seterr(err, BKEY_ERR_INTERNAL,
		    "cannot ask the monitor for the jti record");
	return await_answer(m, "the jti record", err);
}

int
bkey_monitor_pin(void *ctx, const char *did, const unsigned char pk[32],
    bkey_error *err)
{
	struct bkey_monitor *m = ctx;
	char msg[MSG_MAX];
	int n;

	n = snprintf(msg, sizeof(msg), "pin ");
	(void)sodium_bin2base64(msg + n, sizeof(msg) - (size_t)n, pk, 32,
	    sodium_base64_VARIANT_ORIGINAL);
	n = (int)strlen(msg);
	n += snprintf(msg + n, sizeof(msg) - (size_t)n, " %s", did);
	if (n <= 0 || (size_t)n >= sizeof(msg) ||
	    send_msg(m->fd, msg, (size_t)n) != 0)
		return bkey_seterr(err, BKEY_ERR_INTERNAL,
		    "cannot ask the monitor for the phone key");
	return await_answer(m, "the phone key", err);
}

/* The monitor's answer to the request just sent (see answer_parse). */
static int
await_answer(struct bkey_monitor *m, const char *what, bkey_error *err)
{
	struct pollfd p;
	char msg[MSG_MAX + 1];
	ssize_t n;
	int r;

	p.fd = m->fd;
	p.events = POLLIN;
	do {
		p.revents = 0;
		r = poll(&p, 1, ANSWER_WAIT_MS);
	} while (r < 0 && errno == EINTR);
	if (r <= 0 || (n = recv(m->fd, msg, MSG_MAX, MSG_DONTWAIT)) <= 0)
		return bkey_seterr(err, BKEY_ERR_INTERNAL,
		    "no answer from the monitor for %s", what);
	msg[n] = '\0';
	return answer_parse(msg, err);
}

void
bkey_monitor_final(struct bkey_monitor *m)
{
	if (m->fd >= 0)
		(void)send_msg(m->fd, "final", 5);
}

void
bkey_monitor_close(struct bkey_monitor *m)
{
	if (m->fd >= 0)
		(void)close(m->fd);
	m->fd = -1;
	free(m->state_dir);
	m->state_dir = NULL;
	free(m->pin_did);
	m->pin_did = NULL;
}
