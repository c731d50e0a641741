package dev.sandbox4j.container.internal.runsc;

import dev.sandbox4j.SandboxImage;
import dev.sandbox4j.SandboxStartException;
import dev.sandbox4j.container.internal.ContainerBackendSupport;
import dev.sandbox4j.container.internal.WorkspaceAccess;
import dev.sandbox4j.container.internal.agent.ExecAgent;
import dev.sandbox4j.container.internal.image.HostBaseImage;
import dev.sandbox4j.container.internal.image.HostBinaries;
import dev.sandbox4j.container.internal.plan.BindMount;
import dev.sandbox4j.container.internal.seccomp.SeccompHelper;
import dev.sandbox4j.spi.Availability;
import dev.sandbox4j.spi.BackendSession;
import dev.sandbox4j.spi.PinnedPath;
import dev.sandbox4j.spi.SandboxSpec;
import dev.sandbox4j.spi.SessionLabels;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * gVisor without an engine: {@code runsc} run directly on an OCI bundle made here (see
 * {@link BundlePlanner} for the policy's mapping and {@link RunscSession} for the life of a sandbox).
 * Images: {@link SandboxImage#host()} (the host base image's few entries unpacked, the host's system
 * directories bound in read-only) and {@link SandboxImage#rootfs(Path)} (the tarball unpacked, once per
 * sandbox); an OCI reference needs an engine's image store. Needs root (runsc makes namespaces and
 * cgroups). Thread-safe, stateless.
 */
public final class DaemonlessGvisor {
    /** The option naming the runsc binary (a path or a name on the PATH); default {@value Runsc#DEFAULT}. */
    public static final String RUNSC_OPTION = "gvisor.runsc";
    static final String WORKSPACE = "/workspace";

    private DaemonlessGvisor() {
    }

    /**
     * Available when runsc runs here, the JVM is root and a static init exists, with {@link StatxCheck}'s
     * warning when this runsc fails the host's GNU tools; never throws.
     */
    public static Availability probe(String runscName) {
        try {
            Optional<Runsc> runsc = Runsc.find(runscName);
            if (runsc.isEmpty()) {
                return Availability.unavailable("no runsc binary ('" + runscName + "' is not on the PATH nor in /usr/bin)",
                        Runsc.installFix());
            }
            Runsc.Result v = runsc.get().version();
            if (!v.ok()) {
                return Availability.unavailable(runsc.get() + " --version failed (exit " + v.exitCode() + "): " + v.output(),
                        "reinstall runsc (apt-get install --reinstall runsc)");
            }
            int uid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            if (uid != 0) {
                return Availability.unavailable("runsc without an engine needs root (it makes namespaces and cgroups); this"
                        + " JVM runs as uid " + uid, "run the JVM as root, or use gvisor through a Docker engine with the"
                        + " runsc runtime (builder option gvisor.mode=engine)");
            }
            if (HostBinaries.staticInit().isEmpty()) {
                return Availability.unavailable("no static init (tini, docker-init or catatonit) on this host to run as PID 1"
                        + " of the sandbox", HostBinaries.initFix());
            }
            // the host image's GNU tools may fail under this runsc: a warning, checked once per JVM (StatxCheck)
            return StatxCheck.of(runsc.get()).apply(Availability.available(v.output() + " at " + runsc.get()
                    + ", daemonless (runsc with an OCI bundle, platform ptrace, network none)"));
        } catch (IOException | RuntimeException e) {
            return Availability.unavailable("runsc probe failed: " + e, Runsc.installFix());
        }
    }

