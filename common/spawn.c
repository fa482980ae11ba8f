/* SPDX-License-Identifier: ISC */
/*
 * Starting bkey-approve from inside a host process and reading its events.
 * See spawn.h. The host may be multi-threaded (sudo, sshd's PAM child) and
 * may have its own SIGCHLD handler that reaps our child: the child between
 * fork and exec only makes async-signal-safe calls, and the outcome is taken
 * from the helper's final event, its exit status only confirming it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fileperm.h"
#include "spawn.h"

#define WRITE_TIMEOUT_MS	5000	/* helper must take its request by then */
#define FINISH_WAIT_MS		2000	/* helper exits right after its event */
#define KILL_GRACE_MS		200	/* SIGTERM to SIGKILL */
#define WAIT_STEP_MS		5

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	/* An interrupted sleep only shortens one polling step. */
	(void)nanosleep(&ts, NULL);
}

static void
close_fd(int *fd)
{
	if (*fd >= 0) {
		(void)close(*fd);
		*fd = -1;
	}
}

/*
 * Every directory from the helper's up to "/" must be trusted too, or whoever
 * can write one could swap the helper between this check and execve. A
 * sticky directory (like /tmp) is fine: others cannot rename or remove
 * what they do not own there.
 */
static int
check_dirs(const char *path, bkey_error *err)
{
	char dir[PATH_MAX];
	struct stat st;
	char *slash;
	size_t n = strlen(path);

	if (n >= sizeof(dir))
		return bkey_seterr(err, BKEY_ERR_CONFIG, "helper path too long");
	memcpy(dir, path, n + 1);
	while ((slash = strrchr(dir, '/')) != NULL) {
		if (slash == dir)
			slash[1] = '\0';	/* the root directory itself */
		else
			*slash = '\0';
		if (lstat(dir, &st) != 0)
			return bkey_seterr(err, BKEY_ERR_CONFIG, "helper "
			    "directory %s: %s", dir, strerror(errno));
		if (!S_ISDIR(st.st_mode) || bkey_trust_broken(&st, geteuid(),
		    BKEY_TRUST_STICKY_OK) != BKEY_TRUST_OK)
			return bkey_seterr(err, BKEY_ERR_CONFIG, "helper "
			    "directory %s: writable by others or not owned "
			    "by root", dir);
		if (slash == dir)
			break;
	}
	return 0;
}

/*
 * Resolve the helper once (symlinks included) into resolved, and check the
 * file that path names: absolute, regular, executable, not group/world
 * writable, owned by root or euid, in trusted directories. The resolved
 * path is what gets executed.
 */
int
bkey_helper_check(const char *helper, char resolved[PATH_MAX], bkey_error *err)
{
	struct stat st;
	int broken;

	if (helper == NULL || helper[0] != '/')
		return bkey_seterr(err, BKEY_ERR_CONFIG,
		    "helper path must be absolute: %s",
		    helper ? helper : "(none)");
	if (realpath(helper, resolved) == NULL)
		return bkey_seterr(err, BKEY_ERR_CONFIG, "helper %s: %s",
		    helper, strerror(errno));
	if (lstat(resolved, &st) != 0)
		return bkey_seterr(err, BKEY_ERR_CONFIG, "helper %s: %s",
		    helper, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return bkey_seterr(err, BKEY_ERR_CONFIG,
		    "helper %s: not a regular file", helper);
	/* Nobody but root or us may change what we run. */
	broken = bkey_trust_broken(&st, geteuid(), 0);
	if (broken == BKEY_TRUST_WRITERS)
		return bkey_seterr(err, BKEY_ERR_CONFIG,
		    "helper %s: writable by group or others", helper);
	if (broken == BKEY_TRUST_OWNER)
		return bkey_seterr(err, BKEY_ERR_CONFIG,
		    "helper %s: owned by uid %lu, not root", helper,
		    (unsigned long)st.st_uid);
	if (!(st.st_mode & S_IXUSR))
		return bkey_seterr(err, BKEY_ERR_CONFIG,
		    "helper %s: not executable", helper);
	return check_dirs(resolved, err);
}

/*
 * The limits the helper runs with, whatever the host's were: a caller who
 * starts sudo or su under "prlimit --as=..." or "--nofile=5" must not make
 * the helper fail in a way that reads as "service unavailable". Soft and
 * hard are both set, so the helper cannot raise them again. Documented in
 * docs/pam.md ("What the helper gets").
 */
#define HELPER_AS	(BKEY_HELPER_AS_LIMIT == 0 ? RLIM_INFINITY : \
			    (rlim_t)BKEY_HELPER_AS_LIMIT)
