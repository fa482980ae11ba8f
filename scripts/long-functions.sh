#!/bin/sh
# SPDX-License-Identifier: ISC
# List the C functions longer than a limit (default 80 lines, from the
# line naming the function to its closing brace), longest first:
#   LINES FILE:LINE NAME
# Usage: scripts/long-functions.sh [-n LIMIT] [FILE|DIR]...
# (default: the product sources; tests/ are not product code).
# Needs Universal Ctags (package universal-ctags) for the end lines.
set -eu

limit=80
if [ "${1:-}" = "-n" ]; then
	limit=$2
	shift 2
fi
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- common helper cli pam_bkey sudo_plugin

if ! ctags --version 2>/dev/null | grep -q "Universal Ctags"; then
	echo "long-functions: Universal Ctags not found (scripts/install-deps.sh)" >&2
	exit 2
fi
find "$@" -name '*.c' | sort |
    xargs ctags --languages=C --kinds-C=f --fields=+ne -o - |
    awk -F '\t' -v limit="$limit" '
	{
		line = end = 0
		for (i = 4; i <= NF; i++) {
			if ($i ~ /^line:/) line = substr($i, 6)
			if ($i ~ /^end:/) end = substr($i, 5)
		}
		if (line == 0 || end == 0) {
			print "long-functions: no line/end for " $1 " in " $2 > "/dev/stderr"
			bad = 1
			next
		}
		n = end - line + 1
		if (n > limit) print n, $2 ":" line, $1
	}
	END { exit bad }' | sort -rn
