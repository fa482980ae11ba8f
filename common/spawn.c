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
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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

/* Owned by root or by us: nobody else may change what we run. */
static int
trusted_owner(const struct stat *st)
{
	return st->st_uid == 0 || st->st_uid == geteuid();
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
		if (!S_ISDIR(st.st_mode) || !trusted_owner(&st) ||
		    ((st.st_mode & (S_IWGRP | S_IWOTH)) &&
		    !(st.st_mode & S_ISVTX)))
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
static int
check_helper(const char *helper, char resolved[PATH_MAX], bkey_error *err)
{
	struct stat st;

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
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return bkey_seterr(err, BKEY_ERR_CONFIG,
		    "helper %s: writable by group or others", helper);
	if (!trusted_owner(&st))
		return bkey_seterr(err, BKEY_ERR_CONFIG,
		    "helper %s: owned by uid %lu, not root", helper,
		    (unsigned long)st.st_uid);
	if (!(st.st_mode & S_IXUSR))
		return bkey_seterr(err, BKEY_ERR_CONFIG,
		    "helper %s: not executable", helper);
	return check_dirs(resolved, err);
}

/* Between fork and exec: async-signal-safe calls only. Never returns. */
static void
child_exec(const char *helper, char *const argv[], char *const envp[],
    int in_r, int out_w, int err_w, int null_fd, int keep_stderr,
    pid_t parent)
{
	struct sigaction sa;
	sigset_t all;
	int in_c, out_c, err_c, err_fd, e;
	int status_fd = err_w, sig;

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
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
		goto fail;

	/* Move everything above 2 first so dup2 onto 0..2 cannot clobber. */
	if ((in_c = fcntl(in_r, F_DUPFD_CLOEXEC, 3)) < 0 ||
	    (out_c = fcntl(out_w, F_DUPFD_CLOEXEC, 3)) < 0 ||
	    (err_c = fcntl(err_w, F_DUPFD_CLOEXEC, 3)) < 0)
		goto fail;
	/* Keep the host's stderr only if it is a real, separate descriptor. */
	err_fd = null_fd;
	if (keep_stderr && fcntl(2, F_GETFD) >= 0 && in_r != 2 &&
	    out_w != 2 && err_w != 2 && null_fd != 2)
		err_fd = 2;
	if (dup2(in_c, 0) < 0 || dup2(out_c, 1) < 0)
		goto fail;
	if (err_fd != 2 && dup2(err_fd, 2) < 0)
		goto fail;
	/* The exec-status pipe at 3, close-on-exec; everything else closed. */
	if (err_c != 3) {
		if (dup3(err_c, 3, O_CLOEXEC) < 0)
			goto fail;
	} else if (fcntl(3, F_SETFD, FD_CLOEXEC) < 0)
		goto fail;
	status_fd = 3;
	if (close_range(4, ~0U, 0) != 0) {
		long max = sysconf(_SC_OPEN_MAX);
		int fd;

		if (max < 0 || max > INT_MAX)
			max = 65536;
		for (fd = 4; fd < max; fd++)
			(void)close(fd);
	}
	execve(helper, argv, envp);
fail:
	e = errno;
	/* Tell the parent why; nothing more can be done if that fails. */
	if (write(status_fd, &e, sizeof(e)) != (ssize_t)sizeof(e))
		_exit(127);
	_exit(127);
}

/* Wait for the child's exec: 0 exec'd, -1 with errno from the child. */
static int
wait_exec(int err_r)
{
	int e = 0;
	ssize_t n;

	do {
		n = read(err_r, &e, sizeof(e));
	} while (n < 0 && errno == EINTR);
	if (n == 0)
		return 0;
	errno = n == (ssize_t)sizeof(e) ? e : EIO;
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

int
bkey_spawn(struct bkey_child *ch, const char *helper, const char *conf,
    int debug, const char *request_json, bkey_error *err)
{
	char *argv[6];
	char resolved[PATH_MAX];
	char path_env[] = "PATH=/usr/bin:/bin";
	char *envp[] = { path_env, NULL };
	int in_p[2] = { -1, -1 }, out_p[2] = { -1, -1 }, err_p[2] = { -1, -1 };
	int null_fd = -1, argc = 0, ret = -1;
	pid_t pid, parent = getpid();

	memset(ch, 0, sizeof(*ch));
	ch->pid = -1;
	ch->out_fd = -1;
	if (request_json == NULL)
		return bkey_seterr(err, BKEY_ERR_INTERNAL, "no request");
	if (check_helper(helper, resolved, err) != 0)
		return -1;

	/* Everything the child needs is prepared before fork. */
	argv[argc++] = resolved;
	argv[argc++] = (char *)"--request-stdin";
	if (conf != NULL) {
		argv[argc++] = (char *)"--config";
		argv[argc++] = (char *)conf;
	}
	if (debug)
		argv[argc++] = (char *)"--debug";
	argv[argc] = NULL;

	if (pipe2(in_p, O_CLOEXEC) != 0 || pipe2(out_p, O_CLOEXEC) != 0 ||
	    pipe2(err_p, O_CLOEXEC) != 0) {
		bkey_seterr(err, BKEY_ERR_INTERNAL, "pipe: %s",
		    strerror(errno));
		goto out;
	}
	if ((null_fd = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0) {
		bkey_seterr(err, BKEY_ERR_INTERNAL, "/dev/null: %s",
		    strerror(errno));
		goto out;
	}

	pid = fork();
	if (pid < 0) {
		bkey_seterr(err, BKEY_ERR_INTERNAL, "fork: %s",
		    strerror(errno));
		goto out;
	}
	if (pid == 0)
		child_exec(resolved, argv, envp, in_p[0], out_p[1], err_p[1],
		    null_fd, debug, parent);

	ch->pid = pid;
	close_fd(&in_p[0]);
	close_fd(&out_p[1]);
	close_fd(&err_p[1]);
	close_fd(&null_fd);
	ch->out_fd = out_p[0];
	out_p[0] = -1;

	if (wait_exec(err_p[0]) != 0) {
		bkey_seterr(err, BKEY_ERR_INTERNAL, "cannot run %s: %s",
		    helper, strerror(errno));
		goto out;
	}
	if (fcntl(in_p[1], F_SETFL, O_NONBLOCK) != 0 ||
	    write_request(in_p[1], request_json, strlen(request_json)) != 0) {
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
	close_fd(&in_p[0]);
	close_fd(&in_p[1]);
	close_fd(&out_p[0]);
	close_fd(&out_p[1]);
	close_fd(&err_p[0]);
	close_fd(&err_p[1]);
	close_fd(&null_fd);
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

int
bkey_spawn_next(struct bkey_child *ch, struct bkey_event *ev,
    long long deadline_ms, int cancel_fd, bkey_error *err)
{
	int late = 0;

	for (;;) {
		struct pollfd p[2];
		nfds_t np = 1;
		long long left;
		ssize_t n;
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
				continue;
			return bkey_seterr(err, BKEY_ERR_INTERNAL, "poll: %s",
			    strerror(errno));
		}
		if (r == 0)
			continue;	/* the deadline check above decides */
		if (np == 2 && p[1].revents != 0)
			return bkey_seterr(err, BKEY_ERR_CANCELLED,
			    "cancelled");
		if (p[0].revents == 0)
			continue;
		n = read(ch->out_fd, ch->line + ch->line_len,
		    sizeof(ch->line) - ch->line_len);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
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
	    ev->type == BKEY_EV_ERROR);
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