#define NPROC_MIN	64	/* lower is a caller's trick, not a system's */

#define HOST_HARD	RLIM_INFINITY	/* value: the host's hard limit */

static const struct {
	int res;
	const char *name;
	rlim_t value;			/* soft, and hard unless keep_hard */
	int keep_hard;			/* hard stays the host's (>= value) */
} helper_limits[] = {
	{ RLIMIT_AS, "RLIMIT_AS", HELPER_AS, 0 },
	{ RLIMIT_DATA, "RLIMIT_DATA", HELPER_AS, 0 },
	/* glibc also sizes each thread's stack (curl's resolver) by this. */
	{ RLIMIT_STACK, "RLIMIT_STACK", 8UL << 20, 0 },
	/* The hard limit is left: valgrind (the module's leak test) refuses
	 * to change it, and the helper never raises its own limits. */
	{ RLIMIT_NOFILE, "RLIMIT_NOFILE", 256, 1 },
	/* It writes only the JWKS cache (<= 64 KiB) and small jti records. */
	{ RLIMIT_FSIZE, "RLIMIT_FSIZE", 1UL << 20, 0 },
	/* It sleeps between polls; minutes of CPU mean something is wrong. */
	{ RLIMIT_CPU, "RLIMIT_CPU", 120, 0 },
	{ RLIMIT_CORE, "RLIMIT_CORE", 0, 0 },
	/*
	 * Counted per user, system-wide: after the drop to run_as every
	 * helper of that user (each with its resolver thread) counts, and
	 * without a drop every process of the caller does. The helper never
	 * forks, so a bound of ours would limit nothing of its own and only
	 * let other processes make its thread creation fail: it keeps the
	 * host's hard limit (soft raised to it), which must not be tiny.
	 */
	{ RLIMIT_NPROC, "RLIMIT_NPROC", HOST_HARD, 1 },
};

#define NLIMITS (sizeof(helper_limits) / sizeof(helper_limits[0]))

/* Everything the child needs, prepared before fork. */
struct child_plan {
	char resolved[PATH_MAX];
	char *argv[6];
	char path_env[sizeof("PATH=/usr/bin:/bin")];
	char *envp[2];
	struct rlimit lim[NLIMITS];
	int in_r, out_w, status_w, null_fd, keep_stderr;
	pid_t parent;
};

/* What the child reports on the status pipe when it cannot exec. */
struct child_status {
	int step;			/* -1 setup or exec, else a limit index */
	int err;
};

/*
 * The values to set: the fixed ones, and for RLIMIT_NPROC the host's hard
 * limit. Raising a hard limit takes CAP_SYS_RESOURCE; without it, a caller
 * who lowered one (prlimit --as=N sets soft and hard) stops the spawn in the
 * child, which names the limit.
 */
