/* SPDX-License-Identifier: ISC */
/* The options both modules share (common/modopts.c). */
#include "unit.h"
#include "modopts.h"

/* Parse args as a module would; the first refused one's index, or -1. */
static int
parse(struct bkey_modopts *o, const char *const args[], bkey_error *err)
{
	int i;

	memset(o, 0, sizeof(*o));
	memset(err, 0, sizeof(*err));
	for (i = 0; args[i] != NULL; i++)
		if (bkey_modopt_take(o, args[i], err) < 0)
			return i;
	bkey_modopts_defaults(o);
	return -1;
}

static void
takes_the_shared_options(void)
{
	const char *const all[] = { "conf=/etc/b.conf", "helper=/usr/h",
	    "timeout=3600", "failmode=safe", "debug", NULL };
	const char *const none[] = { NULL };
	struct bkey_modopts o;
	bkey_error e;

	CHECK(parse(&o, all, &e) == -1);
	CHECK_STR(o.conf, "/etc/b.conf");
	CHECK_STR(o.helper, "/usr/h");
	CHECK(o.timeout == 3600 && o.failmode_safe == 1 && o.debug == 1);
	CHECK(parse(&o, none, &e) == -1);
	CHECK_STR(o.conf, BKEY_DEFAULT_CONFIG);
	CHECK_STR(o.helper, BKEY_HELPER_PATH);
	CHECK(o.timeout == 0 && o.failmode_safe == 0 && o.debug == 0);
	/* Not one of them: left to the module. */
	memset(&o, 0, sizeof(o));
	CHECK(bkey_modopt_take(&o, "rules=/x", &e) == 0);
	CHECK(bkey_modopt_take(&o, "debug=1", &e) == 0);
	CHECK(bkey_modopt_take(&o, "confx=/x", &e) == 0);
	CHECK(o.seen == 0);
}

/* One rule for repeats in both modules: a second one is refused. */
static void
a_repeat_is_refused(void)
{
	const char *const reps[][3] = {
		{ "conf=/a", "conf=/b", NULL },
		{ "helper=/a", "helper=/a", NULL },
		{ "timeout=5", "timeout=6", NULL },
		{ "failmode=safe", "failmode=secure", NULL },
		{ "debug", "debug", NULL },
	};
	struct bkey_modopts o;
	bkey_error e;
	size_t i;

	for (i = 0; i < sizeof(reps) / sizeof(reps[0]); i++) {
		CHECK(parse(&o, reps[i], &e) == 1);
		CHECK(e.code == BKEY_ERR_USAGE);
		CHECK(strstr(e.detail, "twice") != NULL);
	}
}

static void
bad_values_are_refused(void)
{
	const char *const bad[] = { "conf=relative.conf", "helper=",
	    "timeout=0", "timeout=3601", "timeout=9x", "timeout=+5",
	    "timeout= 5", "timeout=", "timeout=99999999999999999999",
	    "failmode=open", "failmode=", NULL };
	const char *one[2] = { NULL, NULL };
	struct bkey_modopts o;
	bkey_error e;
	size_t i;

	for (i = 0; bad[i] != NULL; i++) {
		one[0] = bad[i];
		CHECK(parse(&o, one, &e) == 0);
		CHECK(e.code == BKEY_ERR_USAGE && e.detail[0] != '\0');
	}
	one[0] = "timeout=1";
	CHECK(parse(&o, one, &e) == -1 && o.timeout == 1);
}

int
main(void)
{
	unit_suite = "modopts";
	RUN(takes_the_shared_options);
	RUN(a_repeat_is_refused);
	RUN(bad_values_are_refused);
	UNIT_DONE();
}
