/* SPDX-License-Identifier: ISC */
/*
 * The options both modules take (PAM module arguments, sudo.conf plugin
 * options): conf=, helper=, timeout=, failmode=, debug. One parser, one
 * rule for repeats: each is given at most once; a second one is an error,
 * never "the last one wins", since the two may disagree.
 */
#ifndef BKEY_MODOPTS_H
#define BKEY_MODOPTS_H

#include "result.h"

struct bkey_modopts {
	const char *conf;	/* conf=PATH (into the argument), or NULL */
	const char *helper;	/* helper=PATH, or NULL */
	long timeout;		/* timeout=SECONDS, 0: the config's */
	int failmode_safe;	/* failmode=safe (default secure) */
	int debug;
	unsigned int seen;	/* which were given (for repeats) */
};

/*
 * Take arg if it is one of the shared options. 1 taken, 0 not one of them
 * (the module's own, or unknown), -1 a bad value or a repeat, with err
 * (BKEY_ERR_USAGE) naming the option. Values point into arg.
 */
int bkey_modopt_take(struct bkey_modopts *o, const char *arg,
    bkey_error *err);

/* Value of "key=..." in arg, or NULL if arg has another key. */
const char *bkey_modopt_value(const char *arg, const char *key);

/* conf and helper for those not given: BKEY_DEFAULT_CONFIG and
 * BKEY_HELPER_PATH. */
void bkey_modopts_defaults(struct bkey_modopts *o);

#endif
