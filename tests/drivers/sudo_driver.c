/* SPDX-License-Identifier: ISC */
/*
 * Test driver for bkey_approval.so, shaped like sudo's own tests of approval
 * plugins: dlopen the plugin, call open/check/close directly with fake
 * conversation and printf functions and made-up user_info/command_info.
 * Like sudo it opens the plugin before every check() and closes it after.
 *
 * Usage:
 *   sudo_driver PLUGIN.so [--opt WORD]... [--uinfo K=V]... [--uinfo-del K]
 *       [--api-major N] [--signal-on-pending INT|TERM|HUP|QUIT]
 *       [--show-version] [--syslog] [--setting K=V]... [--submit-env K=V]...
 *       [--submit-argv OPTIND N ARG1 ... ARGN] [--reply TEXT]...
 *       [--check [--info K=V]... [--env K=V]... [--argv N ARG1 ... ARGN]]...
 *
 * --submit-argv and --submit-env are what open() gets as sudo's own argv
 * (with the index of the command in it) and the caller's environment;
 * --env builds the run_envp of one check(). Each --reply answers one
 * echo-off prompt, in order; past the last one a prompt gets no reply.
 *
 * Output (stdout, one line each, flushed):
 *   open=R errstr=S            conv[0xTYPE]: TEXT      printf[0xTYPE]: TEXT
 *   syslog[PRIO]: TEXT         (with --syslog: what the plugin logs, PRIO
 *                              as it gave it; without, its lines are dropped)
 *   check=R errstr=S elapsed_ms=N
 *   handlers=restored|CHANGED mask=restored|CHANGED children=none|running|zombie
 *   host_signals=N   (signals that reached the "sudo" handler)
 * Exit 0 unless the driver itself failed (exit 2).
 */
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sudo_plugin.h>

#define MAXV 1024

/* glibc sets this flag itself; it is no part of what we compare. */
#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000
#endif

static const int host_sigs[4] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
static volatile sig_atomic_t host_signals;
static int signal_on_pending;
static char **replies_left;	/* --reply texts not used yet */
static int show_syslog;		/* --syslog */

/* sudo's handlers record the signal and use SA_RESTART. */
static void
host_handler(int sig)
{
	(void)sig;
	host_signals++;
}

static void
print_text(const char *tag, int type, const char *text)
{
	size_t n = strlen(text);

	while (n > 0 && text[n - 1] == '\n')
		n--;
	printf("%s[0x%x]: %.*s\n", tag, (unsigned)type, (int)n, text);
	fflush(stdout);
}

static int
fake_conv(int num_msgs, const struct sudo_conv_message msgs[],
    struct sudo_conv_reply replies[], struct sudo_conv_callback *cb)
{
	int i;

	(void)cb;
	for (i = 0; i < num_msgs; i++) {
		print_text("conv", msgs[i].msg_type, msgs[i].msg);
		if (replies != NULL)
			replies[i].reply = NULL;
		/* sudo's replies are malloc'd; the plugin frees them. */
		if (replies != NULL && (msgs[i].msg_type & 0xff) ==
		    SUDO_CONV_PROMPT_ECHO_OFF && replies_left != NULL &&
		    *replies_left != NULL)
			replies[i].reply = strdup(*replies_left++);
		/* Ctrl-C while the user looks at the code. */
		if (signal_on_pending && strstr(msgs[i].msg, "code ") !=
		    NULL) {
			printf("sent=%d\n", signal_on_pending);
			fflush(stdout);
			(void)kill(getpid(), signal_on_pending);
		}
	}
	return 0;
}

/*
 * The plugin's log lines: libc defines these too, so the linker exports
 * the driver's, and the dlopened plugin's calls bind to them (with
 * _FORTIFY_SOURCE the call is __syslog_chk).
 */
void syslog(int prio, const char *fmt, ...);
void __syslog_chk(int prio, int flag, const char *fmt, ...);

static void
print_syslog(int prio, const char *fmt, va_list ap)
{
	char buf[8192];

	if (!show_syslog)
		return;
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	printf("syslog[%d]: %s\n", prio, buf);
	fflush(stdout);
}

void
syslog(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	print_syslog(prio, fmt, ap);
	va_end(ap);
}

void
__syslog_chk(int prio, int flag, const char *fmt, ...)
{
	va_list ap;

	(void)flag;
	va_start(ap, fmt);
	print_syslog(prio, fmt, ap);
	va_end(ap);
}

static int
fake_printf(int msg_type, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	print_text("printf", msg_type, buf);
	return n;
}

/* A "key=value" vector with replace-by-key. */
struct kv {
	char *v[MAXV + 1];
	int n;
};

static struct kv replies;	/* --reply texts */

