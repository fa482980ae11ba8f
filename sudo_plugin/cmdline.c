/* SPDX-License-Identifier: ISC */
/*
 * Command text for the phone and the logs (see cmdline.h). The person who
 * approves must see exactly which arguments will run: a newline, an escape
 * sequence, a right-to-left override or a no-break space inside an argument
 * could otherwise make "rm -rf /srv/old" look like something harmless.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"

#define ELLIPSIS	"\xe2\x80\xa6"	/* U+2026 */
#define ARROW		"\xe2\x86\x92"	/* U+2192 */

/* Length of the valid UTF-8 sequence at s (1..4), 0 if invalid. */
static size_t
u8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c;
	size_t len, i;

	if (n == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		c = s[0] & 0x07;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates, beyond U+10FFFF. */
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	*cp = c;
	return len;
}

/*
 * Code points that are invisible, look like a blank, or reorder text:
 * shown as \u escapes so nothing hides between or inside arguments.
 */
static int
u_hidden(uint32_t c)
{
	return (c >= 0x80 && c <= 0xa0) || c == 0xad || c == 0x34f ||
	    c == 0x61c || c == 0x115f || c == 0x1160 || c == 0x1680 ||
	    (c >= 0x17b4 && c <= 0x17b5) || (c >= 0x180b && c <= 0x180f) ||
	    (c >= 0x2000 && c <= 0x200f) || (c >= 0x2028 && c <= 0x202f) ||
	    (c >= 0x205f && c <= 0x206f) || c == 0x3000 || c == 0x3164 ||
	    (c >= 0xfe00 && c <= 0xfe0f) || c == 0xfeff || c == 0xffa0 ||
	    (c >= 0xfff0 && c <= 0xfffb) || (c >= 0x1d173 && c <= 0x1d17a) ||
	    (c >= 0xe0000 && c <= 0xe0fff) || (c & 0xfffe) == 0xfffe;
}

/*
 * Quotation-mark look-alikes: inside an argument, a "’" can read as the end
 * of a quoted word and make one argument look like two. Shown as \u
 * escapes too.
 */
static int
u_quote_like(uint32_t c)
{
	return c == 0xab || c == 0xb4 || c == 0xbb ||
	    (c >= 0x2b9 && c <= 0x2bc) || (c >= 0x2c8 && c <= 0x2cb) ||
	    c == 0x2ee || c == 0x5f3 || c == 0x5f4 || c == 0x1fef ||
	    c == 0x1ffd || (c >= 0x2018 && c <= 0x201f) ||
	    (c >= 0x2032 && c <= 0x2037) || c == 0x2039 || c == 0x203a ||
	    (c >= 0x275b && c <= 0x2760) || c == 0x2e42 ||
	    (c >= 0x301d && c <= 0x301f) || c == 0xa78b || c == 0xa78c ||
	    c == 0xff02 || c == 0xff07 || c == 0xff40;
}

/* Shown as an escape rather than as itself. */
static int
u_escaped(uint32_t c)
{
	return u_hidden(c) || u_quote_like(c);
}

static int
plain_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' && strchr("_@%+=:,./-", c)
	    != NULL);
}

/* 0 bare, 1 single quotes, 2 $'...' */
static int
quote_level(const unsigned char *s, size_t n)
{
	int level = 0;
	size_t i = 0, k;
	uint32_t cp;

	if (n == 0)
		return 1;
	while (i < n) {
		if (s[i] < 0x80) {
			if (s[i] < 0x20 || s[i] == 0x7f)
				return 2;
			if (!plain_byte(s[i]))
				level = 1;
			i++;
			continue;
		}
		if ((k = u8_next(s + i, n - i, &cp)) == 0 || u_escaped(cp))
			return 2;
		level = 1;
		i += k;
	}
	return level;
}

