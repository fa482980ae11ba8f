/* SPDX-License-Identifier: ISC */
/*
 * common/spawn.c. The test binary is its own helper: started with
 * "--request-stdin" it reads the request, whose "mode" says how to behave,
 * and checks what it inherited (descriptors, environment, signals).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"
#include "helper_run.h"
#include "spawn.h"

extern char **environ;

static char self[PATH_MAX];

#define PENDING "{\"event\":\"pending\",\"auth_req_id\":\"r1\",\"code\":\"4821\",\"expires_in\":300,\"interval\":5}\n"
#define APPROVED "{\"event\":\"approved\",\"sub\":\"did:bkey:alice\",\"jti\":\"j1\",\"scope\":\"approve:login\",\"exp\":4102444800,\"auth_req_id\":\"r1\"}\n"

static void
out(const char *s)
{
	size_t len = strlen(s);

	if (write(1, s, len) != (ssize_t)len)
		_exit(99);
}

/* Report a failed inheritance check as an error event the test sees. */
static void
bad(const char *why)
{
	char line[512];

	snprintf(line, sizeof(line),
	    "{\"event\":\"error\",\"reason\":\"internal\",\"detail\":\"%s\"}\n",
	    why);
	out(line);
	_exit(70);
}

static void
check_inherited(int debug)
{
	struct sigaction sa;
	sigset_t mask;
	struct stat st, nst;
	DIR *d;
	struct dirent *de;
	int sigs[] = { SIGINT, SIGTERM, SIGPIPE, SIGCHLD, SIGHUP, SIGQUIT,
	    SIGALRM };
	size_t i;

	if (environ[0] == NULL || strcmp(environ[0], "PATH=/usr/bin:/bin") ||
	    environ[1] != NULL)
		bad("environment not exactly PATH");
	if (sigprocmask(SIG_SETMASK, NULL, &mask) != 0)
		bad("sigprocmask");
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		if (sigaction(sigs[i], NULL, &sa) != 0 ||
		    sa.sa_handler != SIG_DFL)
			bad("signal not default");
		if (sigismember(&mask, sigs[i]))
			bad("signal blocked");
	}
	if ((d = opendir("/proc/self/fd")) == NULL)
		bad("opendir");
	while ((de = readdir(d)) != NULL) {
		int fd;

		if (de->d_name[0] == '.')
			continue;
		fd = atoi(de->d_name);
		if (fd > 2 && fd != dirfd(d))
			bad("extra descriptor inherited");
	}
	closedir(d);
	if (fstat(2, &st) != 0 || stat("/dev/null", &nst) != 0)
		bad("fstat");
	if (!debug && (!S_ISCHR(st.st_mode) || st.st_rdev != nst.st_rdev))
		bad("stderr not /dev/null without debug");
	if (debug && S_ISCHR(st.st_mode) && st.st_rdev == nst.st_rdev)
		bad("stderr not kept with debug");
}

/* The helper's fixed limits (docs/pam.md), soft and hard, whatever the
 * host had; RLIMIT_NPROC is the host's hard limit. */
static void
check_limits(void)
{
	const rlim_t as = BKEY_HELPER_AS_LIMIT == 0 ? RLIM_INFINITY :
	    (rlim_t)BKEY_HELPER_AS_LIMIT;
	const struct { int res; rlim_t want; const char *name; } want[] = {
		{ RLIMIT_AS, as, "AS" }, { RLIMIT_DATA, as, "DATA" },
		{ RLIMIT_STACK, 8UL << 20, "STACK" },
		{ RLIMIT_NOFILE, 256, "NOFILE" },
		{ RLIMIT_FSIZE, 1UL << 20, "FSIZE" },
		{ RLIMIT_CPU, 120, "CPU" }, { RLIMIT_CORE, 0, "CORE" },
	};
	struct rlimit rl;
	char why[64];
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		snprintf(why, sizeof(why), "RLIMIT_%s not fixed", want[i].name);
		/* NOFILE keeps the host's hard limit (at least the value). */
		if (getrlimit(want[i].res, &rl) != 0 ||
		    rl.rlim_cur != want[i].want ||
		    (want[i].res == RLIMIT_NOFILE ? rl.rlim_max < want[i].want :
		    rl.rlim_max != want[i].want))
			bad(why);
	}
	if (getrlimit(RLIMIT_NPROC, &rl) != 0 || rl.rlim_cur != rl.rlim_max ||
	    (getenv("WANT_NPROC") != NULL &&
	    rl.rlim_max != strtoul(getenv("WANT_NPROC"), NULL, 10)))
		bad("RLIMIT_NPROC not the host's hard limit");
}