static void
kv_set(struct kv *k, const char *item)
{
	const char *eq = strchr(item, '=');
	size_t klen = eq ? (size_t)(eq - item) : strlen(item);
	int i;

	for (i = 0; i < k->n; i++)
		if (strncmp(k->v[i], item, klen) == 0 && k->v[i][klen] == '=') {
			k->v[i] = (char *)item;
			return;
		}
	if (k->n == MAXV) {
		fprintf(stderr, "too many items\n");
		exit(2);
	}
	k->v[k->n++] = (char *)item;
	k->v[k->n] = NULL;
}

/* Plugin options are words, not keys: repeats are kept (and refused). */
static void
kv_add(struct kv *k, const char *item)
{
	if (k->n == MAXV) {
		fprintf(stderr, "too many items\n");
		exit(2);
	}
	k->v[k->n++] = (char *)item;
	k->v[k->n] = NULL;
}

static void
kv_del(struct kv *k, const char *key)
{
	size_t klen = strlen(key);
	int i;

	for (i = 0; i < k->n; i++)
		if (strncmp(k->v[i], key, klen) == 0 && k->v[i][klen] == '=') {
			memmove(&k->v[i], &k->v[i + 1],
			    (size_t)(k->n - i) * sizeof(k->v[0]));
			k->n--;
			return;
		}
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
parse_sig(const char *s)
{
	if (strcmp(s, "INT") == 0)
		return SIGINT;
	if (strcmp(s, "TERM") == 0)
		return SIGTERM;
	if (strcmp(s, "HUP") == 0)
		return SIGHUP;
	if (strcmp(s, "QUIT") == 0)
		return SIGQUIT;
	fprintf(stderr, "bad signal %s\n", s);
	exit(2);
}

static void
install_host_handlers(void)
{
	struct sigaction sa;
	int i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = host_handler;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < 4; i++)
		if (sigaction(host_sigs[i], &sa, NULL) != 0) {
			perror("sigaction");
			exit(2);
		}
}

struct snapshot {
	struct sigaction sa[4], pipe_sa;
	sigset_t mask;
};

static void
snap(struct snapshot *s)
{
	int i;

	for (i = 0; i < 4; i++)
		(void)sigaction(host_sigs[i], NULL, &s->sa[i]);
	(void)sigaction(SIGPIPE, NULL, &s->pipe_sa);
	(void)sigprocmask(SIG_BLOCK, NULL, &s->mask);
}

static int
same_sa(const struct sigaction *a, const struct sigaction *b)
{
	return a->sa_handler == b->sa_handler &&
	    (a->sa_flags & ~SA_RESTORER) == (b->sa_flags & ~SA_RESTORER);
}

static void
report_state(const struct snapshot *before)
{
	struct snapshot after;
	int i, handlers_ok = 1, mask_ok = 1, st;
	pid_t r;
	const char *children;

	snap(&after);
	for (i = 0; i < 4; i++)
		if (!same_sa(&before->sa[i], &after.sa[i]))
			handlers_ok = 0;
	if (!same_sa(&before->pipe_sa, &after.pipe_sa))
		handlers_ok = 0;
	for (i = 1; i < NSIG; i++) {
		int a = sigismember(&before->mask, i);
		int b = sigismember(&after.mask, i);

		if (a >= 0 && b >= 0 && a != b)
			mask_ok = 0;
	}
	r = waitpid(-1, &st, WNOHANG);
	children = r < 0 && errno == ECHILD ? "none" : r == 0 ? "running" :
	    "zombie";
	printf("handlers=%s mask=%s children=%s\n",
	    handlers_ok ? "restored" : "CHANGED",
	    mask_ok ? "restored" : "CHANGED", children);
	printf("host_signals=%d\n", (int)host_signals);
	fflush(stdout);
}

