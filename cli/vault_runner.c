/* SPDX-License-Identifier: ISC */
/*
 * The process that runs COMMAND: forked before the privilege drop, it
 * keeps the caller's identity and a copy of the caller's environment.
 * It reads "VAR=value\0" for every item from the worker's pipe, waits for
 * the top level's go, and only then puts them in COMMAND's environment.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "buf.h"
#include "sanitize.h"
#include "vault.h" /* helper/: the size limits */
#include "vault_cli.h"

#define RUNNER_MAX ((size_t)BKEY_VAULT_ITEMS * (BKEY_VAULT_SECRET_MAX + 256))
#define STOP_WAIT_MS 2000

extern char **environ;
static mode_t caller_umask;

int
bkey_vault_early(struct bkey_vault_cli *v)
{
	int i, n;

	memset(v, 0, sizeof(*v));
	v->secret_fd = v->go_fd = -1;
	for (n = 0; environ != NULL && environ[n] != NULL; n++)
		;
	if ((v->env = calloc((size_t)n + 1, sizeof(*v->env))) == NULL)
		goto nomem;
	for (i = 0; i < n; i++)
		if ((v->env[i] = strdup(environ[i])) == NULL)
			goto nomem;
	v->uid = getuid();
	v->gid = getgid();
	caller_umask = umask(077);
	(void)umask(caller_umask);
	return 0;
nomem:
	(void)fprintf(stderr, "bkey-approve: out of memory\n");
	return bkey_result_exit(BKEY_ERR_INTERNAL);
}

/* Read the values: every item's "VAR=value\0", no more, no less. */
static int
receive(int fd, const struct bkey_vault_cli *v, bkey_buf *b, char **vals)
{
	char chunk[4096];
	ssize_t n;
	size_t i, start = 0;
	int got = 0, rc = -1;

	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (bkey_buf_append(b, chunk, (size_t)n) != 0)
			goto out;
	}
	if (n < 0)
		goto out;
	for (i = 0; i < b->len; i++) {
		if (b->data[i] != '\0')
			continue;
		if (got == v->nvar)
			goto out;
		vals[got++] = b->data + start;
		start = i + 1;
	}
	if (got != v->nvar || start != b->len)
		goto out;
	for (i = 0; i < (size_t)got; i++)
		if (strncmp(vals[i], v->var[i], strlen(v->var[i])) != 0 ||
		    vals[i][strlen(v->var[i])] != '=')
			goto out;
	rc = 0;
out:
	sodium_memzero(chunk, sizeof(chunk));
	return rc;
}

/* The top level's word: 0 go, -1 anything else. */
static int
wait_go(int fd)
{
	char c = 0;
	ssize_t n;

	while ((n = read(fd, &c, 1)) < 0 && errno == EINTR)
		;
	return n == 1 && c == 'g' ? 0 : -1;
}

/* Back to the caller: ids, umask, signals, no core while we hold it. */
static int
become_caller(const struct bkey_vault_cli *v)
{
	struct sigaction sa;

	if (geteuid() == 0 && (v->uid != 0 || v->gid != 0) &&
	    (setresgid(v->gid, v->gid, v->gid) != 0 ||
		setresuid(v->uid, v->uid, v->uid) != 0))
		return -1;
	if (getuid() != v->uid || geteuid() != v->uid || getgid() != v->gid ||
	    getegid() != v->gid)
		return -1;
	/* An id change resets it: the values are still here. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return -1;
	(void)umask(caller_umask);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGPIPE, &sa, NULL) != 0 ||
		sigaction(SIGINT, &sa, NULL) != 0 ||
		sigaction(SIGTERM, &sa, NULL) != 0 ?
	    -1 :
	    0;
}

/* The caller's environment without the VARs, then the values. */
static char **
make_env(const struct bkey_vault_cli *v, char **vals)
{
	char **env;
	size_t n, k = 0, i, len;
	int j, skip;

	for (n = 0; v->env[n] != NULL; n++)
		;
	if ((env = calloc(n + (size_t)v->nvar + 1, sizeof(*env))) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		for (skip = 0, j = 0; j < v->nvar && !skip; j++) {
			len = strlen(v->var[j]);
			skip = strncmp(v->env[i], v->var[j], len) == 0 &&
			    v->env[i][len] == '=';
		}
		if (!skip)
			env[k++] = v->env[i];
	}
	for (j = 0; j < v->nvar; j++)
		env[k++] = vals[j];
	return env;
}

static void __attribute__((noreturn))
runner(struct bkey_vault_cli *v, int sfd, int gfd)
{
	char *vals[BKEY_VAULT_ITEMS], name[256];
	bkey_buf b;
	char **env = NULL;
	int code = 125;

	bkey_buf_init(&b, RUNNER_MAX);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 ||
	    receive(sfd, v, &b, vals) != 0 || wait_go(gfd) != 0)
		goto out;
	(void)close(sfd);
	(void)close(gfd);
	if (become_caller(v) != 0) {
		(void)fprintf(stderr,
		    "bkey-approve: cannot return to the "
		    "caller's identity\n");
		goto out;
	}
	if ((env = make_env(v, vals)) == NULL)
		goto out;
	environ = env;
	(void)execvp(v->cmd[0], v->cmd);
	code = errno == ENOENT ? 127 : 126;
	bkey_sanitize_into(name, sizeof(name), v->cmd[0], strlen(v->cmd[0]));
	(void)fprintf(stderr, "bkey-approve: cannot run %s: %s\n", name,
	    strerror(errno));
out:
	bkey_buf_free(&b); /* wipes */
	_exit(code);
}

