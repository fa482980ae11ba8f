/* SPDX-License-Identifier: ISC */
/*
 * bkey_users_lookup on a users file holding the input. The first line of
 * the input is the name looked up (not written to the file); the rest is
 * the file. Invariants: a found DID is valid per bkey_did_valid and
 * appears in the file; errors carry a sanitized FILE:LINE message.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sanitize.h"
#include "users.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char path[256];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char dir[] = "/tmp/bkey-fuzz-users.XXXXXX";

	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/users", dir);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	char user[64], *did = NULL;
	size_t ul, fl;
	bkey_error err;
	int fd, r;

	if (nl == NULL)
		return 0;
	ul = (size_t)(nl - data);
	if (ul >= sizeof(user))
		return 0;
	memcpy(user, data, ul);
	user[ul] = '\0';
	fl = size - ul - 1;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || fchmod(fd, 0644) != 0 ||
	    (fl > 0 && write(fd, nl + 1, fl) != (ssize_t)fl) || close(fd) != 0)
		abort();
	memset(&err, 0, sizeof(err));
	r = bkey_users_lookup(path, user, &did, &err);
	if (r == 0) {
		if (did == NULL || !bkey_did_valid(did) ||
		    memmem(nl + 1, fl, did, strlen(did)) == NULL)
			abort();
		free(did);
	} else if (r == 1) {
		if (did != NULL)
			abort();
	} else if (r == -1) {
		if (did != NULL || err.detail[0] == '\0' ||
		    !bkey_utf8_valid(err.detail, strlen(err.detail)))
			abort();
	} else {
		abort();
	}
	return 0;
}
