#!/usr/bin/env bash
# Installs, configures and starts the container engines that the docker, podman and gvisor backends of
# sandbox4j-backend-container use, on a fresh Debian 12 machine without systemd as PID 1. Idempotent: run
# it as often as you like; it changes only what is not already in place. Needs root.
#
# What this host taught us (see issue 4):
#  - no systemd: dockerd is started by hand, in the background, with the cgroupfs cgroup driver
#    (the systemd driver fails on this cgroup v1 hybrid host);
#  - crun (Podman's default runtime) fails here, runc works;
#  - root lacks CAP_SYS_RESOURCE, so an engine must never try to RAISE an rlimit above the hard limit:
#    Podman's default ulimits do, so containers.conf sets ones below the hard limits;
#  - this Debian runsc (2022) runs only with --network=none (or host), only on the ptrace platform, and
#    applies the OCI seccomp profile only with --oci-seccomp.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

log() { echo "== engines.sh: $*"; }

# 1. Packages. docker.io brings dockerd, containerd and docker-init; runc is the runtime both engines use
#    here; podman is the second engine (its Docker-compatible API serves the podman backend); runsc is
#    gVisor; tini brings /usr/bin/tini-static, the static init the backends bind into every sandbox
#    container as PID 1 (any image, the host image included); busybox-static is what the tests turn into
#    a tiny local image (no registry is reachable); iptables is what dockerd needs for its default bridge.
PKGS="docker.io runc podman runsc busybox-static tini iptables"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    log "installing$missing"
    apt-get install -y -q --no-install-recommends $missing
fi

# 2. Docker daemon configuration. cgroupfs driver (no systemd); runsc registered as a second runtime with
#    the flags this runsc needs; no iptables/bridge changes are needed by sandbox4j (its sandboxes use
#    network "none"), but the default bridge stays so that other users of this dockerd keep working.
mkdir -p /etc/docker
DAEMON_JSON='{
  "exec-opts": ["native.cgroupdriver=cgroupfs"],
  "runtimes": {
    "runsc": {
      "path": "/usr/bin/runsc",
      "runtimeArgs": ["--network=none", "--platform=ptrace", "--oci-seccomp"]
    }
  }
}'
if [ "$(cat /etc/docker/daemon.json 2>/dev/null)" != "$DAEMON_JSON" ]; then
    log "writing /etc/docker/daemon.json"
    printf '%s\n' "$DAEMON_JSON" > /etc/docker/daemon.json
    DAEMON_CHANGED=1
fi

# 3. Podman configuration: rootful, runc (crun fails here), cgroupfs (no systemd), events to a file (no
#    journald), ulimits below root's hard limits (no CAP_SYS_RESOURCE), and tini-static as podman's own
#    --init binary (catatonit is not installed by --no-install-recommends; sandbox4j mounts its own init).
#    No Podman API service is started here: the podman backend starts a private one when it needs it.
mkdir -p /etc/containers
CONTAINERS_CONF='[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
init_path = "/usr/bin/tini-static"

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"

[engine.runtimes]
runc = ["/usr/sbin/runc", "/usr/bin/runc"]
runsc = ["/usr/bin/runsc"]'
if [ "$(cat /etc/containers/containers.conf 2>/dev/null)" != "$CONTAINERS_CONF" ]; then
    log "writing /etc/containers/containers.conf"
    printf '%s\n' "$CONTAINERS_CONF" > /etc/containers/containers.conf
fi
# the deprecated libpod.conf (shipped by older packages) names crun and systemd: keep it out of the way
if [ -f /etc/containers/libpod.conf ]; then
    mv /etc/containers/libpod.conf /etc/containers/libpod.conf.disabled
fi

# 4. dockerd, started by hand when not running; a running dockerd whose configuration just changed is
#    told to reload it (SIGHUP reloads "runtimes"), never killed: other users may depend on it.
if ! docker version >/dev/null 2>&1; then
    if [ -S /var/run/docker.sock ] && ! pgrep -x dockerd >/dev/null; then
        rm -f /var/run/docker.sock /var/run/docker.pid
    fi
    log "starting dockerd (log: /var/log/dockerd.log)"
    nohup dockerd >/var/log/dockerd.log 2>&1 </dev/null &
    for _ in $(seq 1 60); do
        docker version >/dev/null 2>&1 && break
        sleep 0.5
    done
    docker version >/dev/null 2>&1 || { log "dockerd did not come up in 30 s; see /var/log/dockerd.log"; tail -20 /var/log/dockerd.log; exit 1; }
elif [ "${DAEMON_CHANGED:-0}" = 1 ]; then
    log "reloading dockerd's configuration"
    kill -HUP "$(pgrep -xo dockerd)"
    sleep 1
fi
docker info --format '{{json .Runtimes}}' | grep -q runsc || { log "dockerd does not list the runsc runtime"; exit 1; }

# 5. A local image for benchmarks and manual checks (docker run --rm sandbox4j/test-busybox:1 true):
#    busybox-static alone in a tar, imported into both engines (no registry is reachable from CI). The
#    module's tests make their own busybox rootfs and do not need it; the host image (SandboxImage.host())
#    is made by the backends themselves on first use.
TEST_IMAGE=sandbox4j/test-busybox:1
make_busybox_tar() {
    local dir tar
    dir=$(mktemp -d) tar=$(mktemp --suffix=.tar)
    mkdir -p "$dir/bin" "$dir/tmp" "$dir/etc" "$dir/workspace"
    cp /bin/busybox "$dir/bin/busybox"
    for a in sh ls cat echo sleep id env kill ps true false mkdir rm touch wc head dd; do
        ln -s busybox "$dir/bin/$a"
    done
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$dir/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' > "$dir/etc/group"
    tar -C "$dir" -cf "$tar" .
    rm -rf "$dir"
    echo "$tar"
}
if ! docker image inspect "$TEST_IMAGE" >/dev/null 2>&1; then
    log "importing $TEST_IMAGE into docker"
    tar=$(make_busybox_tar)
    docker import -c 'ENV PATH=/bin' -c 'LABEL dev.sandbox4j=sandbox4j' "$tar" "$TEST_IMAGE" >/dev/null
    rm -f "$tar"
fi
if ! podman image exists "$TEST_IMAGE" 2>/dev/null; then
    log "importing $TEST_IMAGE into podman"
    tar=$(make_busybox_tar)
    podman import -c 'ENV PATH=/bin' -c 'LABEL dev.sandbox4j=sandbox4j' "$tar" "$TEST_IMAGE" >/dev/null
    rm -f "$tar"
fi
log "ready: $(docker version --format 'docker {{.Server.Version}}'), $(podman --version), $(runsc --version | head -1)"
