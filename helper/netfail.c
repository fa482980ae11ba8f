/* SPDX-License-Identifier: ISC */
/*
 * Classifying failed transfers (see netfail.h). What libcurl 7.88 reports
 * for the failures that matter, read in its lib/asyn-thread.c, cf-socket.c
 * and connect.c:
 *  - resolver thread or its socket pair not created: the error buffer says
 *    "getaddrinfo() thread failed to start", the code is
 *    CURLE_COULDNT_RESOLVE_HOST (or _PROXY);
 *  - getaddrinfo() failing inside the thread (also for EMFILE or ENOMEM):
 *    "Could not resolve host: NAME", the same code;
 *  - socket() failing (EMFILE): CURLE_COULDNT_CONNECT, and the OS errno
 *    is NOT updated (it keeps an older transfer's value);
 *  - connect() refused, unreachable, timed out: CURLE_COULDNT_CONNECT with
 *    that errno, or CURLE_OPERATION_TIMEDOUT.
 * So a code alone proves nothing: a resolve failure is confirmed by our own
 * look-up, a connect failure needs a connect errno and no failed socket(),
 * and every "unavailable" also needs the resources for another attempt.
 */
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "netfail.h"
#include "result.h"

#define PROBE_MEM (1024 * 1024)
#define LOOKUP_MIN_MS 200
#define LOOKUP_MAX_MS 5000
#define HOST_MAX 256

static void *
probe_thread(void *arg)
{
	return arg;
}

int
bkey_netfail_probe(bkey_error *err)
{
	pthread_t t;
	char *mem;
	int sp[2], s, e;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0)
		return bkey_seterr(err, BKEY_ERR_INTERNAL,
		    "out of resources: "
		    "no descriptors: %s",
		    strerror(errno));
	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	e = errno;
	(void)close(sp[0]);
	(void)close(sp[1]);
	if (s < 0)
		return bkey_seterr(err, BKEY_ERR_INTERNAL,
		    "out of resources: "
		    "no socket: %s",
		    strerror(e));
	(void)close(s);
	/* Default attributes: the stack curl's resolver thread would get. */
	if ((e = pthread_create(&t, NULL, probe_thread, NULL)) != 0)
		return bkey_seterr(err, BKEY_ERR_INTERNAL,
		    "out of resources: "
		    "cannot start a thread: %s",
		    strerror(e));
	(void)pthread_join(t, NULL);
	if ((mem = malloc(PROBE_MEM)) == NULL)
		return bkey_seterr(err, BKEY_ERR_INTERNAL, "out of memory");
	memset(mem, 0x5a, PROBE_MEM);
	free(mem);
	return 0;
}

/* ---- our own look-up of a name curl could not resolve ------------------ */

enum lookup_result { LK_FOUND, LK_NOT_FOUND, LK_LOCAL, LK_SLOW };

struct lookup {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int done, abandoned, rc, err;
	char host[HOST_MAX];
};

static void
lookup_destroy(struct lookup *l)
{
	(void)pthread_cond_destroy(&l->cv);
	(void)pthread_mutex_destroy(&l->mu);
	free(l);
}

static void *
lookup_thread(void *arg)
{
	struct lookup *l = arg;
	struct addrinfo hints, *res = NULL;
	int rc, e, abandoned;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	errno = 0;
	rc = getaddrinfo(l->host, NULL, &hints, &res);
	e = errno;
	if (res != NULL)
		freeaddrinfo(res);
	(void)pthread_mutex_lock(&l->mu);
	l->rc = rc;
	l->err = e;
	l->done = 1;
	abandoned = l->abandoned;
	(void)pthread_cond_signal(&l->cv);
	(void)pthread_mutex_unlock(&l->mu);
	/* Given up on by a caller that timed out: nobody else frees it. */
	if (abandoned)
		lookup_destroy(l);
	return NULL;
}

/* Resource errors glibc leaves in errno behind EAI_NONAME or EAI_AGAIN
 * (seen: nss_files cannot open /etc/hosts with EMFILE -> EAI_NONAME). */
static int
resource_errno(int e)
{
	return e == EMFILE || e == ENFILE || e == ENOMEM || e == ENOBUFS;
}

