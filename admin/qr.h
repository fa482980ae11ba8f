/* SPDX-License-Identifier: ISC */
/* A QR code drawn with text, for a phone to scan off the terminal. */
#ifndef BKEY_ADMIN_QR_H
#define BKEY_ADMIN_QR_H

#include <stdio.h>

/*
 * text as a QR code (libqrencode, level M) on f: two modules per
 * character cell, dark as U+2588/U+2580/U+2584, light as space, with a
 * four-module quiet zone. 0 / -1.
 */
int admin_qr_print(FILE *f, const char *text);

#endif
