/* SPDX-License-Identifier: ISC */
/* The network side's directory in state_dir (see workdir.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "ciba.h"
#include "fileperm.h"
#include "sanitize.h"
#include "workdir.h"

static int held_fd = -1;

/* STATE_DIR/helper under sfd, made 0700 if missing. */
static int
make_sub(int sfd, const char *shown, bkey_error *err)
{
	if (mkdirat(sfd, BKEY_WORKDIR, 0700) != 0 && errno != EEXIST)
		return bkey_seterr(err, bkey_errno_code(errno),
		    "%s: cannot create: %s", shown, strerror(errno));
	return 0;
}

/* state_dir, with root's checks (owned by root or us, written by no one
 * else); shown gets the helper directory's path for messages. */
static int
open_state(const char *state_dir, char *shown, size_t shownsz, bkey_error *err)
{
	if (state_dir == NULL || state_dir[0] == '\0')
		return bkey_seterr(err, BKEY_ERR_CONFIG, "state_dir is empty");
	(void)snprintf(shown, shownsz, "%s/" BKEY_WORKDIR, state_dir);
	return bkey_open_dir_checked(AT_FDCWD, state_dir, 1, state_dir, err);
}

int
bkey_workdir_hold(const char *state_dir, uid_t uid, gid_t gid, bkey_error *err)
{
	char shown[1024];
	struct stat st;
	int sfd, fd = -1;

	/* As root: state_dir must be root's alone. */
	if ((sfd = open_state(state_dir, shown, sizeof(shown), err)) < 0)
		return -1;
	if (make_sub(sfd, shown, err) == 0 &&
	    (fd = openat(sfd, BKEY_WORKDIR,
		 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		bkey_seterr(err, bkey_errno_code(errno), "%s: cannot open: %s",
		    shown,
		    errno == ELOOP ? "a symbolic link" : strerror(errno));
	(void)close(sfd);
	if (fd < 0)
		return -1;
	/* Only root can have made it (state_dir is root's): whoever it
	 * belonged to before, it is run_as's now. */
	if (fstat(fd, &st) != 0 ||
	    ((st.st_uid != uid || st.st_gid != gid) &&
		fchown(fd, uid, gid) != 0) ||
	    ((st.st_mode & 07777) != 0700 && fchmod(fd, 0700) != 0)) {
		bkey_seterr(err, BKEY_ERR_CONFIG,
		    "%s: cannot give it to uid %lu: %s", shown,
		    (unsigned long)uid, strerror(errno));
		(void)close(fd);
		return -1;
	}
	if (held_fd >= 0)
		(void)close(held_fd);
	held_fd = fd;
	return 0;
}

int
bkey_workdir_open(const char *state_dir, uid_t owner, bkey_error *err)
{
	char shown[1024];
	int sfd, fd = -1;

	if (held_fd >= 0) {
		if ((fd = fcntl(held_fd, F_DUPFD_CLOEXEC, 0)) < 0)
			return bkey_seterr(err, BKEY_ERR_INTERNAL, "dup: %s",
			    strerror(errno));
		return fd;
	}
	if ((sfd = open_state(state_dir, shown, sizeof(shown), err)) < 0)
		return -1;
	/* Made only by whom it is for; root looking on creates nothing. */
	if (owner != geteuid() || make_sub(sfd, shown, err) == 0)
		fd = bkey_open_dir_owned(sfd, BKEY_WORKDIR, 0, owner, shown,
		    err);
	(void)close(sfd);
	return fd;
}

void
bkey_state_warn(const char *what, const char *detail)
{
	char raw[768], clean[768];

	(void)snprintf(raw, sizeof(raw), "%s: %s", what, detail);
	bkey_sanitize_into(clean, sizeof(clean), raw, strlen(raw));
	bkey_ciba_debug("%s", clean);
	(void)fprintf(stderr, "bkey-approve: warning: %s\n", clean);
	openlog("bkey-approve", LOG_PID, LOG_AUTHPRIV);
	syslog(LOG_WARNING, "warning: %s", clean);
	closelog();
}