    /** Opens a daemonless sandbox; on failure leaves nothing behind. */
    public static BackendSession open(SandboxSpec spec, String runscName) {
        Runsc runsc = Runsc.find(runscName).orElseThrow(() -> new SandboxStartException("gvisor: no runsc binary ('"
                + runscName + "' is not on the PATH nor in /usr/bin); fix: " + Runsc.installFix()));
        Path init = HostBinaries.staticInit().orElseThrow(() -> new SandboxStartException("gvisor: no static init on this"
                + " host to run as PID 1 of the sandbox; fix: " + HostBinaries.initFix()));
        if (spec.image() instanceof SandboxImage.Oci oci) {
            throw new SandboxStartException("gvisor: the image " + oci.reference() + " is an OCI reference, which needs a"
                    + " container engine's image store, but this sandbox runs runsc without an engine; fix: start the Docker"
                    + " engine with the runsc runtime (builder option gvisor.mode=engine), or give the image as a root file"
                    + " system tarball (SandboxImage.rootfs, e.g. from 'docker export')");
        }
        if (spec.policy().process().dropCapabilities() && !spec.policy().process().keepCapabilities().isEmpty()) {
            throw new SandboxStartException("gvisor: process.keepCapabilities " + spec.policy().process().keepCapabilities()
                    + " cannot be kept: a daemonless gVisor sandbox always runs without capabilities; fix: keep none");
        }
        Path dir = RunscReaper.tmp().resolve(BundlePlanner.name(spec.sandboxId()));
        SeccompHelper seccomp = null;
        ExecAgent agent = null;
        WorkspaceAccess ws = null;
        RunscSession.AgentMaker maker;
        RunscSession.AgentMaker.Made first;
        try {
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx--x--x")));
            Path rootfs = Files.createDirectories(dir.resolve("bundle").resolve("rootfs"));
            Files.setPosixFilePermissions(rootfs, PosixFilePermissions.fromString("rwxr-xr-x"));
            List<BindMount> imageBinds = List.of();
            if (spec.image() instanceof SandboxImage.Rootfs r) {
                try (InputStream in = Files.newInputStream(r.tarball())) {
                    BundleWriter.unpack(in, rootfs);
                }
            } else if (spec.image() instanceof SandboxImage.Host) {
                BundleWriter.unpack(HostBaseImage.tar(), rootfs);
                imageBinds = HostBaseImage.systemBinds();
            } else {
                throw new SandboxStartException("gvisor: the image " + spec.image() + " is not one this backend takes; fix:"
                        + " use SandboxImage.host() or SandboxImage.rootfs(tarball)");
            }
            // every host path of the backend's own is pinned for the sandbox: with a root JVM a private nosuid,nodev
            // bind staged by the core, which releases it when the sandbox closes
            List<BindMount> systemBinds = new ArrayList<>();
            for (BindMount b : imageBinds) {
                systemBinds.add(new BindMount(ContainerBackendSupport.source(spec, Path.of(b.hostPath()), "host image directory",
                        b.readOnly()), b.containerPath(), b.readOnly()));
            }
            String initSource = ContainerBackendSupport.source(spec, init, "static init", true);
            seccomp = SeccompHelper.prepare(spec.sandboxId(), spec.policy());
            String cover = ContainerBackendSupport.source(spec, ContainerBackendSupport.cover(seccomp.hostDir()),
                    "cover of hidden files", true);
            String seccompSource = ContainerBackendSupport.source(spec, seccomp.hostDir(), "seccomp helper directory", true);
            AtomicReference<PinnedPath> agentPin = new AtomicReference<>();
            maker = () -> {
                ExecAgent a = ExecAgent.prepare(spec.sandboxId(), spec.host().ids()).commandPrefix(SeccompHelper.commandPrefix());
                try {
                    // the directory of the agent made before (deleted with its sandbox) is released now, not at close
                    PinnedPath pin = spec.host().pin(a.hostDir(), "exec agent directory");
                    PinnedPath before = agentPin.getAndSet(pin);
                    if (before != null) {
                        before.close();
                    }
                    BundlePlan plan = BundlePlanner.plan(spec, systemBinds, initSource, pin.engineSource(false).toString(),
                            cover, seccompSource, WORKSPACE);
                    BundleWriter.write(plan, dir.resolve("bundle"));
                    return new RunscSession.AgentMaker.Made(a, plan);
                } catch (IOException | RuntimeException e) {
                    a.close();
                    throw e;
                }
            };
            first = maker.make();
            agent = first.agent();
            ws = WorkspaceAccess.grant(spec);
        } catch (IOException | RuntimeException e) {
            if (agent != null) {
                agent.close();
            }
            if (ws != null) {
                ws.close();
            }
            if (seccomp != null) {
                seccomp.close();
            }
            ExecAgent.deleteDir(dir);
            if (e instanceof SandboxStartException se) {
                throw se;
            }
            throw new SandboxStartException("gvisor: cannot prepare the OCI bundle in " + dir + ": " + e, e);
        }
        SeccompHelper filter = seccomp;
        return RunscSession.start(runsc, init, spec.sandboxId(), dir, first, WORKSPACE, spec.events(), ws, maker,
                filter::close);
    }

    /** Removes what daemonless sandboxes of dead JVMs left; one line per thing removed. Never throws. */
    public static List<String> reap(String runscName) {
        try {
            List<String> removed = new java.util.ArrayList<>(RunscReaper.reap(Runsc.find(runscName)));
            removed.addAll(ExecAgent.reapOrphans());
            removed.addAll(SeccompHelper.reapOrphans());
            return removed;
        } catch (RuntimeException e) {
            return List.of();
        }
    }

    /** The prefix of this JVM's sandbox directories and cgroups (for tests and diagnostics). */
    public static String namePrefixOfThisJvm() {
        return RunscReaper.PREFIX + SessionLabels.current() + "--";
    }
}
