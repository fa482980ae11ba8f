/* SPDX-License-Identifier: ISC */
/*
 * Unit tests: what the monitor (cli/monitor.c) serves. A "pin" request
 * is a vault run's, for its own DID only: an approval's worker, or a
 * worker naming another DID, must not make the root monitor record a
 * phone key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "../../cli/output.c"
#include "../../cli/vault_pin.c"
#include "../../cli/monitor.c"

#define KEY "3q2+7wABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhs="

static char state[64];
static int worker_fd = -1;
static struct bkey_monitor mon;

/* A monitor on one end of a fresh socket pair; pin_did as given. */
static void
mon_start(const char *pin_did)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		perror("socketpair");
		exit(2);
	}
	memset(&mon, 0, sizeof(mon));
	mon.fd = sv[0];
	mon.state_dir = strdup(state);
	mon.pin_did = pin_did != NULL ? strdup(pin_did) : NULL;
	worker_fd = sv[1];
}

static void
mon_stop(void)
{
	bkey_monitor_close(&mon);
	(void)close(worker_fd);
	worker_fd = -1;
}

/* The worker sends msg; the monitor serves it; its answer. */
static const char *
ask(const char *msg)
{
	static char ans[MSG_MAX + 1];
	ssize_t n;

	if (send(worker_fd, msg, strlen(msg), 0) != (ssize_t)strlen(msg) ||
	    serve_one(&mon) != 0 ||
	    (n = recv(worker_fd, ans, MSG_MAX, 0)) < 0)
		return "(broken)";
	ans[n] = '\0';
	return ans;
}

/* How many phone keys are on record in state. */
static int
records(void)
{
	char cmd[128];
	FILE *p;
	int n = -1;

	(void)snprintf(cmd, sizeof(cmd),
	    "ls %s/vault-keys 2>/dev/null | wc -l", state);
	if ((p = popen(cmd, "r")) != NULL) {
		if (fscanf(p, "%d", &n) != 1)
			n = -1;
		(void)pclose(p);
	}
	return n;
}

static void
test_pin_refused_in_approval(void)
{
	mon_start(NULL);
	CHECK(strncmp(ask("pin " KEY " did:bkey:a"), "error ", 6) == 0);
	CHECK(records() == 0);
	mon_stop();
}

static void
test_pin_own_did_only(void)
{
	mon_start("did:bkey:a");
	CHECK(strncmp(ask("pin " KEY " did:bkey:b"), "error ", 6) == 0);
	CHECK(records() == 0);
	CHECK_STR(ask("pin " KEY " did:bkey:a"), "ok");
	CHECK(records() == 1);
	/* the same DID again (a second item): the record matches */
	CHECK_STR(ask("pin " KEY " did:bkey:a"), "ok");
	mon_stop();
}

static void
test_pin_learned_did(void)
{
	/* The DID came from the directory after the fork: the first pin
	 * names it, every later one must name the same. */
	mon_start("");
	CHECK_STR(ask("pin " KEY " did:bkey:c"), "ok");
	CHECK(strncmp(ask("pin " KEY " did:bkey:d"), "error ", 6) == 0);
	CHECK_STR(mon.pin_did, "did:bkey:c");
	mon_stop();
}

int
main(void)
{
	char cmd[128];

	unit_suite = "monitor";
	if (sodium_init() < 0)
		return 2;
	snprintf(state, sizeof(state), "/tmp/bkey-test-monitor.XXXXXX");
	if (mkdtemp(state) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	RUN(test_pin_refused_in_approval);
	RUN(test_pin_own_did_only);
	RUN(test_pin_learned_did);
	(void)snprintf(cmd, sizeof(cmd), "rm -rf %s", state);
	if (system(cmd) != 0)
		return 2;
	UNIT_DONE();
}