static int
lookup_init(struct lookup *l, const char *host)
{
	pthread_condattr_t ca;
	int ok;

	memset(l, 0, sizeof(*l));
	(void)snprintf(l->host, sizeof(l->host), "%s", host);
	if (pthread_condattr_init(&ca) != 0)
		return -1;
	ok = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 &&
	    pthread_cond_init(&l->cv, &ca) == 0;
	(void)pthread_condattr_destroy(&ca);
	if (!ok)
		return -1;
	if (pthread_mutex_init(&l->mu, NULL) != 0) {
		(void)pthread_cond_destroy(&l->cv);
		return -1;
	}
	return 0;
}

static void
deadline_in(struct timespec *ts, long ms)
{
	(void)clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/*
 * Look host up again, in a thread of our own (its creation is itself a
 * test: curl's failed the same way), waiting at most ms. *why gets the
 * getaddrinfo error text for the message.
 */
static enum lookup_result
look_up(const char *host, long ms, const char **why, int *terr)
{
	struct lookup *l;
	struct timespec until;
	pthread_t t;
	int r = 0, rc, e;

	*why = "";
	*terr = 0;
	if (host == NULL || host[0] == '\0' || strlen(host) >= HOST_MAX)
		return LK_LOCAL;
	if ((l = malloc(sizeof(*l))) == NULL || lookup_init(l, host) != 0) {
		free(l);
		return LK_LOCAL;
	}
	if ((*terr = pthread_create(&t, NULL, lookup_thread, l)) != 0) {
		lookup_destroy(l);
		return LK_LOCAL;
	}
	deadline_in(&until, ms);
	(void)pthread_mutex_lock(&l->mu);
	while (!l->done && r == 0)
		r = pthread_cond_timedwait(&l->cv, &l->mu, &until);
	if (!l->done) {
		l->abandoned = 1;
		(void)pthread_mutex_unlock(&l->mu);
		(void)pthread_detach(t);
		return LK_SLOW;
	}
	rc = l->rc;
	e = l->err;
	(void)pthread_mutex_unlock(&l->mu);
	(void)pthread_join(t, NULL);
	lookup_destroy(l);
	*why = gai_strerror(rc);
	if (rc == 0)
		return LK_FOUND;
	if ((rc == EAI_NONAME || rc == EAI_NODATA || rc == EAI_AGAIN ||
		rc == EAI_FAIL) &&
	    !resource_errno(e))
		return LK_NOT_FOUND;
	*terr = e;
	return LK_LOCAL;
}

/* ---- the classification ------------------------------------------------ */

/* Words of a local failure in curl's or OpenSSL's error text. */
static int
local_words(const char *s)
{
	static const char *const words[] = { "memory", "malloc", "thread",
		"Too many open files", "Cannot allocate",
		"Resource temporarily unavailable" };
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasestr(s, words[i]) != NULL)
			return 1;
	return 0;
}

static int
connect_errno(long e)
{
	return e == ECONNREFUSED || e == ETIMEDOUT || e == EHOSTUNREACH ||
	    e == ENETUNREACH || e == EHOSTDOWN || e == ENETDOWN;
}

/*
 * A connection the server (or the network) dropped: reset, closed before
 * or in the middle of the answer. It counts as unavailable: a server
 * restarting or a balancer cutting connections is an outage, and whoever
 * can reset connections can as well block them, which already reads as
 * unavailable, so counting it gives nobody more.
 */
static int
dropped(const struct bkey_netfail *f)
{
	switch (f->code) {
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
		return 1;
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
		return f->os_errno == ECONNRESET || f->os_errno == EPIPE ||
		    f->os_errno == ECONNABORTED || f->os_errno == ETIMEDOUT ||
		    strcasestr(f->errbuf, "unexpected eof") != NULL ||
		    strcasestr(f->errbuf, "Connection reset") != NULL;
	default:
		return f->resent;
	}
}

/* The server answered, but not with HTTP we can use. */
static int
server_garbage(CURLcode cc)
{
	return cc == CURLE_WEIRD_SERVER_REPLY || cc == CURLE_HTTP2 ||
	    cc == CURLE_HTTP2_STREAM || cc == CURLE_BAD_CONTENT_ENCODING ||
	    cc == CURLE_TOO_MANY_REDIRECTS || cc == CURLE_RANGE_ERROR;
}

