/* SPDX-License-Identifier: ISC */
/* Drawing libqrencode's matrix with half blocks (see qr.h). */
#include <stdio.h>

#include <qrencode.h>

#include "qr.h"

#define QUIET 4

/* Dark module at (x, y), counting the quiet zone. */
static int
dark(const QRcode *q, int x, int y)
{
	x -= QUIET;
	y -= QUIET;
	if (x < 0 || y < 0 || x >= q->width || y >= q->width)
		return 0;
	return q->data[y * q->width + x] & 1;
}

int
admin_qr_print(FILE *f, const char *text)
{
	static const char *const cell[4] = { " ", "\u2584", "\u2580",
		"\u2588" };
	QRcode *q;
	int x, y, side;

	if ((q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1)) ==
	    NULL)
		return -1;
	side = q->width + 2 * QUIET;
	for (y = 0; y < side; y += 2) {
		for (x = 0; x < side; x++)
			(void)fputs(cell[dark(q, x, y) * 2 + dark(q, x, y + 1)],
			    f);
		(void)fputc('\n', f);
	}
	QRcode_free(q);
	return 0;
}
