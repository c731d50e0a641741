#!/bin/sh
# Prototype (b) of the zero-install path, kept only to compare start-up cost with s4j-launch (a):
# the same sandbox built from util-linux tools alone (unshare, mount, pivot_root, setpriv, prlimit).
# It cannot load a seccomp filter (no util-linux tool can), nor make an idmapped workspace (mount(8)
# learnt X-mount.idmap only in util-linux 2.39), nor map the sandbox user to the host's nobody
# (--map-users needs newuidmap from the uidmap package, and mount(8) refuses to run for a uid other
# than 0): the command runs as uid 0 of the user namespace, which is the host's root, with every
# capability dropped.
# That is why the backend ships the C launcher instead.
#
# usage (as root): util-linux-launch.sh WORKSPACE COMMAND [ARG]...
# measured by bench-launchers.sh next to it.
set -eu
ws=$1
shift
exec unshare --user --map-root-user --mount --propagation slave \
    --pid --fork --kill-child --net --ipc --uts --cgroup \
    sh -eu -c '
ws=$1; shift
mount -t tmpfs -o mode=0755,size=1m tmpfs /mnt
cd /mnt
mkdir -p new/usr new/etc new/proc new/dev new/tmp new/workspace
mount -t tmpfs -o mode=0755,size=1m tmpfs new
mkdir -p new/usr new/etc new/proc new/dev new/tmp new/workspace new/.old
mount --rbind /usr new/usr
mount -o remount,bind,ro,nosuid,nodev new/usr
ln -s usr/bin new/bin; ln -s usr/lib new/lib; ln -s usr/lib64 new/lib64; ln -s usr/sbin new/sbin
touch new/etc/passwd; mount --bind /etc/passwd new/etc/passwd; mount -o remount,bind,ro new/etc/passwd
mount -t proc -o nosuid,nodev,noexec proc new/proc
mount -t tmpfs -o mode=0755,size=64k tmpfs new/dev
for d in null zero full random urandom tty; do touch new/dev/$d; mount --bind /dev/$d new/dev/$d; done
ln -s /proc/self/fd new/dev/fd
mount -t tmpfs -o mode=1777,size=64m tmpfs new/tmp
mount --bind "$ws" new/workspace
cd new
pivot_root . .old
umount -l /.old
cd /workspace
exec env -i PATH=/usr/bin:/bin HOME=/tmp LANG=C.UTF-8 TERM=dumb \
    setpriv --inh-caps=-all --bounding-set=-all --no-new-privs \
    prlimit --nofile=256 --fsize=67108864 -- "$@"
' sh "$ws" "$@"
