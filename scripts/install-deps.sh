#!/bin/sh
# SPDX-License-Identifier: ISC
# Install the Debian 12 packages pam_bkey builds and tests with.
# Idempotent: does nothing when every package is already installed.
set -eu

PKGS="build-essential ca-certificates libpam0g-dev libcurl4-openssl-dev
libjsmn-dev libsodium-dev libssl-dev pamtester sudo libpam-wrapper libpamtest0-dev
libnss-wrapper python3 python3-nacl python3-cryptography python3-pexpect openssl openssh-server
openssh-client valgrind util-linux procps clang-format
mandoc universal-ctags libqrencode-dev zbar-tools
debhelper dpkg-dev fakeroot lintian debootstrap"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing:$missing (run as root to install)" >&2
	exit 1
fi

echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