static int
plan_limits(struct rlimit lim[NLIMITS], bkey_error *err)
{
	struct rlimit cur;
	rlim_t v;
	size_t i;

	for (i = 0; i < NLIMITS; i++) {
		v = helper_limits[i].value;
		lim[i].rlim_cur = lim[i].rlim_max = v;
		if (!helper_limits[i].keep_hard)
			continue;
		if (getrlimit(helper_limits[i].res, &cur) != 0)
			return bkey_seterr(err, BKEY_ERR_INTERNAL,
			    "getrlimit %s: %s", helper_limits[i].name,
			    strerror(errno));
		if (helper_limits[i].res == RLIMIT_NPROC) {
			v = cur.rlim_max;
			if (v != RLIM_INFINITY && v < NPROC_MIN)
				return bkey_seterr(err, BKEY_ERR_INTERNAL,
				    "cannot give the helper its RLIMIT_NPROC: "
				    "the hard limit %lu is below %d",
				    (unsigned long)v, NPROC_MIN);
			lim[i].rlim_cur = v;
		}
		/* A lower hard limit stays the value: raised if we may. */
		if (cur.rlim_max == RLIM_INFINITY || cur.rlim_max >= v)
			lim[i].rlim_max = cur.rlim_max;
	}
	return 0;
}

/* Tell the parent why the child cannot exec, then exit. */
static void child_fail(int status_fd, int step) __attribute__((noreturn));

static void
child_fail(int status_fd, int step)
{
	struct child_status cs;

	cs.step = step;
	cs.err = errno;
	/* Nothing more can be done if this write fails. */
	if (write(status_fd, &cs, sizeof(cs)) != (ssize_t)sizeof(cs))
		_exit(127);
	_exit(127);
}

/* Between fork and exec: async-signal-safe calls only (setrlimit and
 * prctl are plain system calls). Never returns. */
static void
child_exec(const struct child_plan *pl)
{
	struct sigaction sa;
	struct rlimit nofile;
	sigset_t all;
	int in_c, out_c, err_c, err_fd;
	int status_fd = pl->status_w, sig;
	size_t i;

	/* Default dispositions: the host's handlers and ignores stay behind. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (sig = 1; sig < NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		(void)sigaction(sig, &sa, NULL);
	}
	sigemptyset(&all);
	(void)sigprocmask(SIG_SETMASK, &all, NULL);

	/* If the host dies mid-wait, the helper should not poll on alone. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != pl->parent)
		child_fail(status_fd, -1);

	/* Room for the moves below, whatever soft limit the host had. */
	if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 &&
	    nofile.rlim_cur != nofile.rlim_max) {
		nofile.rlim_cur = nofile.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &nofile);
	}
	/* Move everything above 2 first so dup2 onto 0..2 cannot clobber. */
	if ((in_c = fcntl(pl->in_r, F_DUPFD_CLOEXEC, 3)) < 0 ||
	    (out_c = fcntl(pl->out_w, F_DUPFD_CLOEXEC, 3)) < 0 ||
	    (err_c = fcntl(pl->status_w, F_DUPFD_CLOEXEC, 3)) < 0)
		child_fail(status_fd, -1);
	/* Keep the host's stderr only if it is a real, separate descriptor. */
	err_fd = pl->null_fd;
	if (pl->keep_stderr && fcntl(2, F_GETFD) >= 0 && pl->in_r != 2 &&
	    pl->out_w != 2 && pl->status_w != 2 && pl->null_fd != 2)
		err_fd = 2;
	if (dup2(in_c, 0) < 0 || dup2(out_c, 1) < 0)
		child_fail(status_fd, -1);
	if (err_fd != 2 && dup2(err_fd, 2) < 0)
		child_fail(status_fd, -1);
	/* The exec-status pipe at 3, close-on-exec; everything else closed. */
	if (err_c != 3) {
		if (dup3(err_c, 3, O_CLOEXEC) < 0)
			child_fail(status_fd, -1);
	} else if (fcntl(3, F_SETFD, FD_CLOEXEC) < 0)
		child_fail(status_fd, -1);
	status_fd = 3;
	if (close_range(4, ~0U, 0) != 0) {
		long max = sysconf(_SC_OPEN_MAX);
		int fd;

		if (max < 0 || max > INT_MAX)
			max = 65536;
		for (fd = 4; fd < max; fd++)
			(void)close(fd);
	}
	for (i = 0; i < NLIMITS; i++)
		if (setrlimit(helper_limits[i].res, &pl->lim[i]) != 0)
			child_fail(status_fd, (int)i);
	execve(pl->resolved, pl->argv, pl->envp);
	child_fail(status_fd, -1);
}

