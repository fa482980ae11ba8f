/* SPDX-License-Identifier: ISC */
/*
 * bkey_config_load on a file holding the input (mode 0600, owned by us).
 * Invariants: success fills every field the header promises, with values
 * in range and URLs allowed; failure is BKEY_ERR_CONFIG/INTERNAL with a
 * sanitized message, the struct freed; no leaks (the secret is wiped).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "sanitize.h"
#include "users.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char path[256];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char dir[] = "/tmp/bkey-fuzz-config.XXXXXX";

	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/bkey.conf", dir);
	return 0;
}

static void
write_file(const uint8_t *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || fchmod(fd, 0600) != 0)
		abort();
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		abort();
	if (close(fd) != 0)
		abort();
}

static int
set(const char *s)
{
	return s != NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct bkey_config zero;
	struct bkey_config c;
	bkey_error err;

	write_file(data, size);
	memset(&err, 0, sizeof(err));
	if (bkey_config_load(&c, path, &err) != 0) {
		if (memcmp(&c, &zero, sizeof(c)) != 0 ||
		    err.detail[0] == '\0' || !bkey_utf8_valid(err.detail,
		    strlen(err.detail)) || (err.code != BKEY_ERR_CONFIG &&
		    err.code != BKEY_ERR_INTERNAL))
			abort();
		return 0;
	}
	if (!set(c.path) || !set(c.api_url) || !set(c.issuer) ||
	    !set(c.client_id) || !set(c.client_secret) ||
	    !set(c.bc_authorize_endpoint) || !set(c.token_endpoint) ||
	    !set(c.jwks_uri) || !set(c.audience) || !set(c.scope) ||
	    !set(c.users_file) || !set(c.state_dir) || !set(c.proxy) ||
	    !set(c.run_as))
		abort();
	if (!bkey_url_allowed(c.api_url) ||
	    !bkey_url_allowed(c.bc_authorize_endpoint) ||
	    !bkey_url_allowed(c.token_endpoint) ||
	    !bkey_url_allowed(c.jwks_uri))
		abort();
	if (c.timeout < 1 || c.timeout > 3600 || c.requested_expiry < 30 ||
	    c.requested_expiry > 600 || c.connect_timeout < 1 ||
	    c.connect_timeout > 120 || c.clock_leeway < 0 ||
	    c.clock_leeway > 300)
		abort();
	if (c.client_secret[0] == '\0' || c.client_id[0] == '\0' ||
	    (c.run_as[0] != '\0' && !bkey_username_valid(c.run_as)))
		abort();
	bkey_config_free(&c);
	return 0;
}
