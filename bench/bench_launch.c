/* SPDX-License-Identifier: ISC */
/*
 * Benchmark launcher: run a program and report what it cost, measured on
 * the program itself and not on whoever started it.
 *
 *   bench_launch OUT PROG [ARG]...
 *
 * The peak resident memory is VmHWM from /proc/PID/status, read while the
 * program is stopped at its exit (ptrace PTRACE_O_TRACEEXIT): after the
 * exit the kernel drops the address space and VmHWM is gone. ru_maxrss of
 * a forking Python parent would count the parent's pages (about 20 MiB).
 * CPU time (user+sys) and the wall time come from wait4() and the
 * monotonic clock. OUT gets "name value" lines; stdin, stdout and stderr
 * are the program's. Exit status: the program's, 125 if we failed.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* VmHWM of pid in KiB, -1 if unreadable. */
static long
vmhwm_kib(pid_t pid)
{
	char path[64], line[256];
	FILE *f;
	long kib = -1;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static long long
tv_us(const struct timeval *tv)
{
	return (long long)tv->tv_sec * 1000000 + tv->tv_usec;
}

static pid_t
start(char **argv)
{
	pid_t pid;

	if ((pid = fork()) != 0)
		return pid;
	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) == -1 || raise(SIGSTOP) != 0)
		_exit(125);
	execvp(argv[0], argv);
	perror(argv[0]);
	_exit(125);
}

/* Follow pid to its end; *hwm is read at the exit stop. */
static int
follow(pid_t pid, long *hwm, int *status, struct rusage *ru)
{
	int st, sig;

	for (;;) {
		if (wait4(pid, &st, 0, ru) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			*status = st;
			return 0;
		}
		sig = 0;
		if (st >> 8 == (SIGTRAP | (PTRACE_EVENT_EXIT << 8)))
			*hwm = vmhwm_kib(pid);
		else if (WSTOPSIG(st) == SIGSTOP && *hwm == -2) {
			/* our own stop before exec */
			*hwm = -1;
			if (ptrace(PTRACE_SETOPTIONS, pid, NULL,
			    (void *)(long)(PTRACE_O_TRACEEXIT |
			    PTRACE_O_EXITKILL)) == -1)
				return -1;
		} else if (WSTOPSIG(st) != SIGTRAP)
			sig = WSTOPSIG(st);	/* pass real signals on */
		if (ptrace(PTRACE_CONT, pid, NULL, (void *)(long)sig) == -1)
			return -1;
	}
}

int
main(int argc, char **argv)
{
	struct rusage ru;
	long long t0, wall;
	long hwm = -2;
	int status = 0;
	FILE *out;
	pid_t pid;

	if (argc < 3) {
		fprintf(stderr, "usage: bench_launch OUT PROG [ARG]...\n");
		return 125;
	}
	memset(&ru, 0, sizeof(ru));
	t0 = now_us();
	if ((pid = start(argv + 2)) == -1) {
		perror("fork");
		return 125;
	}
	if (follow(pid, &hwm, &status, &ru) != 0) {
		perror("bench_launch: wait");
		return 125;
	}
	wall = now_us() - t0;
	if ((out = fopen(argv[1], "w")) == NULL) {
		perror(argv[1]);
		return 125;
	}
	fprintf(out, "vmhwm_kib %ld\nuser_us %lld\nsys_us %lld\nwall_us %lld\n",
	    hwm, tv_us(&ru.ru_utime), tv_us(&ru.ru_stime), wall);
	if (fclose(out) != 0)
		return 125;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
