/* SPDX-License-Identifier: ISC */
/* The monotonic clock every deadline in pam_bkey is measured on. */
#ifndef BKEY_CLOCK_H
#define BKEY_CLOCK_H

/* CLOCK_MONOTONIC in milliseconds (0 if the clock cannot be read). */
long long bkey_now_ms(void);

#endif
