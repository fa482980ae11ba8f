/* SPDX-License-Identifier: ISC */
/*
 * The sudo rules file (see rules.h and examples/sudo.rules).
 *
 *   [user=LIST] [runas=LIST] [command=GLOB] [args=ERE | iargs=ERE]
 *   [env=ERE] ACTION [OPTS]
 *   ACTION: approve [scope=SCOPE] [approver=UNIXNAME|DID] [remember=S] |
 *           allow |
 *           deny [reason=TEXT]
 *
 * Tokens are separated by blanks; a value may be written in double quotes
 * (\" and \\ are the only escapes inside them). A token that starts with '#'
 * ends the line. Every problem is an error naming FILE:LINE: a rules file
 * that is half understood must never be half applied.
 */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "account.h"
#include "cmdpath.h"
#include "fileperm.h"
#include "request.h"
#include "users.h"
#include "rules.h"

#define MAX_TOKENS	64

static const struct rule default_rule = {
	.line = 0,
	.action = RULE_APPROVE,
	.scope = (char *)RULES_DEFAULT_SCOPE,
};

/* A problem with the rules file: a configuration error. -1. */
static int
errf(bkey_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
errf(bkey_error *err, const char *fmt, ...)
{
	char msg[BKEY_DETAIL_MAX];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return bkey_seterr(err, BKEY_ERR_CONFIG, "%s", msg);
}

/* The line being read: every problem with it is "NAME:LINE: problem". */
struct line_ctx {
	const char *name;
	int lineno;
	bkey_error *err;
	int *uses_groups;	/* set when a user list names a group */
};

static int
lerr(const struct line_ctx *lc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
lerr(const struct line_ctx *lc, const char *fmt, ...)
{
	char msg[BKEY_DETAIL_MAX];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return errf(lc->err, "%s:%d: %s", lc->name, lc->lineno, msg);
}

void
rules_init(struct rules *rs)
{
	memset(rs, 0, sizeof(*rs));
}

static void
free_list(char **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void
rule_free(struct rule *r)
{
	free_list(r->users, r->nusers);
	free(r->user_gids);
	free_list(r->runas, r->nrunas);
	free(r->command);
	if (r->has_args)
		regfree(&r->args_re);
	if (r->has_env)
		regfree(&r->env_re);
	free(r->scope);
	free(r->approver);
	free(r->reason);
	memset(r, 0, sizeof(*r));
}

void
rules_free(struct rules *rs)
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		rule_free(&rs->v[i]);
	free(rs->v);
	free(rs->path);
	rules_init(rs);
}

const char *
rules_action_name(enum rule_action a)
{
	switch (a) {
	case RULE_APPROVE:
		return "approve";
	case RULE_ALLOW:
		return "allow";
	case RULE_DENY:
		return "deny";
	}
	return "?";
}

/*
 * Split a line into tokens, removing quotes. Returns the number of tokens
 * or -1 (err set). Tokens are malloc'd.
 */
static int
tokenize(const char *line, char **tok, int max, const struct line_ctx *lc)
{
	const char *p = line;
	int n = 0;

	for (;;) {
		size_t len = 0, cap;
		char *t;
		int quoted = 0;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '#')
			break;
		if (n == max)
			goto toomany;
		cap = strlen(p) + 1;
		if ((t = malloc(cap)) == NULL) {
			lerr(lc, "out of memory");
			goto fail;
		}
		tok[n++] = t;
		while (*p != '\0' && (quoted || (*p != ' ' && *p != '\t'))) {
			if (*p == '"') {
				quoted = !quoted;
				p++;
				continue;
			}
			if (quoted && *p == '\\' &&
			    (p[1] == '"' || p[1] == '\\')) {
				t[len++] = p[1];
				p += 2;
				continue;
			}
			if ((unsigned char)*p < 0x20 || *p == 0x7f) {
				lerr(lc, "control character in rule");
				goto fail;
			}
			t[len++] = *p++;
		}
		t[len] = '\0';
		if (quoted) {
			lerr(lc, "unterminated quote");
			goto fail;
		}
	}
	return n;
toomany:
	lerr(lc, "too many words");
fail:
	while (n > 0)
		free(tok[--n]);
	return -1;
}

/* The id in "#gid": 0 / -1 (not plain decimal, or not a usable gid). */
static int
parse_gid(const char *s, long long *gid)
{
	unsigned long long v;
	char *end;

	if (*s != '#' || !isdigit((unsigned char)s[1]))
		return -1;
	errno = 0;
	v = strtoull(s + 1, &end, 10);
	if (*end != '\0' || errno != 0 || v >= (gid_t)-1)
		return -1;
	*gid = (long long)v;
	return 0;
}

/* Comma-separated list of names ("*" for anyone); groups only for users. */
static int
parse_list(const char *val, int allow_groups, char ***out,
    long long **gids_out, size_t *nout, int *uses_groups)
{
	char **v = NULL;
	long long *gids = NULL;
	size_t n = 0, i;
	const char *p = val;

	if (*val == '\0')
		return -1;
	for (i = 0; val[i] != '\0'; i++)
		if (val[i] == ',')
			n++;
	if ((v = calloc(n + 1, sizeof(*v))) == NULL ||
	    (allow_groups && (gids = calloc(n + 1, sizeof(*gids))) == NULL))
		goto fail;
	n = 0;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		char *item;

		if (len == 0 || (item = strndup(p, len)) == NULL)
			goto fail;
		if (gids != NULL)
			gids[n] = -1;
		v[n++] = item;
		if (strcmp(item, "*") != 0) {
			if (item[0] == '%') {
				if (!allow_groups)
					goto fail;
				/* %#gid now; %name by rules_resolve_groups */
				if (item[1] == '#' ?
				    parse_gid(item + 1, &gids[n - 1]) != 0 :
				    !bkey_username_valid(item + 1))
					goto fail;
				*uses_groups = 1;
			} else if (!bkey_username_valid(item))
				goto fail;
		}
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	*out = v;
	*nout = n;
	if (gids_out != NULL)
		*gids_out = gids;
	return 0;
fail:
	free_list(v, n);
	free(gids);
	return -1;
}

/*
 * glibc's regcomp is exponential in stacked and nested repetition (20
 * "+" in a row took 1.7 s and 512 MB here), and sudo compiles the rules on
 * every run: refuse what no sensible rule needs. Escapes and bracket
 * expressions hold literals and are skipped. NULL if fine, else why not.
 */
#define RE_MAX_LEN		512
#define RE_MAX_QUANT		32	/* quantifiers in all */
#define RE_MAX_GROUP_QUANT	6	/* quantified groups */

/* p at '[': past the bracket expression, up to its closing ']' ("[]..."
 * and "[^]..." start with a literal ']'; [:class:] inside is literal). */
static const char *
skip_bracket(const char *p)
{
	p++;
	if (*p == '^')
		p++;
	if (*p == ']')
		p++;
	while (*p != '\0' && *p != ']') {
		if (*p == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
			char end = p[1];

			p += 2;
			while (*p != '\0' && !(p[0] == end && p[1] == ']'))
				p++;
			if (*p != '\0')
				p += 2;
			continue;
		}
		p++;
	}
	if (*p == ']')
		p++;
	return p;
}

/* *pp at '{': the bounds are digits and one comma, each <= 255. NULL with
 * *pp at the closing '}', else why not. */
static const char *
check_bounds(const char **pp)
{
	const char *p;
	long n = 0;

	for (p = *pp + 1; *p != '\0' && *p != '}'; p++) {
		if (*p == ',') {
			n = 0;
			continue;
		}
		if (*p < '0' || *p > '9')
			return "a bad {m,n} bound";
		n = n * 10 + (*p - '0');
		if (n > 255)
			return "a {m,n} bound over 255";
	}
	if (*p != '}')
		return "an unclosed {";
	*pp = p;
	return NULL;
}

static const char *
regex_too_complex(const char *re)
{
	const char *p = re;
	int quant = 0, group_quant = 0, after_atom = 0, after_quant = 0;
	const char *why;
	char prev = '\0';

	if (strlen(re) > RE_MAX_LEN)
		return "longer than 512 bytes";
	while (*p != '\0') {
		if (*p == '\\' && p[1] != '\0') {
			p += 2;
			after_atom = 1;
			after_quant = 0;
			prev = 'a';
			continue;
		}
		if (*p == '[') {
			p = skip_bracket(p);
			after_atom = 1;
			after_quant = 0;
			prev = 'a';
			continue;
		}
		if (*p == '*' || *p == '+' || *p == '?' || *p == '{') {
			if (after_quant)
				return "a repetition of a repetition";
			if (!after_atom && *p != '{')
				return "a repetition of nothing";
			if (++quant > RE_MAX_QUANT)
				return "more than 32 repetitions";
			if (prev == ')' && ++group_quant > RE_MAX_GROUP_QUANT)
				return "more than 6 repeated groups";
			if (*p == '{' && (why = check_bounds(&p)) != NULL)
				return why;
			p++;
			after_quant = 1;
			prev = '*';
			continue;
		}
		after_quant = 0;
		after_atom = *p != '(' && *p != '|';
		prev = *p;
		p++;
	}
	return NULL;
}

/* Compile an ERE for args=, iargs= or env=. 0 / -1. */
static int
compile_re(regex_t *re, const char *val, int icase, const struct line_ctx *lc)
{
	int flags = REG_EXTENDED | REG_NOSUB | (icase ? REG_ICASE : 0), rc;
	const char *why;
	char msg[128];

	if ((why = regex_too_complex(val)) != NULL)
		return lerr(lc, "regular expression too complex: %s", why);
	if ((rc = regcomp(re, val, flags)) != 0) {
		(void)regerror(rc, re, msg, sizeof(msg));
		return lerr(lc, "bad regular expression: %s", msg);
	}
	return 0;
}

static int
set_once(char **slot, const char *val, const char *key,
    const struct line_ctx *lc)
{
	if (*slot != NULL)
		return lerr(lc, "%s given twice", key);
	if ((*slot = strdup(val)) == NULL)
		return lerr(lc, "out of memory");
	return 0;
}

/* A key given twice, named by its whole token. */
static int
twice(const char *tok, const struct line_ctx *lc)
{
	return lerr(lc, "'%.40s' given twice", tok);
}

/*
 * One parser per key: the rule so far, the whole token ("user=a,b"), its
 * value and the line. 0 / -1.
 */
/* user= and runas=: a list given once; groups only for users. */
static int
key_list(const char *tok, const char *val, const struct line_ctx *lc,
    const char *what, char ***v, long long **gids, size_t *n)
{
	if (*v != NULL)
		return twice(tok, lc);
	if (parse_list(val, gids != NULL, v, gids, n, lc->uses_groups) != 0)
		return lerr(lc, "bad %s list '%.60s'", what, val);
	return 0;
}

static int
key_user(struct rule *r, const char *tok, const char *val,
    const struct line_ctx *lc)
{
	return key_list(tok, val, lc, "user", &r->users, &r->user_gids,
	    &r->nusers);
}

static int
key_runas(struct rule *r, const char *tok, const char *val,
    const struct line_ctx *lc)
{
	return key_list(tok, val, lc, "runas", &r->runas, NULL, &r->nrunas);
}

static int
key_command(struct rule *r, const char *tok, const char *val,
    const struct line_ctx *lc)
{
	(void)tok;
	if (*val == '\0' || (strchr(val, '/') != NULL && val[0] != '/'))
		return lerr(lc, "command must be a name or an absolute path "
		    "glob");
	return set_once(&r->command, val, "command", lc);
}

/* args= and iargs= (case-insensitive). */
static int
key_args(struct rule *r, const char *tok, const char *val,
    const struct line_ctx *lc)
{
	if (r->has_args)
		return twice(tok, lc);
	r->args_icase = tok[0] == 'i';
	if (compile_re(&r->args_re, val, r->args_icase, lc) != 0)
		return -1;
	r->has_args = 1;
	return 0;
}

static int
key_env(struct rule *r, const char *tok, const char *val,
    const struct line_ctx *lc)
{
	if (r->has_env)
		return twice(tok, lc);
	if (compile_re(&r->env_re, val, 0, lc) != 0)
		return -1;
	r->has_env = 1;
	return 0;
}

static int
key_scope(struct rule *r, const char *tok, const char *val,
    const struct line_ctx *lc)
{
	(void)tok;
	if (!bkey_scope_valid(val))
		return lerr(lc, "bad scope '%.60s'", val);
	return set_once(&r->scope, val, "scope", lc);
}

static int
key_approver(struct rule *r, const char *tok, const char *val,
    const struct line_ctx *lc)
{
	(void)tok;
	if (strncmp(val, "did:", 4) == 0 ? !bkey_did_valid(val) :
	    !bkey_username_valid(val))
		return lerr(lc, "approver must be a user name or a DID: "
		    "'%.60s'", val);
	return set_once(&r->approver, val, "approver", lc);
}

static int
key_reason(struct rule *r, const char *tok, const char *val,
    const struct line_ctx *lc)
{
	(void)tok;
	if (*val == '\0' || strlen(val) > RULES_REASON_MAX)
		return lerr(lc, "reason must be 1..%d bytes", RULES_REASON_MAX);
	return set_once(&r->reason, val, "reason", lc);
}

/* remember=SECONDS: 0..RULES_REMEMBER_MAX, plain digits. */
static int
key_remember(struct rule *r, const char *tok, const char *val,
    const struct line_ctx *lc)
{
	const char *p;
	long v = 0;

	if (r->has_remember)
		return twice(tok, lc);
	for (p = val; *p >= '0' && *p <= '9' && v <= RULES_REMEMBER_MAX; p++)
		v = v * 10 + (*p - '0');
	if (p == val || *p != '\0' || v > RULES_REMEMBER_MAX)
		return lerr(lc, "remember must be 0..%d seconds, not '%.20s'",
		    RULES_REMEMBER_MAX, val);
	r->remember = v;
	r->has_remember = 1;
	return 0;
}

static int
key_recovery(struct rule *r, const char *tok, const char *val,
    const struct line_ctx *lc)
{
	if (r->recovery != 0)
		return twice(tok, lc);
	if (strcmp(val, "allow") == 0)
		r->recovery = 1;
	else if (strcmp(val, "deny") == 0)
		r->recovery = -1;
	else
		return lerr(lc, "recovery must be allow or deny, not '%.40s'",
		    val);
	return 0;
}

#define KEY_SUBJECT	(-1)	/* a key of who and what, before the action */

/* Every key: where it may stand (before the action, or after the one
 * action it is an option of) and its parser. */
static const struct rule_key {
	const char *name;
	int when;		/* KEY_SUBJECT or an enum rule_action */
	int (*parse)(struct rule *, const char *, const char *,
	    const struct line_ctx *);
} rule_keys[] = {
	{ "user", KEY_SUBJECT, key_user },
	{ "runas", KEY_SUBJECT, key_runas },
	{ "command", KEY_SUBJECT, key_command },
	{ "args", KEY_SUBJECT, key_args },
	{ "iargs", KEY_SUBJECT, key_args },
	{ "env", KEY_SUBJECT, key_env },
	{ "scope", RULE_APPROVE, key_scope },
	{ "approver", RULE_APPROVE, key_approver },
	{ "remember", RULE_APPROVE, key_remember },
	{ "recovery", RULE_APPROVE, key_recovery },
	{ "reason", RULE_DENY, key_reason },
};

static const struct rule_key *
find_key(const char *t, size_t klen)
{
	size_t i;

	for (i = 0; i < sizeof(rule_keys) / sizeof(rule_keys[0]); i++)
		if (strlen(rule_keys[i].name) == klen &&
		    memcmp(rule_keys[i].name, t, klen) == 0)
			return &rule_keys[i];
	return NULL;
}

/* 1 and *a set if t is an action word, else 0. */
static int
action_word(const char *t, enum rule_action *a)
{
	if (strcmp(t, "approve") == 0)
		*a = RULE_APPROVE;
	else if (strcmp(t, "allow") == 0)
		*a = RULE_ALLOW;
	else if (strcmp(t, "deny") == 0)
		*a = RULE_DENY;
	else
		return 0;
	return 1;
}

/* One token of a rule: the action, or a key where it may stand. */
static int
parse_token(struct rule *r, const char *t, int *have_action,
    const struct line_ctx *lc)
{
	const char *eq = strchr(t, '=');
	const struct rule_key *k;
	int klen;

	if (!*have_action && action_word(t, &r->action)) {
		*have_action = 1;
		return 0;
	}
	if (eq == NULL || eq == t)
		return lerr(lc, "expected key=value or an action (approve, "
		    "allow, deny), got '%.40s'", t);
	klen = (int)(eq - t);
	if ((k = find_key(t, (size_t)klen)) == NULL)
		return lerr(lc, "unknown key in '%.40s'", t);
	if (!*have_action && k->when != KEY_SUBJECT)
		return lerr(lc, "%.*s= must follow the action", klen, t);
	if (*have_action && k->when == KEY_SUBJECT)
		return lerr(lc, "%.*s= must come before the action", klen, t);
	if (*have_action && k->when != (int)r->action)
		return lerr(lc, "unknown key in '%.40s'", t);
	return k->parse(r, t, eq + 1, lc);
}

/* What a whole rule must be, whatever order its keys came in. */
static int
check_rule(struct rule *r, const struct line_ctx *lc)
{
	/* A bare name matches a program of that name anywhere, for instance
	 * a copy of a shell in the user's home: never without an approval. */
	if (r->action == RULE_ALLOW && r->command != NULL &&
	    r->command[0] != '/' && strcmp(r->command, "sudoedit") != 0)
		return lerr(lc, "allow needs an absolute command path, not the "
		    "bare name '%.60s'", r->command);
	/* A command the caller set variables for is never allowed. */
	if (r->action == RULE_ALLOW && r->has_env)
		return lerr(lc, "env= cannot be used with allow (an allow "
		    "never applies when the caller sets variables)");
	if (r->action == RULE_APPROVE && r->scope == NULL &&
	    (r->scope = strdup(RULES_DEFAULT_SCOPE)) == NULL)
		return lerr(lc, "out of memory");
	return 0;
}

/* Interpret the tokens of one line into r. 0 / -1. */
static int
parse_rule(struct rule *r, char **tok, int ntok, const struct line_ctx *lc)
{
	int i, have_action = 0;

	memset(r, 0, sizeof(*r));
	r->line = lc->lineno;
	for (i = 0; i < ntok; i++)
		if (parse_token(r, tok[i], &have_action, lc) != 0)
			return -1;
	if (!have_action)
		return lerr(lc, "no action (approve, allow or deny)");
	return check_rule(r, lc);
}

/* One line into *r: 1 a rule, 0 nothing on it, -1 a problem (err set). */
static int
parse_line(struct rule *r, char *line, ssize_t len, const struct line_ctx *lc)
{
	char *tok[MAX_TOKENS];
	int ntok, rc;

	if ((size_t)len > RULES_LINE_MAX)
		return lerr(lc, "line too long");
	if (strlen(line) != (size_t)len)
		return lerr(lc, "NUL byte in line");
	ntok = tokenize(line, tok, MAX_TOKENS, lc);
	if (ntok <= 0)
		return ntok;
	rc = parse_rule(r, tok, ntok, lc);
	if (rc == 0)
		(void)crypto_generichash(r->text_hash, sizeof(r->text_hash),
		    (const unsigned char *)line, (size_t)len, NULL, 0);
	while (ntok > 0)
		free(tok[--ntok]);
	if (rc != 0) {
		rule_free(r);
		return -1;
	}
	return 1;
}

static int
add_rule(struct rules *rs, struct rule *r, size_t *vcap, bkey_error *err)
{
	if (rs->n == *vcap) {
		size_t ncap = *vcap ? *vcap * 2 : 8;
		struct rule *nv = reallocarray(rs->v, ncap, sizeof(*nv));

		if (nv == NULL) {
			rule_free(r);
			return errf(err, "%s: out of memory", rs->path);
		}
		rs->v = nv;
		*vcap = ncap;
	}
	rs->v[rs->n++] = *r;
	return 0;
}

/*
 * Every line of f. Without report the first problem ends it (-1); with
 * report each line problem goes there, the parse goes on and *nprob counts
 * them. -1 also for a problem with the whole file (read error, memory).
 */
static int
parse_stream(struct rules *rs, FILE *f, const char *name,
    rules_report_fn report, void *ctx, size_t *nprob, bkey_error *err)
{
	char *line = NULL;
	size_t cap = 0, vcap = 0;
	ssize_t len;
	int ret = -1;
	struct line_ctx lc;

	rules_init(rs);
	lc.name = name != NULL ? name : "(rules)";
	lc.lineno = 0;
	lc.err = err;
	lc.uses_groups = &rs->uses_groups;
	if ((rs->path = strdup(lc.name)) == NULL) {
		errf(err, "%s: out of memory", lc.name);
		goto out;
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		struct rule r;
		int rc;

		lc.lineno++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		rc = parse_line(&r, line, len, &lc);
		if (rc < 0 && report != NULL) {
			report(ctx, err->detail);
			(*nprob)++;
			memset(err, 0, sizeof(*err));
			continue;
		}
		if (rc < 0 || (rc > 0 && add_rule(rs, &r, &vcap, err) != 0))
			goto out;
	}
	if (ferror(f)) {
		errf(err, "%s: read error", lc.name);
		goto out;
	}
	ret = 0;
out:
	free(line);
	if (ret != 0)
		rules_free(rs);
	return ret;
}

int
rules_parse(struct rules *rs, FILE *f, const char *name, bkey_error *err)
{
	size_t nprob = 0;

	return parse_stream(rs, f, name, NULL, NULL, &nprob, err);
}

int
rules_check(FILE *f, const char *name, rules_report_fn report, void *ctx,
    bkey_error *err)
{
	struct rules rs;
	size_t nprob = 0;
	int rc;

	rc = parse_stream(&rs, f, name, report, ctx, &nprob, err);
	rules_free(&rs);
	if (rc != 0)
		return -1;
	return nprob > 0;
}

int
rules_load(struct rules *rs, const char *path, bkey_error *err)
{
	bkey_error oerr;
	FILE *f;
	int ret;

	rules_init(rs);
	memset(&oerr, 0, sizeof(oerr));
	if (path == NULL || path[0] != '/')
		return errf(err, "rules file must be an absolute path: %s",
		    path ? path : "(none)");
	if ((f = bkey_open_checked(path, 0, &oerr)) == NULL)
		return errf(err, "%s", oerr.detail[0] ? oerr.detail :
		    "cannot open the rules file");
	ret = rules_parse(rs, f, path, err);
	(void)fclose(f);
	return ret;
}

int
rules_resolve_groups(struct rules *rs, bkey_error *err)
{
	size_t i, j;

	for (i = 0; i < rs->n; i++) {
		struct rule *r = &rs->v[i];

		for (j = 0; j < r->nusers; j++) {
			const char *u = r->users[j];
			gid_t gid;
			int rc;

			if (u[0] != '%' || u[1] == '#')
				continue;
			rc = bkey_account_group(u + 1, &gid);
			if (rc < 0)
				return errf(err, "%s:%d: cannot look "
				    "up group %s", rs->path ? rs->path :
				    "(rules)", r->line, u + 1);
			r->user_gids[j] = rc == 0 ? (long long)gid : -1;
		}
	}
	return 0;
}

static int
name_in(char *const *list, size_t n, const char *name)
{
	size_t i;

	if (list == NULL)
		return 1;
	if (name == NULL)
		return 0;
	for (i = 0; i < n; i++)
		if (strcmp(list[i], "*") == 0 || strcmp(list[i], name) == 0)
			return 1;
	return 0;
}

static int
user_matches(const struct rule *r, const struct rule_subject *s)
{
	size_t i, j;

	if (r->users == NULL)
		return 1;
	for (i = 0; i < r->nusers; i++) {
		const char *u = r->users[i];

		if (strcmp(u, "*") == 0)
			return 1;
		if (u[0] != '%') {
			if (s->user != NULL && strcmp(u, s->user) == 0)
				return 1;
			continue;
		}
		/* -1: an unknown group, or one never resolved. */
		for (j = 0; r->user_gids[i] >= 0 && s->gids != NULL &&
		    j < s->ngroups; j++)
			if ((long long)s->gids[j] == r->user_gids[i])
				return 1;
	}
	return 0;
}

static int
command_matches(const struct rule *r, const char *cmd)
{
	const char *base;

	if (r->command == NULL)
		return 1;
	if (cmd == NULL)
		return 0;
	if (r->command[0] == '/')
		return fnmatch(r->command, cmd, FNM_PATHNAME) == 0;
	/* A bare name matches the last path component. */
	base = strrchr(cmd, '/');
	base = base ? base + 1 : cmd;
	return fnmatch(r->command, base, 0) == 0;
}

/* Some caller-set variable matches the rule's env= expression. */
static int
env_matches(const struct rule *r, char *const *env)
{
	for (; env != NULL && *env != NULL; env++)
		if (regexec(&r->env_re, *env, 0, NULL, 0) == 0)
			return 1;
	return 0;
}

static int
args_match(const struct rule *r, const char *args)
{
	return regexec(&r->args_re, args ? args : "", 0, NULL, 0) == 0;
}

/*
 * Every spelling of the command a deny or approve rule may match: as
 * sudo passed it, normalized by text, the resolved file. NULL-terminated.
 */
struct spellings {
	const char *v[4];
	char norm[CMDPATH_MAX];
};

static void
spellings_of(const struct rule_subject *s, struct spellings *sp)
{
	size_t n = 0;

	sp->v[n++] = s->command;
	/* "sudoedit" is a word, not a path. */
	if (s->command != NULL && strcmp(s->command, "sudoedit") != 0 &&
	    cmdpath_normalize(s->command, s->cwd, sp->norm,
	    sizeof(sp->norm)) == 0 && strcmp(sp->norm, s->command) != 0)
		sp->v[n++] = sp->norm;
	if (s->resolved != NULL)
		sp->v[n++] = s->resolved;
	sp->v[n] = NULL;
}

/* An allow rule: the resolved file, the absolute files, no caller env. */
static int
allow_matches(const struct rule *r, const struct rule_subject *s)
{
	int edit = s->command != NULL && strcmp(s->command, "sudoedit") == 0;

	if (s->env != NULL && s->env[0] != NULL)
		return 0;
	/* Even "allow anything": never a file the caller could change. */
	if (!edit && (!s->trusted || s->resolved == NULL))
		return 0;
	if (r->command != NULL && !command_matches(r, edit ? s->command :
	    s->resolved))
		return 0;
	return !r->has_args || args_match(r, edit && s->args_norm != NULL ?
	    s->args_norm : s->args);
}

/* A deny or approve rule: any spelling of the command and the files. */
static int
other_matches(const struct rule *r, const struct rule_subject *s,
    const struct spellings *sp)
{
	size_t i;

	if (r->has_env && !env_matches(r, s->env))
		return 0;
	if (r->has_args && !args_match(r, s->args) &&
	    (s->args_norm == NULL || !args_match(r, s->args_norm)))
		return 0;
	if (r->command == NULL)
		return 1;
	for (i = 0; sp->v[i] != NULL; i++)
		if (command_matches(r, sp->v[i]))
			return 1;
	return 0;
}

const struct rule *
rules_match(const struct rules *rs, const struct rule_subject *s)
{
	struct spellings sp;
	size_t i;

	spellings_of(s, &sp);
	for (i = 0; rs != NULL && i < rs->n; i++) {
		const struct rule *r = &rs->v[i];

		if (!user_matches(r, s) || !name_in(r->runas, r->nrunas,
		    s->runas))
			continue;
		if (r->action == RULE_ALLOW ? allow_matches(r, s) :
		    other_matches(r, s, &sp))
			return r;
	}
	return &default_rule;
}
