package dev.sandbox4j.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sandbox4j.Command;
import dev.sandbox4j.ExecResult;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SandboxEvent;
import dev.sandbox4j.SyscallPolicy;
import dev.sandbox4j.spi.Capability;
import dev.sandbox4j.spi.IsolationLevel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * No set-id file reaches the host: the set-id guard of every isolating backend refuses each way of setting
 * S_ISUID or S_ISGID (every mode-changing and creating call, through every ABI, and the shell tools that
 * make them), whatever the policy's syscall filter; what the host put there itself is cleared by the
 * core's sweep after the next exec and at close. Each rule checks the answer inside and the modes on the
 * host ({@code unix:mode}, not following links). Not meant to be extended directly: extend
 * {@link SandboxContractTest}.
 */
public abstract class SetIdAttackContract extends SyscallAttackContract {
    /** How long the core's sweep after an exec (run on a worker thread) is awaited. */
    private static final Duration SWEEP_WAIT = Duration.ofSeconds(15);
    private static final String SWEEP_RULE = "filesystem.setid";

    @Test
    @DisplayName("set-id guard: chmod/fchmod/fchmodat/fchmodat2, open/openat/creat (O_CREAT, O_TMPFILE), mknod/mknodat with S_ISUID or S_ISGID fail with EPERM (openat2: ENOSYS) through every ABI, and no set-id file is on the host")
    void setIdCallsRefusedThroughEveryAbi() throws Exception {
        requiresIsolation("the set-id guard");
        assertSetIdGuard(basePolicy(), null, "the base policy");
    }

    @Test
    @DisplayName("set-id guard: the same under a policy without a syscall filter (the guard applies whatever the policy)")
    void setIdCallsRefusedWithoutASyscallFilter() throws Exception {
        requiresIsolation("the set-id guard");
        assertSetIdGuard(basePolicy().toBuilder().syscalls(SyscallPolicy.allowAll()).build(), null,
                "a policy without a syscall filter");
    }

    @Test
    @DisplayName("FILESYSTEM_VIEW: set-id guard in a read-write mount: every call fails as in the workspace, and the host directory holds no set-id file")
    void setIdCallsRefusedInAReadWriteMount() throws Exception {
        requires(Capability.FILESYSTEM_VIEW);
        requiresIsolation("the set-id guard");
        Path host = Files.createTempDirectory(Path.of("/var/tmp"), "sandbox4j-contract-rw-");
        try {
            Files.setPosixFilePermissions(host, PosixFilePermissions.fromString("rwxrwxrwx"));
            IsolationPolicy p = basePolicyForHostDirs().toBuilder().filesystem(isolatedFilesystem().toBuilder()
                    .readWrite(host, "/mnt/sandbox4j-rw").build()).build();
            assertSetIdGuard(p, host, "a read-write mount");
        } finally {
            HostProbes.deleteTree(host);
        }
    }

    /**
     * Runs the setid and controls groups in a fresh sandbox with {@code policy}, in the workspace or, when
     * {@code rwHost} is given, in the read-write mount of that host directory at /mnt/sandbox4j-rw.
     */
    private void assertSetIdGuard(IsolationPolicy policy, Path rwHost, String where) throws Exception {
        List<SandboxEvent> events = new CopyOnWriteArrayList<>();
        Sandbox s = newSandbox(policy, b -> b.listener(events::add));
        String dir = "setid-" + unique();
        AttackHelper.Report r = AttackHelper.run(s, rwHost == null ? dir : "/mnt/sandbox4j-rw/" + dir, "setid,controls");
        Path ws = WorkspaceLocator.find(s, r.binaryName());
        assertThat(ws).as("the host workspace of %s (looked in %s)", s, WorkspaceLocator.searched(s)).isNotNull();
        Path hostDir = (rwHost == null ? ws : rwHost).resolve(dir);
        List<String> onHost = HostProbes.setIdFiles(hostDir);
        s.close();
        List<String> openat2 = AttackHelper.SETID.stream().filter(a -> a.startsWith("openat2.")).toList();
        List<String> eperm = AttackHelper.SETID.stream().filter(a -> !openat2.contains(a)).toList();
        System.out.println(r.summary(backendName()) + " (" + where + ")");
        List<String> wrong = new ArrayList<>(r.mismatches(eperm, "EPERM"));
        wrong.addAll(r.mismatches(openat2, "ENOSYS"));
        wrong.addAll(r.mismatches(AttackHelper.CONTROLS, "OK"));
        assertThat(wrong).as("set-id attempts in %s of %s that did not get the guard's answer (ABIs absent here: %s)%n%s",
                where, backendName(), r.absentAbis(), r.describe()).isEmpty();
        assertThat(onHost).as("set-id files the attempts left on the host in %s", hostDir).isEmpty();
        assertThat(violations(events, SWEEP_RULE)).as("the core's sweep found set-id files after the attempts"
                + " (so the guard let them through, and the sweep cleared them later)").isEmpty();
    }

