/* SPDX-License-Identifier: ISC */
/*
 * A module that reaches for helper code (test_boundary.py). Built with
 * -DPROBE_STRAY it calls bkey_http_free, declared here because a module
 * cannot see helper/'s headers: the module link must refuse it. Without
 * it, the same recipe must link, so the refusal is the stray call's.
 */
#include <security/pam_modules.h>

#ifdef PROBE_STRAY
struct bkey_http;
void bkey_http_free(struct bkey_http *h);
#endif

PAM_EXTERN int
pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)pamh;
	(void)flags;
	(void)argc;
	(void)argv;
#ifdef PROBE_STRAY
	bkey_http_free((struct bkey_http *)0);
#endif
	return PAM_IGNORE;
}
