/* SPDX-License-Identifier: ISC */
/*
 * The signal guard around the wait for bkey-approve (see wait.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "wait.h"

static const int guarded[4] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

/* Shared with the handler: only sig_atomic_t and write(2). */
static volatile sig_atomic_t caught_sig;
static volatile sig_atomic_t wake_fd = -1;

static void
on_signal(int sig)
{
	int saved = errno;

	if (caught_sig == 0)
		caught_sig = sig;
	if (wake_fd >= 0) {
		/* A full pipe already wakes the poll. */
		ssize_t r = write((int)wake_fd, "!", 1);
		(void)r;
	}
	errno = saved;
}

int
sigguard_install(struct sigguard *g)
{
	struct sigaction sa, ign;
	sigset_t set;
	int i, n = 0, saved;

	memset(g, 0, sizeof(*g));
	g->pipe[0] = g->pipe[1] = -1;
	if (pipe2(g->pipe, O_CLOEXEC | O_NONBLOCK) != 0)
		return -1;

	sigemptyset(&set);
	for (i = 0; i < 4; i++)
		sigaddset(&set, guarded[i]);
	/* Block while switching so no signal finds a half-installed set. */
	if (sigprocmask(SIG_BLOCK, &set, &g->old_mask) != 0)
		goto fail;
	caught_sig = 0;
	wake_fd = g->pipe[1];

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_mask = set;
	sa.sa_flags = 0;		/* no SA_RESTART: interrupt the wait */
	for (n = 0; n < 4; n++)
		if (sigaction(guarded[n], &sa, &g->old[n]) != 0)
			goto fail_mask;
	/* spawn.c consumes its own SIGPIPE; this covers anything else. */
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	if (sigaction(SIGPIPE, &ign, &g->old_pipe) != 0)
		goto fail_mask;
	g->installed = 1;
	/* Unblocked for the wait even if sudo had them blocked. */
	{
		sigset_t wait_mask = g->old_mask;

		for (i = 0; i < 4; i++)
			sigdelset(&wait_mask, guarded[i]);
		if (sigprocmask(SIG_SETMASK, &wait_mask, NULL) != 0) {
			saved = errno;
			(void)sigguard_restore(g);
			errno = saved;
			return -1;
		}
	}
	return 0;

fail_mask:
	saved = errno;
	while (n > 0) {
		n--;
		(void)sigaction(guarded[n], &g->old[n], NULL);
	}
	wake_fd = -1;
	(void)sigprocmask(SIG_SETMASK, &g->old_mask, NULL);
	errno = saved;
fail:
	saved = errno;
	(void)close(g->pipe[0]);
	(void)close(g->pipe[1]);
	g->pipe[0] = g->pipe[1] = -1;
	errno = saved;
	return -1;
}

int
sigguard_fd(const struct sigguard *g)
{
	return g->installed ? g->pipe[0] : -1;
}

int
sigguard_restore(struct sigguard *g)
{
	sigset_t set;
	int i, sig;

	if (!g->installed)
		return 0;
	sigemptyset(&set);
	for (i = 0; i < 4; i++)
		sigaddset(&set, guarded[i]);
	/* Block first, then read what was caught: nothing can land in
	 * between. Handlers go back while blocked, then the mask. */
	(void)sigprocmask(SIG_BLOCK, &set, NULL);
	sig = (int)caught_sig;
	for (i = 0; i < 4; i++)
		(void)sigaction(guarded[i], &g->old[i], NULL);
	(void)sigaction(SIGPIPE, &g->old_pipe, NULL);
	wake_fd = -1;
	(void)sigprocmask(SIG_SETMASK, &g->old_mask, NULL);
	(void)close(g->pipe[0]);
	(void)close(g->pipe[1]);
	g->pipe[0] = g->pipe[1] = -1;
	g->installed = 0;
	return sig;
}
