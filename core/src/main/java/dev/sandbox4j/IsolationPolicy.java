package dev.sandbox4j;

import dev.sandbox4j.internal.json.PolicyJson;
import dev.sandbox4j.internal.select.StrongestPolicy;
import dev.sandbox4j.spi.Capability;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * Everything a sandbox must enforce. Immutable and thread-safe; derive adjusted copies with
 * {@link #toBuilder()}. A backend that cannot enforce a part refuses it at {@code build()}
 * ({@link UnsupportedPolicyException}); nothing is weakened silently.
 *
 * <p>The presets, with every default (sizes binary, times wall-clock):
 * <table>
 *   <caption>presets</caption>
 *   <tr><th></th><th>{@link #strict()} (the default)</th><th>{@link #standard()}</th><th>{@link #permissive()}</th></tr>
 *   <tr><td>filesystem</td><td>private view, tmpfs /tmp</td><td>private view, tmpfs /tmp</td><td>the host's, unprotected</td></tr>
 *   <tr><td>network</td><td>none</td><td>loopback (its own)</td><td>host</td></tr>
 *   <tr><td>memory</td><td>512m</td><td>2g</td><td>no limit</td></tr>
 *   <tr><td>cpus</td><td>1</td><td>2</td><td>no limit</td></tr>
 *   <tr><td>pids</td><td>128</td><td>512</td><td>no limit</td></tr>
 *   <tr><td>wall time per exec</td><td>30s</td><td>5m</td><td>10m</td></tr>
 *   <tr><td>output per stream</td><td>1m</td><td>4m</td><td>16m</td></tr>
 *   <tr><td>file size</td><td>64m</td><td>1g</td><td>no limit</td></tr>
 *   <tr><td>open files</td><td>256</td><td>1024</td><td>no limit</td></tr>
 *   <tr><td>disk (workspace, tmpfs paths and writable mounts together)</td><td>1g</td><td>10g</td><td>no limit</td></tr>
 *   <tr><td>syscalls</td><td>default deny profile</td><td>default deny profile</td><td>no filter</td></tr>
 *   <tr><td>process</td><td>own pids, a host uid of the sandbox's own, no new privileges, no capabilities</td><td>same</td><td>host's view, JVM's user</td></tr>
 *   <tr><td>environment</td><td colspan="3">PATH, HOME=/tmp, LANG=C.UTF-8, TERM=dumb; nothing of the host</td></tr>
 * </table>
 */
public record IsolationPolicy(FilesystemPolicy filesystem, NetworkPolicy network, ResourceLimits limits,
                              SyscallPolicy syscalls, ProcessPolicy process, EnvironmentPolicy environment) {

    public IsolationPolicy {
        if (filesystem == null || network == null || limits == null || syscalls == null || process == null
                || environment == null) {
            throw new InvalidInputException("IsolationPolicy: every part must be given; start from IsolationPolicy.strict().toBuilder()");
        }
    }

    public static IsolationPolicy strict() {
        return new IsolationPolicy(FilesystemPolicy.isolatedView(), NetworkPolicy.none(),
                new ResourceLimits(Optional.of(DataSize.ofMiB(512)), OptionalDouble.of(1), OptionalInt.of(128),
                        Duration.ofSeconds(30), DataSize.ofMiB(1), Optional.of(DataSize.ofMiB(64)), OptionalInt.of(256),
                        Optional.of(DataSize.ofGiB(1))),
                SyscallPolicy.defaultProfile(), ProcessPolicy.isolated(), EnvironmentPolicy.defaults());
    }

    public static IsolationPolicy standard() {
        return new IsolationPolicy(FilesystemPolicy.isolatedView(), NetworkPolicy.loopback(),
                new ResourceLimits(Optional.of(DataSize.ofGiB(2)), OptionalDouble.of(2), OptionalInt.of(512),
                        Duration.ofMinutes(5), DataSize.ofMiB(4), Optional.of(DataSize.ofGiB(1)), OptionalInt.of(1024),
                        Optional.of(DataSize.ofGiB(10))),
                SyscallPolicy.defaultProfile(), ProcessPolicy.isolated(), EnvironmentPolicy.defaults());
    }

    public static IsolationPolicy permissive() {
        return new IsolationPolicy(FilesystemPolicy.host(), NetworkPolicy.host(),
                ResourceLimits.unlimited().toBuilder().wallTime(Duration.ofMinutes(10)).maxOutput(DataSize.ofMiB(16)).build(),
                SyscallPolicy.allowAll(), ProcessPolicy.host(), EnvironmentPolicy.defaults());
    }

    /**
     * The strongest policy that a backend with these capabilities can enforce: {@link #strict()} with
     * exactly the parts relaxed that {@code capabilities} lack (no file-system view: the host's; no network
     * none: a private loopback, else the host's; a missing limit: removed; no syscall filter: none; a
     * process field it cannot enforce: relaxed). See {@link BackendInfo#strongestPolicy()}.
     */
    public static IsolationPolicy strongestFor(Set<Capability> capabilities) {
        return StrongestPolicy.forCapabilities(capabilities);
    }

    /**
     * Reads a policy from JSON. Fields left out keep the value of the preset named by {@code "preset"}
     * ({@code strict} when absent). Sizes are strings like {@code "512m"}, durations like {@code "30s"}.
     *
     * @throws InvalidInputException for malformed JSON, an unknown field (named with its path) or a bad value
     */
    public static IsolationPolicy fromJson(String json) {
        return PolicyJson.read(json);
    }

    /** Writes every field, so that {@link #fromJson(String)} reads back an equal policy. */
    public String toJson() {
        return PolicyJson.write(this);
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Adjusts a policy part by part. Not thread-safe. */
    public static final class Builder {
        private FilesystemPolicy filesystem;
        private NetworkPolicy network;
        private ResourceLimits limits;
        private SyscallPolicy syscalls;
        private ProcessPolicy process;
        private EnvironmentPolicy environment;

        private Builder(IsolationPolicy from) {
            filesystem = from.filesystem;
            network = from.network;
            limits = from.limits;
            syscalls = from.syscalls;
            process = from.process;
            environment = from.environment;
        }

        public Builder filesystem(FilesystemPolicy fs) {
            filesystem = fs;
            return this;
        }

        public Builder filesystem(UnaryOperator<FilesystemPolicy.Builder> edit) {
            filesystem = edit.apply(filesystem.toBuilder()).build();
            return this;
        }

        public Builder network(NetworkPolicy n) {
            network = n;
            return this;
        }

        public Builder limits(ResourceLimits l) {
            limits = l;
            return this;
        }

        public Builder limits(UnaryOperator<ResourceLimits.Builder> edit) {
            limits = edit.apply(limits.toBuilder()).build();
            return this;
        }

        public Builder syscalls(SyscallPolicy s) {
            syscalls = s;
            return this;
        }

        public Builder process(ProcessPolicy p) {
            process = p;
            return this;
        }

        public Builder environment(EnvironmentPolicy e) {
            environment = e;
            return this;
        }

        public IsolationPolicy build() {
            return new IsolationPolicy(filesystem, network, limits, syscalls, process, environment);
        }
    }
}
