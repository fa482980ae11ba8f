/* SPDX-License-Identifier: ISC */
/*
 * The message= template: %u user, %h host, %r remote host, %s service,
 * %t tty, %% a percent sign. Unknown escapes are refused when the
 * arguments are parsed, so expansion never meets one.
 */
#include <string.h>

#include "buf.h"
#include "sanitize.h"
#include "pam_bkey.h"

static const char *
escape_value(char c, const struct pbk_items *it)
{
	switch (c) {
	case 'u':
		return it->user;
	case 'h':
		return it->host[0] ? it->host : "localhost";
	case 'r':
		return it->rhost[0] ? it->rhost : "local";
	case 's':
		return it->service;
	case 't':
		return it->tty[0] ? it->tty : "no tty";
	case '%':
		return "%";
	default:
		return NULL;
	}
}

int
pbk_message_check(const char *tmpl)
{
	static const struct pbk_items none;
	const char *p;

	if (tmpl == NULL || *tmpl == '\0')
		return -1;
	for (p = tmpl; *p; p++) {
		if (*p != '%')
			continue;
		if (p[1] == '\0' || escape_value(p[1], &none) == NULL)
			return -1;
		p++;
	}
	return 0;
}

void
pbk_message_expand(const char *tmpl, const struct pbk_items *it, char *dst,
    size_t dstsz)
{
	bkey_buf b;
	const char *p;

	/* Items are already sanitized; the whole is sanitized and capped
	 * again, since the template itself is only admin-trusted. */
	bkey_buf_init(&b, 64 * 1024);
	for (p = tmpl; *p; p++) {
		const char *v;

		if (*p == '%' && p[1] != '\0' &&
		    (v = escape_value(p[1], it)) != NULL) {
			bkey_buf_puts(&b, v);
			p++;
		} else
			bkey_buf_append(&b, p, 1);
	}
	if (b.failed || b.data == NULL)
		bkey_sanitize_into(dst, dstsz, "Log in", 6);
	else
		bkey_sanitize_into(dst, dstsz, b.data, b.len);
	bkey_buf_free(&b);
}