static int
helper_main(int argc, char **argv)
{
	static char req[300000];
	size_t len = 0;
	ssize_t n;
	const char *m;
	int debug = argc > 2 && strcmp(argv[argc - 1], "--debug") == 0;

	if (strstr(getenv("PATH") ? getenv("PATH") : "", "bin") == NULL)
		bad("no PATH");
	/* These exit at once, leaving the request unread: no result, an
	 * error event, or an approved event. */
	if (argc >= 4 && strcmp(argv[2], "--config") == 0) {
		if (strcmp(argv[3], "/nonexistent/noread.conf") == 0)
			_exit(3);
		if (strcmp(argv[3], "/nonexistent/early_error.conf") == 0) {
			out("{\"event\":\"error\",\"reason\":\"config\","
			    "\"detail\":\"bkey.conf:7: unknown key\"}\n");
			_exit(78);
		}
		if (strcmp(argv[3], "/nonexistent/early_approve.conf") == 0) {
			out(APPROVED);
			_exit(0);
		}
	}
	while ((n = read(0, req + len, sizeof(req) - 1 - len)) > 0)
		len += (size_t)n;
	req[len] = '\0';
	m = strstr(req, "\"mode\":\"");
	if (m == NULL)
		bad("no mode");
	m += 8;
#define MODE(s) (strncmp(m, s "\"", strlen(s) + 1) == 0)
	if (MODE("approve")) {
		check_inherited(debug);
		out(PENDING);
		out(APPROVED);
		return 0;
	}
	if (MODE("args")) {
		if (argc != 5 || strcmp(argv[1], "--request-stdin") ||
		    strcmp(argv[2], "--config") ||
		    strcmp(argv[3], "/etc/x.conf") ||
		    strcmp(argv[4], "--debug"))
			bad("argv");
		check_inherited(1);
		out(APPROVED);
		return 0;
	}
	if (MODE("limits")) {
		check_limits();
		out(APPROVED);
		return 0;
	}
	if (MODE("together")) {
		out(PENDING APPROVED);
		return 0;
	}
	if (MODE("approve_exit1")) {
		out(APPROVED);
		return 1;
	}
	if (MODE("deny")) {
		out("{\"event\":\"denied\"}\n");
		return 1;
	}
	if (MODE("deny_exit0")) {
		out("{\"event\":\"denied\"}\n");
		return 0;
	}
	if (MODE("unavail")) {
		out("{\"event\":\"error\",\"reason\":\"unavailable\",\"detail\":\"connect: refused\"}\n");
		return 3;
	}
	if (MODE("eof"))
		return 0;
	if (MODE("garbage")) {
		out("hello\n");
		return 0;
	}
	if (MODE("long")) {
		char big[5000];

		memset(big, 'x', sizeof(big));
		if (write(1, big, sizeof(big)) < 0)
			return 99;
		sleep(5);
		return 0;
	}
	if (MODE("sleep")) {
		out(PENDING);
		sleep(10);
		return 0;
	}
	if (MODE("ignore_term")) {
		signal(SIGTERM, SIG_IGN);
		out(PENDING);
		sleep(10);
		return 0;
	}
	if (MODE("linger")) {
		out(APPROVED);
		sleep(10);
		return 0;
	}
	bad("unknown mode");
	return 70;
}

static int
gone(pid_t pid)
{
	return kill(pid, 0) != 0 && errno == ESRCH;
}

/* Spawn with mode, collect events up to a final one, finish. */
static bkey_result
run_mode(const char *mode, int debug, const char *conf, int *nevents)
{
	struct bkey_child ch;
	struct bkey_event ev;
	bkey_error err;
	char req[128];
	long long deadline = bkey_now_ms() + 5000;
	bkey_result r;

	*nevents = 0;
	snprintf(req, sizeof(req), "{\"mode\":\"%s\"}", mode);
	if (bkey_spawn(&ch, self, conf, debug, req, &err) != 0)
		return BKEY_ERR_INTERNAL;
	for (;;) {
		if (bkey_spawn_next(&ch, &ev, deadline, -1, &err) != 0) {
			bkey_spawn_kill(&ch);
			return err.code;
		}
		(*nevents)++;
		if (ev.type != BKEY_EV_PENDING)
			break;
	}
	r = bkey_spawn_finish(&ch, &ev, &err);
	CHECK(ch.pid == -1 || ch.exited);
	bkey_spawn_kill(&ch);
	return r;
}

