/* SPDX-License-Identifier: ISC */
/*
 * Making untrusted text safe for a log line, a terminal or a phone screen.
 * Removes C0 controls (including TAB, CR, LF), DEL, C1 controls (U+0080..
 * U+009F) and whole terminal escape sequences (ESC [ ... final, ESC ] ...
 * BEL/ST, other ESC x pairs; the 8-bit CSI U+009B likewise, and the 8-bit
 * string introducers U+0090/98/9D/9E/9F up to BEL/ST), the invisible
 * bidirectional and line-separator format characters (U+061C, U+200E/F,
 * U+202A..E, U+2066..9, U+2028/9) that can reorder what a user reads, replaces
 * invalid or overlong UTF-8 and surrogates with U+FFFD, and caps the
 * result at max bytes: a capped result ends in "…" (U+2026, 3 bytes) and
 * never splits a character.
 */
#ifndef BKEY_SANITIZE_H
#define BKEY_SANITIZE_H

#include <stddef.h>

#define BKEY_MESSAGE_MAX 256		/* binding message, bytes */
#define BKEY_DETAILS_MAX 2048		/* action_details JSON, bytes total */

/* Into dst (dstsz >= 4 bytes; result fits in dstsz-1 bytes plus NUL).
 * Returns strlen(dst). */
size_t bkey_sanitize_into(char *dst, size_t dstsz, const char *src,
    size_t srclen);
/*
 * Escaping instead of removing, where a person must see what was there
 * (a user name in a log line or on the phone): C0 controls, DEL and ESC
 * become \xHH, C1 controls and the invisible reordering characters above
 * \uHHHH, a backslash \\; valid UTF-8 is kept, invalid bytes become
 * U+FFFD, and the result is capped as above, never inside an escape. So
 * "ali\x01ce" is not logged as "alice". Into dst (dstsz >= 4), returns
 * strlen(dst).
 */
size_t bkey_escape_into(char *dst, size_t dstsz, const char *src,
    size_t srclen);
/* The same for one key=value log word: blank, '"' and '=' are escaped
 * too (\x20, \x22, \x3d), so a value cannot fake another field. */
size_t bkey_escape_word(char *dst, size_t dstsz, const char *src,
    size_t srclen);

/*
 * The two kinds of value in the modules' key=value log lines (one escaping
 * for both modules): a bare word (bkey_escape_word; "-" for NULL or
 * empty), and the text inside a "..." value, where '"' is written \" and a
 * backslash \\, so the value ends only at its closing quote.
 */
size_t bkey_log_word(char *dst, size_t dstsz, const char *src);
size_t bkey_log_quoted(char *dst, size_t dstsz, const char *src);

/* Fresh copy, at most max bytes plus NUL (max >= 3); NULL on ENOMEM. */
char *bkey_sanitize(const char *src, size_t srclen, size_t max);

/*
 * Sanitize an action_details object (raw JSON text). Keeps only members whose
 * values are strings or numbers (numbers are written back as given), sanitizes
 * keys (max 64 bytes) and string values, and drops members once the output
 * would exceed BKEY_DETAILS_MAX. Returns a malloc'd JSON object text, or NULL
 * with *bad set to 1 if json is not an object (0 on ENOMEM).
 */
char *bkey_sanitize_details(const char *json, size_t len, int *bad);

/* 1 if s[0..n) is well-formed UTF-8 (no overlongs, surrogates, > U+10FFFF). */
int bkey_utf8_valid(const char *s, size_t n);
/* 1 if s[0..n) is 1..max bytes of well-formed UTF-8 without C0 controls
 * or DEL: a value (a jti) safe to use as it is. */
int bkey_text_printable(const char *s, size_t n, size_t max);

#endif