static void
put_hex(bkey_buf *b, const char *pfx, uint32_t v, int digits)
{
	static const char hex[] = "0123456789abcdef";
	char tmp[12];
	int i;

	bkey_buf_puts(b, pfx);
	for (i = digits - 1; i >= 0; i--) {
		tmp[i] = hex[v & 0xf];
		v >>= 4;
	}
	bkey_buf_append(b, tmp, (size_t)digits);
}

/* Quote the first n bytes of arg. */
static void
quote_n(bkey_buf *b, const char *arg, size_t n)
{
	const unsigned char *s = (const unsigned char *)arg;
	size_t i = 0, k;
	uint32_t cp;

	switch (quote_level(s, n)) {
	case 0:
		bkey_buf_append(b, s, n);
		return;
	case 1:
		bkey_buf_puts(b, "'");
		for (i = 0; i < n; i++) {
			if (s[i] == '\'')
				bkey_buf_puts(b, "'\\''");
			else
				bkey_buf_append(b, s + i, 1);
		}
		bkey_buf_puts(b, "'");
		return;
	default:
		break;
	}
	bkey_buf_puts(b, "$'");
	while (i < n) {
		unsigned char c = s[i];

		if (c < 0x80) {
			switch (c) {
			case '\n': bkey_buf_puts(b, "\\n"); break;
			case '\t': bkey_buf_puts(b, "\\t"); break;
			case '\r': bkey_buf_puts(b, "\\r"); break;
			case 0x1b: bkey_buf_puts(b, "\\e"); break;
			case '\\': bkey_buf_puts(b, "\\\\"); break;
			case '\'': bkey_buf_puts(b, "\\'"); break;
			default:
				if (c < 0x20 || c == 0x7f)
					put_hex(b, "\\x", c, 2);
				else
					bkey_buf_append(b, &c, 1);
			}
			i++;
			continue;
		}
		if ((k = u8_next(s + i, n - i, &cp)) == 0) {
			put_hex(b, "\\x", c, 2);
			i++;
			continue;
		}
		if (u_escaped(cp)) {
			if (cp > 0xffff)
				put_hex(b, "\\U", cp, 8);
			else
				put_hex(b, "\\u", cp, 4);
		} else
			bkey_buf_append(b, s + i, k);
		i += k;
	}
	bkey_buf_puts(b, "'");
}

void
cmd_quote(bkey_buf *b, const char *arg)
{
	if (arg == NULL)
		arg = "";
	quote_n(b, arg, strlen(arg));
}