int
bkey_vault_runner_start(struct bkey_vault_cli *v, bkey_error *err)
{
	int sp[2], gp[2];
	pid_t pid;

	if (pipe2(sp, O_CLOEXEC) != 0)
		return bkey_seterr(err, BKEY_ERR_INTERNAL, "pipe: %s",
		    strerror(errno));
	if (pipe2(gp, O_CLOEXEC) != 0) {
		(void)close(sp[0]);
		(void)close(sp[1]);
		return bkey_seterr(err, BKEY_ERR_INTERNAL, "pipe: %s",
		    strerror(errno));
	}
	(void)fflush(stdout);
	(void)fflush(stderr);
	if ((pid = fork()) == 0) {
		(void)close(sp[1]);
		(void)close(gp[1]);
		runner(v, sp[0], gp[0]);
	}
	(void)close(sp[0]);
	(void)close(gp[0]);
	v->secret_fd = sp[1];
	v->go_fd = gp[1];
	if (pid < 0)
		return bkey_seterr(err, BKEY_ERR_INTERNAL, "fork: %s",
		    strerror(errno));
	v->runner = pid;
	return 0;
}

void
bkey_vault_split(struct bkey_vault_cli *v, int monitor)
{
	int *drop = monitor ? &v->secret_fd : &v->go_fd;

	if (*drop >= 0)
		(void)close(*drop);
	*drop = -1;
	if (!monitor)
		v->runner = 0; /* the monitor's child, not ours */
}

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		(void)close(*fd);
	*fd = -1;
}

/* A runner that must not run COMMAND: with both pipes closed it wipes
 * what it holds and exits; SIGKILL only if it has not within
 * STOP_WAIT_MS (something else holding a pipe open). */
static void
stop_runner(struct bkey_vault_cli *v)
{
	struct timespec slice = { 0, 10 * 1000000L };
	int st, waited;
	pid_t r;

	close_fd(&v->go_fd);
	for (waited = 0;; waited += 10) {
		r = waitpid(v->runner, &st, WNOHANG);
		if (r != 0 && !(r < 0 && errno == EINTR))
			break;
		if (waited >= STOP_WAIT_MS) {
			(void)kill(v->runner, SIGKILL);
			while (waitpid(v->runner, &st, 0) < 0 && errno == EINTR)
				;
			break;
		}
		(void)nanosleep(&slice, NULL);
	}
	v->runner = 0;
}

int
bkey_vault_finish(struct bkey_vault_cli *v, int status,
    const volatile sig_atomic_t *sig)
{
	int st = 0, forwarded = 0;
	pid_t r;

	close_fd(&v->secret_fd);
	if (v->runner <= 0) {
		close_fd(&v->go_fd);
		return status;
	}
	if (status != 0 || write(v->go_fd, "g", 1) != 1) {
		stop_runner(v);
		return status != 0 ? status :
				     bkey_result_exit(BKEY_ERR_INTERNAL);
	}
	close_fd(&v->go_fd);
	/* COMMAND has the terminal now: a Ctrl-C reaches it from there, a
	 * SIGTERM sent to us alone is passed on. */
	for (;;) {
		if (*sig == SIGTERM && !forwarded) {
			(void)kill(v->runner, SIGTERM);
			forwarded = 1;
		}
		if ((r = waitpid(v->runner, &st, 0)) >= 0 || errno != EINTR)
			break;
	}
	v->runner = 0;
	if (r < 0)
		return bkey_result_exit(BKEY_ERR_INTERNAL);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

void
bkey_vault_free(struct bkey_vault_cli *v)
{
	size_t i;

	close_fd(&v->secret_fd);
	close_fd(&v->go_fd);
	for (i = 0; v->env != NULL && v->env[i] != NULL; i++)
		free(v->env[i]);
	free(v->env);
	v->env = NULL;
}
