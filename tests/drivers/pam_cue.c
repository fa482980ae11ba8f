/* SPDX-License-Identifier: ISC */
/*
 * A small libpam application for the pam_bkey tests (run under pam_wrapper):
 * pam_authenticate with chosen items and flags, recording every
 * conversation message with its time, the result and the PAM environment.
 *
 *   pam_cue [-s] [-r RHOST] [-t TTY] [-a MODE] [-e] [-c]
 *       [-E NAME=VALUE]... SERVICE USER
 *     -s  PAM_SILENT
 *     -a  how prompts are answered: an empty line (default), a conversation
 *         failure, or the text "hunter2"; hostile conversations:
 *         failall (PAM_CONV_ERR for every message, info too), buferr
 *         (PAM_BUF_ERR), nullresp (PAM_SUCCESS with no response array),
 *         nullitem (an array whose resp is NULL), garbage (4 KiB of
 *         control and high bytes)
 *     -e  print the PAM environment after authenticating
 *     -E  put NAME=VALUE into the PAM environment before (a stale value)
 *     -c  call pam_setcred(PAM_ESTABLISH_CRED) after authenticating
 *
 * Output lines:
 *   conv style=info|error|echo_off|echo_on t_ms=N text=...
 *   result=N name=PAM_... t_ms=N
 *   children=none|running|zombie   (the module's helper killed and reaped?)
 *   setcred=N name=PAM_...         (with -c)
 *   env NAME=VALUE
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_appl.h>

static long long t0;
static const char *answer = "enter";

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *
style_name(int s)
{
	switch (s) {
	case PAM_TEXT_INFO:
		return "info";
	case PAM_ERROR_MSG:
		return "error";
	case PAM_PROMPT_ECHO_OFF:
		return "echo_off";
	case PAM_PROMPT_ECHO_ON:
		return "echo_on";
	default:
		return "other";
	}
}

/* 4 KiB of every byte but NUL, controls and ESC sequences included. */
static char *
garbage(void)
{
	char *g = malloc(4097);
	int i;

	if (g == NULL)
		return NULL;
	for (i = 0; i < 4096; i++)
		g[i] = (char)(1 + i % 255);
	g[4096] = '\0';
	return g;
}

/* The hostile answers that do not depend on the message. 1 if handled. */
static int
conv_hostile(int n, struct pam_response **resp, int *rc)
{
	if (strcmp(answer, "failall") == 0)
		*rc = PAM_CONV_ERR;
	else if (strcmp(answer, "buferr") == 0)
		*rc = PAM_BUF_ERR;
	else if (strcmp(answer, "nullresp") == 0) {
		*resp = NULL;
		*rc = PAM_SUCCESS;
	} else if (strcmp(answer, "nullitem") == 0) {
		*resp = calloc((size_t)n, sizeof(**resp));
		*rc = *resp != NULL ? PAM_SUCCESS : PAM_BUF_ERR;
	} else
		return 0;
	return 1;
}

static int
conv(int n, const struct pam_message **msg, struct pam_response **resp,
    void *data)
{
	struct pam_response *r;
	int i, rc;

	(void)data;
	if (n <= 0 || n > PAM_MAX_NUM_MSG)
		return PAM_CONV_ERR;
	for (i = 0; i < n; i++)
		printf("conv style=%s t_ms=%lld text=%s\n",
		    style_name(msg[i]->msg_style), now_ms() - t0,
		    msg[i]->msg ? msg[i]->msg : "(null)");
	fflush(stdout);
	if (conv_hostile(n, resp, &rc))
		return rc;
	if ((r = calloc((size_t)n, sizeof(*r))) == NULL)
		return PAM_BUF_ERR;
	for (i = 0; i < n; i++) {
		int st = msg[i]->msg_style;

		if (st == PAM_PROMPT_ECHO_OFF || st == PAM_PROMPT_ECHO_ON) {
			if (strcmp(answer, "fail") == 0) {
				free(r);
				return PAM_CONV_ERR;
			}
			r[i].resp = strcmp(answer, "garbage") == 0 ? garbage() :
			    strdup(strcmp(answer, "text") == 0 ? "hunter2" : "");
			if (r[i].resp == NULL) {
				free(r);
				return PAM_BUF_ERR;
			}
		}
	}
	*resp = r;
	return PAM_SUCCESS;
}

