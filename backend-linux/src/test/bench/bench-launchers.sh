#!/bin/sh
# Start-up cost of the zero-install paths, side by side: (a) the s4j-launch C launcher and (b) the
# util-linux prototype, each building the same view (/usr, /etc/passwd, /proc, /dev, tmpfs /tmp, the
# workspace) and running /bin/true; bubblewrap and a bare /bin/true for scale when present.
#
# usage (as root): bench-launchers.sh PATH/TO/s4j-launch [RUNS]
#   the launcher is built by the module's build at target*/classes/dev/sandbox4j/linux/native/linux-x86_64/
set -eu
launcher=$1
runs=${2:-50}
here=$(cd "$(dirname "$0")" && pwd)
ws=$(mktemp -d)
trap 'rm -rf "$ws" "$ws.json"' EXIT
view="--ro-bind /usr /usr --symlink usr/bin /bin --symlink usr/lib /lib --symlink usr/lib64 /lib64 --symlink usr/sbin /sbin"
view="$view --ro-bind /etc/passwd /etc/passwd --proc /proc --dev /dev --tmpfs /tmp 67108864 1777 --bind-own $ws /workspace --remount-ro /"
a="$launcher --uid 65534 --gid 65534 --chdir /workspace --setenv PATH=/usr/bin:/bin --rlimit nofile=256 --rlimit fsize=67108864 $view -- true"
b="$here/util-linux-launch.sh $ws true"
json=$ws.json
set -- --warmup 5 --runs "$runs" -N --style basic --export-json "$json" "$a" "$b"
if command -v bwrap >/dev/null; then
    set -- "$@" "bwrap --unshare-all --uid 65534 --gid 65534 --die-with-parent --new-session --ro-bind /usr /usr --symlink usr/bin /bin --symlink usr/lib /lib --symlink usr/lib64 /lib64 --ro-bind /etc/passwd /etc/passwd --proc /proc --dev /dev --tmpfs /tmp --bind $ws /workspace --chdir /workspace true"
fi
hyperfine "$@" /bin/true >&2
# medians, as the issue asks
python3 -c 'import json,sys
for r in json.load(open(sys.argv[1]))["results"]:
    print("median %7.2f ms  mean %7.2f ms  %s" % (r["median"]*1e3, r["mean"]*1e3, r["command"].split()[0]))' "$json"