int
main(int argc, char *argv[])
{
	struct approval_plugin *p;
	struct kv opts = { .n = 0 }, uinfo = { .n = 0 }, settings = { .n = 0 };
	struct kv subenv = { .n = 0 }, subargv = { .n = 0 };
	struct kv info, runenv;
	int suboptind = 1;
	const char *errstr;
	unsigned int version = SUDO_API_VERSION;
	char *empty[] = { NULL };
	void *h;
	int i, rc, show_version = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: sudo_driver PLUGIN.so ...\n");
		return 2;
	}
	kv_set(&uinfo, "user=alice");
	kv_set(&uinfo, "uid=1000");
	kv_set(&uinfo, "gid=1000");
	kv_set(&uinfo, "host=testhost");
	kv_set(&uinfo, "cwd=/tmp");
	kv_set(&uinfo, "tty=/dev/pts/9");
	kv_set(&settings, "progname=sudo");

	/* Options before the first --check. */
	for (i = 2; i < argc && strcmp(argv[i], "--check") != 0; i++) {
		if (strcmp(argv[i], "--opt") == 0 && i + 1 < argc)
			kv_add(&opts, argv[++i]);
		else if (strcmp(argv[i], "--uinfo") == 0 && i + 1 < argc)
			kv_set(&uinfo, argv[++i]);
		else if (strcmp(argv[i], "--uinfo-del") == 0 && i + 1 < argc)
			kv_del(&uinfo, argv[++i]);
		else if (strcmp(argv[i], "--api-major") == 0 && i + 1 < argc)
			version = SUDO_API_MKVERSION(atoi(argv[++i]),
			    SUDO_API_VERSION_MINOR);
		else if (strcmp(argv[i], "--signal-on-pending") == 0 &&
		    i + 1 < argc)
			signal_on_pending = parse_sig(argv[++i]);
		else if (strcmp(argv[i], "--show-version") == 0)
			show_version = 1;
		else if (strcmp(argv[i], "--syslog") == 0)
			show_syslog = 1;
		else if (strcmp(argv[i], "--reply") == 0 && i + 1 < argc)
			kv_add(&replies, argv[++i]);
		else if (strcmp(argv[i], "--setting") == 0 && i + 1 < argc)
			kv_set(&settings, argv[++i]);
		else if (strcmp(argv[i], "--submit-env") == 0 && i + 1 < argc)
			kv_add(&subenv, argv[++i]);
		else if (strcmp(argv[i], "--submit-argv") == 0 &&
		    i + 2 < argc) {
			int n, k;

			suboptind = atoi(argv[++i]);
			n = atoi(argv[++i]);
			if (n < 0 || n > MAXV || i + n >= argc) {
				fprintf(stderr, "bad --submit-argv count\n");
				return 2;
			}
			for (k = 0; k < n; k++)
				kv_add(&subargv, argv[++i]);
		}
		else {
			fprintf(stderr, "bad argument %s\n", argv[i]);
			return 2;
		}
	}

	if ((h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL)) == NULL) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return 2;
	}
	if ((p = dlsym(h, "bkey_approval")) == NULL) {
		fprintf(stderr, "dlsym: %s\n", dlerror());
		return 2;
	}
	if (p->type != SUDO_APPROVAL_PLUGIN ||
	    SUDO_API_VERSION_GET_MAJOR(p->version) != SUDO_API_VERSION_MAJOR) {
		fprintf(stderr, "not an approval plugin of this API\n");
		return 2;
	}
	install_host_handlers();
	replies_left = replies.v;

	if (show_version) {
		errstr = NULL;
		rc = p->open(version, fake_conv, fake_printf, settings.v,
		    uinfo.v, 1, empty, empty, opts.n ? opts.v : empty, &errstr);
		printf("open=%d errstr=%s\n", rc, errstr ? errstr : "(null)");
		if (rc == 1) {
			printf("show_version=%d\n", p->show_version(1));
			p->close();
		}
		fflush(stdout);
	}

	while (i < argc) {
		char *cargv[MAXV + 1];
		int cargc = 0;
		struct snapshot before;
		long long t0;

		/* argv[i] is "--check" */
		memset(&info, 0, sizeof(info));
		memset(&runenv, 0, sizeof(runenv));
		kv_set(&info, "runas_user=root");
		kv_set(&info, "runas_uid=0");
		kv_set(&info, "cwd=/tmp");
		cargv[0] = NULL;
		for (i++; i < argc && strcmp(argv[i], "--check") != 0; i++) {
			if (strcmp(argv[i], "--info") == 0 && i + 1 < argc)
				kv_set(&info, argv[++i]);
			else if (strcmp(argv[i], "--env") == 0 &&
			    i + 1 < argc)
				kv_add(&runenv, argv[++i]);
			else if (strcmp(argv[i], "--argv") == 0 &&
			    i + 1 < argc) {
				int n = atoi(argv[++i]), k;

				if (n < 0 || n > MAXV || i + n >= argc) {
					fprintf(stderr, "bad --argv count\n");
					return 2;
				}
				for (k = 0; k < n; k++)
					cargv[cargc++] = argv[++i];
				cargv[cargc] = NULL;
			} else {
				fprintf(stderr, "bad check argument %s\n",
				    argv[i]);
				return 2;
			}
		}

		snap(&before);
		errstr = NULL;
		rc = p->open(version, fake_conv, fake_printf, settings.v,
		    uinfo.v, suboptind, subargv.n ? subargv.v : empty,
		    subenv.n ? subenv.v : empty, opts.n ? opts.v : empty,
		    &errstr);
		printf("open=%d errstr=%s\n", rc, errstr ? errstr : "(null)");
		fflush(stdout);
		if (rc != 1)
			continue;
		errstr = NULL;
		t0 = now_ms();
		rc = p->check(info.v, cargv, runenv.n ? runenv.v : empty,
		    &errstr);
		printf("check=%d errstr=%s elapsed_ms=%lld\n", rc,
		    errstr ? errstr : "(null)", now_ms() - t0);
		fflush(stdout);
		p->close();
		report_state(&before);
	}
	(void)dlclose(h);
	return 0;
}
