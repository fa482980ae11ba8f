/* SPDX-License-Identifier: ISC */
/*
 * Plugin options and sudo's key=value vectors (see options.h).
 * sudo splits the Plugin line on blanks with no quoting, so every value is
 * one word; paths must be absolute, numbers plain decimal.
 */
#include <stdlib.h>
#include <string.h>

#include "modopts.h"
#include "options.h"

const char *
kv_get(char *const vec[], const char *key)
{
	size_t klen = strlen(key);

	for (; vec != NULL && *vec != NULL; vec++)
		if (strncmp(*vec, key, klen) == 0 && (*vec)[klen] == '=')
			return *vec + klen + 1;
	return NULL;
}

void
opts_free(struct plugin_opts *o)
{
	free(o->conf);
	free(o->rules);
	free(o->helper);
	memset(o, 0, sizeof(*o));
}

/* recovery=allow: 1 taken, 0 not this option, -1 a bad value. */
static int
take_recovery(struct plugin_opts *o, const char *opt, bkey_error *err)
{
	if (strncmp(opt, "recovery=", 9) != 0)
		return 0;
	if (strcmp(opt + 9, "allow") != 0)
		return bkey_seterr(err, BKEY_ERR_USAGE,
		    "option recovery= takes only 'allow'");
	if (o->recovery)
		return bkey_seterr(err, BKEY_ERR_USAGE,
		    "option recovery= given twice");
	o->recovery = 1;
	return 1;
}

/*
 * Parse plugin_options: the shared options (common/modopts.h) and rules=.
 * Paths are copied: sudo's vector is not ours to keep.
 */
int
opts_parse(struct plugin_opts *o, char *const options[], bkey_error *err)
{
	struct bkey_modopts m;
	const char *rules = NULL;
	char *const *p;
	int r;

	memset(o, 0, sizeof(*o));
	memset(&m, 0, sizeof(m));
	for (p = options; p != NULL && *p != NULL; p++) {
		const char *opt = *p;

		if ((r = bkey_modopt_take(&m, opt, err)) < 0)
			return -1;
		if (r == 1)
			continue;
		if ((r = take_recovery(o, opt, err)) < 0)
			return -1;
		if (r == 1)
			continue;
		if (strncmp(opt, "rules=", 6) != 0)
			return bkey_seterr(err, BKEY_ERR_USAGE,
			    "unknown option '%.64s' (known: conf= rules= "
			    "helper= failmode= timeout= recovery= debug)", opt);
		if (rules != NULL)
			return bkey_seterr(err, BKEY_ERR_USAGE,
			    "option rules= given twice");
		if (opt[6] != '/')
			return bkey_seterr(err, BKEY_ERR_USAGE,
			    "option rules= needs an absolute path");
		rules = opt + 6;
	}
	bkey_modopts_defaults(&m);
	o->failmode_safe = m.failmode_safe;
	o->timeout = m.timeout;
	o->debug = m.debug;
	o->conf = strdup(m.conf);
	o->helper = strdup(m.helper);
	o->rules = rules != NULL ? strdup(rules) : NULL;
	if (o->conf == NULL || o->helper == NULL ||
	    (rules != NULL && o->rules == NULL)) {
		opts_free(o);
		return bkey_seterr(err, BKEY_ERR_INTERNAL, "out of memory");
	}
	return 0;
}
