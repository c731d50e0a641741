#!/usr/bin/env bash
# What the VM backends (qemu, microvm, unikernel) and their tests need on a fresh Debian 12 machine.
# Called by .ci/run after apt-get update. Owned by backend-vm.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

# qemu-system-x86: QEMU (microvm and q35) and its virtiofsd (/usr/lib/qemu/virtiofsd);
# qemu-utils: the QEMU tools the issue asks for;
# linux-image-cloud-amd64: the guest kernel (with its virtio modules) the guest image is built from;
# busybox-static: the static busybox in the guest image (tar for the agent) and for virtiofsd's read-only bind;
# gcc, libc6-dev: the static guest agent and the tests' unikernel (binutils comes with gcc);
# util-linux: setpriv (ties QEMU to the JVM) and unshare (virtiofsd's namespaces).
apt-get install -y -q --no-install-recommends \
    qemu-system-x86 qemu-utils linux-image-cloud-amd64 busybox-static gcc libc6-dev util-linux

# the checks the backends' probe() makes, so that a broken install fails here with its reason
for f in /usr/bin/qemu-system-x86_64 /usr/lib/qemu/virtiofsd /bin/busybox /usr/bin/setpriv /usr/bin/unshare; do
    [ -x "$f" ] || { echo ".ci/vm.sh: $f is missing after the install" >&2; exit 1; }
done
ls /boot/vmlinuz-*-cloud-amd64 >/dev/null
echo ".ci/vm.sh: VM backends ready ($(qemu-system-x86_64 --version | head -1); kernel $(ls /boot/vmlinuz-*-cloud-amd64 | tail -1))"
