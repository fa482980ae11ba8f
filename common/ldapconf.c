/* SPDX-License-Identifier: ISC */
/* The users_ldap_* settings (ldapconf.h). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "ldapconf.h"

#define URI_MAX 512

/* The host part is checked by the https/http rules (bkey_url_allowed):
 * ldaps:// as https://, ldap:// as http:// (loopback) else as https://. */
int
bkey_ldap_uri_check(const char *uri, int *starttls)
{
	char as_url[URI_MAX + 16];
	const char *rest;
	size_t n;
	int plain;

	*starttls = 0;
	if (uri == NULL || strlen(uri) > URI_MAX)
		return -1;
	if (strncasecmp(uri, "ldaps://", 8) == 0) {
		plain = 0;
		rest = uri + 8;
	} else if (strncasecmp(uri, "ldap://", 7) == 0) {
		plain = 1;
		rest = uri + 7;
	} else
		return -1;
	/* No DN, attributes or filter in the URI: only its own keys. */
	n = strcspn(rest, "/?#");
	if (rest[n] != '\0' && strcmp(rest + n, "/") != 0)
		return -1;
	if (plain) {
		(void)snprintf(as_url, sizeof(as_url), "http://%s", rest);
		if (bkey_url_allowed(as_url))
			return 0;
		*starttls = 1;
	}
	(void)snprintf(as_url, sizeof(as_url), "https://%s", rest);
	return bkey_url_allowed(as_url) ? 0 : -1;
}

int
bkey_ldap_filter_valid(const char *f)
{
	const char *p, *u;
	size_t n;

	if (f == NULL || (n = strlen(f)) < 4 || n > BKEY_LDAP_FILTER_MAX / 2 ||
	    f[0] != '(' || f[n - 1] != ')')
		return 0;
	for (p = f; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return 0;
	if ((u = strstr(f, "%u")) == NULL || strchr(u + 2, '%') != NULL)
		return 0;
	return strchr(f, '%') == u;
}

int
bkey_ldap_attr_valid(const char *a)
{
	const char *p;

	if (a == NULL || !isalpha((unsigned char)*a) || strlen(a) > 64)
		return 0;
	for (p = a; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '-')
			return 0;
	return 1;
}

/* One character of the value, escaped if RFC 4515 says so. */
static int
put_value_char(unsigned char c, char *out, size_t outsz, size_t *o)
{
	int esc = c == '*' || c == '(' || c == ')' || c == '\\' || c == 0 ||
	    c >= 0x80 || c < 0x20;
	size_t need = esc ? 3 : 1;

	if (*o + need >= outsz)
		return -1;
	if (esc)
		(void)snprintf(out + *o, 4, "\\%02x", c);
	else
		out[*o] = (char)c;
	*o += need;
	return 0;
}

int
bkey_ldap_filter_build(const char *f, const char *user, char *out, size_t outsz)
{
	const char *p, *u;
	size_t o = 0;

	if (outsz == 0 || !bkey_ldap_filter_valid(f) || user == NULL)
		return -1;
	for (p = f; *p != '\0'; p++) {
		if (p[0] == '%' && p[1] == 'u') {
			for (u = user; *u != '\0'; u++)
				if (put_value_char((unsigned char)*u, out,
					outsz, &o) != 0)
					goto toolong;
			p++;
			continue;
		}
		if (o + 1 >= outsz)
			goto toolong;
		out[o++] = *p;
	}
	out[o] = '\0';
	return 0;
toolong:
	out[0] = '\0';
	return -1;
}

int
bkey_ldap_filter_all(const char *f, char *out, size_t outsz, char *attr,
    size_t attrsz)
{
	const char *u, *a;
	int n;

	if (!bkey_ldap_filter_valid(f) || (u = strstr(f, "%u")) == NULL ||
	    u[2] != ')' || u - f < 3 || u[-1] != '=')
		return -1;
	for (a = u - 1; a > f && a[-1] != '('; a--)
		;
	if (a == f || (size_t)(u - 1 - a) >= attrsz)
		return -1;
	(void)snprintf(attr, attrsz, "%.*s", (int)(u - 1 - a), a);
	if (!bkey_ldap_attr_valid(attr))
		return -1;
	n = snprintf(out, outsz, "%.*s*%s", (int)(u - f), f, u + 2);
	return n < 0 || (size_t)n >= outsz ? -1 : 0;
}
