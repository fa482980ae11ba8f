/* SPDX-License-Identifier: ISC */
/* The sanitizer for untrusted text, and action_details. */
#include "unit.h"
#include "sanitize.h"
#include "json.h"
#include "result.h"

#define ELL "\xe2\x80\xa6"
#define FFFD "\xef\xbf\xbd"

/* sanitize s (by strlen) with cap max; static result for comparisons */
static const char *
san(const char *s, size_t max)
{
	static char out[8192];
	char *r = bkey_sanitize(s, strlen(s), max);

	if (r == NULL)
		return "(null)";
	if (strlen(r) >= sizeof(out)) {
		free(r);
		return "(too long)";
	}
	memcpy(out, r, strlen(r) + 1);
	free(r);
	return out;
}

static void
plain_text_kept(void)
{
	CHECK_STR(san("Drop table users_archive", 256), "Drop table users_archive");
	CHECK_STR(san("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 256),
	    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	CHECK_STR(san("", 256), "");
	CHECK_STR(san("\xef\xbf\xbd", 256), FFFD);
}

static void
c0_del_c1_removed(void)
{
	CHECK_STR(san("a\tb\rc\nd\x01" "e\x7f" "f", 256), "abcdef");
	CHECK_STR(san("a\xc2\x80" "b\xc2\x85" "c\xc2\x9c" "d", 256), "abcd");
	/* NUL in the middle is a control too: length counts, not strlen */
	{
		char *r = bkey_sanitize("ab\0cd", 5, 64);

		CHECK_STR(r, "abcd");
		free(r);
	}
}

static void
escape_sequences_removed(void)
{
	CHECK_STR(san("\x1b[31mred\x1b[0m", 256), "red");
	CHECK_STR(san("a\x1b[1;31;48;5;196mb", 256), "ab");
	CHECK_STR(san("x\x1b[?1049hy", 256), "xy");
	CHECK_STR(san("x\x1b[2Jy\x1b[Hz", 256), "xyz");
	/* OSC title / hyperlink, BEL and ST terminated */
	CHECK_STR(san("a\x1b]0;pwned\x07" "b", 256), "ab");
	CHECK_STR(san("a\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\" "b", 256),
	    "alinkb");
	CHECK_STR(san("a\x1b]52;c;ZXZpbA==\xc2\x9c" "b", 256), "ab");
	/* unterminated OSC swallows the rest */
	CHECK_STR(san("a\x1b]0;title and more", 256), "a");
	/* DCS, APC, PM */
	CHECK_STR(san("a\x1bPq#0\x1b\\b\x1b_x\x1b\\c\x1b^y\x07" "d", 256), "abcd");
	/* 8-bit CSI and OSC */
	CHECK_STR(san("a\xc2\x9b" "31mb", 256), "ab");
	CHECK_STR(san("a\xc2\x9d" "0;t\x07" "b", 256), "ab");
	/* two-byte and charset sequences */
	CHECK_STR(san("a\x1b" "7b\x1b" "8c\x1b" "cd", 256), "abcd");
	CHECK_STR(san("a\x1b(Bb\x1b#8c", 256), "abc");
	/* lone or malformed ESC */
	CHECK_STR(san("ab\x1b", 256), "ab");
	CHECK_STR(san("a\x1b\x1b[31mb", 256), "ab");
	CHECK_STR(san("a\x1b[31\xc3\xa9" "b", 256), "a\xc3\xa9" "b");
	CHECK_STR(san("a\x1b[", 256), "a");
}

static void
invalid_utf8_replaced(void)
{
	/* overlong '/' */
	CHECK(strstr(san("a\xc0\xaf" "b", 256), "/") == NULL);
	CHECK_STR(san("a\xc0\xaf" "b", 256), "a" FFFD FFFD "b");
	CHECK_STR(san("a\xe0\x80\xaf" "b", 256), "a" FFFD FFFD FFFD "b");
	/* UTF-16 surrogate encoded in UTF-8 */
	CHECK_STR(san("a\xed\xa0\x80" "b", 256), "a" FFFD FFFD FFFD "b");
	/* above U+10FFFF, bytes never valid */
	CHECK_STR(san("\xf4\x90\x80\x80", 256), FFFD FFFD FFFD FFFD);
	CHECK_STR(san("\xff\xfe", 256), FFFD FFFD);
	/* truncated sequences: one replacement for the valid prefix */
	CHECK_STR(san("a\xe2\x82" "b", 256), "a" FFFD "b");
	CHECK_STR(san("a\xf0\x9f\x98", 256), "a" FFFD);
	/* stray continuation byte */
	CHECK_STR(san("\x80" "a", 256), FFFD "a");
	/* raw 8-bit CSI byte is not UTF-8: replaced, cannot act as CSI */
	CHECK_STR(san("a\x9b" "31mb", 256), "a" FFFD "31mb");
}

static void
bidi_controls_removed(void)
{
	CHECK_STR(san("abc\xe2\x80\xae" "fdp.exe", 256), "abcfdp.exe");
	CHECK_STR(san("x\xe2\x81\xa6y\xe2\x81\xa9z\xe2\x80\x8f", 256), "xyz");
	CHECK_STR(san("l1\xe2\x80\xa8l2", 256), "l1l2");
}

static void
cap_exact_boundaries(void)
{
	char in[300], exp[300];
	const char *r;

	/* exactly max bytes: unchanged */
	memset(in, 'a', 10);
	in[10] = '\0';
	CHECK_STR(san(in, 10), in);
	/* max + 1: 7 'a' + ellipsis = 10 bytes */
	memset(in, 'a', 11);
	in[11] = '\0';
	r = san(in, 10);
	CHECK_STR(r, "aaaaaaa" ELL);
	CHECK(strlen(r) == 10);
	/* smallest cap */
	CHECK_STR(san("abcd", 3), ELL);
	CHECK_STR(san("abc", 3), "abc");
	/* 2-byte chars: 5 x e9 is 10 bytes, fits max 10 */
	CHECK_STR(san("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 10),
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
	/* 6 x e9 (12 bytes) into 10: 3 chars (6) + ellipsis (3) = 9,
	 * never a split character */
	r = san("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 10);
	CHECK_STR(r, "\xc3\xa9\xc3\xa9\xc3\xa9" ELL);
	/* 4-byte chars: 3 emoji (12 bytes) into 11 -> 2 emoji + ell = 11,
	 * into 10 -> 1 emoji + ell = 7 */
	r = san("\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80", 11);
	CHECK_STR(r, "\xf0\x9f\x98\x80\xf0\x9f\x98\x80" ELL);
	r = san("\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80", 10);
	CHECK_STR(r, "\xf0\x9f\x98\x80" ELL);
	/* controls removed do not count toward the cap */
	memset(in, 'b', 8);
	memcpy(in + 8, "\x1b[31m\x1b[0m\n\t", 12);
	in[20] = '\0';
	CHECK_STR(san(in, 8), "bbbbbbbb");
	/* the message cap */
	memset(in, 'm', 257);
	in[257] = '\0';
	r = san(in, BKEY_MESSAGE_MAX);
	CHECK(strlen(r) == BKEY_MESSAGE_MAX);
	memset(exp, 'm', 253);
	memcpy(exp + 253, ELL, 4);
	CHECK_STR(r, exp);
	in[256] = '\0';
	CHECK_STR(san(in, BKEY_MESSAGE_MAX), in);
}

static void
sanitize_into_bounds(void)
{
	char d[8];
	size_t n;

	memset(d, 'X', sizeof(d));
	n = bkey_sanitize_into(d, sizeof(d), "abcdefghij", 10);
	CHECK(n == 7 && strlen(d) == 7);
	CHECK_STR(d, "abcd" ELL);
	n = bkey_sanitize_into(d, 4, "abcdefghij", 10);
	CHECK(n == 3);
	CHECK_STR(d, ELL);
	n = bkey_sanitize_into(d, 4, "ab", 2);
	CHECK(n == 2);
	CHECK_STR(d, "ab");
	n = bkey_sanitize_into(d, 2, "ab", 2);	/* too small: empty */
	CHECK(n == 0 && d[0] == '\0');
}

static void
big_hostile_input(void)
{
	char *in = malloc(4096), *r;
	size_t i;

	if (in == NULL)
		return;
	for (i = 0; i < 4096; i++)
		in[i] = (char)(i * 37 + 11);	/* every byte value */
	r = bkey_sanitize(in, 4096, 4096);
	CHECK(r != NULL);
	if (r != NULL) {
		CHECK(strlen(r) <= 4096);
		CHECK(bkey_utf8_valid(r, strlen(r)));
		for (i = 0; r[i]; i++) {
			unsigned char c = (unsigned char)r[i];

			CHECK(c >= 0x20 && c != 0x7f);
		}
		CHECK(strstr(r, "\xc2\x9b") == NULL);
		free(r);
	}
	r = bkey_sanitize(in, 4096, BKEY_MESSAGE_MAX);
	CHECK(r != NULL && strlen(r) <= BKEY_MESSAGE_MAX);
	free(r);
	/* 4 KiB of invalid bytes triples in size before the cap */
	memset(in, 0xff, 4096);
	r = bkey_sanitize(in, 4096, 100000);
	CHECK(r != NULL && strlen(r) == 3 * 4096);
	free(r);
	free(in);
}

static void
seterr_sanitizes(void)
{
	bkey_error e;
	char big[600];

	CHECK(bkey_seterr(&e, BKEY_ERR_PROTOCOL, "server said %s",
	    "\x1b[31mno\n") == -1);
	CHECK(e.code == BKEY_ERR_PROTOCOL);
	CHECK_STR(e.detail, "server said no");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	bkey_seterr(&e, BKEY_ERR_USAGE, "%s", big);
	CHECK(strlen(e.detail) == BKEY_DETAIL_MAX - 1);
	CHECK(strcmp(e.detail + BKEY_DETAIL_MAX - 4, ELL) == 0);
	CHECK(bkey_seterr(NULL, BKEY_ERR_USAGE, "x") == -1);
}

static void
result_mapping(void)
{
	CHECK(bkey_result_exit(BKEY_APPROVED) == 0);
	CHECK(bkey_result_exit(BKEY_DENIED) == 1);
	CHECK(bkey_result_exit(BKEY_EXPIRED) == 2);
	CHECK(bkey_result_exit(BKEY_ERR_UNAVAILABLE) == 3);
	CHECK(bkey_result_exit(BKEY_ERR_PROTOCOL) == 4);
	CHECK(bkey_result_exit(BKEY_ERR_TOKEN) == 4);
	CHECK(bkey_result_exit(BKEY_ERR_CANCELLED) == 5);
	CHECK(bkey_result_exit(BKEY_ERR_USAGE) == 64);
	CHECK(bkey_result_exit(BKEY_ERR_CONFIG) == 78);
	CHECK(bkey_result_exit(BKEY_ERR_INTERNAL) == 70);
	CHECK(bkey_result_exit((bkey_result)99) == 70);
	CHECK_STR(bkey_result_reason(BKEY_ERR_UNAVAILABLE), "unavailable");
	CHECK_STR(bkey_result_reason(BKEY_ERR_TOKEN), "token");
	CHECK_STR(bkey_result_reason((bkey_result)-5), "internal");
	CHECK(bkey_result_from_reason("cancelled") == BKEY_ERR_CANCELLED);
	CHECK(bkey_result_from_reason("config") == BKEY_ERR_CONFIG);
	CHECK(bkey_result_from_reason("Config") == BKEY_ERR_INTERNAL);
	CHECK(bkey_result_from_reason("") == BKEY_ERR_INTERNAL);
	CHECK(bkey_result_from_reason(NULL) == BKEY_ERR_INTERNAL);
}

static char *
det(const char *s, int *bad)
{
	return bkey_sanitize_details(s, strlen(s), bad);
}

static void
details_basic(void)
{
	int bad = 7;
	char *r;

	r = det("{\"type\":\"db\",\"amount\":12.50,\"n\":-3e2,\"o\":{\"x\":1},"
	    "\"a\":[1],\"t\":true,\"z\":null}", &bad);
	CHECK(bad == 0);
	CHECK_STR(r, "{\"type\":\"db\",\"amount\":12.50,\"n\":-3e2}");
	free(r);
	r = det("{}", &bad);
	CHECK_STR(r, "{}");
	free(r);
	r = det("{\"k\\u001b[31m\":\"v\\u001b]0;t\\u0007al\\n\"}", &bad);
	CHECK_STR(r, "{\"k\":\"val\"}");
	free(r);
	/* a key that sanitizes to nothing is dropped; so is a later key
	 * that sanitizes to one already written */
	r = det("{\"\\u001b\":\"x\",\"a\":\"1\",\"a\\n\":\"2\"}", &bad);
	CHECK_STR(r, "{\"a\":\"1\"}");
	free(r);
}

static void
details_rejects(void)
{
	int bad = 0;

	CHECK(det("[1,2]", &bad) == NULL && bad == 1);
	bad = 0;
	CHECK(det("\"str\"", &bad) == NULL && bad == 1);
	bad = 0;
	CHECK(det("{\"a\":1,\"a\":2}", &bad) == NULL && bad == 1);
	bad = 0;
	CHECK(det("{\"a\":\"\\ud800\"}", &bad) == NULL && bad == 1);
	bad = 0;
	CHECK(det("{\"a\":1", &bad) == NULL && bad == 1);
	bad = 0;
	CHECK(bkey_sanitize_details(NULL, 0, &bad) == NULL && bad == 1);
}

static void
details_caps(void)
{
	char in[8192], k[80];
	int bad, i, n = 0;
	char *r;
	bkey_json j;
	size_t len = 0;

	/* a 300-byte value is capped at 256; a 100-byte key at 64 */
	len = (size_t)snprintf(in, sizeof(in), "{\"");
	memset(in + len, 'k', 100);
	len += 100;
	len += (size_t)snprintf(in + len, sizeof(in) - len, "\":\"");
	memset(in + len, 'v', 300);
	len += 300;
	len += (size_t)snprintf(in + len, sizeof(in) - len, "\"}");
	r = bkey_sanitize_details(in, len, &bad);
	CHECK(r != NULL && bad == 0);
	if (r != NULL) {
		CHECK(bkey_json_parse(&j, r, strlen(r)) == 0);
		if (j.tok != NULL) {
			char *kk, *vv;

			CHECK(bkey_json_member_at(&j, 0, 0, &i, &n) == 0);
			CHECK(bkey_json_str(&j, i, &kk) == 0 && strlen(kk) == 64);
			CHECK(bkey_json_str(&j, n, &vv) == 0 && strlen(vv) == 256);
			CHECK(strcmp(kk + 61, ELL) == 0);
			CHECK(strcmp(vv + 253, ELL) == 0);
			free(kk);
			free(vv);
			bkey_json_free(&j);
		}
		free(r);
	}
	/* 40 members of ~270 bytes: total stays <= 2048, result valid,
	 * members dropped whole */
	len = (size_t)snprintf(in, sizeof(in), "{");
	for (i = 0; i < 25; i++) {
		len += (size_t)snprintf(in + len, sizeof(in) - len,
		    "%s\"key%02d\":\"", i ? "," : "", i);
		memset(in + len, 'a' + i % 26, 250);
		len += 250;
		in[len++] = '"';
	}
	in[len++] = '}';
	r = bkey_sanitize_details(in, len, &bad);
	CHECK(r != NULL && bad == 0);
	if (r != NULL) {
		CHECK(strlen(r) <= BKEY_DETAILS_MAX);
		CHECK(bkey_json_parse(&j, r, strlen(r)) == 0);
		n = bkey_json_size(&j, 0);
		/* each member is 2+5+1+252 = 260 bytes plus a comma */
		CHECK(n == 7);
		snprintf(k, sizeof(k), "key%02d", n - 1);
		CHECK(bkey_json_find(&j, 0, k) >= 0);
		bkey_json_free(&j);
		free(r);
	}
	/* after a big member is dropped, a small one still fits */
	len = (size_t)snprintf(in, sizeof(in), "{");
	for (i = 0; i < 8; i++) {
		len += (size_t)snprintf(in + len, sizeof(in) - len,
		    "\"b%d\":\"", i);
		memset(in + len, 'x', 250);
		len += 250;
		len += (size_t)snprintf(in + len, sizeof(in) - len, "\",");
	}
	len += (size_t)snprintf(in + len, sizeof(in) - len, "\"small\":1}");
	r = bkey_sanitize_details(in, len, &bad);
	CHECK(r != NULL && strlen(r) <= BKEY_DETAILS_MAX);
	CHECK(r != NULL && strstr(r, ",\"small\":1}") != NULL);
	free(r);
}

/* escape s[0..n) into a buffer of sz bytes (word: bkey_escape_word) */
static const char *
esc(const char *s, size_t n, size_t sz, int word)
{
	static char out[8192];
	size_t len;

	memset(out, 'Z', sizeof(out));
	len = word ? bkey_escape_word(out, sz, s, n) :
	    bkey_escape_into(out, sz, s, n);
	if (len != strlen(out) || (sz > 0 && len >= sz) ||
	    out[sz < sizeof(out) ? sz : 0] != 'Z')
		return "(overrun)";
	return out;
}

#define ESC(s, sz) esc((s), sizeof(s) - 1, (sz), 0)
#define WORD(s, sz) esc((s), sizeof(s) - 1, (sz), 1)

static void
escape_controls_visible(void)
{
	/* The case: not collapsed into another name. */
	CHECK_STR(ESC("ali\x01" "ce", 64), "ali\\x01ce");
	CHECK_STR(ESC("a\tb\rc\nd\x7f" "e\x1b" "f", 64),
	    "a\\x09b\\x0dc\\x0ad\\x7fe\\x1bf");
	CHECK_STR(ESC("ab\0cd", 64), "ab\\x00cd");
	/* C1 controls and invisible reordering characters, by code point */
	CHECK_STR(ESC("a\xc2\x85" "b\xc2\x9b" "c", 64), "a\\u0085b\\u009bc");
	CHECK_STR(ESC("x\xe2\x80\xae" "y\xe2\x80\x8f", 64),
	    "x\\u202ey\\u200f");
	/* The escape character itself, so the result reads back one way. */
	CHECK_STR(ESC("a\\x01", 64), "a\\\\x01");
	CHECK_STR(ESC("\\", 64), "\\\\");
	/* A whole escape sequence stays visible, byte by byte. */
	CHECK_STR(ESC("\x1b[2J", 64), "\\x1b[2J");
}

static void
escape_keeps_text(void)
{
	CHECK_STR(ESC("alice", 64), "alice");
	CHECK_STR(ESC("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 a=b \"q\"",
	    64), "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 a=b \"q\"");
	CHECK_STR(ESC("", 64), "");
	/* Invalid bytes, overlongs, surrogates: one U+FFFD each. */
	CHECK_STR(ESC("a\xff" "b\xc0\xaf" "c\xed\xa0\x80" "d", 64),
	    "a" FFFD "b" FFFD FFFD "c" FFFD FFFD FFFD "d");
	CHECK_STR(ESC("a\xe2\x82", 64), "a" FFFD);
}

static void
escape_word_is_one_field(void)
{
	CHECK_STR(WORD("FAKE outcome=approved \"x\"", 64),
	    "FAKE\\x20outcome\\x3dapproved\\x20\\x22x\\x22");
	CHECK_STR(WORD("a\\x20b", 64), "a\\\\x20b");
	CHECK_STR(WORD("ali\x01" "ce", 64), "ali\\x01ce");
	CHECK_STR(WORD("caf\xc3\xa9", 64), "caf\xc3\xa9");
}

static void
escape_capped_whole(void)
{
	char big[4096];

	/* Room for exactly the text: kept. One byte less: cut with "...". */
	CHECK_STR(ESC("abcdef", 7), "abcdef");
	CHECK_STR(ESC("abcdefg", 7), "abc" ELL);
	/* An escape is never split: "\x01" (4 bytes) fits whole or not. */
	CHECK_STR(ESC("ab\x01" "cdefgh", 10), "ab\\x01" ELL);
	CHECK_STR(ESC("abcde\x01", 8), "abcd" ELL);
	CHECK_STR(ESC("ab\x01" "c", 10), "ab\\x01c");
	CHECK_STR(ESC("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 8),
	    "\xc3\xa9\xc3\xa9" ELL);
	/* 4 KiB of controls: capped, no overrun, ends in the ellipsis. */
	memset(big, '\x01', sizeof(big));
	{
		const char *r = esc(big, sizeof(big), 128, 0);

		CHECK(strlen(r) <= 127);
		CHECK(strlen(r) >= 3 &&
		    strcmp(r + strlen(r) - 3, ELL) == 0);
		CHECK(strncmp(r, "\\x01\\x01", 8) == 0);
	}
	/* Degenerate buffers */
	CHECK(bkey_escape_into(NULL, 0, "a", 1) == 0);
	{
		char tiny[3] = "xx";

		CHECK(bkey_escape_into(tiny, sizeof(tiny), "abc", 3) == 0 &&
		    tiny[0] == '\0');
		CHECK(bkey_escape_into(tiny, sizeof(tiny), NULL, 0) == 0);
	}
}

/* The modules' log values: a word cannot fake a field, a quoted value
 * ends only at its closing quote, names stay visibly distinct. */
static void
log_values(void)
{
	char buf[128];

	bkey_log_word(buf, sizeof(buf), NULL);
	CHECK_STR(buf, "-");
	bkey_log_word(buf, sizeof(buf), "");
	CHECK_STR(buf, "-");
	bkey_log_word(buf, sizeof(buf), "ali\x01" "ce x=\"y\"");
	CHECK_STR(buf, "ali\\x01ce\\x20x\\x3d\\x22y\\x22");
	bkey_log_quoted(buf, sizeof(buf), "echo \"a\\b\" x=1\n");
	CHECK_STR(buf, "echo \\\"a\\\\b\\\" x=1\\x0a");
	bkey_log_quoted(buf, sizeof(buf), NULL);
	CHECK_STR(buf, "");
}

int
main(void)
{
	unit_suite = "sanitize";
	RUN(plain_text_kept);
	RUN(escape_controls_visible);
	RUN(escape_keeps_text);
	RUN(escape_word_is_one_field);
	RUN(escape_capped_whole);
	RUN(c0_del_c1_removed);
	RUN(escape_sequences_removed);
	RUN(invalid_utf8_replaced);
	RUN(bidi_controls_removed);
	RUN(cap_exact_boundaries);
	RUN(sanitize_into_bounds);
	RUN(big_hostile_input);
	RUN(seterr_sanitizes);
	RUN(result_mapping);
	RUN(details_basic);
	RUN(details_rejects);
	RUN(details_caps);
	RUN(log_values);
	UNIT_DONE();
}
