package dev.sandbox4j.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.sandbox4j.Command;
import dev.sandbox4j.DataSize;
import dev.sandbox4j.ExecException;
import dev.sandbox4j.ExecResult;
import dev.sandbox4j.ProcessPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.spi.Capability;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Resource limits and process credentials, each run only when the backend claims the capability, in a
 * sandbox whose policy sets that limit or flag. Not meant to be extended directly: extend
 * {@link SandboxContractTest}.
 */
public abstract class LimitsContract extends EscapeContract {

    @Test
    @DisplayName("PIDS_LIMIT: a bounded fork bomb hits the limit (fork fails: Resource temporarily unavailable) and the sandbox stays usable")
    void pidsLimitStopsForkBomb() throws Exception {
        requires(Capability.PIDS_LIMIT);
        int limit = 32;
        Sandbox s = newSandbox(b -> b.limits(l -> l.pids(limit)));
        String pidFile = "fork-pids-" + unique();
        ExecResult r = s.exec(Command.shell(ContractCommands.boundedForkBomb(300, pidFile)).timeout(Duration.ofMinutes(2)));
        assertThat(r.timedOut()).as("the bounded fork bomb stops by itself: %s%nstderr: %s", r, r.stderr()).isFalse();
        assertThat(r.stderr()).as("how forking failed")
                .containsPattern("(?i)(resource temporarily unavailable|cannot fork|can't fork|fork failed)");
        Matcher m = Pattern.compile("started=(\\d+)").matcher(r.stdout());
        assertThat(m.find()).as("the script reports how many sleeps it started: %s", r.stdout()).isTrue();
        assertThat(Integer.parseInt(m.group(1))).as("background processes that got a pid").isLessThan(limit);
        // the sleeps were killed; their pids return once reaped, which the kernel does asynchronously
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (true) {
            ExecResult ok = null;
            try {
                ok = s.exec(Command.of("echo", "usable"));
            } catch (ExecException notYet) {
                // spawning itself may fail while the pids are still taken
            }
            if (ok != null && ok.succeeded() && ok.stdout().equals("usable\n")) {
                break;
            }
            if (System.nanoTime() > deadline) {
                fail("the sandbox is not usable 15 s after the fork bomb ended: %s", ok);
            }
            Thread.sleep(100);
        }
    }

    @Test
    @DisplayName("MEMORY_LIMIT: a process holding 1 GiB under a 96 MiB limit is killed (exit 137, SIGKILL) and the sandbox stays usable")
    void memoryLimitKillsHog() {
        requires(Capability.MEMORY_LIMIT);
        Sandbox s = newSandbox(b -> b.limits(l -> l.memory(DataSize.ofMiB(96))));
        requireTool(s, "tail", "the memory limit kills a hog");
        ExecResult r = s.exec(Command.shell(ContractCommands.memoryHog()).timeout(Duration.ofMinutes(3)));
        assertThat(r.timedOut()).as("%s", r).isFalse();
        assertThat(r.exitCode()).as("the hog must be killed by SIGKILL (137): %s%nstderr: %s", r, r.stderr())
                .isEqualTo(128 + 9);
        assertSucceeded(s.exec(Command.of("echo", "usable")));
    }

    @Test
    @DisplayName("FILE_SIZE_LIMIT: writing past the limit fails with File too large and the file stops at the limit")
    void fileSizeLimit() {
        requires(Capability.FILE_SIZE_LIMIT);
        DataSize limit = DataSize.ofMiB(1);
        Sandbox s = newSandbox(b -> b.limits(l -> l.fileSize(limit)));
        requireTool(s, "dd", "writing past the file-size limit fails");
        String file = "fsize-" + unique() + ".bin";
        ExecResult r = s.exec(Command.shell(ContractCommands.writePastFileSize(2 * limit.bytes() / 65536, file)));
        assertThat(r.exitCode()).as("writing 2 MiB under a 1 MiB file-size limit: %s", r).isNotZero();
        assertThat(r.stderr()).as("how the write failed").contains("File too large");
        assertThat((long) s.files().read(file).length).isEqualTo(limit.bytes());
    }

    @Test
    @DisplayName("OPEN_FILES_LIMIT: ulimit -n inside prints the policy's limit")
    void openFilesLimit() {
        requires(Capability.OPEN_FILES_LIMIT);
        int limit = 77;
        Sandbox s = newSandbox(b -> b.limits(l -> l.openFiles(limit)));
        assertThat(assertSucceeded(s.exec(Command.shell("ulimit -n"))).stdout().strip()).isEqualTo(Integer.toString(limit));
    }

