/* SPDX-License-Identifier: ISC */
/* Process hardening for the programs that talk to the network. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harden.h"

/* Harden the process before anything else runs. */
int
bkey_harden(void (*on_signal)(int))
{
	struct rlimit rl = { 0, 0 };
	struct sigaction sa;
	sigset_t set;

	/* Nothing of the caller's environment reaches libcurl: no proxies,
	 * no SSLKEYLOGFILE, no CURL_HOME. */
	if (clearenv() != 0 || setenv("PATH", "/usr/bin:/bin", 1) != 0)
		return -1;
	/* Started with euid 0 by a setuid host (sudo, su), the real uid is
	 * the caller's, who could then signal us (SIGSTOP past a timeout):
	 * all of our ids become root's. */
	if (geteuid() == 0 && setresuid(0, 0, 0) != 0)
		return -1;
	umask(077);
	if (setrlimit(RLIMIT_CORE, &rl) != 0)
		return -1;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGPIPE, &sa, NULL) != 0)
		return -1;
	/* No SA_RESTART: a blocking call returns EINTR and we notice. */
	sa.sa_handler = on_signal;
	sa.sa_flags = 0;
	if (sigaction(SIGINT, &sa, NULL) != 0 ||
	    sigaction(SIGTERM, &sa, NULL) != 0)
		return -1;
	/* A blocked mask survives execve: a parent that left SIGINT or
	 * SIGTERM blocked must not make the wait uncancellable. */
	if (sigemptyset(&set) != 0 || sigaddset(&set, SIGINT) != 0 ||
	    sigaddset(&set, SIGTERM) != 0 ||
	    sigprocmask(SIG_UNBLOCK, &set, NULL) != 0)
		return -1;
	return 0;
}