/* Wait for the child's exec: 0 exec'd, -1 with what failed in *cs. */
static int
wait_exec(int status_r, struct child_status *cs)
{
	ssize_t n;

	cs->step = -1;
	cs->err = 0;
	do {
		n = read(status_r, cs, sizeof(*cs));
	} while (n < 0 && errno == EINTR);
	if (n == 0)
		return 0;
	if (n != (ssize_t)sizeof(*cs)) {
		cs->step = -1;
		cs->err = EIO;
	}
	return -1;
}

/*
 * Write all of buf to fd (non-blocking) within WRITE_TIMEOUT_MS. SIGPIPE is
 * blocked in this thread for the write and a SIGPIPE we caused is consumed,
 * so the host never sees it.
 */
static int
write_request(int fd, const char *buf, size_t len)
{
	sigset_t pipe_set, old, pending;
	struct timespec zero = { 0, 0 };
	long long deadline = bkey_now_ms() + WRITE_TIMEOUT_MS;
	int was_pending = 0, ret = -1, saved = 0;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE))
		was_pending = 1;
	if (pthread_sigmask(SIG_BLOCK, &pipe_set, &old) != 0)
		return -1;
	while (len > 0) {
		struct pollfd p = { fd, POLLOUT, 0 };
		long long left = deadline - bkey_now_ms();
		ssize_t n;
		int r;

		if (left <= 0) {
			saved = ETIMEDOUT;
			goto out;
		}
		r = poll(&p, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			saved = errno;
			goto out;
		}
		if (r == 0)
			continue;
		n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			saved = errno;
			goto out;
		}
		buf += n;
		len -= (size_t)n;
	}
	ret = 0;
out:
	if (!was_pending && sigpending(&pending) == 0 &&
	    sigismember(&pending, SIGPIPE))
		(void)sigtimedwait(&pipe_set, NULL, &zero);
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret != 0)
		errno = saved;
	return ret;
}

static void
plan_args(struct child_plan *pl, const char *conf, int debug)
{
	int argc = 0;

	pl->argv[argc++] = pl->resolved;
	pl->argv[argc++] = (char *)"--request-stdin";
	if (conf != NULL) {
		pl->argv[argc++] = (char *)"--config";
		pl->argv[argc++] = (char *)conf;
	}
	if (debug)
		pl->argv[argc++] = (char *)"--debug";
	pl->argv[argc] = NULL;
	(void)snprintf(pl->path_env, sizeof(pl->path_env), "PATH=/usr/bin:/bin");
	pl->envp[0] = pl->path_env;
	pl->envp[1] = NULL;
	pl->keep_stderr = debug;
	pl->parent = getpid();
}

/*
 * Fork and exec the planned helper with its stdin and stdout on pipes.
 * 0 with ch->pid, ch->out_fd and *in_w (the request pipe) set.
 */