static void
approved_with_clean_inheritance(void)
{
	int n;

	CHECK(run_mode("approve", 0, NULL, &n) == BKEY_APPROVED);
	CHECK(n == 2);
}

static void
argv_has_config_and_debug(void)
{
	int n;

	CHECK(run_mode("args", 1, "/etc/x.conf", &n) == BKEY_APPROVED);
}

static void
two_events_in_one_read(void)
{
	int n;

	CHECK(run_mode("together", 0, NULL, &n) == BKEY_APPROVED);
	CHECK(n == 2);
}

static void
approved_event_but_exit_1_fails(void)
{
	int n;

	CHECK(run_mode("approve_exit1", 0, NULL, &n) == BKEY_ERR_PROTOCOL);
}

static void
denied(void)
{
	int n;

	CHECK(run_mode("deny", 0, NULL, &n) == BKEY_DENIED);
	CHECK(run_mode("deny_exit0", 0, NULL, &n) == BKEY_ERR_PROTOCOL);
}

static void
error_event_reason(void)
{
	struct bkey_child ch;
	struct bkey_event ev;
	bkey_error err;

	CHECK(bkey_spawn(&ch, self, NULL, 0, "{\"mode\":\"unavail\"}",
	    &err) == 0);
	CHECK(bkey_spawn_next(&ch, &ev, bkey_now_ms() + 5000, -1, &err) == 0);
	CHECK(ev.type == BKEY_EV_ERROR);
	CHECK(ev.reason == BKEY_ERR_UNAVAILABLE);
	CHECK(bkey_spawn_finish(&ch, &ev, &err) == BKEY_ERR_UNAVAILABLE);
	CHECK(err.code == BKEY_ERR_UNAVAILABLE);
	bkey_spawn_kill(&ch);
}

static void
eof_garbage_and_long_lines_are_protocol_errors(void)
{
	int n;

	CHECK(run_mode("eof", 0, NULL, &n) == BKEY_ERR_PROTOCOL);
	CHECK(run_mode("garbage", 0, NULL, &n) == BKEY_ERR_PROTOCOL);
	CHECK(run_mode("long", 0, NULL, &n) == BKEY_ERR_PROTOCOL);
}

static void
deadline_then_kill(void)
{
	struct bkey_child ch;
	struct bkey_event ev;
	bkey_error err;
	long long t0;
	pid_t pid;

	CHECK(bkey_spawn(&ch, self, NULL, 0, "{\"mode\":\"sleep\"}", &err)
	    == 0);
	pid = ch.pid;
	CHECK(bkey_spawn_next(&ch, &ev, bkey_now_ms() + 5000, -1, &err) == 0);
	CHECK(ev.type == BKEY_EV_PENDING);
	CHECK(strcmp(ev.code, "4821") == 0);
	t0 = bkey_now_ms();
	CHECK(bkey_spawn_next(&ch, &ev, t0 + 200, -1, &err) == -1);
	CHECK(err.code == BKEY_EXPIRED);
	CHECK(bkey_now_ms() - t0 >= 190 && bkey_now_ms() - t0 < 1000);
	bkey_spawn_kill(&ch);
	CHECK(ch.pid == -1);
	CHECK(gone(pid));
	bkey_spawn_kill(&ch);		/* twice is harmless */
}

/* A result written while the host sat in a prompt past the deadline still
 * counts; a pending event alone does not. */
static void
result_already_written_after_deadline(void)
{
	struct bkey_child ch;
	struct bkey_event ev;
	bkey_error err;
	struct timespec ts = { 0, 200 * 1000000L };

	CHECK(bkey_spawn(&ch, self, NULL, 0, "{\"mode\":\"together\"}",
	    &err) == 0);
	nanosleep(&ts, NULL);
	CHECK(bkey_spawn_next(&ch, &ev, bkey_now_ms() - 1, -1, &err) == 0);
	CHECK(ev.type == BKEY_EV_APPROVED);
	CHECK(bkey_spawn_finish(&ch, &ev, &err) == BKEY_APPROVED);
	bkey_spawn_kill(&ch);

	CHECK(bkey_spawn(&ch, self, NULL, 0, "{\"mode\":\"sleep\"}", &err)
	    == 0);
	nanosleep(&ts, NULL);
	CHECK(bkey_spawn_next(&ch, &ev, bkey_now_ms() - 1, -1, &err) == -1);
	CHECK(err.code == BKEY_EXPIRED);
	CHECK(ev.type == BKEY_EV_NONE);
	bkey_spawn_kill(&ch);
}