static const char *
code_name(int c)
{
	static const struct { int c; const char *n; } names[] = {
		{ PAM_SUCCESS, "PAM_SUCCESS" },
		{ PAM_AUTH_ERR, "PAM_AUTH_ERR" },
		{ PAM_USER_UNKNOWN, "PAM_USER_UNKNOWN" },
		{ PAM_IGNORE, "PAM_IGNORE" },
		{ PAM_AUTHINFO_UNAVAIL, "PAM_AUTHINFO_UNAVAIL" },
		{ PAM_CONV_ERR, "PAM_CONV_ERR" },
		{ PAM_SYSTEM_ERR, "PAM_SYSTEM_ERR" },
		{ PAM_SERVICE_ERR, "PAM_SERVICE_ERR" },
		{ PAM_PERM_DENIED, "PAM_PERM_DENIED" },
		{ PAM_BUF_ERR, "PAM_BUF_ERR" },
		{ PAM_INCOMPLETE, "PAM_INCOMPLETE" },
		{ PAM_ABORT, "PAM_ABORT" },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].c == c)
			return names[i].n;
	return "PAM_OTHER";
}

int
main(int argc, char **argv)
{
	struct pam_conv pc = { conv, NULL };
	pam_handle_t *pamh = NULL;
	const char *rhost = NULL, *tty = NULL, *preset[8];
	int flags = 0, env = 0, setcred = 0, npreset = 0, opt, r, i, st;
	pid_t w;

	while ((opt = getopt(argc, argv, "sr:t:a:ecE:")) != -1) {
		switch (opt) {
		case 's':
			flags |= PAM_SILENT;
			break;
		case 'r':
			rhost = optarg;
			break;
		case 't':
			tty = optarg;
			break;
		case 'a':
			answer = optarg;
			break;
		case 'e':
			env = 1;
			break;
		case 'c':
			setcred = 1;
			break;
		case 'E':
			if (npreset == (int)(sizeof(preset) / sizeof(preset[0])))
				return 2;
			preset[npreset++] = optarg;
			break;
		default:
			return 2;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: pam_cue [-s] [-r RHOST] [-t TTY] "
		    "[-a MODE] [-e] [-c] [-E NAME=VALUE]... "
		    "SERVICE USER\n");
		return 2;
	}
	if (pam_start(argv[optind], argv[optind + 1], &pc, &pamh) !=
	    PAM_SUCCESS) {
		fprintf(stderr, "pam_start failed\n");
		return 2;
	}
	if ((rhost && pam_set_item(pamh, PAM_RHOST, rhost) != PAM_SUCCESS) ||
	    (tty && pam_set_item(pamh, PAM_TTY, tty) != PAM_SUCCESS)) {
		fprintf(stderr, "pam_set_item failed\n");
		pam_end(pamh, PAM_SYSTEM_ERR);
		return 2;
	}
	for (i = 0; i < npreset; i++)
		if (pam_putenv(pamh, preset[i]) != PAM_SUCCESS) {
			fprintf(stderr, "pam_putenv failed\n");
			pam_end(pamh, PAM_SYSTEM_ERR);
			return 2;
		}
	t0 = now_ms();
	r = pam_authenticate(pamh, flags);
	printf("result=%d name=%s t_ms=%lld\n", r, code_name(r),
	    now_ms() - t0);
	/* This process starts no child itself: any child is the module's
	 * helper, which must be gone (killed and reaped) by now. */
	w = waitpid(-1, &st, WNOHANG);
	printf("children=%s\n", w < 0 && errno == ECHILD ? "none" :
	    w == 0 ? "running" : "zombie");
	if (setcred) {
		int c = pam_setcred(pamh, PAM_ESTABLISH_CRED);

		printf("setcred=%d name=%s\n", c, code_name(c));
	}
	if (env) {
		char **e = pam_getenvlist(pamh), **p;

		for (p = e; p && *p; p++) {
			printf("env %s\n", *p);
			free(*p);
		}
		free(e);
	}
	fflush(stdout);
	pam_end(pamh, r);
	return 0;
}
