/* SPDX-License-Identifier: ISC */
/*
 * The users_ldap_* settings (bkey.conf(5)): what a directory URI, filter
 * and attribute may be, and the filter for one user (RFC 4515 escaping).
 * No libldap here: the config is also read by the modules.
 */
#ifndef BKEY_LDAPCONF_H
#define BKEY_LDAPCONF_H

#include <stddef.h>

#define BKEY_LDAP_FILTER_MAX 512

/* 0 if uri is ldaps://HOST[:PORT][/] or ldap://HOST[:PORT][/]; *starttls
 * is 1 for ldap:// to a host that is not loopback (StartTLS required). */
int bkey_ldap_uri_check(const char *uri, int *starttls);
/* 1 if f is "(...)" with "%u" exactly once and no other '%'. */
int bkey_ldap_filter_valid(const char *f);
/* 1 if a is an attribute name (a letter, then letters, digits, '-'). */
int bkey_ldap_attr_valid(const char *a);
/* f with %u replaced by user, escaped per RFC 4515: 0, or -1 if it does
 * not fit in out (outsz bytes). */
int bkey_ldap_filter_build(const char *f, const char *user, char *out,
    size_t outsz);

/* For listing every user (bkey-admin list): f with %u as "*" into out,
 * and the attribute in "(ATTR=%u)" that holds the name into attr. 0, or
 * -1 if f has no such term or a result does not fit. */
int bkey_ldap_filter_all(const char *f, char *out, size_t outsz, char *attr,
    size_t attrsz);

#endif
