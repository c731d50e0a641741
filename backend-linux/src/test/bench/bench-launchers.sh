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
trap 'rm -rf "$ws" "$ws.json" "$ws.bpf"' EXIT
# every bind names its source's st_dev:st_ino (the launcher refuses a source that is no longer that object)
pin() { stat -c '%d:%i' "$1"; }
# a seccomp program that allows everything (one BPF_RET SECCOMP_RET_ALLOW): the launcher always loads one
printf '\006\000\000\000\000\000\377\177' > "$ws.bpf"
# the sandbox's host ids: a uid of the library's range (a root launcher refuses to map the host's root)
ids=65534:65534:1879113700:1879113700
view="--ro-bind $(pin /usr) /usr /usr --symlink usr/bin /bin --symlink usr/lib /lib --symlink usr/lib64 /lib64 --symlink usr/sbin /sbin"
view="$view --ro-bind $(pin /etc/passwd) /etc/passwd /etc/passwd --proc /proc --dev /dev --tmpfs /tmp 67108864 1777"
view="$view --bind-own $(pin "$ws") $ws /workspace --remount-ro /"
a="$launcher --user $ids --seccomp $ws.bpf --idmap 0:0:1879113700:1879113700 --chdir /workspace --setenv PATH=/usr/bin:/bin --rlimit nofile=256 --rlimit fsize=67108864 $view -- true"
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
