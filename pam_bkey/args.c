/* Module arguments and the groups= membership test. */
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "account.h"
#include "config.h"
#include "request.h"
#include "sanitize.h"
#include "spawn.h"
#include "pam_bkey.h"

#define GROUP_NAME_MAX	64

/* Value of "key=..." in arg, or NULL if arg has another key. */
static const char *
arg_value(const char *arg, const char *key)
{
	size_t n = strlen(key);

	if (strncmp(arg, key, n) == 0 && arg[n] == '=')
		return arg + n + 1;
	return NULL;
}

static int
parse_timeout(const char *s, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 1 ||
	    v > BKEY_TIMEOUT_MAX)
		return -1;
	*out = v;
	return 0;
}

static int
groups_valid(const char *s)
{
	const unsigned char *p;

	if (*s == '\0' || *s == ',')
		return 0;
	for (p = (const unsigned char *)s; *p; p++)
		if (*p < 0x21 || *p > 0x7e || *p == ':')
			return 0;
	return s[strlen(s) - 1] != ',';
}

int
pbk_args_parse(pam_handle_t *pamh, int argc, const char **argv,
    struct pbk_args *a)
{
	const char *v;
	int i;

	memset(a, 0, sizeof(*a));
	a->conf = BKEY_DEFAULT_CONFIG;
	a->scope = PBK_DEFAULT_SCOPE;
	a->message = PBK_DEFAULT_MESSAGE;
	a->helper = BKEY_HELPER_PATH;
	a->cue = PBK_CUE_AUTO;

	for (i = 0; i < argc; i++) {
		const char *arg = argv[i];

		if (arg == NULL)
			goto bad;
		if (strcmp(arg, "debug") == 0)
			a->debug = 1;
		else if (strcmp(arg, "nouserok") == 0)
			a->nouserok = 1;
		else if ((v = arg_value(arg, "conf")) != NULL) {
			if (v[0] != '/')
				goto bad;
			a->conf = v;
		} else if ((v = arg_value(arg, "helper")) != NULL) {
			if (v[0] != '/')
				goto bad;
			a->helper = v;
		} else if ((v = arg_value(arg, "scope")) != NULL) {
			if (!bkey_scope_valid(v))
				goto bad;
			a->scope = v;
		} else if ((v = arg_value(arg, "timeout")) != NULL) {
			if (parse_timeout(v, &a->timeout) != 0)
				goto bad;
		} else if ((v = arg_value(arg, "failmode")) != NULL) {
			if (strcmp(v, "secure") == 0)
				a->failmode_safe = 0;
			else if (strcmp(v, "safe") == 0)
				a->failmode_safe = 1;
			else
				goto bad;
		} else if ((v = arg_value(arg, "groups")) != NULL) {
			if (!groups_valid(v))
				goto bad;
			a->groups = v;
		} else if ((v = arg_value(arg, "cue")) != NULL) {
			if (strcmp(v, "auto") == 0)
				a->cue = PBK_CUE_AUTO;
			else if (strcmp(v, "info") == 0)
				a->cue = PBK_CUE_INFO;
			else if (strcmp(v, "prompt") == 0)
				a->cue = PBK_CUE_PROMPT;
			else if (strcmp(v, "none") == 0)
				a->cue = PBK_CUE_NONE;
			else
				goto bad;
		} else if ((v = arg_value(arg, "message")) != NULL) {
			if (pbk_message_check(v) != 0)
				goto bad;
			a->message = v;
		} else
			goto bad;
		continue;
bad:
		/* The argument comes from the admin's PAM file: quote it
		 * sanitized, capped. */
		{
			char q[128];

			bkey_sanitize_into(q, sizeof(q), arg ? arg : "(null)",
			    arg ? strlen(arg) : 6);
			pam_syslog(pamh, LOG_ERR,
			    "invalid or unknown module argument \"%s\"", q);
		}
		return PAM_SERVICE_ERR;
	}
	return PAM_SUCCESS;
}

int
pbk_user_in_groups(pam_handle_t *pamh, const char *user, const char *groups)
{
	const char *p = groups;
	gid_t base, *gids = NULL;
	int n = 0, found = 0, ret = PBK_GROUPS_LOOKUP_FAILED, i, r;

	/* A data base that cannot answer (LDAP down) is not "no such user":
	 * user_unknown=ignore in the stack would skip the module. */
	r = bkey_account_user(user, NULL, &base);
	if (r == 1)
		return PBK_GROUPS_NO_USER;
	if (r != 0) {
		pam_syslog(pamh, LOG_ERR, "groups=: user look-up failed");
		return PBK_GROUPS_LOOKUP_FAILED;
	}
	if (bkey_account_groups(user, base, &gids, &n) != 0) {
		pam_syslog(pamh, LOG_ERR, "groups=: cannot list the user's groups");
		goto out;
	}
	while (*p != '\0') {
		char name[GROUP_NAME_MAX + 1];
		size_t len = strcspn(p, ",");
		gid_t gid;

		if (len == 0 || len > GROUP_NAME_MAX) {
			pam_syslog(pamh, LOG_ERR, "groups=: bad group name");
			ret = PBK_GROUPS_BAD;
			goto out;
		}
		memcpy(name, p, len);
		name[len] = '\0';
		/* A misspelt group must not exempt everyone: fail closed. */
		r = bkey_account_group(name, &gid);
		if (r != 0) {
			pam_syslog(pamh, LOG_ERR, r == 1 ?
			    "groups=: unknown group %s" :
			    "groups=: look-up of group %s failed", name);
			ret = r == 1 ? PBK_GROUPS_BAD : PBK_GROUPS_LOOKUP_FAILED;
			goto out;
		}
		for (i = 0; i < n; i++)
			if (gids[i] == gid)
				found = 1;
		p += len;
		if (*p == ',')
			p++;
	}
	ret = found;
out:
	free(gids);
	return ret;
}
