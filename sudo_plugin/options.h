/* SPDX-License-Identifier: ISC */
/*
 * The plugin's options (the words after the path on the sudo.conf Plugin
 * line) and lookups in sudo's "key=value" vectors.
 */
#ifndef BKEY_SUDO_OPTIONS_H
#define BKEY_SUDO_OPTIONS_H

#include <stddef.h>

#include "result.h"

struct plugin_opts {
	char *conf;		/* conf=, default BKEY_DEFAULT_CONFIG */
	char *rules;		/* rules=, NULL: the default path if present */
	char *helper;		/* helper=, default BKEY_HELPER_PATH */
	int failmode_safe;	/* failmode=safe (default secure) */
	long timeout;		/* timeout=SECONDS, 0: the config's */
	int debug;		/* debug */
	int recovery;		/* recovery=allow: codes in an outage */
};

/*
 * Parse plugin_options (may be NULL). 0 on success; -1 with err:
 * BKEY_ERR_USAGE for an unknown or repeated option or a bad value,
 * BKEY_ERR_INTERNAL when out of memory. On failure o is left freed.
 */
int opts_parse(struct plugin_opts *o, char *const options[], bkey_error *err);
void opts_free(struct plugin_opts *o);

/* Value of "key=value" in a NULL-terminated vector, or NULL. */
const char *kv_get(char *const vec[], const char *key);

#endif