static int
start_child(struct bkey_child *ch, struct child_plan *pl, const char *helper,
    int *in_w, bkey_error *err)
{
	struct child_status cs;
	int in_p[2] = { -1, -1 }, out_p[2] = { -1, -1 }, st_p[2] = { -1, -1 };
	int null_fd = -1, ret = -1;
	pid_t pid;

	if (pipe2(in_p, O_CLOEXEC) != 0 || pipe2(out_p, O_CLOEXEC) != 0 ||
	    pipe2(st_p, O_CLOEXEC) != 0) {
		bkey_seterr(err, BKEY_ERR_INTERNAL, "pipe: %s",
		    strerror(errno));
		goto out;
	}
	if ((null_fd = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0) {
		bkey_seterr(err, BKEY_ERR_INTERNAL, "/dev/null: %s",
		    strerror(errno));
		goto out;
	}
	pl->in_r = in_p[0];
	pl->out_w = out_p[1];
	pl->status_w = st_p[1];
	pl->null_fd = null_fd;
	if ((pid = fork()) < 0) {
		bkey_seterr(err, BKEY_ERR_INTERNAL, "fork: %s",
		    strerror(errno));
		goto out;
	}
	if (pid == 0)
		child_exec(pl);
	ch->pid = pid;
	close_fd(&out_p[1]);
	close_fd(&st_p[1]);
	ch->out_fd = out_p[0];
	out_p[0] = -1;
	if (wait_exec(st_p[0], &cs) != 0) {
		if (cs.step >= 0 && (size_t)cs.step < NLIMITS)
			bkey_seterr(err, BKEY_ERR_INTERNAL, "cannot give the "
			    "helper its %s (is the caller's hard limit "
			    "lower?): %s", helper_limits[cs.step].name,
			    strerror(cs.err));
		else
			bkey_seterr(err, BKEY_ERR_INTERNAL, "cannot run %s: %s",
			    helper, strerror(cs.err));
		goto out;
	}
	*in_w = in_p[1];
	in_p[1] = -1;
	ret = 0;
out:
	close_fd(&in_p[0]);
	close_fd(&in_p[1]);
	close_fd(&out_p[0]);
	close_fd(&out_p[1]);
	close_fd(&st_p[0]);
	close_fd(&st_p[1]);
	close_fd(&null_fd);
	return ret;
}

int
bkey_spawn(struct bkey_child *ch, const char *helper, const char *conf,
    int debug, const char *request_json, bkey_error *err)
{
	struct child_plan pl;
	int in_w = -1, ret = -1;

	memset(ch, 0, sizeof(*ch));
	ch->pid = -1;
	ch->out_fd = -1;
	memset(&pl, 0, sizeof(pl));
	if (request_json == NULL)
		return bkey_seterr(err, BKEY_ERR_INTERNAL, "no request");
	if (bkey_helper_check(helper, pl.resolved, err) != 0)
		return -1;
	plan_args(&pl, conf, debug);
	if (plan_limits(pl.lim, err) != 0)
		return -1;
	if (start_child(ch, &pl, helper, &in_w, err) != 0)
		goto out;
	if (fcntl(in_w, F_SETFL, O_NONBLOCK) != 0 ||
	    write_request(in_w, request_json, strlen(request_json)) != 0) {
		/* A helper that stopped reading may have said why on its
		 * stdout: its events decide, never an approval. */
		if (errno != EPIPE) {
			bkey_seterr(err, BKEY_ERR_INTERNAL,
			    "cannot send the request to %s: %s", helper,
			    strerror(errno));
			goto out;
		}
		ch->request_short = 1;
	}
	ret = 0;
out:
	close_fd(&in_w);
	if (ret != 0)
		bkey_spawn_kill(ch);
	return ret;
}

/* Take one complete line out of the buffer, if there is one. 1 / 0 / -1. */
static int
take_line(struct bkey_child *ch, struct bkey_event *ev, bkey_error *err)
{
	char *nl = memchr(ch->line, '\n', ch->line_len);
	size_t len, rest;
	int r;

	if (nl == NULL) {
		if (ch->line_len >= sizeof(ch->line))
			return bkey_seterr(err, BKEY_ERR_PROTOCOL,
			    "helper sent a line over %zu bytes",
			    sizeof(ch->line) - 1);
		return 0;
	}
	len = (size_t)(nl - ch->line);
	memset(ev, 0, sizeof(*ev));
	r = bkey_event_parse(ev, ch->line, len);
	rest = ch->line_len - len - 1;
	memmove(ch->line, nl + 1, rest);
	ch->line_len = rest;
	if (r != 0) {
		memset(ev, 0, sizeof(*ev));
		return bkey_seterr(err, BKEY_ERR_PROTOCOL,
		    "helper sent a malformed event");
	}
	return 1;
}

/*
 * Wait up to left ms for the helper's output or the cancel descriptor.
 * 1 output is readable, 0 nothing yet (look again), -1 error or cancel.
 */
static int
wait_output(const struct bkey_child *ch, int cancel_fd, long long left,
    bkey_error *err)
{
	struct pollfd p[2];
	nfds_t np = 1;
	int r;

	if (left > INT_MAX)
		left = INT_MAX;
	p[0].fd = ch->out_fd;
	p[0].events = POLLIN;
	p[0].revents = 0;
	if (cancel_fd >= 0) {
		p[1].fd = cancel_fd;
		p[1].events = POLLIN;
		p[1].revents = 0;
		np = 2;
	}
	r = poll(p, np, (int)left);
	if (r < 0) {
		if (errno == EINTR)
			return 0;
		return bkey_seterr(err, BKEY_ERR_INTERNAL, "poll: %s",
		    strerror(errno));
	}
	if (r == 0)
		return 0;	/* the caller's deadline check decides */
	if (np == 2 && p[1].revents != 0)
		return bkey_seterr(err, BKEY_ERR_CANCELLED, "cancelled");
	return p[0].revents != 0;
}

/* Read what the helper wrote: 0 (maybe nothing, on EINTR), -1 error. */
static int
read_output(struct bkey_child *ch, bkey_error *err)
{
	ssize_t n;

	n = read(ch->out_fd, ch->line + ch->line_len,
	    sizeof(ch->line) - ch->line_len);
	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return 0;
		return bkey_seterr(err, BKEY_ERR_PROTOCOL,
		    "reading from helper: %s", strerror(errno));
	}
	if (n == 0) {
		close_fd(&ch->out_fd);
		return bkey_seterr(err, BKEY_ERR_PROTOCOL, "%s%s",
		    ch->line_len ? "helper output ended mid-line" :
		    "helper exited without a result",
		    ch->request_short ? " (it did not read the whole "
		    "request)" : "");
	}
	ch->line_len += (size_t)n;
	return 0;
}

