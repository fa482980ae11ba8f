/* SPDX-License-Identifier: ISC */
/*
 * Which file a command path really names. sudo passes the command as typed
 * ("/usr/bin//shred", "../bin/shred", "/bin/shred" on a merged /usr, a
 * symbolic link in the caller's home), and sudoedit the files as typed
 * ("shadow" in /etc, "/etc//shadow"). The rules must judge the file that
 * will run or be edited, whatever its spelling. Pure logic over the file
 * system (no sudo, no network), so the unit tests compile it directly.
 */
#ifndef BKEY_SUDO_CMDPATH_H
#define BKEY_SUDO_CMDPATH_H

#include <stddef.h>
#include <sys/stat.h>

#define CMDPATH_MAX	4096		/* longest path handled, with NUL */

/*
 * path (relative to cwd when not absolute) with empty, "." and ".."
 * components removed by text alone, into out. 0 / -1 (no absolute cwd,
 * too long).
 */
int cmdpath_normalize(const char *path, const char *cwd, char *out,
    size_t outsz);

/*
 * Resolve path (relative to cwd when not absolute) as the kernel would,
 * following every symbolic link, into out (the realpath), and *st (may be
 * NULL) of the file. *trusted is 1 when nobody but root can change what
 * the path names: every directory walked, every link followed and the
 * file itself are owned by root and not writable by group or others (a
 * sticky directory does not count: anyone may add a link of their own
 * there), and the file is not on a nosuid mount. 0 / -1 (errno: ENOENT,
 * ELOOP, ENAMETOOLONG, ENOTDIR; EXDEV for a link inside /proc, whose text
 * is not where it leads; ESTALE when the kernel opens another file than
 * the walk found).
 */
int cmdpath_resolve(const char *path, const char *cwd, char *out,
    size_t outsz, int *trusted, struct stat *st);

/*
 * A file for sudoedit, made absolute against cwd and normalized: the
 * directory part resolved (it exists if the edit is to work), the last
 * component kept as named (the file may not exist yet). A directory that
 * cannot be resolved is normalized by text. 0 / -1 (too long, no cwd).
 */
int cmdpath_edit_file(const char *file, const char *cwd, char *out,
    size_t outsz);

#endif
