/* SPDX-License-Identifier: ISC */
/*
 * The sudo rules parser and matcher (sudo_plugin/rules.c, compiled in
 * read-only). Input: rules text, then optionally a NUL byte and a subject
 * "user\0runas\0command\0cwd\0args" (the parser refuses NUL bytes, so the
 * first one ends the rules). Invariants: a parse error empties the set and
 * names FILE:LINE; rules_match never returns NULL, returns a rule of the
 * set or the built-in default, an approve rule always has a scope, and a
 * non-canonical command path never reaches an allow rule that names a
 * command.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
canonical(const char *p)
{
	return p[0] == '/' && strstr(p, "//") == NULL &&
	    strstr(p, "/./") == NULL && strstr(p, "/../") == NULL &&
	    (strlen(p) < 2 || strcmp(p + strlen(p) - 2, "/.") != 0) &&
	    (strlen(p) < 3 || strcmp(p + strlen(p) - 3, "/..") != 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rules rs;
	struct rule_subject s;
	const struct rule *r;
	const char *f[5] = { "alice", "root", "/usr/bin/ls", "/home/alice",
	    "" };
	gid_t gids[2] = { 0, 1000 };
	bkey_error rerr;
	char *copy;
	const uint8_t *nul = memchr(data, '\0', size);
	size_t rl = nul ? (size_t)(nul - data) : size, i, k;
	const char *p, *end;
	FILE *fp;

	/* glibc's regcomp copies the tree per nested repetition: "a++++..."
	 * eats gigabytes (reported, crashes/rules-regcomp-oom.txt). The rules
	 * file is root's, so keep regexes small here and fuzz our code. */
	for (i = 0, k = 0; i < rl; i++)
		k += data[i] == '+' || data[i] == '*' || data[i] == '?' ||
		    data[i] == '{';
	if (k > 6)
		return 0;
	if ((copy = malloc(size + 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	if (nul != NULL) {
		/* subject fields after the rules */
		p = copy + rl + 1;
		end = copy + size;
		for (k = 0; k < 5 && p <= end; k++) {
			f[k] = p;
			p += strlen(p) + 1;
		}
	}
	if ((fp = fmemopen(copy, rl ? rl : 1, "r")) == NULL)
		abort();
	if (rl == 0)
		(void)fgetc(fp);	/* empty file */
	memset(&rerr, 0, sizeof(rerr));
	if (rules_parse(&rs, fp, "rules", &rerr) != 0) {
		if (rs.n != 0 || rs.v != NULL ||
		    strncmp(rerr.detail, "rules", 5) != 0)
			abort();
		fclose(fp);
		free(copy);
		return 0;
	}
	fclose(fp);
	for (i = 0; i < rs.n; i++) {
		if (rs.v[i].action == RULE_APPROVE && rs.v[i].scope == NULL)
			abort();
		if (rs.v[i].line < 1)
			abort();
	}
	memset(&s, 0, sizeof(s));
	s.user = f[0];
	s.gids = gids;
	s.ngroups = 2;
	s.runas = f[1];
	s.command = f[2];
	s.cwd = f[3];
	s.args = f[4];
	r = rules_match(&rs, &s);
	if (r == NULL)
		abort();
	if (r->line != 0 && (r < rs.v || r >= rs.v + rs.n))
		abort();
	if (r->action == RULE_APPROVE && r->scope == NULL)
		abort();
	if (r->action == RULE_ALLOW && r->command != NULL &&
	    strcmp(s.command, "sudoedit") != 0 && !canonical(s.command))
		abort();
	(void)rules_action_name(r->action);
	rules_free(&rs);
	free(copy);
	return 0;
}