int
bkey_spawn_next(struct bkey_child *ch, struct bkey_event *ev,
    long long deadline_ms, int cancel_fd, bkey_error *err)
{
	int late = 0;

	for (;;) {
		long long left;
		int r;

		if ((r = take_line(ch, ev, err)) < 0)
			return -1;
		if (r > 0) {
			/* Past the deadline only a result counts. */
			if (late && ev->type == BKEY_EV_PENDING)
				continue;
			return 0;
		}
		if (ch->out_fd < 0)
			return bkey_seterr(err, BKEY_ERR_PROTOCOL,
			    "helper output closed");
		left = deadline_ms - bkey_now_ms();
		if (left <= 0) {
			/*
			 * One look at what is already written (a result that
			 * came while the host sat in a prompt), then give up.
			 */
			if (late) {
				memset(ev, 0, sizeof(*ev));
				return bkey_seterr(err, BKEY_EXPIRED,
				    "no answer before the deadline");
			}
			late = 1;
			left = 0;
		}
		if ((r = wait_output(ch, cancel_fd, left, err)) < 0)
			return -1;
		if (r > 0 && read_output(ch, err) != 0)
			return -1;
	}
}

/*
 * One non-blocking reap attempt. 1 reaped (or already reaped by the host:
 * ECHILD), 0 still running, -1 error.
 */
static int
try_reap(struct bkey_child *ch)
{
	int st;
	pid_t r;

	if (ch->exited || ch->pid <= 0)
		return 1;
	do {
		r = waitpid(ch->pid, &st, WNOHANG);
	} while (r < 0 && errno == EINTR);
	if (r == ch->pid) {
		ch->exited = 1;
		ch->status = st;
		return 1;
	}
	if (r < 0 && errno == ECHILD) {
		/* Reaped by the host; its exit status is lost to us. */
		ch->exited = 1;
		ch->status = -1;
		return 1;
	}
	return r == 0 ? 0 : -1;
}

static int
reap_within(struct bkey_child *ch, long ms)
{
	long long deadline = bkey_now_ms() + ms;
	int r;

	while ((r = try_reap(ch)) == 0 && bkey_now_ms() < deadline)
		sleep_ms(WAIT_STEP_MS);
	return r;
}

