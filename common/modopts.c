/* SPDX-License-Identifier: ISC */
/* The options both modules share (modopts.h). */
#include <string.h>

#include "config.h"
#include "modopts.h"
#include "request.h"
#include "spawn.h"

enum { SEEN_CONF = 1, SEEN_HELPER = 2, SEEN_TIMEOUT = 4, SEEN_FAILMODE = 8,
    SEEN_DEBUG = 16 };

const char *
bkey_modopt_value(const char *arg, const char *key)
{
	size_t n = strlen(key);

	if (strncmp(arg, key, n) == 0 && arg[n] == '=')
		return arg + n + 1;
	return NULL;
}

/* Plain decimal, 1 to BKEY_TIMEOUT_MAX: no sign, blank or suffix. */
static int
parse_timeout(const char *s, long *out)
{
	long v = 0;
	size_t i;

	if (s[0] == '\0')
		return -1;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 5)
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v < 1 || v > BKEY_TIMEOUT_MAX)
		return -1;
	*out = v;
	return 0;
}

static int
take_value(struct bkey_modopts *o, const char *name, const char *v,
    bkey_error *err)
{
	if (strcmp(name, "conf") == 0 || strcmp(name, "helper") == 0) {
		if (v[0] != '/')
			return bkey_seterr(err, BKEY_ERR_USAGE,
			    "option %s= needs an absolute path", name);
		if (name[0] == 'c')
			o->conf = v;
		else
			o->helper = v;
		return 1;
	}
	if (strcmp(name, "timeout") == 0) {
		if (parse_timeout(v, &o->timeout) != 0)
			return bkey_seterr(err, BKEY_ERR_USAGE,
			    "timeout must be 1..%d seconds",
			    BKEY_TIMEOUT_MAX);
		return 1;
	}
	if (strcmp(v, "secure") != 0 && strcmp(v, "safe") != 0)
		return bkey_seterr(err, BKEY_ERR_USAGE,
		    "failmode must be secure or safe");
	o->failmode_safe = strcmp(v, "safe") == 0;
	return 1;
}

int
bkey_modopt_take(struct bkey_modopts *o, const char *arg, bkey_error *err)
{
	static const struct { const char *name; unsigned int bit; } opts[] = {
		{ "conf", SEEN_CONF }, { "helper", SEEN_HELPER },
		{ "timeout", SEEN_TIMEOUT }, { "failmode", SEEN_FAILMODE },
	};
	const char *v;
	size_t i;

	if (strcmp(arg, "debug") == 0) {
		if (o->seen & SEEN_DEBUG)
			return bkey_seterr(err, BKEY_ERR_USAGE,
			    "option debug given twice");
		o->seen |= SEEN_DEBUG;
		o->debug = 1;
		return 1;
	}
	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		if ((v = bkey_modopt_value(arg, opts[i].name)) == NULL)
			continue;
		if (o->seen & opts[i].bit)
			return bkey_seterr(err, BKEY_ERR_USAGE,
			    "option %s= given twice", opts[i].name);
		o->seen |= opts[i].bit;
		return take_value(o, opts[i].name, v, err);
	}
	return 0;
}

void
bkey_modopts_defaults(struct bkey_modopts *o)
{
	if (o->conf == NULL)
		o->conf = BKEY_DEFAULT_CONFIG;
	if (o->helper == NULL)
		o->helper = BKEY_HELPER_PATH;
}
