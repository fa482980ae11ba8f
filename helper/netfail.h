/* SPDX-License-Identifier: ISC */
/*
 * What a failed libcurl transfer means. Only a real failure to reach the
 * service is BKEY_ERR_UNAVAILABLE (the outcome failmode=safe lets through):
 * the list is positive, each entry checked against what curl recorded and
 * against the process's own state, because a starved helper (no memory for
 * a thread, no descriptor for a socket) makes curl report the very codes an
 * outage gives: a resolver thread that cannot start reads as "could not
 * resolve", a socket() that fails with EMFILE as "could not connect".
 * Everything else is BKEY_ERR_PROTOCOL (the server answered badly) or
 * BKEY_ERR_INTERNAL (a local failure), and both deny.
 */
#ifndef BKEY_NETFAIL_H
#define BKEY_NETFAIL_H

#include <curl/curl.h>
#include "result.h"

struct bkey_netfail {
	CURLcode code;
	long os_errno;	    /* CURLINFO_OS_ERRNO (may be stale: see .c) */
	const char *errbuf; /* curl's CURLOPT_ERRORBUFFER text, or "" */
	int socket_errno;   /* a socket() of this transfer failed so */
	int resent;	    /* curl tried to resend on a new connection */
	int too_large;	    /* the write callback refused the body */
	const char *host;   /* the name curl looked up (target or proxy) */
	long lookup_ms;	    /* how long a confirming look-up may take */
};

/* Classify; always returns -1 with err->code and err->detail set. */
int bkey_netfail_classify(const struct bkey_netfail *f, bkey_error *err);

/*
 * The resources curl needs for one more attempt: a few descriptors, a
 * thread (as its resolver starts one), some memory. 0 when all were
 * there; -1 with err (BKEY_ERR_INTERNAL) naming what was not.
 */
int bkey_netfail_probe(bkey_error *err);

#endif