/* A resolve failure is a DNS failure only if we cannot resolve it either. */
static int
resolve_failure(const struct bkey_netfail *f, const char *why, bkey_error *err)
{
	const char *gai;
	long ms = f->lookup_ms;
	int terr;

	if (strncmp(f->errbuf, "Could not resolve ", 18) != 0)
		return bkey_seterr(err, BKEY_ERR_INTERNAL,
		    "name look-up "
		    "failed for a local reason: %s",
		    why);
	if (ms < LOOKUP_MIN_MS)
		ms = LOOKUP_MIN_MS;
	if (ms > LOOKUP_MAX_MS)
		ms = LOOKUP_MAX_MS;
	switch (look_up(f->host, ms, &gai, &terr)) {
	case LK_NOT_FOUND:
		return bkey_seterr(err, BKEY_ERR_UNAVAILABLE, "%s (%s)", why,
		    gai);
	case LK_SLOW:
		return bkey_seterr(err, BKEY_ERR_UNAVAILABLE,
		    "%s (name service not answering)", why);
	case LK_FOUND:
		return bkey_seterr(err, BKEY_ERR_INTERNAL,
		    "%s, yet the name "
		    "resolves: a local failure",
		    why);
	default:
		return bkey_seterr(err, BKEY_ERR_INTERNAL,
		    "name look-up "
		    "failed for a local reason: %s%s%s",
		    why, terr != 0 ? ": " : "",
		    terr != 0 ? strerror(terr) : "");
	}
}

/* 1 if the code, with what curl recorded, is on the list of outages. */
static int
outage_code(const struct bkey_netfail *f)
{
	switch (f->code) {
	case CURLE_COULDNT_CONNECT:
		/* The errno may be an older transfer's: only trusted when no
		 * socket() of this one failed. */
		return f->socket_errno == 0 && connect_errno(f->os_errno);
	case CURLE_OPERATION_TIMEDOUT: /* connect, look-up or answer */
	case CURLE_SSL_CONNECT_ERROR:  /* TLS handshake failed */
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_PROXY: /* the configured proxy refused */
		return 1;
	default:
		return dropped(f);
	}
}

int
bkey_netfail_classify(const struct bkey_netfail *f, bkey_error *err)
{
	const char *why = f->errbuf != NULL && f->errbuf[0] != '\0' ?
	    f->errbuf :
	    curl_easy_strerror(f->code);
	struct bkey_netfail g = *f;
	bkey_error probe;

	g.errbuf = f->errbuf != NULL ? f->errbuf : "";
	if (f->code == CURLE_OUT_OF_MEMORY)
		return bkey_seterr(err, BKEY_ERR_INTERNAL, "out of memory");
	if (f->too_large &&
	    (f->code == CURLE_WRITE_ERROR ||
		f->code == CURLE_FILESIZE_EXCEEDED))
		return bkey_seterr(err, BKEY_ERR_PROTOCOL,
		    "response too large");
	if (f->code == CURLE_FILESIZE_EXCEEDED)
		return bkey_seterr(err, BKEY_ERR_PROTOCOL,
		    "response too large");
	if (f->code == CURLE_UNSUPPORTED_PROTOCOL)
		return bkey_seterr(err, BKEY_ERR_PROTOCOL,
		    "url scheme not allowed: %s", why);
	if (server_garbage(f->code))
		return bkey_seterr(err, BKEY_ERR_PROTOCOL, "%s", why);
	if (f->socket_errno != 0)
		return bkey_seterr(err, BKEY_ERR_INTERNAL,
		    "cannot open a "
		    "socket: %s",
		    strerror(f->socket_errno));
	/* Whatever the code, a starved process is not an outage. */
	if (local_words(g.errbuf) || bkey_netfail_probe(&probe) != 0)
		return bkey_seterr(err, BKEY_ERR_INTERNAL, "%s (%s)",
		    local_words(g.errbuf) ? "local failure" : probe.detail,
		    why);
	if (f->code == CURLE_COULDNT_RESOLVE_HOST ||
	    f->code == CURLE_COULDNT_RESOLVE_PROXY)
		return resolve_failure(&g, why, err);
	if (outage_code(&g))
		return bkey_seterr(err, BKEY_ERR_UNAVAILABLE, "%s%s",
		    f->code == CURLE_OPERATION_TIMEDOUT ? "timed out: " : "",
		    f->resent && f->code == CURLE_ABORTED_BY_CALLBACK ?
			"the server dropped the connection" :
			why);
	return bkey_seterr(err, BKEY_ERR_INTERNAL,
	    "network request failed "
	    "(curl error %d): %s",
	    (int)f->code, why);
}
