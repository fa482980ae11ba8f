/* SPDX-License-Identifier: ISC */
/*
 * Unit tests: the sudo plugin's signal guard (sudo_plugin/wait.c). A signal
 * during the wait must cancel it; sudo's handlers and mask must come back
 * exactly; a signal that arrives once the guard is being taken down must
 * reach sudo's own handler (which then refuses the command), never vanish.
 */
#include <signal.h>
#include <string.h>

#include "../../sudo_plugin/wait.c"
#include "unit.h"

static volatile sig_atomic_t host_got;

static void
host_handler(int sig)
{
	host_got = sig;
}

/* Play sudo: a recording handler with SA_RESTART, nothing blocked. */
static void
host_setup(void)
{
	struct sigaction sa;
	sigset_t none;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = host_handler;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	host_got = 0;
}

static int
host_handler_back(int sig)
{
	struct sigaction cur;

	return sigaction(sig, NULL, &cur) == 0 &&
	    cur.sa_handler == host_handler && (cur.sa_flags & SA_RESTART);
}

static void
caught_during_wait_is_returned(void)
{
	struct sigguard g;

	host_setup();
	CHECK(sigguard_install(&g) == 0);
	CHECK(sigguard_fd(&g) >= 0);
	raise(SIGTERM);
	CHECK(sigguard_restore(&g) == SIGTERM);
	CHECK(host_got == 0);		/* ours, not sudo's */
	CHECK(host_handler_back(SIGTERM) && host_handler_back(SIGINT));
	CHECK(sigguard_restore(&g) == 0);	/* twice is harmless */
}

static void
quiet_wait_returns_zero(void)
{
	struct sigguard g;
	sigset_t cur;

	host_setup();
	CHECK(sigguard_install(&g) == 0);
	CHECK(sigguard_restore(&g) == 0);
	CHECK(sigprocmask(SIG_SETMASK, NULL, &cur) == 0);
	CHECK(!sigismember(&cur, SIGINT) && !sigismember(&cur, SIGTERM));
}

static void
late_signal_reaches_sudo(void)
{
	struct sigguard g;
	sigset_t set;

	host_setup();
	CHECK(sigguard_install(&g) == 0);
	/* As restore blocks the guarded signals before reading what was
	 * caught, a signal from then on is only pending ... */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	raise(SIGINT);
	CHECK(sigguard_restore(&g) == 0);
	/* ... restore put back the mask sudo had (SIGINT unblocked), so
	 * sudo's handler has it now: sudo will not run the command. */
	CHECK(host_got == SIGINT);
}

int
main(void)
{
	unit_suite = "sigguard";
	RUN(caught_during_wait_is_returned);
	RUN(quiet_wait_returns_zero);
	RUN(late_signal_reaches_sudo);
	UNIT_DONE();
}
