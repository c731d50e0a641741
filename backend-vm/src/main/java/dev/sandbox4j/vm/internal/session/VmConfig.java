package dev.sandbox4j.vm.internal.session;

import dev.sandbox4j.DataSize;
import dev.sandbox4j.Durations;
import dev.sandbox4j.FilesystemPolicy;
import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.Mount;
import dev.sandbox4j.NetworkPolicy;
import dev.sandbox4j.ProcessPolicy;
import dev.sandbox4j.SandboxImage;
import dev.sandbox4j.spi.HostIds;
import dev.sandbox4j.spi.PinnedPath;
import dev.sandbox4j.spi.SandboxSpec;
import dev.sandbox4j.vm.internal.protocol.InitRequest;
import dev.sandbox4j.vm.internal.qemu.VmPlan;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * What one VM sandbox needs, worked out from the spec before anything starts: the VM's size, the host
 * directories shared into it and the guest-side setup the agent does. Plain data, so it can be tested.
 *
 * @param ramMiB       guest RAM: the memory limit plus room for the guest kernel, rounded up to a power of
 *                     two (at least {@link #MIN_RAM_MIB}) so that many limits share one snapshot
 * @param cpus         vCPUs: the CPU limit rounded up (1 when none)
 * @param shares       host directories served by virtiofsd
 * @param sandboxUid   the uid (and gid) commands run as in the guest: the policy's, or
 *                     {@link ProcessPolicy#NOBODY} when it names none (the sandbox's own user)
 * @param hostIds      the sandbox's host uid and gid, which the file servers map {@code sandboxUid} to
 * @param init         the agent's INIT (its clock, seed and address randomisation are filled in when sent)
 * @param aslr         the option {@link #OPTION_ASLR}: empty for the default (randomised under KVM, fixed under TCG)
 */
public record VmConfig(long ramMiB, int cpus, List<ShareSpec> shares, int sandboxUid, HostIds hostIds, InitRequest init,
                       Optional<Boolean> aslr) {

    /** The smallest guest: the 6.1 cloud kernel, the agent and a shell fit well in it. */
    public static final long MIN_RAM_MIB = 1024;
    /** What the guest kernel and the agent keep for themselves above the sandbox's memory limit. */
    public static final long GUEST_OVERHEAD_MIB = 192;
    /** RAM of a sandbox without a memory limit, unless the option vm.memory says otherwise. */
    public static final long DEFAULT_RAM_MIB = 1024;
    /** Where the workspace appears in every VM. */
    public static final String WORKSPACE = "/workspace";
    /** The option that sizes a VM without a memory limit (e.g. 4g). */
    public static final String OPTION_MEMORY = "vm.memory";
    /** The option that bounds a cold boot to the agent's READY (e.g. 30s; default 90s under any accelerator). */
    public static final String OPTION_BOOT_TIMEOUT = "vm.boot-timeout";
    /**
     * The option that decides whether commands in the guest get address-space layout randomisation
     * ({@code true} or {@code false}). By default they do under KVM and do not under TCG: QEMU 7's TCG finds
     * a program's already translated code only at the addresses it was translated at, so randomised
     * programs are translated afresh on every start, which doubles the cost of running a dynamically
     * linked program. The VM is the isolation boundary either way; randomisation only hardens programs
     * inside the sandbox against each other.
     */
    public static final String OPTION_ASLR = "vm.aslr";

    /**
     * A host directory shared into the guest.
     *
     * @param tag       the virtiofs tag the agent mounts
     * @param source    the host directory, pinned: virtiofsd serves its {@link PinnedPath#engineSource engine
     *                  source} (with a root JVM, a private nosuid,nodev bind that no link can redirect)
     * @param guestPath where it appears
     * @param readOnly  enforced on the host (a read-only bind mount in virtiofsd's namespace) and in the guest
     * @param cache     virtiofsd's cache mode: {@code always} for the host's /usr, {@code none} where the host
     *                  writes too (the workspace, through the files API) so both sides see the same bytes
     */
    public record ShareSpec(String tag, PinnedPath source, String guestPath, boolean readOnly, String cache) {
        /** The host directory as given. */
        public Path hostPath() {
            return source.path();
        }

        /** The path virtiofsd resolves (see {@link PinnedPath#engineSource}). */
        public Path engineSource() {
            return source.engineSource(readOnly);
        }
    }

    public VmConfig {
        shares = List.copyOf(shares);
    }

    /**
     * @param usr the host's /usr, pinned by the caller, shared read-only when the image is the host's
     */
    public static VmConfig of(SandboxSpec spec, Set<String> allowedOptions, Optional<PinnedPath> usr) {
        checkOptions(spec, allowedOptions);
        IsolationPolicy p = spec.policy();
        OptionalLong memory = p.limits().memory().map(d -> OptionalLong.of(d.bytes())).orElse(OptionalLong.empty());
        long ram = memory.isPresent()
                ? Math.max(MIN_RAM_MIB, Long.highestOneBit(memory.getAsLong() / (1 << 20) + GUEST_OVERHEAD_MIB - 1) << 1)
                : option(spec.options(), OPTION_MEMORY).map(s -> DataSize.parse(s).toMiB()).orElse(DEFAULT_RAM_MIB);
        if (ram < 256) {
            throw new InvalidInputException("option " + OPTION_MEMORY + "=" + spec.options().get(OPTION_MEMORY)
                    + " is too small for a guest; give at least 256m");
        }
        int cpus = (int) Math.ceil(p.limits().cpus().orElse(1));
        OptionalLong quota = p.limits().cpus().isPresent() && p.limits().cpus().getAsDouble() < cpus
                ? OptionalLong.of(Math.round(p.limits().cpus().getAsDouble() * 100_000)) : OptionalLong.empty();
        OptionalLong pids = p.limits().pids().isPresent() ? OptionalLong.of(p.limits().pids().getAsInt()) : OptionalLong.empty();

        List<ShareSpec> shares = new ArrayList<>();
        boolean hostRoot = spec.image() instanceof SandboxImage.Host;
        if (hostRoot) {
            shares.add(new ShareSpec("usr", usr.orElseThrow(() -> new IllegalArgumentException("the host image needs /usr pinned")),
                    "/usr", true, "always"));
        }
        shares.add(new ShareSpec("ws", spec.host().workspace(), WORKSPACE, false, "none"));
        FilesystemPolicy fs = p.filesystem();
        int n = 0;
        for (Mount m : fs.mounts()) {
            if (hostRoot && m.sandboxPath().equals("/usr") && m.hostPath().equals(Path.of("/usr")) && !m.writable()) {
                continue; // the image's own /usr share
            }
            if (m.sandboxPath().equals(WORKSPACE) || m.sandboxPath().equals("/")) {
                throw new InvalidInputException("filesystem mount at " + m.sandboxPath() + ": the VM backends keep " + WORKSPACE
                        + " and / for themselves; mount it elsewhere");
            }
            if (!spec.host().mount(fs.mounts(), m).isDirectory()) {
                throw new InvalidInputException("filesystem mount " + m.hostPath() + " -> " + m.sandboxPath()
                        + ": the VM backends share directories only (virtiofs); mount its parent directory instead");
            }
            shares.add(new ShareSpec("m" + n++, spec.host().mount(fs.mounts(), m), m.sandboxPath(), !m.writable(),
                    m.writable() ? "none" : "auto"));
        }
        long tmpfsSize = memory.isPresent() ? memory.getAsLong() : ram << 19; // half the RAM without a limit
        List<InitRequest.Tmpfs> tmpfs = fs.tmpfs().stream()
                .map(t -> new InitRequest.Tmpfs(t, "size=" + (tmpfsSize >> 10) + "k,mode=1777")).toList();
        List<InitRequest.Share> initShares = shares.stream()
                .map(s -> new InitRequest.Share(s.tag(), s.guestPath(), s.readOnly())).toList();
        InitRequest init = new InitRequest(Instant.EPOCH, new byte[32], p.network().mode() == NetworkPolicy.Mode.LOOPBACK,
                false, pids, memory, quota, initShares, tmpfs, fs.hidden());
        int uid = p.process().uid().orElse(ProcessPolicy.NOBODY);
        Optional<Boolean> aslr = option(spec.options(), OPTION_ASLR).map(v -> switch (v) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new InvalidInputException("option " + OPTION_ASLR + "=" + v + " is neither true nor false;"
                    + " leave it out for the default (randomised under KVM, fixed addresses under TCG)");
        });
        return new VmConfig(ram, cpus, shares, uid, spec.host().ids(), init, aslr);
    }

    /** Refuses an option the backend does not know, before anything is prepared. */
    static void checkOptions(SandboxSpec spec, Set<String> allowedOptions) {
        for (String key : spec.options().keySet()) {
            if (!allowedOptions.contains(key)) {
                throw new InvalidInputException("option '" + key + "' is unknown to the VM backends; they take " + allowedOptions);
            }
        }
    }

    /**
     * The INIT to send now: this moment's clock, fresh randomness, and commands at fixed addresses unless
     * they are to be randomised (see {@link #OPTION_ASLR}).
     */
    public InitRequest initNow(SecureRandom random, VmPlan.Accel accel) {
        byte[] seed = new byte[32];
        random.nextBytes(seed);
        boolean fixed = !aslr.orElse(accel != VmPlan.Accel.TCG);
        return new InitRequest(Instant.now(), seed, init.loopback(), fixed, init.pidsMax(), init.memoryMax(), init.cpuQuotaMicros(),
                init.shares(), init.tmpfs(), init.hidden());
    }

    static Duration bootTimeout(Map<String, String> options, Duration fallback) {
        return option(options, OPTION_BOOT_TIMEOUT).map(Durations::parse).orElse(fallback);
    }

    static Optional<String> option(Map<String, String> options, String key) {
        return Optional.ofNullable(options.get(key)).filter(s -> !s.isBlank());
    }
}
