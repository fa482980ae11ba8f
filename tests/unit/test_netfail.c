/* SPDX-License-Identifier: ISC */
/*
 * helper/netfail.c: only a real failure to reach the service is
 * "unavailable"; what a starved process makes curl report is "internal".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"
#include "netfail.h"

static bkey_result
classify(CURLcode cc, long os_errno, const char *errbuf)
{
	struct bkey_netfail f;
	bkey_error err;

	memset(&f, 0, sizeof(f));
	memset(&err, 0, sizeof(err));
	f.code = cc;
	f.os_errno = os_errno;
	f.errbuf = errbuf;
	f.host = "localhost";
	f.lookup_ms = 1000;
	CHECK(bkey_netfail_classify(&f, &err) == -1);
	CHECK(err.detail[0] != '\0');
	return err.code;
}

static void
outages_are_unavailable(void)
{
	CHECK(classify(CURLE_COULDNT_CONNECT, ECONNREFUSED, "Failed to "
	    "connect to 127.0.0.1 port 9: Couldn't connect to server") ==
	    BKEY_ERR_UNAVAILABLE);
	CHECK(classify(CURLE_COULDNT_CONNECT, EHOSTUNREACH, "") ==
	    BKEY_ERR_UNAVAILABLE);
	CHECK(classify(CURLE_COULDNT_CONNECT, ENETUNREACH, "") ==
	    BKEY_ERR_UNAVAILABLE);
	CHECK(classify(CURLE_OPERATION_TIMEDOUT, 0, "Connection timed out "
	    "after 3001 milliseconds") == BKEY_ERR_UNAVAILABLE);
	CHECK(classify(CURLE_SSL_CONNECT_ERROR, 0, "OpenSSL/3.0.11: error:"
	    "0A00010B:SSL routines::wrong version number") ==
	    BKEY_ERR_UNAVAILABLE);
	CHECK(classify(CURLE_PEER_FAILED_VERIFICATION, 0, "SSL certificate "
	    "problem: unable to get local issuer certificate") ==
	    BKEY_ERR_UNAVAILABLE);
	/* Dropped by the server. */
	CHECK(classify(CURLE_GOT_NOTHING, 0, "Empty reply from server") ==
	    BKEY_ERR_UNAVAILABLE);
	CHECK(classify(CURLE_RECV_ERROR, ECONNRESET, "Recv failure: "
	    "Connection reset by peer") == BKEY_ERR_UNAVAILABLE);
	CHECK(classify(CURLE_PARTIAL_FILE, 0, "") == BKEY_ERR_UNAVAILABLE);
}

static void
local_failures_are_internal(void)
{
	struct bkey_netfail f;
	bkey_error err;

	/* The resolver thread (or its socket pair) could not be made. */
	CHECK(classify(CURLE_COULDNT_RESOLVE_HOST, 0, "getaddrinfo() thread "
	    "failed to start") == BKEY_ERR_INTERNAL);
	CHECK(classify(CURLE_COULDNT_RESOLVE_PROXY, 0, "getaddrinfo() thread "
	    "failed to start") == BKEY_ERR_INTERNAL);
	/* "Could not resolve" a name that does resolve: not DNS. */
	CHECK(classify(CURLE_COULDNT_RESOLVE_HOST, 0, "Could not resolve "
	    "host: localhost") == BKEY_ERR_INTERNAL);
	/* A connect failure without a connect errno (socket() failed). */
	CHECK(classify(CURLE_COULDNT_CONNECT, 0, "Failed to connect to "
	    "127.0.0.1 port 80 after 0 ms: Couldn't connect to server") ==
	    BKEY_ERR_INTERNAL);
	CHECK(classify(CURLE_COULDNT_CONNECT, EMFILE, "") ==
	    BKEY_ERR_INTERNAL);
	/* A stale connect errno does not hide a failed socket(). */
	memset(&f, 0, sizeof(f));
	f.code = CURLE_COULDNT_CONNECT;
	f.os_errno = ECONNREFUSED;
	f.errbuf = "";
	f.socket_errno = EMFILE;
	CHECK(bkey_netfail_classify(&f, &err) == -1);
	CHECK(err.code == BKEY_ERR_INTERNAL);
	CHECK(strstr(err.detail, "Too many open files") != NULL);
	CHECK(classify(CURLE_OUT_OF_MEMORY, 0, "") == BKEY_ERR_INTERNAL);
	/* A handshake that failed for want of memory. */
	CHECK(classify(CURLE_SSL_CONNECT_ERROR, 0, "error:0A0C0100:SSL "
	    "routines::malloc failure") == BKEY_ERR_INTERNAL);
	CHECK(classify(CURLE_PEER_FAILED_VERIFICATION, 0, "SSL certificate "
	    "problem: out of memory") == BKEY_ERR_INTERNAL);
	CHECK(classify(CURLE_RECV_ERROR, 0, "") == BKEY_ERR_INTERNAL);
	CHECK(classify(CURLE_WRITE_ERROR, 0, "") == BKEY_ERR_INTERNAL);
	/* Codes not on the list. */
	CHECK(classify(CURLE_SSL_CACERT_BADFILE, 0, "") == BKEY_ERR_INTERNAL);
	CHECK(classify(CURLE_FAILED_INIT, 0, "") == BKEY_ERR_INTERNAL);
	CHECK(classify(CURLE_ABORTED_BY_CALLBACK, 0, "") == BKEY_ERR_INTERNAL);
	CHECK(classify(CURLE_SEND_FAIL_REWIND, 0, "") == BKEY_ERR_INTERNAL);
}