    @Test
    @DisplayName("set-id guard through shell tools: chmod u+s, chmod g+s, chmod 6755 and install -m 4755 fail with Operation not permitted; no set-id file on the host")
    void setIdThroughShellToolsRefused() throws Exception {
        requiresIsolation("the set-id guard");
        List<SandboxEvent> events = new CopyOnWriteArrayList<>();
        Sandbox s = newSandbox(basePolicy(), b -> b.listener(events::add));
        requireTool(s, "cp", "set-id bits through shell tools");
        String marker = "tools-" + unique();
        s.files().write(marker, "m".getBytes(UTF_8));
        Path ws = WorkspaceLocator.find(s, marker);
        assertThat(ws).as("the host workspace of %s", s).isNotNull();
        List<String> tries = new ArrayList<>(List.of("chmod u+s", "chmod g+s", "chmod 6755", "chmod 4755"));
        if (s.exec(Command.shell("command -v install")).exitCode() == 0) {
            tries.add("install");
        } else {
            System.out.println("[attack] " + backendName() + ": no 'install' in the image; install -m 4755 not tried");
        }
        List<String> wrong = new ArrayList<>();
        for (int i = 0; i < tries.size(); i++) {
            String t = tries.get(i);
            String file = "tool-" + i;
            String script = t.equals("install") ? "install -m 4755 /bin/sh " + file
                    : "cp /bin/sh " + file + " && " + t + " " + file;
            ExecResult r = s.exec(Command.shell(script));
            if (r.exitCode() == 0 || !r.stderr().contains("Operation not permitted")) {
                wrong.add("'" + script + "': " + r + ", stderr: " + r.stderr().strip());
            }
            Path f = ws.resolve(file);
            if (Files.exists(f, LinkOption.NOFOLLOW_LINKS) && (HostProbes.mode(f) & 06000) != 0) {
                wrong.add("'" + script + "' left " + f + " with mode 0" + Integer.toOctalString(HostProbes.mode(f))
                        + " on the host");
            }
        }
        List<String> onHost = HostProbes.setIdFiles(ws);
        s.close();
        assertThat(wrong).as("shell tools that set a set-id bit in %s (each must fail with Operation not permitted)",
                backendName()).isEmpty();
        assertThat(onHost).as("set-id files on the host after the shell tools").isEmpty();
        assertThat(violations(events, SWEEP_RULE)).as("the core's sweep found set-id files after the shell tools").isEmpty();
    }