static void
cancel_fd_and_sigkill_after_grace(void)
{
	struct bkey_child ch;
	struct bkey_event ev;
	bkey_error err;
	int p[2];
	long long t0;
	pid_t pid;

	CHECK(pipe(p) == 0);
	CHECK(bkey_spawn(&ch, self, NULL, 0, "{\"mode\":\"ignore_term\"}",
	    &err) == 0);
	pid = ch.pid;
	CHECK(bkey_spawn_next(&ch, &ev, bkey_now_ms() + 5000, p[0], &err)
	    == 0);
	CHECK(write(p[1], "x", 1) == 1);
	CHECK(bkey_spawn_next(&ch, &ev, bkey_now_ms() + 5000, p[0], &err)
	    == -1);
	CHECK(err.code == BKEY_ERR_CANCELLED);
	t0 = bkey_now_ms();
	bkey_spawn_kill(&ch);
	CHECK(bkey_now_ms() - t0 < 1000);
	CHECK(gone(pid));
	close(p[0]);
	close(p[1]);
}

static void
helper_that_does_not_exit_is_killed(void)
{
	int n;
	long long t0 = bkey_now_ms();

	CHECK(run_mode("linger", 0, NULL, &n) == BKEY_ERR_PROTOCOL);
	CHECK(bkey_now_ms() - t0 < 4000);
}

static void
reaped_by_host_uses_event(void)
{
	struct bkey_child ch;
	struct bkey_event ev;
	bkey_error err;
	int st;

	CHECK(bkey_spawn(&ch, self, NULL, 0, "{\"mode\":\"approve\"}", &err)
	    == 0);
	CHECK(bkey_spawn_next(&ch, &ev, bkey_now_ms() + 5000, -1, &err) == 0);
	CHECK(bkey_spawn_next(&ch, &ev, bkey_now_ms() + 5000, -1, &err) == 0);
	/* The host's SIGCHLD handler gets there first. */
	CHECK(waitpid(ch.pid, &st, 0) == ch.pid);
	CHECK(bkey_spawn_finish(&ch, &ev, &err) == BKEY_APPROVED);

	/* A non-approval reaped by the host stays a failure. */
	CHECK(bkey_spawn(&ch, self, NULL, 0, "{\"mode\":\"deny\"}", &err)
	    == 0);
	CHECK(bkey_spawn_next(&ch, &ev, bkey_now_ms() + 5000, -1, &err) == 0);
	CHECK(waitpid(ch.pid, &st, 0) == ch.pid);
	CHECK(bkey_spawn_finish(&ch, &ev, &err) == BKEY_DENIED);
}

static void
non_final_event_to_finish_fails(void)
{
	struct bkey_child ch;
	struct bkey_event ev;
	bkey_error err;
	pid_t pid;

	CHECK(bkey_spawn(&ch, self, NULL, 0, "{\"mode\":\"sleep\"}", &err)
	    == 0);
	pid = ch.pid;
	CHECK(bkey_spawn_next(&ch, &ev, bkey_now_ms() + 5000, -1, &err) == 0);
	CHECK(bkey_spawn_finish(&ch, &ev, &err) == BKEY_ERR_PROTOCOL);
	CHECK(bkey_spawn_finish(&ch, NULL, &err) == BKEY_ERR_PROTOCOL);
	CHECK(gone(pid));
}

/* An approved event alone, with no helper whose exit we saw, is not an
 * approval: a caller that never spawned (or whose spawn failed) gets none. */
static void
finish_without_a_helper_fails(void)
{
	struct bkey_child ch;
	struct bkey_event ev;
	bkey_error err;

	memset(&ev, 0, sizeof(ev));
	ev.type = BKEY_EV_APPROVED;
	(void)snprintf(ev.sub, sizeof(ev.sub), "did:bkey:alice");
	(void)snprintf(ev.jti, sizeof(ev.jti), "j1");
	memset(&ch, 0, sizeof(ch));
	ch.pid = -1;
	ch.out_fd = -1;
	CHECK(bkey_spawn_finish(&ch, &ev, &err) == BKEY_ERR_PROTOCOL);
	CHECK(bkey_spawn(&ch, "/nonexistent/bkey-approve", NULL, 0, "{}",
	    &err) == -1);
	CHECK(bkey_spawn_finish(&ch, &ev, &err) == BKEY_ERR_PROTOCOL);
}

