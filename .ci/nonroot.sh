#!/usr/bin/env bash
# Runs the core, backend and CLI test suites as an unprivileged user (created here, once), on a copy of the
# tree and of root's Maven repository, offline. SANDBOX4J_REQUIRE names what an unprivileged JVM can run
# here (.ci/required-backends-nonroot): a skip of one of those fails the run; the others skip with their
# probe's reason (chroot and nspawn need root, the engines' sockets are root's).
# Usage: bash .ci/nonroot.sh [--user]   (--user prints the user's name and exits)
set -euo pipefail
cd "$(dirname "$0")/.."
user=sandbox4j-ci
if [ "${1:-}" = "--user" ]; then echo "$user"; exit 0; fi
id "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$user"
home=$(getent passwd "$user" | cut -d: -f6)
work="$home/tree"
rm -rf "$work"
mkdir -p "$work" "$home/.m2"
# the tree without build output or git metadata
tar --exclude='./.git' --exclude='./*/target' --exclude='./*/target-*' -cf - . | tar -C "$work" -xf -
rm -rf "$home/.m2/repository"
cp -a "${HOME:-/root}/.m2/repository" "$home/.m2/repository"
chown -R "$user:$user" "$work" "$home/.m2"
required="$(grep -v '^#' .ci/required-backends-nonroot | tr -s ' \n' ',' | sed 's/,$//')"
echo "== .ci/nonroot.sh: SANDBOX4J_REQUIRE=$required"
cd "$work"
runuser -u "$user" -- env -i HOME="$home" PATH="$PATH" LANG=C.UTF-8 SANDBOX4J_REQUIRE="$required" \
    mvn -B -o -pl core,backend-linux,backend-container,backend-vm,cli verify
