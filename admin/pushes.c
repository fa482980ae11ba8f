/* SPDX-License-Identifier: ISC */
/* bkey-admin pushes USER [--reset]: the pushes push_limit counts for
 * USER on this host (helper/pushlimit.c), shown or cleared. */
#include <stdio.h>
#include <time.h>

#include "admin.h"
#include "config.h"
#include "../helper/pushlimit.h"

static void
show(const struct bkey_config *c, const char *user, size_t n, long long oldest)
{
	long long left = oldest + c->push_window - (long long)time(NULL);

	(void)printf("%s: %zu of %ld pushes in the last %ld s", user, n,
	    c->push_max, c->push_window);
	if (n > 0)
		(void)printf("; the oldest leaves the window in %lld s",
		    left > 0 ? left : 0);
	(void)printf("\n");
}

int
admin_pushes(const struct admin_opts *o)
{
	struct bkey_config cfg;
	bkey_error err = { 0 };
	long long oldest;
	size_t n;
	int status = 0;

	if (bkey_config_load_public(&cfg, o->config, &err) != 0) {
		admin_problem(err.detail);
		return bkey_result_exit(err.code);
	}
	if (cfg.push_max <= 0) {
		(void)printf("push_limit is off: pushes are not counted\n");
		goto out;
	}
	if (bkey_push_count(&cfg, o->user, o->reset, &n, &oldest, &err) != 0) {
		admin_problem(err.detail);
		status = bkey_result_exit(err.code);
		goto out;
	}
	show(&cfg, o->user, n, oldest);
	if (o->reset) {
		admin_log_change("push count reset", o->user, "-");
		(void)printf("%s: count cleared\n", o->user);
	}
out:
	if (status == 0 && fflush(stdout) != 0)
		status = 70;
	bkey_config_free(&cfg);
	return status;
}