static void
helper_path_checks(void)
{
	struct bkey_child ch;
	bkey_error err;
	char dir[] = "/tmp/test_spawn.XXXXXX";
	char path[PATH_MAX];
	int fd;

	CHECK(bkey_spawn(&ch, "bkey-approve", NULL, 0, "{}", &err) == -1);
	CHECK(err.code == BKEY_ERR_CONFIG);
	CHECK(ch.pid == -1);
	CHECK(bkey_spawn(&ch, "/nonexistent/bkey-approve", NULL, 0, "{}",
	    &err) == -1);
	CHECK(err.code == BKEY_ERR_CONFIG);
	CHECK(bkey_spawn(&ch, "/tmp", NULL, 0, "{}", &err) == -1);
	CHECK(err.code == BKEY_ERR_CONFIG);
	if (mkdtemp(dir) == NULL) {
		CHECK(0);
		return;
	}
	snprintf(path, sizeof(path), "%s/helper", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0700);
	CHECK(fd >= 0);
	/* It reads its request, as a real helper does: no EPIPE race. */
	CHECK(write(fd, "#!/bin/sh\ncat >/dev/null\nexit 0\n", 32) == 32);
	close(fd);
	CHECK(chmod(path, 0775) == 0);
	CHECK(bkey_spawn(&ch, path, NULL, 0, "{}", &err) == -1);
	CHECK(err.code == BKEY_ERR_CONFIG);
	CHECK(chmod(path, 0757) == 0);
	CHECK(bkey_spawn(&ch, path, NULL, 0, "{}", &err) == -1);
	CHECK(err.code == BKEY_ERR_CONFIG);
	if (geteuid() == 0) {
		/* Owned by someone else: refused even though root runs it. */
		CHECK(chmod(path, 0755) == 0);
		CHECK(chown(path, 65534, 65534) == 0);
		CHECK(bkey_spawn(&ch, path, NULL, 0, "{}", &err) == -1);
		CHECK(err.code == BKEY_ERR_CONFIG);
		CHECK(chown(path, 0, 0) == 0);
	}
	/* A good file in a directory others may write: whoever writes there
	 * could swap it before exec. Sticky (like /tmp) is safe. */
	CHECK(chmod(path, 0755) == 0);
	CHECK(chmod(dir, 0777) == 0);
	CHECK(bkey_spawn(&ch, path, NULL, 0, "{}", &err) == -1);
	CHECK(err.code == BKEY_ERR_CONFIG);
	CHECK(strstr(err.detail, "helper directory") != NULL);
	CHECK(ch.pid == -1);
	CHECK(chmod(dir, 01777) == 0);
	CHECK(bkey_spawn(&ch, path, NULL, 0, "{}", &err) == 0);
	bkey_spawn_kill(&ch);
	unlink(path);
	rmdir(dir);
}

/* A request larger than a pipe holds: the helper cannot have taken it
 * without reading, so one that exits at once surely left it short. */
static char *
big_request(void)
{
	size_t len = 250000;
	char *big = malloc(len + 1);

	if (big == NULL)
		return NULL;
	memset(big, ' ', len);
	big[len] = '\0';
	return big;
}

static void
unread_request_does_not_raise_sigpipe(void)
{
	struct bkey_child ch;
	struct bkey_event ev;
	bkey_error err;
	char *big = big_request();
	sigset_t pend;

	if (big == NULL) {
		CHECK(0);
		return;
	}
	/* SIGPIPE stays at its default here: a leak would kill this test. */
	signal(SIGPIPE, SIG_DFL);
	CHECK(bkey_spawn(&ch, self, "/nonexistent/noread.conf", 0, big,
	    &err) == 0);
	CHECK(ch.request_short);
	CHECK(bkey_spawn_next(&ch, &ev, bkey_now_ms() + 5000, -1, &err) == -1);
	CHECK(err.code == BKEY_ERR_PROTOCOL);
	CHECK(strstr(err.detail, "without a result") != NULL);
	bkey_spawn_kill(&ch);
	CHECK(ch.pid == -1);
	CHECK(sigpending(&pend) == 0 && !sigismember(&pend, SIGPIPE));
	free(big);
}

/* Spawn a helper (chosen by conf) that exits without reading its oversized
 * request and take its first event. 0 when all of that went as expected. */
static int
spawn_unread(const char *conf, struct bkey_child *ch, struct bkey_event *ev,
    bkey_error *err)
{
	char *big = big_request();
	int r = -1;

	if (big != NULL && bkey_spawn(ch, self, conf, 0, big, err) == 0) {
		if (ch->request_short &&
		    bkey_spawn_next(ch, ev, bkey_now_ms() + 5000, -1, err) == 0)
			r = 0;
		else
			bkey_spawn_kill(ch);
	}
	free(big);
	return r;
}

/* A helper that refuses at once (a bad config) and never reads: its own
 * reason reaches the host, not "cannot send the request". */