    @Test
    @DisplayName("a set-id file the host put in the workspace: cp -p inside does not keep the bit, and the core's sweep clears the original after the exec (filesystem.setid violation)")
    void hostPlantedSetIdFileSweptAfterTheNextExec() throws Exception {
        requiresIsolation("set-id files on the host are cleared");
        List<SandboxEvent> events = new CopyOnWriteArrayList<>();
        Sandbox s = newSandbox(basePolicy(), b -> b.listener(events::add));
        String marker = "planted-marker-" + unique();
        s.files().write(marker, "m".getBytes(UTF_8));
        Path ws = WorkspaceLocator.find(s, marker);
        assertThat(ws).as("the host workspace of %s", s).isNotNull();
        Path suid = plant(ws.resolve("planted-suid"), 04755);
        Path sgid = plant(ws.resolve("planted-sgid"), 02755);
        ExecResult r = s.exec(Command.shell("cp -p planted-suid copy-suid; cp -p planted-sgid copy-sgid;"
                + " cp planted-suid plain-suid; ls -ln planted-suid planted-sgid copy-suid copy-sgid plain-suid"));
        List<String> copies = new ArrayList<>();
        for (String c : List.of("copy-suid", "copy-sgid", "plain-suid")) {
            Path f = ws.resolve(c);
            if (Files.exists(f, LinkOption.NOFOLLOW_LINKS) && (HostProbes.mode(f) & 06000) != 0) {
                copies.add(f + " (mode 0" + Integer.toOctalString(HostProbes.mode(f)) + ")");
            }
        }
        assertThat(copies).as("copies made inside that kept a set-id bit (%s, stdout: %s, stderr: %s)", r, r.stdout(),
                r.stderr()).isEmpty();
        for (Path planted : List.of(suid, sgid)) {
            assertThat(awaitNoSetId(planted)).as("mode of %s after the exec: the core's sweep after every exec must"
                    + " clear the set-id bits of what the host put in the workspace", planted).isZero();
        }
        assertThat(awaitViolation(events, SWEEP_RULE)).as("a %s violation for the two planted files", SWEEP_RULE).isNotEmpty();
    }

    @Test
    @DisplayName("a caller's workspace after close(): no set-id file (the final sweep) and every entry owned by the workspace's owner")
    void callerWorkspaceSweptAndGivenBackAtClose() throws Exception {
        requiresIsolation("set-id files on the host are cleared");
        Path dir = Files.createTempDirectory("sandbox4j-contract-ws-");
        try {
            // writable for any uid, so that the sandbox's own uid can make files in it on every backend
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
            int owner = HostProbes.owner(dir);
            Sandbox s = newSandbox(basePolicyForHostDirs(), b -> b.workspace(dir));
            assertSucceeded(s.exec(Command.shell("echo made > made-inside && mkdir sub && echo deep > sub/made-inside")));
            // after the last exec, so that only the sweep at close can find these
            plant(dir.resolve("late-suid"), 04755);
            Files.createDirectories(dir.resolve("sub"));
            plant(dir.resolve("sub").resolve("late-sgid"), 02755);
            s.close();
            assertThat(HostProbes.setIdFiles(dir)).as("set-id files in the caller's workspace after close()").isEmpty();
            List<String> foreign = new ArrayList<>();
            try (var walk = Files.walk(dir)) {
                for (Path p : (Iterable<Path>) walk::iterator) {
                    int uid = HostProbes.owner(p);
                    if (uid != owner) {
                        foreign.add(p + " (uid " + uid + ")");
                    }
                }
            }
            assertThat(foreign).as("entries of the caller's workspace (owner uid %d) owned by another uid after close()"
                    + " (the sandbox's own uid must be given back)", owner).isEmpty();
        } finally {
            HostProbes.deleteTree(dir);
        }
    }

