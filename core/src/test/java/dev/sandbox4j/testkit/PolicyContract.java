package dev.sandbox4j.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandbox4j.Command;
import dev.sandbox4j.DataSize;
import dev.sandbox4j.FilesystemPolicy;
import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.NetworkPolicy;
import dev.sandbox4j.ProcessPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SandboxEvent;
import dev.sandbox4j.SyscallPolicy;
import dev.sandbox4j.UnsupportedPolicyException;
import dev.sandbox4j.spi.Capability;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Fail-closed policy checks and input validation: what the backend does not claim is refused at
 * {@code build()}, and bad input is refused before anything starts. Not meant to be extended directly:
 * extend {@link SandboxContractTest}.
 */
public abstract class PolicyContract extends LimitsContract {

    /** For each capability a policy part needs, an edit of the base policy that asks for that part. */
    private Map<Capability, UnaryOperator<IsolationPolicy.Builder>> partsNeeding() {
        ProcessPolicy p = basePolicy().process();
        Map<Capability, UnaryOperator<IsolationPolicy.Builder>> m = new EnumMap<>(Capability.class);
        FilesystemPolicy view = new FilesystemPolicy(true, List.of(), List.of(), List.of());
        m.put(Capability.FILESYSTEM_VIEW, b -> b.filesystem(view));
        m.put(Capability.TMPFS, b -> b.filesystem(view.toBuilder().tmpfs("/tmp").build()));
        m.put(Capability.HIDE_PATHS, b -> b.filesystem(view.toBuilder().hide("/etc/hostname").build()));
        m.put(Capability.NETWORK_NONE, b -> b.network(NetworkPolicy.none()));
        m.put(Capability.NETWORK_LOOPBACK, b -> b.network(NetworkPolicy.loopback()));
        m.put(Capability.NETWORK_HOST, b -> b.network(NetworkPolicy.host()));
        m.put(Capability.MEMORY_LIMIT, b -> b.limits(l -> l.memory(DataSize.ofMiB(256))));
        m.put(Capability.CPU_LIMIT, b -> b.limits(l -> l.cpus(1)));
        m.put(Capability.PIDS_LIMIT, b -> b.limits(l -> l.pids(64)));
        m.put(Capability.FILE_SIZE_LIMIT, b -> b.limits(l -> l.fileSize(DataSize.ofMiB(8))));
        m.put(Capability.OPEN_FILES_LIMIT, b -> b.limits(l -> l.openFiles(64)));
        m.put(Capability.DISK_LIMIT, b -> b.limits(l -> l.disk(DataSize.ofMiB(64))));
        m.put(Capability.SYSCALL_FILTER, b -> b.syscalls(SyscallPolicy.defaultProfile()));
        m.put(Capability.PID_ISOLATION, b -> b.process(new ProcessPolicy(true, p.uid(), p.noNewPrivileges(),
                p.dropCapabilities(), p.keepCapabilities())));
        m.put(Capability.RUN_AS_UID, b -> b.process(new ProcessPolicy(p.isolatePids(), OptionalInt.of(ProcessPolicy.NOBODY),
                p.noNewPrivileges(), p.dropCapabilities(), p.keepCapabilities())));
        m.put(Capability.NO_NEW_PRIVILEGES, b -> b.process(new ProcessPolicy(p.isolatePids(), p.uid(), true,
                p.dropCapabilities(), p.keepCapabilities())));
        m.put(Capability.DROP_CAPABILITIES, b -> b.process(new ProcessPolicy(p.isolatePids(), p.uid(), p.noNewPrivileges(),
                true, Set.of())));
        return m;
    }

    @Test
    @DisplayName("build() fails closed: each policy part the backend does not claim is refused with UnsupportedPolicyException naming it")
    void unclaimedPartsRefused() {
        List<String> checked = new ArrayList<>();
        for (var e : partsNeeding().entrySet()) {
            if (capabilities().contains(e.getKey())) {
                continue;
            }
            IsolationPolicy asking = e.getValue().apply(basePolicy().toBuilder()).build();
            List<SandboxEvent> events = new CopyOnWriteArrayList<>();
            assertThatThrownBy(() -> newSandbox(asking, b -> b.listener(events::add)))
                    .as("a policy asking for %s from %s, which does not claim it", e.getKey(), backendName())
                    .isInstanceOfSatisfying(UnsupportedPolicyException.class, ex -> {
                        assertThat(ex.backend()).isEqualTo(backendName());
                        assertThat(ex.parts()).extracting(UnsupportedPolicyException.Part::capability).contains(e.getKey().name());
                        assertThat(ex).hasMessageContaining(backendName());
                    });
            assertThat(events).as("nothing may start for a refused policy").isEmpty();
            checked.add(e.getKey().name());
        }
        if (checked.isEmpty()) {
            Assumptions.abort(backendName() + " claims every capability a policy part needs: nothing to refuse");
        }
    }

    @Test
    @DisplayName("bad input is refused with InvalidInputException before anything starts: NUL, relative or '..' paths, non-positive timeouts, unknown backend")
    void badInputRejected() {
        assertThatThrownBy(() -> Command.of("echo\0evil")).isInstanceOf(InvalidInputException.class).hasMessageContaining("NUL");
        assertThatThrownBy(() -> Command.of("echo", "a\0b")).isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> Command.of(List.of())).isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> Command.of("pwd").workdir("relative/dir")).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("relative/dir");
        assertThatThrownBy(() -> Command.of("pwd").workdir("/workspace/../etc")).isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> Command.of("true").timeout(Duration.ZERO)).isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> Command.of("true").timeout(Duration.ofSeconds(-1))).isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> Command.of("true").env("1BAD", "x")).isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> Command.of("true").env("OK", "a\0b")).isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> DataSize.ofBytes(-1)).isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> basePolicy().toBuilder().limits(l -> l.pids(0)).build())
                .isInstanceOf(InvalidInputException.class);
        String unknown = "no-such-backend-" + unique();
        assertThatThrownBy(() -> Sandbox.builder().backend(unknown).policy(basePolicy()).build())
                .isInstanceOf(InvalidInputException.class).hasMessageContaining(unknown);
        assertThatThrownBy(() -> Sandbox.builder().workspace(Path.of("relative-ws"))).isInstanceOf(InvalidInputException.class);
        Path missing = Path.of("/var/tmp/sandbox4j-contract-missing-" + unique());
        List<SandboxEvent> events = new CopyOnWriteArrayList<>();
        assertThatThrownBy(() -> newSandbox(basePolicyForHostDirs(), b -> b.workspace(missing).listener(events::add)))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining(missing.toString());
        assertThat(events).as("nothing may start for a missing workspace").isEmpty();
    }
}