static void
early_error_event_is_reported(void)
{
	struct bkey_child ch;
	struct bkey_event ev;
	bkey_error err;

	if (spawn_unread("/nonexistent/early_error.conf", &ch, &ev, &err)) {
		CHECK(0);
		return;
	}
	CHECK(ev.type == BKEY_EV_ERROR);
	CHECK(bkey_spawn_finish(&ch, &ev, &err) == BKEY_ERR_CONFIG);
	CHECK(err.code == BKEY_ERR_CONFIG);
	CHECK_STR(err.detail, "bkey.conf:7: unknown key");
	bkey_spawn_kill(&ch);
}

/* An approval from a helper that never took its whole request is refused. */
static void
early_approval_is_refused(void)
{
	struct bkey_child ch;
	struct bkey_event ev;
	bkey_error err;

	if (spawn_unread("/nonexistent/early_approve.conf", &ch, &ev, &err)) {
		CHECK(0);
		return;
	}
	CHECK(ev.type == BKEY_EV_APPROVED);
	CHECK(bkey_spawn_finish(&ch, &ev, &err) == BKEY_ERR_PROTOCOL);
	CHECK(strstr(err.detail, "did not read") != NULL);
	CHECK(ch.pid == -1);
	bkey_spawn_kill(&ch);
}

/* Host limits a caller chose (soft only: any process may raise them back
 * up to the hard limit) do not reach the helper. */
static void
host_limits_do_not_reach_the_helper(void)
{
	const int res[] = { RLIMIT_NOFILE, RLIMIT_STACK, RLIMIT_CPU,
	    RLIMIT_CORE, RLIMIT_NPROC, RLIMIT_FSIZE };
	struct rlimit saved[6], rl;
	size_t i;
	int n;

	for (i = 0; i < 6; i++)
		CHECK(getrlimit(res[i], &saved[i]) == 0);
	rl = saved[0];
	rl.rlim_cur = 12;			/* NOFILE */
	CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
	rl = saved[1];
	rl.rlim_cur = saved[1].rlim_max == RLIM_INFINITY ? RLIM_INFINITY :
	    saved[1].rlim_max;			/* STACK: as large as allowed */
	CHECK(setrlimit(RLIMIT_STACK, &rl) == 0);
	rl = saved[2];
	rl.rlim_cur = 100000;			/* CPU */
	CHECK(setrlimit(RLIMIT_CPU, &rl) == 0);
	rl = saved[3];
	rl.rlim_cur = rl.rlim_max;		/* CORE: dumps allowed */
	CHECK(setrlimit(RLIMIT_CORE, &rl) == 0);
	rl = saved[4];
	rl.rlim_cur = 70;			/* NPROC */
	CHECK(setrlimit(RLIMIT_NPROC, &rl) == 0);
	rl = saved[5];
	rl.rlim_cur = 4096;			/* FSIZE */
	CHECK(setrlimit(RLIMIT_FSIZE, &rl) == 0);
	{
		char v[32];

		snprintf(v, sizeof(v), "%lu", (unsigned long)saved[4].rlim_max);
		setenv("WANT_NPROC", v, 1);
	}
	CHECK(run_mode("limits", 0, NULL, &n) == BKEY_APPROVED);
	unsetenv("WANT_NPROC");
	for (i = 0; i < 6; i++)
		CHECK(setrlimit(res[i], &saved[i]) == 0);
}

/*
 * In a child process without privileges: a hard limit below the helper's
 * value (prlimit --nofile=100 sets soft and hard) cannot be raised, and the
 * helper is not started; the error names the limit. Exit 0 when so.
 */
static int
lowered_hard_limit_child(int res, rlim_t v, const char *name)
{
	struct bkey_child ch;
	struct rlimit rl;
	bkey_error err;

	memset(&err, 0, sizeof(err));
	if (geteuid() == 0 && (setgroups(0, NULL) != 0 ||
	    setresgid(65534, 65534, 65534) != 0 ||
	    setresuid(65534, 65534, 65534) != 0))
		return 10;
	rl.rlim_cur = rl.rlim_max = v;
	if (setrlimit(res, &rl) != 0)
		return 11;
	if (bkey_spawn(&ch, self, NULL, 0, "{\"mode\":\"approve\"}", &err)
	    != -1)
		return 12;
	if (err.code != BKEY_ERR_INTERNAL || ch.pid != -1)
		return 13;
	if (strstr(err.detail, name) == NULL)
		return 14;
	return 0;
}

