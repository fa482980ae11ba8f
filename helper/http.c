/* SPDX-License-Identifier: ISC */
/*
 * HTTPS over one hardened libcurl easy handle. Everything that can be set
 * once is set in bkey_http_new(); per-request options (method, body,
 * headers, timeout) are set again by every bkey_http_do() so nothing of
 * one request leaks into the next.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <curl/curl.h>
#include <sodium.h>

#include "buf.h"
#include "clock.h"
#include "config.h"
#include "http.h"
#include "netfail.h"
#include "result.h"

#ifndef BKEY_VERSION
#error "BKEY_VERSION comes from the Makefile's VERSION"
#endif

struct bkey_http {
	CURL *curl;
	const volatile sig_atomic_t *cancel;
	char *proxy;	/* copy of the config's; wiped */
	bkey_buf *sink; /* body of the running request */
	int too_large;
	int sends;	  /* requests curl began this transfer */
	int resent;	  /* it tried to send one again */
	int socket_errno; /* a socket() of this transfer failed */
	char errbuf[CURL_ERROR_SIZE];
};

static int
is_http_url(const char *u)
{
	return u != NULL && strncmp(u, "http://", 7) == 0;
}

/* Plain http is allowed only when every URL we will ever fetch is a
 * loopback http URL (the test setup); any https URL keeps "https" only. */
static int
config_allows_http(const struct bkey_config *c)
{
	const char *urls[] = { c->api_url, c->token_endpoint,
		c->bc_authorize_endpoint, c->jwks_uri };
	size_t i;

	for (i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		if (urls[i] == NULL)
			continue;
		if (!is_http_url(urls[i]) || !bkey_url_allowed(urls[i]))
			return 0;
	}
	return 1;
}

static size_t
write_cb(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct bkey_http *h = ud;
	size_t n = size * nmemb;

	if (h->sink == NULL)
		return 0;
	if (n > BKEY_HTTP_BODY_MAX || h->sink->len + n > BKEY_HTTP_BODY_MAX) {
		h->too_large = 1;
		return 0; /* CURLE_WRITE_ERROR */
	}
	if (bkey_buf_append(h->sink, ptr, n) != 0) {
		if (h->sink->overflow)
			h->too_large = 1;
		return 0;
	}
	return n;
}

static int
xferinfo_cb(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
    curl_off_t ulnow)
{
	struct bkey_http *h = ud;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return (h->cancel != NULL && *h->cancel) ? 1 : 0;
}

/* Our sockets, so that a socket() failure (EMFILE) is known for what it
 * is: curl reports it as "could not connect" with a stale errno. */
static curl_socket_t
opensocket_cb(void *ud, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct bkey_http *h = ud;
	int fd;

	(void)purpose;
	fd = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
	if (fd < 0) {
		h->socket_errno = errno != 0 ? errno : EIO;
		return CURL_SOCKET_BAD;
	}
	return fd;
}

/*
 * Called before each request curl sends. A second one in one transfer is
 * curl resending by itself on a fresh connection after the server dropped a
 * reused one: refused, so that our own retry (with the poll interval, or
 * the backoff) is the only one.
 */
static int
prereq_cb(void *ud, char *conn_primary_ip, char *conn_local_ip,
    int conn_primary_port, int conn_local_port)
{
	struct bkey_http *h = ud;

	(void)conn_primary_ip;
	(void)conn_local_ip;
	(void)conn_primary_port;
	(void)conn_local_port;
	if (++h->sends > 1) {
		h->resent = 1;
		return CURL_PREREQFUNC_ABORT;
	}
	return CURL_PREREQFUNC_OK;
}