void
bkey_spawn_kill(struct bkey_child *ch)
{
	close_fd(&ch->out_fd);
	if (ch->pid > 0 && !ch->exited) {
		/* Signal only a child not yet reaped: its pid is still ours. */
		if (try_reap(ch) == 0) {
			(void)kill(ch->pid, SIGTERM);
			if (reap_within(ch, KILL_GRACE_MS) == 0) {
				(void)kill(ch->pid, SIGKILL);
				(void)reap_within(ch, FINISH_WAIT_MS);
			}
		}
	}
	ch->pid = -1;
	ch->line_len = 0;
}

static int
is_final(const struct bkey_event *ev)
{
	return ev != NULL && (ev->type == BKEY_EV_APPROVED ||
	    ev->type == BKEY_EV_DENIED || ev->type == BKEY_EV_EXPIRED ||
	    ev->type == BKEY_EV_ERROR || ev->type == BKEY_EV_RECOVERED);
}

bkey_result
bkey_spawn_finish(struct bkey_child *ch, const struct bkey_event *final,
    bkey_error *err)
{
	bkey_result want;
	int r, code;

	close_fd(&ch->out_fd);
	if (!is_final(final)) {
		bkey_spawn_kill(ch);
		bkey_seterr(err, BKEY_ERR_PROTOCOL, "no final event");
		return BKEY_ERR_PROTOCOL;
	}
	switch (final->type) {
	case BKEY_EV_APPROVED:
	case BKEY_EV_RECOVERED:	/* exit 0; a yes only to helper_recover */
		/* It cannot have approved what it never read. */
		if (ch->request_short) {
			bkey_spawn_kill(ch);
			bkey_seterr(err, BKEY_ERR_PROTOCOL, "helper approved "
			    "a request it did not read in full");
			return BKEY_ERR_PROTOCOL;
		}
		want = BKEY_APPROVED;
		break;
	case BKEY_EV_DENIED:
		want = BKEY_DENIED;
		break;
	case BKEY_EV_EXPIRED:
		want = BKEY_EXPIRED;
		break;
	default:
		want = final->reason;
		/* An error event can never be read as an approval. */
		if (want == BKEY_APPROVED)
			want = BKEY_ERR_PROTOCOL;
		break;
	}

	/* No helper that we saw exit (never spawned, spawn failed): the
	 * zeroed status would read as "exited 0". */
	if (ch->pid <= 0 && !ch->exited) {
		bkey_seterr(err, BKEY_ERR_PROTOCOL, "no helper to confirm");
		return BKEY_ERR_PROTOCOL;
	}
	r = ch->pid > 0 ? reap_within(ch, FINISH_WAIT_MS) : 1;
	if (r != 1) {
		bkey_spawn_kill(ch);
		bkey_seterr(err, BKEY_ERR_PROTOCOL,
		    "helper did not exit after its result");
		return BKEY_ERR_PROTOCOL;
	}
	ch->pid = -1;
	if (ch->status == -1) {
		/* Reaped by the host: the event alone decides. */
		if (want != BKEY_APPROVED)
			bkey_seterr(err, want, "%s", final->type ==
			    BKEY_EV_ERROR && final->detail[0] ? final->detail :
			    bkey_result_reason(want));
		return want;
	}
	if (!WIFEXITED(ch->status)) {
		bkey_seterr(err, BKEY_ERR_PROTOCOL,
		    "helper killed by signal %d", WIFSIGNALED(ch->status) ?
		    WTERMSIG(ch->status) : 0);
		return BKEY_ERR_PROTOCOL;
	}
	code = WEXITSTATUS(ch->status);
	if (code != bkey_result_exit(want)) {
		bkey_seterr(err, BKEY_ERR_PROTOCOL,
		    "helper exit status %d disagrees with its %s event", code,
		    bkey_result_reason(want));
		return BKEY_ERR_PROTOCOL;
	}
	if (want != BKEY_APPROVED)
		bkey_seterr(err, want, "%s", final->type == BKEY_EV_ERROR &&
		    final->detail[0] ? final->detail :
		    bkey_result_reason(want));
	return want;
}