static void
lowered_hard_limit_stops_the_spawn(void)
{
	const struct { int res; rlim_t v; const char *name; } cases[] = {
		{ RLIMIT_NOFILE, 100, "RLIMIT_NOFILE" },
		{ RLIMIT_AS, 400UL << 20, "RLIMIT_AS" },
		{ RLIMIT_NPROC, 10, "RLIMIT_NPROC" },
	};
	size_t i;
	int st;
	pid_t pid;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* An ASan process cannot live in 400 MiB (its shadow). */
		if (cases[i].res == RLIMIT_AS && BKEY_HELPER_AS_LIMIT == 0)
			continue;
		fflush(stdout);
		pid = fork();
		CHECK(pid >= 0);
		if (pid == 0)
			_exit(lowered_hard_limit_child(cases[i].res, cases[i].v,
			    cases[i].name));
		CHECK(waitpid(pid, &st, 0) == pid);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			printf("# %s: child exit %d\n", cases[i].name,
			    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	}
}

/* bkey_helper_run: the one call both modules make. */
struct seen {
	int calls;
	char code[16];
	int abort;
};

static int
seen_pending(const struct bkey_event *ev, void *ctx, bkey_error *err)
{
	struct seen *sn = ctx;

	sn->calls++;
	snprintf(sn->code, sizeof(sn->code), "%s", ev->code);
	if (sn->abort)
		return bkey_seterr(err, BKEY_ERR_CANCELLED, "prompt failed");
	return 0;
}

/* The test helper reads its mode from the request's action_details. */
static bkey_result
ask_mode(const char *mode, const char *did, const char *scope, int cancel_fd,
    struct seen *sn, struct bkey_event *final, bkey_error *err)
{
	struct bkey_ask q;
	char details[64];

	snprintf(details, sizeof(details), "{\"mode\":\"%s\"}", mode);
	memset(&q, 0, sizeof(q));
	memset(err, 0, sizeof(*err));
	q.helper = self;
	q.req.did = did;
	q.req.scope = scope;
	q.req.message = "Log in";
	q.req.details = details;
	q.req.timeout = 5;
	q.slack_ms = 0;
	return bkey_helper_run(&q, cancel_fd, seen_pending, sn, final, err);
}

static void
helper_run_approves_what_was_asked(void)
{
	struct seen sn = { 0, "", 0 };
	struct bkey_event ev;
	bkey_error err;

	CHECK(ask_mode("approve", "did:bkey:alice", "approve:login", -1, &sn,
	    &ev, &err) == BKEY_APPROVED);
	CHECK(ev.type == BKEY_EV_APPROVED);
	CHECK_STR(ev.jti, "j1");
	CHECK_STR(ev.auth_req_id, "r1");
	CHECK(sn.calls == 1);
	CHECK_STR(sn.code, "4821");
}

static void
helper_run_refuses_another_did_or_scope(void)
{
	struct seen sn = { 0, "", 0 };
	struct bkey_event ev;
	bkey_error err;

	CHECK(ask_mode("approve", "did:bkey:bob", "approve:login", -1, &sn,
	    &ev, &err) == BKEY_ERR_PROTOCOL);
	CHECK(strstr(err.detail, "another DID or scope") != NULL);
	CHECK(ask_mode("approve", "did:bkey:alice", "approve:sudo", -1, &sn,
	    &ev, &err) == BKEY_ERR_PROTOCOL);
	CHECK(ask_mode("approve", "did:bkey:alice", "approve:log", -1, &sn,
	    &ev, &err) == BKEY_ERR_PROTOCOL);
	CHECK(err.code == BKEY_ERR_PROTOCOL);
}

static void
helper_run_checks_exit_status_and_result(void)
{
	struct seen sn = { 0, "", 0 };
	struct bkey_event ev;
	bkey_error err;

	CHECK(ask_mode("approve_exit1", "did:bkey:alice", "approve:login", -1,
	    &sn, &ev, &err) == BKEY_ERR_PROTOCOL);
	CHECK(ask_mode("deny", "did:bkey:alice", "approve:login", -1, &sn,
	    &ev, &err) == BKEY_DENIED);
	CHECK(ev.type == BKEY_EV_DENIED);
	CHECK(ask_mode("unavail", "did:bkey:alice", "approve:login", -1, &sn,
	    &ev, &err) == BKEY_ERR_UNAVAILABLE);
	CHECK(ev.type == BKEY_EV_ERROR && ev.reason == BKEY_ERR_UNAVAILABLE);
	CHECK(strstr(err.detail, "connect: refused") != NULL);
	CHECK(ask_mode("garbage", "did:bkey:alice", "approve:login", -1, &sn,
	    &ev, &err) == BKEY_ERR_PROTOCOL);
	CHECK(ev.type == BKEY_EV_NONE);
}

