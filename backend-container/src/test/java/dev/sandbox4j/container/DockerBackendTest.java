package dev.sandbox4j.container;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandbox4j.Command;
import dev.sandbox4j.ExecResult;
import dev.sandbox4j.Execution;
import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.Reaper;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SandboxEvent;
import dev.sandbox4j.SandboxImage;
import dev.sandbox4j.SandboxStartException;
import dev.sandbox4j.testkit.BackendRequirement;
import dev.sandbox4j.testkit.HostProbes;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** What the docker backend does beyond the contract kit: the Exec API kill, images, bad input, the reaper. */
class DockerBackendTest {

    @BeforeAll
    static void engine() {
        BackendRequirement.assumeAvailable("docker");
    }

    private static Sandbox docker() {
        return Sandbox.builder().backend("docker").build();
    }

    @Test
    @DisplayName("kill() ends a command whose children hold stdout (one in a new session): every process gone, streams at EOF, exit 137")
    void killEndsTheWholeTree() throws Exception {
        String mark = "SANDBOX4J_KILLTEST=" + Long.toHexString(System.nanoTime());
        try (Sandbox s = docker()) {
            Execution e = s.start(Command.shell("sleep 300 & setsid sleep 301 & (sleep 302 &) ; echo started; wait")
                    .env("SANDBOX4J_KILLTEST", mark.substring(mark.indexOf('=') + 1)).timeout(Duration.ofMinutes(5)));
            byte[] first = new byte[8];
            assertThat(e.stdout().readNBytes(first, 0, 8)).isEqualTo(8);
            assertThat(new String(first, StandardCharsets.UTF_8)).isEqualTo("started\n");
            assertThat(HostProbes.processesWithEnv(mark)).as("the command and its three sleeps run on the host").hasSizeGreaterThanOrEqualTo(4);
            e.kill();
            ExecResult r = e.onExit().get(20, TimeUnit.SECONDS);
            assertThat(r.exitCode()).as("%s", r).isEqualTo(137);
            assertThat(e.stdout().read()).as("stdout reached EOF").isEqualTo(-1);
            assertThat(HostProbes.awaitNoProcessWithEnv(mark, Duration.ofSeconds(5))).as("processes of the killed exec").isEmpty();
            ExecResult inside = s.exec(Command.shell("ps -eo pid,args"));
            assertThat(inside.stdout()).doesNotContain("sleep 30");
        }
    }

    @Test
    @DisplayName("a timeout kills a command whose escaped child (setsid, parent gone) holds stdout: the result still comes back")
    void timeoutWithEscapedStdoutHolder() {
        try (Sandbox s = docker()) {
            ExecResult r = s.exec(Command.shell("setsid sh -c 'sleep 120' & sleep 60").timeout(Duration.ofSeconds(2)));
            assertThat(r.timedOut()).as("%s", r).isTrue();
            assertThat(r.exitCode()).isEqualTo(137);
        }
    }

    @Test
    @DisplayName("network none (no engine networking): the sandbox's network namespace is not the host's and holds only a loopback")
    void networkNoneIsANamespaceOfItsOwn() throws Exception {
        String host = Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString();
        try (Sandbox s = docker()) {
            ExecResult r = s.exec(Command.shell("readlink /proc/self/ns/net && tail -n +3 /proc/net/dev | cut -d: -f1"));
            assertThat(r.exitCode()).as("%s", r).isZero();
            List<String> lines = r.stdout().strip().lines().map(String::strip).toList();
            assertThat(lines.get(0)).startsWith("net:[").isNotEqualTo(host);
            assertThat(lines.subList(1, lines.size())).as("interfaces").containsExactly("lo");
        }
    }

    @Test
    @DisplayName("an image that exists nowhere: SandboxStartException naming it, the pull that failed and the fix; a Progress event came first")
    void missingImage() {
        List<SandboxEvent> events = new CopyOnWriteArrayList<>();
        String ref = "sandbox4j/no-such-image-" + Long.toHexString(System.nanoTime()) + ":1";
        assertThatThrownBy(() -> Sandbox.builder().backend("docker").image(SandboxImage.oci(ref)).listener(events::add).build())
                .isInstanceOf(SandboxStartException.class)
                .hasMessageContaining(ref).hasMessageContaining("pulling it failed").hasMessageContaining("fix:");
        assertThat(events).filteredOn(SandboxEvent.Progress.class::isInstance).isNotEmpty();
        assertThat(Engines.dockerContainersOf(dev.sandbox4j.spi.SessionLabels.current()))
                .noneMatch(n -> n.contains("no-such-image"));
    }

    @Test
    @DisplayName("a daemon that is not running (docker.host names a missing socket): a clear error naming the socket, the option and the fix")
    void daemonNotRunning() throws Exception {
        Path dir = Files.createTempDirectory("sandbox4j-test-nosock-");
        try {
            String host = "unix://" + dir.resolve("docker.sock");
            assertThatThrownBy(() -> Sandbox.builder().backend("docker").option("docker.host", host).build())
                    .isInstanceOf(SandboxStartException.class)
                    .hasMessageContaining(dir.resolve("docker.sock").toString())
                    .hasMessageContaining("option docker.host")
                    .hasMessageContaining("does not exist").hasMessageContaining("fix:");
        } finally {
            Files.deleteIfExists(dir);
        }
    }