static void
server_mistakes_are_protocol(void)
{
	struct bkey_netfail f;
	bkey_error err;

	CHECK(classify(CURLE_WEIRD_SERVER_REPLY, 0, "") == BKEY_ERR_PROTOCOL);
	CHECK(classify(CURLE_BAD_CONTENT_ENCODING, 0, "") ==
	    BKEY_ERR_PROTOCOL);
	CHECK(classify(CURLE_FILESIZE_EXCEEDED, 0, "") == BKEY_ERR_PROTOCOL);
	memset(&f, 0, sizeof(f));
	f.code = CURLE_WRITE_ERROR;
	f.errbuf = "";
	f.too_large = 1;
	CHECK(bkey_netfail_classify(&f, &err) == -1);
	CHECK(err.code == BKEY_ERR_PROTOCOL);
	CHECK_STR(err.detail, "response too large");
}

/* curl resending on a fresh connection, refused by our callback, is a
 * connection the server dropped. */
static void
refused_resend_is_a_drop(void)
{
	struct bkey_netfail f;
	bkey_error err;

	memset(&f, 0, sizeof(f));
	f.code = CURLE_ABORTED_BY_CALLBACK;
	f.errbuf = "operation aborted by pre-request callback";
	f.resent = 1;
	CHECK(bkey_netfail_classify(&f, &err) == -1);
	CHECK(err.code == BKEY_ERR_UNAVAILABLE);
	CHECK(strstr(err.detail, "dropped") != NULL);
}

static long
vm_size(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmSize: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/*
 * In a child: starve the process the way a caller's limits would, then
 * classify a perfectly good outage code. 0 when it came out internal.
 */
static int
starved_child(int what)
{
	struct rlimit rl;
	long kb;

	if (what == 0) {
		/* No descriptor left beyond those open now. */
		rl.rlim_cur = rl.rlim_max = 4;
		while (dup(0) >= 0)
			;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			return 10;
	} else {
		/* Too little address space for a thread's 8 MiB stack. */
		if ((kb = vm_size()) < 0)
			return 11;
		rl.rlim_cur = rl.rlim_max = (rlim_t)(kb + 2048) * 1024;
		if (setrlimit(RLIMIT_AS, &rl) != 0)
			return 12;
	}
	return classify(CURLE_COULDNT_CONNECT, ECONNREFUSED, "") ==
	    BKEY_ERR_INTERNAL && !unit_cur_failed ? 0 : 13;
}

static void
starved_process_is_never_unavailable(void)
{
	int what, st;
	pid_t pid;

	for (what = 0; what < 2; what++) {
#ifdef __SANITIZE_ADDRESS__
		if (what == 1)
			continue;	/* ASan cannot live under an AS limit */
#endif
		fflush(stdout);
		pid = fork();
		CHECK(pid >= 0);
		if (pid == 0) {
			/* A fresh process: glibc would reuse the cached stack
			 * of an earlier thread, needing no new mapping. */
			execl("/proc/self/exe", "test_netfail",
			    what == 0 ? "--starve-fds" : "--starve-as",
			    (char *)NULL);
			_exit(20);
		}
		CHECK(waitpid(pid, &st, 0) == pid);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			printf("# case %d: status 0x%x\n", what, st);
	}
	/* And the probe passes here, unstarved. */
	{
		bkey_error err;

		CHECK(bkey_netfail_probe(&err) == 0);
	}
}

static void
child_exit(int rc)
{
	(void)fflush(stdout);
	_exit(rc);
}

int
main(int argc, char **argv)
{
	/* The starved child leaves with _exit: LeakSanitizer's exit check
	 * needs a descriptor for /proc, and the child has none left. */
	if (argc == 2 && strcmp(argv[1], "--starve-fds") == 0)
		child_exit(starved_child(0));
	if (argc == 2 && strcmp(argv[1], "--starve-as") == 0)
		child_exit(starved_child(1));
	unit_suite = "netfail";
	RUN(outages_are_unavailable);
	RUN(local_failures_are_internal);
	RUN(server_mistakes_are_protocol);
	RUN(refused_resend_is_a_drop);
	RUN(starved_process_is_never_unavailable);
	UNIT_DONE();
}
