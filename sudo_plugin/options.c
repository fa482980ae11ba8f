/*
 * Plugin options and sudo's key=value vectors (see options.h).
 * sudo splits the Plugin line on blanks with no quoting, so every value is
 * one word; paths must be absolute, numbers plain decimal.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "spawn.h"
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

static int
set_path(char **slot, const char *opt, const char *val, char *errbuf,
    size_t errsz)
{
	if (*slot != NULL) {
		(void)snprintf(errbuf, errsz, "option %s= given twice", opt);
		return -1;
	}
	if (val[0] != '/') {
		(void)snprintf(errbuf, errsz,
		    "option %s= needs an absolute path", opt);
		return -1;
	}
	if ((*slot = strdup(val)) == NULL)
		return -2;
	return 0;
}

int
opts_parse(struct plugin_opts *o, char *const options[], char *errbuf,
    size_t errsz)
{
	int have_failmode = 0, have_timeout = 0, rc = -1;
	char *const *p;

	memset(o, 0, sizeof(*o));
	for (p = options; p != NULL && *p != NULL; p++) {
		const char *opt = *p;

		if (strncmp(opt, "conf=", 5) == 0) {
			if ((rc = set_path(&o->conf, "conf", opt + 5, errbuf,
			    errsz)) != 0)
				goto fail;
		} else if (strncmp(opt, "rules=", 6) == 0) {
			if ((rc = set_path(&o->rules, "rules", opt + 6, errbuf,
			    errsz)) != 0)
				goto fail;
		} else if (strncmp(opt, "helper=", 7) == 0) {
			if ((rc = set_path(&o->helper, "helper", opt + 7,
			    errbuf, errsz)) != 0)
				goto fail;
		} else if (strncmp(opt, "failmode=", 9) == 0) {
			rc = -1;
			if (have_failmode++) {
				(void)snprintf(errbuf, errsz,
				    "option failmode= given twice");
				goto fail;
			}
			if (strcmp(opt + 9, "secure") == 0)
				o->failmode_safe = 0;
			else if (strcmp(opt + 9, "safe") == 0)
				o->failmode_safe = 1;
			else {
				(void)snprintf(errbuf, errsz,
				    "failmode must be secure or safe");
				goto fail;
			}
		} else if (strncmp(opt, "timeout=", 8) == 0) {
			const char *v = opt + 8;
			char *end;
			long t;

			rc = -1;
			if (have_timeout++) {
				(void)snprintf(errbuf, errsz,
				    "option timeout= given twice");
				goto fail;
			}
			errno = 0;
			t = strtol(v, &end, 10);
			if (v[0] < '0' || v[0] > '9' || *end != '\0' ||
			    errno != 0 || t < 1 || t > BKEY_TIMEOUT_MAX) {
				(void)snprintf(errbuf, errsz,
				    "timeout must be 1.."
				    BKEY_STR(BKEY_TIMEOUT_MAX) " seconds");
				goto fail;
			}
			o->timeout = t;
		} else if (strcmp(opt, "debug") == 0) {
			o->debug = 1;
		} else {
			rc = -1;
			(void)snprintf(errbuf, errsz,
			    "unknown option '%.64s' (known: conf= rules= "
			    "helper= failmode= timeout= debug)", opt);
			goto fail;
		}
	}
	if (o->conf == NULL && (o->conf = strdup(BKEY_DEFAULT_CONFIG)) == NULL)
		goto oom;
	if (o->helper == NULL &&
	    (o->helper = strdup(BKEY_HELPER_PATH)) == NULL)
		goto oom;
	return 0;
oom:
	rc = -2;
fail:
	if (rc == -2)
		(void)snprintf(errbuf, errsz, "out of memory");
	opts_free(o);
	return rc;
}
