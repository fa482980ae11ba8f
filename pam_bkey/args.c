/* SPDX-License-Identifier: ISC */
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
#include "modopts.h"
#include "request.h"
#include "sanitize.h"
#include "pam_bkey.h"

#define GROUP_NAME_MAX	64

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

/* One of the module's own arguments: 0, or -1 bad or unknown. */
static int
own_arg(struct pbk_args *a, const char *arg)
{
	const char *v;

	if (strcmp(arg, "nouserok") == 0)
		a->nouserok = 1;
	else if ((v = bkey_modopt_value(arg, "scope")) != NULL) {
		if (!bkey_scope_valid(v))
			return -1;
		a->scope = v;
	} else if ((v = bkey_modopt_value(arg, "groups")) != NULL) {
		if (!groups_valid(v))
			return -1;
		a->groups = v;
	} else if ((v = bkey_modopt_value(arg, "cue")) != NULL) {
		if (strcmp(v, "auto") == 0)
			a->cue = PBK_CUE_AUTO;
		else if (strcmp(v, "info") == 0)
			a->cue = PBK_CUE_INFO;
		else if (strcmp(v, "prompt") == 0)
			a->cue = PBK_CUE_PROMPT;
		else if (strcmp(v, "none") == 0)
			a->cue = PBK_CUE_NONE;
		else
			return -1;
	} else if ((v = bkey_modopt_value(arg, "recovery")) != NULL) {
		if (strcmp(v, "allow") != 0)
			return -1;
		a->recovery = 1;
	} else if ((v = bkey_modopt_value(arg, "message")) != NULL) {
		if (pbk_message_check(v) != 0)
			return -1;
		a->message = v;
	} else
		return -1;
	return 0;
}

int
pbk_args_parse(pam_handle_t *pamh, int argc, const char **argv,
    struct pbk_args *a)
{
	struct bkey_modopts m;
	bkey_error err;
	char q[128];
	const char *arg = NULL;
	int i, r;

	memset(a, 0, sizeof(*a));
	memset(&m, 0, sizeof(m));
	memset(&err, 0, sizeof(err));
	a->scope = PBK_DEFAULT_SCOPE;
	a->message = PBK_DEFAULT_MESSAGE;
	a->cue = PBK_CUE_AUTO;
	for (i = 0; i < argc; i++) {
		if ((arg = argv[i]) == NULL)
			goto bad;
		r = bkey_modopt_take(&m, arg, &err);
		if (r < 0 || (r == 0 && own_arg(a, arg) != 0))
			goto bad;
	}
	bkey_modopts_defaults(&m);
	a->conf = m.conf;
	a->helper = m.helper;
	a->timeout = m.timeout;
	a->failmode_safe = m.failmode_safe;
	a->debug = m.debug;
	return PAM_SUCCESS;
bad:
	/* The argument comes from the admin's PAM file: quote it
	 * sanitized, capped. */
	bkey_sanitize_into(q, sizeof(q), arg ? arg : "(null)",
	    arg ? strlen(arg) : 6);
	pam_syslog(pamh, LOG_ERR, "invalid or unknown module argument "
	    "\"%s\"%s%s", q, err.detail[0] ? ": " : "", err.detail);
	return PAM_SERVICE_ERR;
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
