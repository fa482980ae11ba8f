/* SPDX-License-Identifier: ISC */
/* The monotonic clock (see clock.h). Its own file so the modules can use
 * it without pulling in network code. */
#include <time.h>

#include "clock.h"

long long
bkey_now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