    @Test
    @DisplayName("a socket this user may not open (nobody and the root:docker 0660 socket): unavailable, permission denied, naming the user and the fix")
    void socketWithoutPermission() throws Exception {
        Path cp = Files.createTempDirectory("sandbox4j-test-cp-");
        try {
            cp.toFile().setReadable(true, false);
            cp.toFile().setExecutable(true, false);
            ChildJvm.copyClasspath(cp);
            String out = ChildJvm.run(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"), cp,
                    "open", "docker", "unix:///var/run/docker.sock");
            // the probe (of the same default socket) already refuses, before open() is tried
            assertThat(out).contains("FAILED BackendUnavailableException").contains("permission denied")
                    .contains("/var/run/docker.sock").contains("as user nobody").contains("fix: run as a user allowed")
                    .doesNotContain("start the Docker engine");
        } finally {
            HostProbes.deleteTree(cp);
        }
    }

    @Test
    @DisplayName("an option the backend does not know is refused before anything starts")
    void unknownOption() {
        assertThatThrownBy(() -> Sandbox.builder().backend("docker").option("docker.hots", "x").build())
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("docker.hots").hasMessageContaining("docker.host");
    }

    @Test
    @DisplayName("SandboxImage.rootfs(tarball) imports once; the imported image then works as SandboxImage.oci, offline")
    void rootfsThenOci() throws Exception {
        Path tar = TestImages.busyboxRootfs();
        try (Sandbox s = Sandbox.builder().backend("docker").image(SandboxImage.rootfs(tar)).build()) {
            ExecResult r = s.exec(Command.shell("readlink /bin/sh; id -u"));
            List<String> lines = r.stdout().lines().toList();
            assertThat(lines).as("%s", r).hasSize(2);
            assertThat(lines.get(0)).isEqualTo("busybox");
            assertThat(lines.get(1)).as("the sandbox's own host uid, neither nobody nor root").isNotIn("65534", "0");
        }
        String ref = Engines.docker().api().listImagesCmd().withImageNameFilter("sandbox4j/rootfs").exec().stream()
                .flatMap(i -> java.util.Arrays.stream(i.getRepoTags() == null ? new String[0] : i.getRepoTags()))
                .findFirst().orElseThrow();
        List<SandboxEvent> events = new CopyOnWriteArrayList<>();
        try (Sandbox s = Sandbox.builder().backend("docker").image(SandboxImage.oci(ref)).listener(events::add).build()) {
            assertThat(s.exec(Command.of("echo", "from", ref)).stdout()).isEqualTo("from " + ref + "\n");
        }
        assertThat(events).as("a local image is not pulled").noneMatch(SandboxEvent.Progress.class::isInstance);
    }

    @Test
    @DisplayName("the host image: the host's programs, none of its users' files, /etc beyond the loader's basics absent")
    void hostImageView() {
        try (Sandbox s = docker()) {
            ExecResult r = s.exec(Command.shell("test -x /usr/bin/env && echo env-ok; find /home /root -mindepth 1 | wc -l;"
                    + " test -e /etc/shadow || echo no-shadow; wc -l < /etc/passwd"));
            assertThat(r.stdout()).as("stderr: %s", r.stderr()).isEqualTo("env-ok\n0\nno-shadow\n2\n");
        }
    }

    @Test
    @DisplayName("a JVM that dies with an open sandbox leaves its container; the reaper removes it, and only it")
    void reaperRemovesWhatADeadJvmLeft() throws Exception {
        try (Sandbox mine = docker()) {
            String out = ChildJvm.run(List.of(), null, "open-and-halt", "docker");
            assertThat(out).as("child output").contains("READY ");
            String session = out.substring(out.indexOf("READY ") + 6).strip();
            assertThat(Engines.dockerContainersOf(session)).as("the dead JVM's container is still there").hasSize(1);
            List<String> reaped = Reaper.reapLeftovers();
            assertThat(reaped).anyMatch(l -> l.contains("container") && l.contains(session));
            assertThat(Engines.dockerContainersOf(session)).as("after the reaper").isEmpty();
            assertThat(mine.exec(Command.of("echo", "alive")).stdout()).as("a live JVM's sandbox is never reaped").isEqualTo("alive\n");
        }
    }

    @Test
    @DisplayName("close() removes the container at once")
    void closeRemovesContainer() {
        Sandbox s = docker();
        String session = dev.sandbox4j.spi.SessionLabels.current();
        assertThat(Engines.dockerContainersOf(session)).anyMatch(n -> n.contains(s.id()));
        s.close();
        assertThat(Engines.dockerContainersOf(session)).noneMatch(n -> n.contains(s.id()));
    }

    @Test
    @DisplayName("stdin: a large input reaches cat exactly and EOF follows the close of stdin")
    void stdinStreaming() throws Exception {
        try (Sandbox s = docker()) {
            Execution e = s.start(Command.of("wc", "-c").timeout(Duration.ofMinutes(1)));
            byte[] chunk = new byte[64 * 1024];
            for (int i = 0; i < 32; i++) {
                e.stdin().write(chunk);
            }
            e.stdin().close();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            e.stdout().transferTo(out);
            assertThat(out.toString(StandardCharsets.UTF_8).strip()).isEqualTo(Integer.toString(32 * 64 * 1024));
            assertThat(e.await().exitCode()).isZero();
        }
    }
}
