/* SPDX-License-Identifier: ISC */
/* What both verify benchmarks expect of their token. */
#ifndef BKEY_BENCH_COMMON_H
#define BKEY_BENCH_COMMON_H

#include <string.h>
#include <time.h>

#include "jwt.h"

static inline void
bench_want(struct bkey_jwt_expect *want, time_t now)
{
	memset(want, 0, sizeof(*want));
	want->issuer = "https://api.bkey.id";
	want->audience = "client";
	want->scope = "approve:login";
	want->sub = "did:bkey:alice";
	want->leeway = 30;
	want->now = now;
}

#endif