    @Test
    @DisplayName("RUN_AS_UID: id -u prints the policy's uid (65534, and 4321, which no preset uses)")
    void runsAsPolicyUid() {
        requires(Capability.RUN_AS_UID);
        ProcessPolicy p = basePolicy().process();
        for (int uid : new int[] {ProcessPolicy.NOBODY, 4321}) {
            Sandbox s = newSandbox(b -> b.process(new ProcessPolicy(p.isolatePids(), OptionalInt.of(uid), p.noNewPrivileges(),
                    p.dropCapabilities(), p.keepCapabilities())));
            requireTool(s, "id", "the command runs as the policy's uid");
            assertThat(assertSucceeded(s.exec(Command.of("id", "-u"))).stdout().strip()).as("id -u under process.uid=%d", uid)
                    .isEqualTo(Integer.toString(uid));
        }
    }

    @Test
    @DisplayName("RUN_AS_UID: with no uid in the policy (the presets), the sandbox's own user shows as 65534 inside")
    void ownUserShowsAsNobodyInside() {
        requires(Capability.RUN_AS_UID);
        ProcessPolicy p = basePolicy().process();
        Sandbox s = newSandbox(b -> b.process(new ProcessPolicy(p.isolatePids(), OptionalInt.empty(), p.noNewPrivileges(),
                p.dropCapabilities(), p.keepCapabilities())));
        requireTool(s, "id", "the sandbox's own user shows as 65534");
        assertThat(assertSucceeded(s.exec(Command.of("id", "-u"))).stdout().strip()).as("id -u with process.uid empty")
                .isEqualTo(Integer.toString(ProcessPolicy.NOBODY));
    }

    @Test
    @DisplayName("NO_NEW_PRIVILEGES: /proc/self/status says NoNewPrivs: 1")
    void noNewPrivileges() {
        requires(Capability.NO_NEW_PRIVILEGES);
        ProcessPolicy p = basePolicy().process();
        Sandbox s = newSandbox(b -> b.process(new ProcessPolicy(p.isolatePids(), p.uid(), true, p.dropCapabilities(),
                p.keepCapabilities())));
        requireProc(s, "no new privileges");
        Optional<String> field = statusField(s, "NoNewPrivs");
        if (field.isPresent()) {
            assertThat(field.get()).isEqualTo("1");
        } else {
            // gVisor's /proc/self/status has no NoNewPrivs line: ask prctl(PR_GET_NO_NEW_PRIVS) through setpriv
            assertThat(setprivDump(s, "NoNewPrivs")).as("setpriv --dump (prctl)").containsPattern("(?m)^no_new_privs: 1$");
        }
    }

    @Test
    @DisplayName("DROP_CAPABILITIES: /proc/self/status says CapEff and CapPrm 0000000000000000")
    void capabilitiesDropped() {
        requires(Capability.DROP_CAPABILITIES);
        ProcessPolicy p = basePolicy().process();
        Sandbox s = newSandbox(b -> b.process(new ProcessPolicy(p.isolatePids(), p.uid(), p.noNewPrivileges(), true,
                Set.of())));
        requireProc(s, "capabilities are dropped");
        for (String field : new String[] {"CapEff", "CapPrm"}) {
            Optional<String> value = statusField(s, field);
            assertThat(value).as("/proc/self/status has a %s line", field).isPresent();
            assertThat(value.get()).as(field).isEqualTo("0000000000000000");
        }
        Optional<String> ambient = statusField(s, "CapAmb");
        if (ambient.isPresent()) {
            assertThat(ambient.get()).as("CapAmb").isEqualTo("0000000000000000");
        } else {
            // gVisor's /proc/self/status has no CapAmb line: ask prctl(PR_CAP_AMBIENT) through setpriv.
            // util-linux prints "[unsupported]" and busybox fails with EINVAL when the kernel refuses
            // PR_CAP_AMBIENT altogether: it keeps no ambient set, so none can be held
            assertThat(setprivDump(s, "CapAmb")).as("setpriv --dump (prctl), for the missing CapAmb line").containsPattern(
                    "(?m)^Ambient capabilities: \\[(none|unsupported)\\]$|CAP_AMBIENT_IS_SET: Invalid argument");
        }
    }

    /** A field of the sandbox's /proc/self/status; empty when the kernel does not print it (gVisor). */
    static Optional<String> statusField(Sandbox s, String field) {
        String status = assertSucceeded(s.exec(Command.of("cat", "/proc/self/status"))).stdout();
        Matcher m = Pattern.compile("(?m)^" + field + ":\\s*(\\S+)").matcher(status);
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }

    /**
     * {@code setpriv --dump} (util-linux) inside: prctl/capget's view of the credentials, for a kernel whose
     * /proc/self/status lacks {@code field}: its stdout and stderr. The rule is skipped, visibly, when the image
     * has no setpriv.
     */
    final String setprivDump(Sandbox s, String field) {
        requireTool(s, "setpriv", "credentials checked with setpriv --dump, since /proc/self/status has no " + field + " line");
        ExecResult r = s.exec(Command.of("setpriv", "--dump"));
        // busybox's setpriv prints what it read, then exits 1 on the first prctl the kernel refuses
        assertThat(r.stdout()).as("setpriv --dump ran: %s%nstderr: %s", r, r.stderr()).contains("no_new_privs: ");
        return r.stdout() + "\n" + r.stderr();
    }
}