static void
helper_run_pending_callback_may_abort(void)
{
	struct seen sn = { 0, "", 1 };
	struct bkey_event ev;
	bkey_error err;
	long long t0 = bkey_now_ms();

	CHECK(ask_mode("sleep", "did:bkey:alice", "approve:login", -1, &sn,
	    &ev, &err) == BKEY_ERR_CANCELLED);
	CHECK(bkey_now_ms() - t0 < 3000);	/* killed, not waited for */
	CHECK(sn.calls == 1);
	CHECK(ev.type == BKEY_EV_NONE);
	CHECK_STR(ev.auth_req_id, "r1");	/* kept for the log line */
	CHECK_STR(err.detail, "prompt failed");
}

static void
helper_run_cancel_fd(void)
{
	struct seen sn = { 0, "", 0 };
	struct bkey_event ev;
	bkey_error err;
	int p[2];

	CHECK(pipe(p) == 0);
	CHECK(write(p[1], "!", 1) == 1);
	CHECK(ask_mode("sleep", "did:bkey:alice", "approve:login", p[0], &sn,
	    &ev, &err) == BKEY_ERR_CANCELLED);
	CHECK(ev.type == BKEY_EV_NONE);
	close(p[0]);
	close(p[1]);
}

static void
helper_run_bad_helper_path(void)
{
	struct bkey_ask q;
	struct bkey_event ev;
	bkey_error err;

	memset(&q, 0, sizeof(q));
	memset(&err, 0, sizeof(err));
	q.helper = "relative/helper";
	q.req.did = "did:bkey:alice";
	q.req.scope = "approve:login";
	q.req.timeout = 5;
	CHECK(bkey_helper_run(&q, -1, NULL, NULL, &ev, &err) ==
	    BKEY_ERR_CONFIG);
	CHECK(ev.type == BKEY_EV_NONE);
}

static int
stderr_is_dev_null(void)
{
	struct stat st, nst;

	return fstat(2, &st) == 0 && stat("/dev/null", &nst) == 0 &&
	    S_ISCHR(st.st_mode) && st.st_rdev == nst.st_rdev;
}

/* The debug tests tell a kept stderr from /dev/null: when ours is
 * /dev/null (run as "test_spawn 2>/dev/null"), give the run a file. */
static int
own_stderr(void)
{
	int fd = open("/tmp", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);

	if (fd < 0 || dup2(fd, 2) < 0)
		return -1;
	return close(fd);
}

int
main(int argc, char **argv)
{
	ssize_t n;
	int leak;
	sigset_t block;

	if (argc > 1 && strcmp(argv[1], "--request-stdin") == 0)
		return helper_main(argc, argv);
	unit_suite = "spawn";
	if (stderr_is_dev_null() && own_stderr() != 0)
		return 1;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return 1;
	self[n] = '\0';

	/* A hostile host: ignored and blocked signals, a leaked descriptor. */
	signal(SIGINT, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGQUIT);
	sigprocmask(SIG_BLOCK, &block, NULL);
	leak = open("/dev/null", O_RDONLY);

	RUN(approved_with_clean_inheritance);
	RUN(argv_has_config_and_debug);
	RUN(two_events_in_one_read);
	RUN(approved_event_but_exit_1_fails);
	RUN(denied);
	RUN(error_event_reason);
	RUN(eof_garbage_and_long_lines_are_protocol_errors);
	RUN(deadline_then_kill);
	RUN(result_already_written_after_deadline);
	RUN(cancel_fd_and_sigkill_after_grace);
	RUN(helper_that_does_not_exit_is_killed);
	RUN(reaped_by_host_uses_event);
	RUN(non_final_event_to_finish_fails);
	RUN(finish_without_a_helper_fails);
	RUN(helper_path_checks);
	RUN(unread_request_does_not_raise_sigpipe);
	RUN(early_error_event_is_reported);
	RUN(early_approval_is_refused);
	RUN(host_limits_do_not_reach_the_helper);
	RUN(lowered_hard_limit_stops_the_spawn);
	RUN(helper_run_approves_what_was_asked);
	RUN(helper_run_refuses_another_did_or_scope);
	RUN(helper_run_checks_exit_status_and_result);
	RUN(helper_run_pending_callback_may_abort);
	RUN(helper_run_cancel_fd);
	RUN(helper_run_bad_helper_path);
	if (leak >= 0)
		close(leak);
	UNIT_DONE();
}