/* Set a curl option of h or go to the function's "fail" label. */
#define SETOPT(opt, val) \
	do { \
		if (curl_easy_setopt(h->curl, (opt), (val)) != CURLE_OK) { \
			bkey_seterr(err, BKEY_ERR_INTERNAL, \
			    "curl option %s refused", #opt); \
			goto fail; \
		} \
	} while (0)

struct bkey_http *
bkey_http_new(const struct bkey_config *c, const volatile sig_atomic_t *cancel,
    bkey_error *err)
{
	struct bkey_http *h;
	const char *protos;

	if ((h = calloc(1, sizeof(*h))) == NULL) {
		bkey_seterr(err, BKEY_ERR_INTERNAL, "out of memory");
		return NULL;
	}
	h->cancel = cancel;
	if (c->proxy != NULL && c->proxy[0] != '\0' &&
	    (h->proxy = strdup(c->proxy)) == NULL) {
		bkey_seterr(err, BKEY_ERR_INTERNAL, "out of memory");
		goto fail;
	}
	if ((h->curl = curl_easy_init()) == NULL) {
		bkey_seterr(err, BKEY_ERR_INTERNAL, "curl_easy_init failed");
		goto fail;
	}
	protos = config_allows_http(c) ? "http,https" : "https";
	SETOPT(CURLOPT_PROTOCOLS_STR, protos);
	SETOPT(CURLOPT_REDIR_PROTOCOLS_STR, "https");
	SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
	SETOPT(CURLOPT_MAXREDIRS, 0L);
	SETOPT(CURLOPT_SSL_VERIFYPEER, 1L);
	SETOPT(CURLOPT_SSL_VERIFYHOST, 2L);
	SETOPT(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (c->cafile != NULL && c->cafile[0] != '\0') {
		SETOPT(CURLOPT_CAINFO, c->cafile);
		SETOPT(CURLOPT_PROXY_CAINFO, c->cafile);
	}
	/* An explicit proxy ("" = none) means libcurl never reads the
	 * *_proxy environment; an explicit NOPROXY overrides no_proxy. */
	SETOPT(CURLOPT_PROXY, c->proxy != NULL ? c->proxy : "");
	SETOPT(CURLOPT_NOPROXY, "");
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_CONNECTTIMEOUT_MS,
	    c->connect_timeout > 0 ? c->connect_timeout * 1000L : 10000L);
	SETOPT(CURLOPT_MAXFILESIZE, (long)BKEY_HTTP_BODY_MAX);
	SETOPT(CURLOPT_WRITEFUNCTION, write_cb);
	SETOPT(CURLOPT_WRITEDATA, h);
	SETOPT(CURLOPT_XFERINFOFUNCTION, xferinfo_cb);
	SETOPT(CURLOPT_XFERINFODATA, h);
	SETOPT(CURLOPT_NOPROGRESS, 0L);
	SETOPT(CURLOPT_USERAGENT, "bkey-approve/" BKEY_VERSION);
	SETOPT(CURLOPT_ERRORBUFFER, h->errbuf);
	SETOPT(CURLOPT_NETRC, (long)CURL_NETRC_IGNORED);
	SETOPT(CURLOPT_DEFAULT_PROTOCOL, "https");
	/* We never ask for compression: a compressed body stays raw (and
	 * fails as JSON) instead of being inflated past the cap. */
	SETOPT(CURLOPT_HTTP_CONTENT_DECODING, 0L);
	SETOPT(CURLOPT_OPENSOCKETFUNCTION, opensocket_cb);
	SETOPT(CURLOPT_OPENSOCKETDATA, h);
	SETOPT(CURLOPT_PREREQFUNCTION, prereq_cb);
	SETOPT(CURLOPT_PREREQDATA, h);
	return h;
fail:
	bkey_http_free(h);
	return NULL;
}

void
bkey_http_free(struct bkey_http *h)
{
	if (h == NULL)
		return;
	if (h->curl != NULL)
		curl_easy_cleanup(h->curl);
	/* A proxy URL may carry credentials. */
	bkey_free_secret(&h->proxy);
	sodium_memzero(h, sizeof(*h));
	free(h);
}

/* Wipe header strings (Authorization) before libcurl frees them. */
static void
free_headers(struct curl_slist *l)
{
	struct curl_slist *p;

	for (p = l; p != NULL; p = p->next)
		if (p->data != NULL)
			sodium_memzero(p->data, strlen(p->data));
	curl_slist_free_all(l);
}

static int
add_header(struct curl_slist **l, const char *s)
{
	struct curl_slist *n;

	if ((n = curl_slist_append(*l, s)) == NULL)
		return -1;
	*l = n;
	return 0;
}

static void form_escape(bkey_buf *b, const char *s);

/* RFC 6749 2.3.1: both parts form-url-encoded, joined by ':', base64. */
static int
basic_header(bkey_buf *hdr, const char *user, const char *pass)
{
	bkey_buf raw;
	char *b64 = NULL;
	size_t b64len;
	int rc = -1;

	bkey_buf_init(&raw, 8192);
	form_escape(&raw, user);
	bkey_buf_puts(&raw, ":");
	form_escape(&raw, pass);
	if (raw.failed)
		goto out;
	b64len = sodium_base64_ENCODED_LEN(raw.len,
	    sodium_base64_VARIANT_ORIGINAL);
	if ((b64 = malloc(b64len)) == NULL)
		goto out;
	sodium_bin2base64(b64, b64len, (const unsigned char *)raw.data, raw.len,
	    sodium_base64_VARIANT_ORIGINAL);
	bkey_buf_puts(hdr, "Authorization: Basic ");
	bkey_buf_puts(hdr, b64);
	rc = hdr->failed ? -1 : 0;
out:
	if (b64 != NULL) {
		sodium_memzero(b64, strlen(b64));
		free(b64);
	}
	bkey_buf_free(&raw);
	return rc;
}

static int
build_headers(const struct bkey_http_req *rq, struct curl_slist **out,
    bkey_error *err)
{
	struct curl_slist *l = NULL;
	bkey_buf line;
	int rc = -1;

	bkey_buf_init(&line, 16384);
	if (add_header(&l, "Accept: application/json") != 0)
		goto nomem;
	/* No "Expect: 100-continue" round trip. */
	if (add_header(&l, "Expect:") != 0)
		goto nomem;
	if (rq->body != NULL) {
		bkey_buf_printf(&line, "Content-Type: %s",
		    rq->content_type != NULL ?
			rq->content_type :
			"application/x-www-form-urlencoded");
		if (line.failed || add_header(&l, line.data) != 0)
			goto nomem;
		bkey_buf_reset(&line);
	}
	if (rq->bearer != NULL) {
		bkey_buf_puts(&line, "Authorization: Bearer ");
		bkey_buf_puts(&line, rq->bearer);
		if (line.failed || add_header(&l, line.data) != 0)
			goto nomem;
		bkey_buf_reset(&line);
	} else if (rq->basic_user != NULL && rq->basic_pass != NULL) {
		if (basic_header(&line, rq->basic_user, rq->basic_pass) != 0 ||
		    add_header(&l, line.data) != 0)
			goto nomem;
		bkey_buf_reset(&line);
	}
	*out = l;
	l = NULL;
	rc = 0;
	goto out;
nomem:
	bkey_seterr(err, BKEY_ERR_INTERNAL, "out of memory building headers");
out:
	bkey_buf_free(&line);
	free_headers(l);
	return rc;
}

/* The host part of a URL (or of a proxy "host:port"), brackets removed. */
static void
url_host(const char *url, char *out, size_t outsz)
{
	CURLU *u;
	char *host = NULL;
	size_t n;

	out[0] = '\0';
	if (url == NULL || (u = curl_url()) == NULL)
		return;
	if (curl_url_set(u, CURLUPART_URL, url,
		CURLU_GUESS_SCHEME | CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		n = strlen(host);
		if (n >= 2 && host[0] == '[' && host[n - 1] == ']')
			(void)snprintf(out, outsz, "%.*s", (int)(n - 2),
			    host + 1);
		else
			(void)snprintf(out, outsz, "%s", host);
	}
	curl_free(host);
	curl_url_cleanup(u);
}

/* Why the transfer failed: see netfail.h for what counts as unavailable. */
static int
classify(struct bkey_http *h, const struct bkey_http_req *rq, CURLcode cc,
    long long started_ms, bkey_error *err)
{
	struct bkey_netfail f;
	char host[256];
	long os_errno = 0;

	if (cc == CURLE_ABORTED_BY_CALLBACK && !h->resent &&
	    h->cancel != NULL && *h->cancel)
		return bkey_seterr(err, BKEY_ERR_CANCELLED, "cancelled");
	if (curl_easy_getinfo(h->curl, CURLINFO_OS_ERRNO, &os_errno) !=
	    CURLE_OK)
		os_errno = 0;
	url_host(cc == CURLE_COULDNT_RESOLVE_PROXY ? h->proxy : rq->url, host,
	    sizeof(host));
	memset(&f, 0, sizeof(f));
	f.code = cc;
	f.os_errno = os_errno;
	f.errbuf = h->errbuf;
	f.socket_errno = h->socket_errno;
	f.resent = h->resent;
	f.too_large = h->too_large;
	f.host = host;
	f.lookup_ms = rq->timeout_ms - (long)(bkey_now_ms() - started_ms);
	return bkey_netfail_classify(&f, err);
}

/* A redirect is never followed (its target might be anyone): say so. */
static int
refuse_redirect(struct bkey_http *h, long status, bkey_error *err)
{
	char *to = NULL;

	if (curl_easy_getinfo(h->curl, CURLINFO_REDIRECT_URL, &to) !=
		CURLE_OK ||
	    to == NULL)
		to = (char *)"(no Location)";
	return bkey_seterr(err, BKEY_ERR_PROTOCOL,
	    "HTTP %ld redirect to "
	    "%.120s not followed: the service must answer itself",
	    status, to);
}

/* A request we may send at all. 0 / -1 with err. */
static int
check_request(const struct bkey_http *h, const struct bkey_http_req *rq,
    bkey_error *err)
{
	if (h == NULL || rq == NULL || rq->url == NULL)
		return bkey_seterr(err, BKEY_ERR_INTERNAL, "bad http request");
	if (h->cancel != NULL && *h->cancel)
		return bkey_seterr(err, BKEY_ERR_CANCELLED, "cancelled");
	if (!bkey_url_allowed(rq->url))
		return bkey_seterr(err, BKEY_ERR_PROTOCOL,
		    "url not allowed (https, or http to loopback only): %s",
		    rq->url);
	return 0;
}

/* The per-request options: URL, headers, method and body, deadline. */
static int
set_request(struct bkey_http *h, const struct bkey_http_req *rq,
    struct curl_slist *hdrs, bkey_error *err)
{
	SETOPT(CURLOPT_URL, rq->url);
	SETOPT(CURLOPT_HTTPHEADER, hdrs);
	if (rq->body != NULL) {
		SETOPT(CURLOPT_POST, 1L);
		SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body_len);
		SETOPT(CURLOPT_POSTFIELDS, rq->body);
	} else {
		SETOPT(CURLOPT_HTTPGET, 1L);
	}
	SETOPT(CURLOPT_TIMEOUT_MS, rq->timeout_ms > 0 ? rq->timeout_ms : 1L);
	return 0;
fail:
	return -1;
}

/* The answer's Date header as a time, 0 when absent or unreadable. */
static time_t
response_date(CURL *curl)
{
	struct curl_header *hd;
	time_t t;

	if (curl_easy_header(curl, "Date", 0, CURLH_HEADER, -1, &hd) !=
	    CURLHE_OK)
		return 0;
	t = curl_getdate(hd->value, NULL);
	return t > 0 ? t : 0;
}

/* Whether any of the request was written to a connection. */
static int
request_sent(CURL *curl)
{
	long n = 0;

	return curl_easy_getinfo(curl, CURLINFO_REQUEST_SIZE, &n) == CURLE_OK &&
	    n > 0;
}

int
bkey_http_do(struct bkey_http *h, const struct bkey_http_req *rq,
    struct bkey_http_resp *resp, bkey_error *err)
{
	struct curl_slist *hdrs = NULL;
	CURLcode cc;
	long status = 0;
	long long started_ms;
	int rc = -1;

	resp->status = 0;
	resp->date = 0;
	resp->timed_out = 0;
	resp->sent = 0;
	bkey_buf_init(&resp->body, BKEY_HTTP_BODY_MAX + 1);
	if (check_request(h, rq, err) != 0 ||
	    build_headers(rq, &hdrs, err) != 0 ||
	    set_request(h, rq, hdrs, err) != 0)
		goto out;

	h->sink = &resp->body;
	h->too_large = h->sends = h->resent = h->socket_errno = 0;
	h->errbuf[0] = '\0';
	started_ms = bkey_now_ms();
	cc = curl_easy_perform(h->curl);
	h->sink = NULL;
	resp->sent = request_sent(h->curl);
	if (cc != CURLE_OK) {
		resp->timed_out = cc == CURLE_OPERATION_TIMEDOUT;
		classify(h, rq, cc, started_ms, err);
		goto out;
	}
	if (resp->body.failed) {
		bkey_seterr(err,
		    resp->body.overflow ? BKEY_ERR_PROTOCOL : BKEY_ERR_INTERNAL,
		    resp->body.overflow ? "response too large" :
					  "out of memory");
		goto out;
	}
	if (curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status) !=
		CURLE_OK ||
	    status < 100 || status > 599) {
		bkey_seterr(err, BKEY_ERR_PROTOCOL, "no HTTP status");
		goto out;
	}
	if (status >= 300 && status < 400) {
		refuse_redirect(h, status, err);
		goto out;
	}
	resp->status = status;
	resp->date = response_date(h->curl);
	rc = 0;
out:
	/* Forget the per-request pointers before their memory goes away. */
	if (h != NULL && h->curl != NULL) {
		(void)curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
		(void)curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, NULL);
		(void)curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)-1);
		h->sink = NULL;
	}
	free_headers(hdrs);
	if (rc != 0) {
		bkey_buf_free(&resp->body);
		bkey_buf_init(&resp->body, BKEY_HTTP_BODY_MAX + 1);
		resp->status = 0;
	}
	return rc;
}

#undef SETOPT

static int
unreserved(unsigned char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_' ||
	    ch == '~';
}

static void
form_escape(bkey_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char enc[3];
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (unreserved(*p)) {
			bkey_buf_append(b, p, 1);
			continue;
		}
		enc[0] = '%';
		enc[1] = hex[*p >> 4];
		enc[2] = hex[*p & 0x0f];
		bkey_buf_append(b, enc, 3);
	}
}

void
bkey_form_add(bkey_buf *b, const char *key, const char *value)
{
	if (b->len > 0)
		bkey_buf_puts(b, "&");
	form_escape(b, key != NULL ? key : "");
	bkey_buf_puts(b, "=");
	form_escape(b, value != NULL ? value : "");
}
