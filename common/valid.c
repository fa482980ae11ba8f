/* SPDX-License-Identifier: ISC */
/* The shapes of the names we accept from anyone (see valid.h). */
#include <string.h>

#include "valid.h"

int
bkey_username_valid(const char *s)
{
	size_t n, i;

	if (s == NULL)
		return 0;
	n = strlen(s);
	if (n == 0 || n > BKEY_USERNAME_MAX || s[0] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
		    ch == '-')
			continue;
		/* Samba machine accounts end in '$'. */
		if (ch == '$' && i == n - 1 && n > 1)
			continue;
		return 0;
	}
	return 1;
}

int
bkey_did_valid(const char *s)
{
	const char *p, *id;
	size_t n;

	if (s == NULL)
		return 0;
	n = strlen(s);
	if (n > BKEY_DID_MAX || strncmp(s, "did:", 4) != 0)
		return 0;
	for (p = s + 4; (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9');
	     p++)
		;
	if (p == s + 4 || *p != ':')
		return 0;
	id = ++p;
	for (; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
		    *p == ':' || *p == '%' || *p == '-')
			continue;
		return 0;
	}
	return p > id;
}

int
bkey_scope_valid(const char *s)
{
	size_t n, i;

	if (s == NULL)
		return 0;
	n = strlen(s);
	if (n == 0 || n > BKEY_SCOPE_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || c == ':' || c == '.' ||
			c == '_' || c == '-'))
			return 0;
	}
	return 1;
}
