/* SPDX-License-Identifier: ISC */
/* Internal interfaces of pam_bkey.so (nothing here is exported). */
#ifndef PAM_BKEY_H
#define PAM_BKEY_H

#include <security/pam_modules.h>
#include "account.h"		/* bkey_account_name */
#include "result.h"

#define PBK_DEFAULT_SCOPE	"approve:login"
#define PBK_DEFAULT_MESSAGE	"Log in as %u to %h from %r (%s)"
#define PBK_DEADLINE_MARGIN_S	5	/* beyond timeout, for the helper's own exit */
#define PBK_ITEM_MAX		256	/* one sanitized PAM item, bytes with NUL */

enum pbk_cue { PBK_CUE_AUTO = 0, PBK_CUE_INFO, PBK_CUE_PROMPT, PBK_CUE_NONE };

struct pbk_args {
	const char *conf;	/* conf=, default BKEY_DEFAULT_CONFIG */
	const char *scope;	/* scope=, default approve:login */
	long timeout;		/* timeout=, 0 = the config's */
	int failmode_safe;	/* failmode=safe */
	int recovery;		/* recovery=allow: break-glass codes */
	int nouserok;
	const char *groups;	/* groups=, comma-separated, NULL = everyone */
	enum pbk_cue cue;
	const char *message;	/* message= template */
	const char *helper;	/* helper=, default BKEY_HELPER_PATH */
	int debug;
};

/* PAM items as a person may read them (bkey_escape_into: controls
 * escaped visibly, never deleted, so "ali\x01ce" is not "alice"; capped);
 * "" when unset. raw_*: the values as PAM holds them, for the log line's
 * own escaping (valid during the call only). */
struct pbk_items {
	char user[PBK_ITEM_MAX];
	char service[PBK_ITEM_MAX];
	char host[PBK_ITEM_MAX];
	char rhost[PBK_ITEM_MAX];
	char tty[PBK_ITEM_MAX];
	const char *raw_user, *raw_service, *raw_rhost;
};

/* args.c: PAM_SUCCESS, or PAM_SERVICE_ERR after logging the bad argument. */
int pbk_args_parse(pam_handle_t *pamh, int argc, const char **argv,
    struct pbk_args *a);
/* 1 if the user is in one of the comma-separated groups, 0 if not, or
 * (logged) PBK_GROUPS_BAD: a group is unknown, PBK_GROUPS_NO_USER: the
 * user is unknown to the system, PBK_GROUPS_LOOKUP_FAILED: the user or
 * group data base could not answer. */
#define PBK_GROUPS_BAD		(-1)
#define PBK_GROUPS_NO_USER	(-2)
#define PBK_GROUPS_LOOKUP_FAILED (-3)
int pbk_user_in_groups(pam_handle_t *pamh, const char *user,
    const char *groups);

/* recover.c: ask for a break-glass code (at most PBK_RECOVERY_TRIES) and
 * have bkey-approve check it for user. BKEY_APPROVED: a code was burned,
 * *remaining left; BKEY_ERR_RATE_LIMITED: the user's codes are locked
 * out (asked no more); else a denial or an error (err says why). */
#define PBK_RECOVERY_TRIES	3
#define PBK_RECOVERY_PROMPT	"BKey is unreachable. Recovery code: "
#define PBK_RECOVERY_LOCKED	"Recovery codes locked out after too many " \
	"wrong ones; ask an administrator."
bkey_result pbk_recover(pam_handle_t *pamh, const struct pbk_args *a,
    const char *user, long timeout, long *remaining, bkey_error *err);

/* message.c: 0 if every % escape in tmpl is known, else -1. */
int pbk_message_check(const char *tmpl);
/* Expand tmpl into dst (sanitized, capped at BKEY_MESSAGE_MAX bytes). */
void pbk_message_expand(const char *tmpl, const struct pbk_items *it,
    char *dst, size_t dstsz);

/* cue.c: show the code. PAM_SUCCESS, or the conversation's failure. */
int pbk_cue_show(pam_handle_t *pamh, const struct pbk_args *a, int flags,
    const char *service, const char *code);
/* A short error line to the user (skipped with PAM_SILENT or cue=none). */
void pbk_cue_error(pam_handle_t *pamh, const struct pbk_args *a, int flags,
    const char *text);
/* The cue the module uses for this service (auto resolved). */
enum pbk_cue pbk_cue_effective(const struct pbk_args *a, const char *service);

#endif