const char *
cmd_basename(const char *path)
{
	const char *slash;

	if (path == NULL)
		return "";
	slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

size_t
cmd_cap(char *s, size_t max)
{
	size_t len = strlen(s), cut;

	if (len <= max || max < 4)
		return len <= max ? len : 0;
	cut = max - (sizeof(ELLIPSIS) - 1);
	/* Never leave half a character before the ellipsis. */
	while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
		cut--;
	memcpy(s + cut, ELLIPSIS, sizeof(ELLIPSIS));
	return cut + sizeof(ELLIPSIS) - 1;
}

char *const *
cmd_edit_files(char *const argv[], long nfiles)
{
	size_t i, argc = 0;

	if (argv == NULL || argv[0] == NULL)
		return argv;
	for (i = 1; argv[i] != NULL; i++)
		argc++;
	/* sudoedit_nfiles (API 1.21) names the last n elements. */
	if (nfiles > 0 && (size_t)nfiles <= argc)
		return argv + 1 + argc - (size_t)nfiles;
	for (i = 1; argv[i] != NULL; i++)
		if (strcmp(argv[i], "--") == 0)
			return argv + i + 1;
	return argv + 1;
}

/* Quote at most max+1 bytes of s: past max the text is cut anyway. */
static void
quote_capped(bkey_buf *b, const char *s, size_t max)
{
	if (s == NULL)
		s = "";
	quote_n(b, s, strnlen(s, max + 1));
}

/* Quoted words, each preceded by a space; stops early once over max. */
static void
put_args(bkey_buf *b, char *const *args, size_t max)
{
	for (; args != NULL && *args != NULL; args++) {
		bkey_buf_puts(b, " ");
		quote_capped(b, *args, max);
		if (b->len > max)
			break;	/* the rest would be cut */
	}
}

static char *
finish(bkey_buf *b, size_t max)
{
	char *s;

	if (b->failed) {
		bkey_buf_free(b);
		return NULL;
	}
	if ((s = bkey_buf_steal(b)) == NULL)
		s = strdup("");
	if (s != NULL)
		(void)cmd_cap(s, max);
	return s;
}

/*
 * The name shown for a command: its basename when it lives in a system
 * directory, else the whole path, so "psql" on the phone is never a
 * program the user planted elsewhere. "edit" is sudoedit's word: a
 * program of that name is always shown with its path.
 */
static const char *
display_name(const char *path)
{
	static const char *const dirs[] = { "/usr/bin", "/bin", "/usr/sbin",
	    "/sbin", "/usr/local/bin", "/usr/local/sbin" };
	const char *base = cmd_basename(path);
	size_t i, dl;

	if (path == NULL || base == path || strcmp(base, "edit") == 0)
		return path;
	dl = (size_t)(base - path) - 1;
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (strlen(dirs[i]) == dl && memcmp(path, dirs[i], dl) == 0)
			return base;
	return path;
}

/* The command's name: see struct cmd_view. */
static void
put_command(bkey_buf *b, const struct cmd_view *v, size_t max)
{
	const char *typed = v->typed != NULL ? v->typed : v->command;

	if (v->resolved != NULL && v->trusted) {
		/* Another spelling of the same name (/bin/x, /usr/bin/x) is
		 * shown once; a link to another program shows both. */
		if (strcmp(cmd_basename(typed), cmd_basename(v->resolved)) !=
		    0) {
			quote_capped(b, display_name(typed), max);
			bkey_buf_puts(b, " (");
			quote_capped(b, display_name(v->resolved), max);
			bkey_buf_puts(b, ")");
		} else
			quote_capped(b, display_name(v->resolved), max);
		return;
	}
	/* A path the caller can change: shown whole, and what it named. */
	quote_capped(b, v->command, max);
	if (v->resolved != NULL && strcmp(v->resolved, v->command) != 0) {
		bkey_buf_puts(b, " (now ");
		quote_capped(b, v->resolved, max);
		bkey_buf_puts(b, ")");
	}
}

/* "NAME=value" quoted, with the value cut to vmax bytes ("…" added). */
static void
put_env_word(bkey_buf *b, const char *e, size_t vmax)
{
	const char *eq = strchr(e, '=');
	size_t nlen = eq != NULL ? (size_t)(eq - e) + 1 : strlen(e);
	size_t vlen = strlen(e + nlen), cut;
	char *w;

	if (vlen <= vmax) {
		cmd_quote(b, e);
		return;
	}
	/* Never half a character before the ellipsis. */
	cut = vmax;
	while (cut > 0 && ((unsigned char)e[nlen + cut] & 0xc0) == 0x80)
		cut--;
	if ((w = malloc(nlen + cut + sizeof(ELLIPSIS))) == NULL) {
		b->failed = 1;
		return;
	}
	memcpy(w, e, nlen + cut);
	memcpy(w + nlen + cut, ELLIPSIS, sizeof(ELLIPSIS));
	cmd_quote(b, w);
	free(w);
}

/* All of env with every value cut to vmax bytes, into b. */
static void
put_env_words(bkey_buf *b, char *const *env, size_t vmax)
{
	char *const *e;

	for (e = env; e != NULL && *e != NULL; e++) {
		if (e != env)
			bkey_buf_puts(b, " ");
		put_env_word(b, *e, vmax);
	}
}

int
cmd_env_words(char *const *env, size_t max, char **out)
{
	bkey_buf b;
	size_t vmax = max;

	*out = NULL;
	/*
	 * Every name is shown: values are cut shorter and shorter (to
	 * nothing but "…") until all of them fit.
	 */
	for (;;) {
		bkey_buf_init(&b, max * 24 + 8192);
		put_env_words(&b, env, vmax);
		if (b.failed && !b.overflow) {
			bkey_buf_free(&b);
			return -1;
		}
		if (!b.failed && b.len <= max)
			break;
		bkey_buf_free(&b);
		if (vmax == 0)
			return 1;
		vmax /= 2;
	}
	if ((*out = bkey_buf_steal(&b)) == NULL)
		*out = strdup("");
	return *out != NULL ? 0 : -1;
}

/* " (env: WORDS)" for the message in at most max bytes, "" for none.
 * 0, 1 the names do not fit, -1 ENOMEM. */
static int
env_suffix(char *const *env, size_t max, char **out)
{
	static const char pre[] = " (env: ";
	char *words;
	int rc;

	*out = NULL;
	if (env == NULL || env[0] == NULL)
		return (*out = strdup("")) != NULL ? 0 : -1;
	if (max < sizeof(pre) + 1)
		return 1;
	if ((rc = cmd_env_words(env, max - sizeof(pre), &words)) != 0)
		return rc;
	if (asprintf(out, "%s%s)", pre, words) < 0) {
		*out = NULL;
		rc = -1;
	}
	free(words);
	return rc;
}

/* user → runas on host: command args (or edit files), in at most room. */
static char *
command_part(const struct cmd_view *v, size_t room)
{
	bkey_buf b;

	/* Room for the cut plus the last argument's quoting. */
	bkey_buf_init(&b, room * 24 + 8192);
	quote_capped(&b, v->user, room);
	bkey_buf_puts(&b, " " ARROW " ");
	quote_capped(&b, v->runas, room);
	bkey_buf_puts(&b, " on ");
	quote_capped(&b, v->host, room);
	bkey_buf_puts(&b, ":");
	if (v->edit_files != NULL) {
		bkey_buf_puts(&b, " edit");
		put_args(&b, v->edit_files, room);
	} else {
		bkey_buf_puts(&b, " ");
		put_command(&b, v, room);
		if (v->argv != NULL && v->argv[0] != NULL)
			put_args(&b, v->argv + 1, room);
	}
	return finish(&b, room);
}

#define CMD_PART_MIN	64	/* kept for the command when the env is long */

int
cmd_message(const struct cmd_view *v, size_t max, char **out)
{
	char *env = NULL, *cmd = NULL;
	int rc;

	*out = NULL;
	/*
	 * The variables are never cut away by a long command: they get
	 * half the message, or all but CMD_PART_MIN bytes when their names
	 * need it; if even that is too little, the message cannot be told.
	 */
	rc = env_suffix(v->env, max / 2, &env);
	if (rc == 1 && max > CMD_PART_MIN)
		rc = env_suffix(v->env, max - CMD_PART_MIN, &env);
	if (rc != 0)
		return rc;
	if ((cmd = command_part(v, max - strlen(env))) == NULL ||
	    asprintf(out, "%s%s", cmd, env) < 0) {
		*out = NULL;
		rc = -1;
	}
	free(cmd);
	free(env);
	return rc;
}

char *
cmd_full(const char *command_path, char *const argv[], size_t max)
{
	bkey_buf b;

	bkey_buf_init(&b, max * 24 + 8192);
	quote_capped(&b, command_path, max);
	if (argv != NULL && argv[0] != NULL)
		put_args(&b, argv + 1, max);
	return finish(&b, max);
}

char *
cmd_join_args(char *const *args)
{
	char *const *a;
	size_t len = 1, off = 0, n;
	char *s;

	for (a = args; a != NULL && *a != NULL; a++) {
		n = strlen(*a) + 1;
		if (n > SIZE_MAX - len)
			return NULL;
		len += n;
	}
	if ((s = malloc(len)) == NULL)
		return NULL;
	for (a = args; a != NULL && *a != NULL; a++) {
		n = strlen(*a);
		if (off > 0)
			s[off++] = ' ';
		memcpy(s + off, *a, n);
		off += n;
	}
	s[off] = '\0';
	return s;
}
