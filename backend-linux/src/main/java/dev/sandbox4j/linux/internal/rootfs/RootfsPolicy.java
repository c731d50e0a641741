package dev.sandbox4j.linux.internal.rootfs;

import dev.sandbox4j.BackendUnavailableException;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.ProcessPolicy;
import dev.sandbox4j.SandboxStartException;
import dev.sandbox4j.UnsupportedPolicyException;
import dev.sandbox4j.spi.HostIds;
import dev.sandbox4j.spi.SandboxSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;

/**
 * The checks a root-file-system backend makes before anything starts, beyond what the core checked against
 * its capabilities: parts a capability does not name (kept capabilities, the host's whole file system), the
 * host's privileges, and the uid the command gets (the sandbox's own host uid). Stateless.
 */
public final class RootfsPolicy {
    private RootfsPolicy() {
    }

    /** This JVM's effective uid, from /proc/self/status; -1 when unreadable. */
    public static int effectiveUid() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return Integer.parseInt(line.substring(4).trim().split("\\s+")[1]);
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** @throws BackendUnavailableException unless the JVM runs as root */
    public static void requireRoot(String backend, String why) {
        int euid = effectiveUid();
        if (euid != 0) {
            throw new BackendUnavailableException(backend + " needs root (" + why + "), but this JVM runs as uid " + euid
                    + "; fix: run the JVM as root, or use the bubblewrap or namespaces backend, which need no privileges");
        }
    }

    /** @throws BackendUnavailableException naming the missing programs and the package that has them */
    public static void requireTools(String backend, HostTools tools, String fix) {
        if (!tools.missing().isEmpty()) {
            throw new BackendUnavailableException(backend + ": " + tools.missing() + " not found on PATH=" + tools.searchPath()
                    + "; fix: " + fix);
        }
    }

    /** @throws UnsupportedPolicyException for {@code FilesystemPolicy.host()}: these backends always run in a root */
    public static void requireIsolatedView(String backend, IsolationPolicy policy) {
        if (!policy.filesystem().isolated()) {
            throw refuse(backend, "filesystem=host (the host's whole file system)", "FILESYSTEM_VIEW",
                    backend + " always runs the command in a root file system and cannot show the host's whole file"
                            + " system; use FilesystemPolicy.isolatedView() with readOnly/readWrite mounts, or the none backend");
        }
    }

    /** @throws UnsupportedPolicyException for capabilities kept for an unprivileged uid, which these backends cannot grant */
    public static void refuseKeptCapabilities(String backend, ProcessPolicy process) {
        if (!process.keepCapabilities().isEmpty()) {
            throw refuse(backend, "process.keepCapabilities=" + process.keepCapabilities(), "DROP_CAPABILITIES",
                    backend + " runs the command as an unprivileged uid and drops every capability; it cannot keep "
                            + process.keepCapabilities() + ". Remove keepCapabilities, or use the bubblewrap backend");
        }
    }

    /**
     * {@code spec} with the command's user fixed to the sandbox's own host ids ({@code spec.host().ids()}): these
     * backends make no user namespace, so the command runs as those ids on the host and {@code id -u} inside
     * prints them; the policy names the uid explicitly so that the plan writes its /etc/passwd entry.
     *
     * @throws UnsupportedPolicyException for an explicit {@code process.uid}, which only a backend with a user
     *                                    namespace or a guest kernel maps (RUN_AS_UID)
     * @throws SandboxStartException      for host ids of root's (a spec the core did not prepare)
     */
    public static SandboxSpec ownUser(String backend, SandboxSpec spec) {
        ProcessPolicy p = spec.policy().process();
        if (p.uid().isPresent()) {
            throw refuse(backend, "process.uid=" + p.uid().getAsInt(), "RUN_AS_UID", backend + " shares the host's user ids"
                    + " and runs the command as the sandbox's own host uid (" + spec.host().ids() + "); leave process.uid"
                    + " empty, or use a backend that maps a uid of your choice (namespaces, bubblewrap, qemu, microvm)");
        }
        HostIds ids = spec.host().ids();
        if (ids.uid() == 0 || ids.gid() == 0) {
            throw new SandboxStartException(backend + ": the sandbox " + spec.sandboxId() + " would run as the host's root ("
                    + ids + "); a root JVM gives each sandbox host ids of its own (the core's range), so this spec was not"
                    + " prepared by the core: build the sandbox through Sandbox.builder()");
        }
        return withUid(spec, ids.uid());
    }

    /** A copy of {@code spec} whose policy names the uid explicitly, so that the plan generates /etc/passwd for it. */
    static SandboxSpec withUid(SandboxSpec spec, int uid) {
        ProcessPolicy p = spec.policy().process();
        ProcessPolicy fixed = new ProcessPolicy(p.isolatePids(), OptionalInt.of(uid), p.noNewPrivileges(),
                p.dropCapabilities(), p.keepCapabilities());
        return spec.withPolicy(spec.policy().toBuilder().process(fixed).build());
    }

    public static UnsupportedPolicyException refuse(String backend, String part, String capability, String message) {
        return new UnsupportedPolicyException(backend, List.of(new UnsupportedPolicyException.Part(part, capability, List.of())),
                backend + " cannot enforce " + part + ": " + message);
    }
}