    @Test
    @DisplayName("FILESYSTEM_VIEW: the workspace, the tmpfs paths and a read-write mount are mounted nosuid and nodev inside")
    void writableMountsNosuidNodevInside() throws Exception {
        requires(Capability.FILESYSTEM_VIEW);
        Path host = Files.createTempDirectory(Path.of("/var/tmp"), "sandbox4j-contract-rw-");
        try {
            Files.setPosixFilePermissions(host, PosixFilePermissions.fromString("rwxrwxrwx"));
            Sandbox s = newSandbox(basePolicyForHostDirs().toBuilder().filesystem(isolatedFilesystem().toBuilder()
                    .readWrite(host, "/mnt/sandbox4j-rw").build()).build());
            requireProc(s, "writable mounts are nosuid,nodev");
            if (info().isolation() == IsolationLevel.USER_KERNEL) {
                // gVisor's own kernel shows no such mount flags; it refuses set-id and devices by other means:
                // every process runs with no_new_privs and without capabilities (CAP_MKNOD included), and the
                // host's side binds are nosuid,nodev
                System.out.println("[contract] " + backendName() + ": a user-space kernel shows no nosuid/nodev; checking"
                        + " no_new_privs and the effective capabilities instead");
                assertThat(statusField(s, "CapEff")).as("CapEff inside %s", backendName()).contains("0000000000000000");
                Optional<String> nnp = statusField(s, "NoNewPrivs");
                if (nnp.isPresent()) {
                    assertThat(nnp.get()).isEqualTo("1");
                } else {
                    assertThat(setprivDump(s, "NoNewPrivs")).as("setpriv --dump (prctl)")
                            .containsPattern("(?m)^no_new_privs: 1$");
                }
                return;
            }
            String mountinfo = assertSucceeded(s.exec(Command.of("cat", "/proc/self/mountinfo"))).stdout();
            List<String> points = new ArrayList<>(List.of(s.workspacePath(), "/mnt/sandbox4j-rw"));
            points.addAll(s.policy().filesystem().tmpfs());
            List<String> wrong = new ArrayList<>();
            for (String point : points) {
                String options = mountOptions(mountinfo, point);
                if (options == null) {
                    wrong.add(point + ": no mount there");
                } else if (!List.of(options.split(",")).containsAll(List.of("nosuid", "nodev"))) {
                    wrong.add(point + ": " + options);
                }
            }
            assertThat(wrong).as("writable mounts without nosuid,nodev inside %s%n%s", backendName(), mountinfo).isEmpty();
        } finally {
            HostProbes.deleteTree(host);
        }
    }

    /** The per-mount options of the topmost mount at {@code point} in a mountinfo text, or null. */
    static String mountOptions(String mountinfo, String point) {
        String found = null;
        for (String line : mountinfo.split("\n")) {
            String[] f = line.split(" ");
            if (f.length > 5 && f[4].replace("\\040", " ").equals(point)) {
                found = f[5];
            }
        }
        return found;
    }

    /** A host file with {@code mode} (set-id bits included), written by this JVM. */
    private static Path plant(Path file, int mode) throws IOException {
        Files.writeString(file, "#!/bin/sh\necho planted\n");
        Files.setAttribute(file, "unix:mode", mode, LinkOption.NOFOLLOW_LINKS);
        assertThat(HostProbes.mode(file)).as("the host could set mode 0%s on %s", Integer.toOctalString(mode), file)
                .isEqualTo(mode);
        return file;
    }

    /** Awaits (bounded) the set-id bits of {@code file} cleared; returns what is left of them. */
    private static int awaitNoSetId(Path file) throws Exception {
        long deadline = System.nanoTime() + SWEEP_WAIT.toNanos();
        int bits = HostProbes.mode(file) & 06000;
        while (bits != 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
            bits = HostProbes.mode(file) & 06000;
        }
        return bits;
    }

    static List<SandboxEvent.PolicyViolation> violations(List<SandboxEvent> events, String rule) {
        return events.stream().filter(SandboxEvent.PolicyViolation.class::isInstance).map(SandboxEvent.PolicyViolation.class::cast)
                .filter(v -> v.rule().equals(rule)).toList();
    }

    /** Awaits (bounded) a violation of {@code rule} among {@code events}; returns those seen. */
    static List<SandboxEvent.PolicyViolation> awaitViolation(List<SandboxEvent> events, String rule) throws InterruptedException {
        long deadline = System.nanoTime() + SWEEP_WAIT.toNanos();
        List<SandboxEvent.PolicyViolation> seen = violations(events, rule);
        while (seen.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(50);
            seen = violations(events, rule);
        }
        return seen;
    }
}
