package dev.sandbox4j.vm.internal.session;

import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.SandboxException;
import dev.sandbox4j.SandboxImage;
import dev.sandbox4j.vm.internal.image.GuestImage;
import dev.sandbox4j.vm.internal.image.Hashing;
import dev.sandbox4j.vm.internal.image.VmCache;
import dev.sandbox4j.vm.internal.qemu.HostFacts;
import dev.sandbox4j.vm.internal.qemu.VmPlan;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;

/**
 * KVM when it can boot this guest, else TCG. A /dev/kvm that opens is not enough: nested or
 * paravirtualised KVMs (kvm_pvm) accept the VM and then abort QEMU or stop the guest with "KVM internal
 * error", and QEMU stays paused forever. So the first use boots the guest under KVM once, bounded by
 * {@link #SELF_TEST}; the verdict is kept in the cache until the host reboots or QEMU or the guest
 * change. The option {@code vm.accel} or the environment variable {@code SANDBOX4J_VM_ACCEL} ({@code kvm}
 * or {@code tcg}) skips the test. Thread-safe.
 */
public final class AcceleratorChoice {
    static final String OPTION = "vm.accel";
    static final String ENV = "SANDBOX4J_VM_ACCEL";
    static final Duration SELF_TEST = Duration.ofSeconds(10);
    private static final Map<String, Choice> MEMO = new ConcurrentHashMap<>();

    private AcceleratorChoice() {
    }

    /** The accelerator and the reason for it, as doctor shows it. */
    record Choice(VmPlan.Accel accel, String why) {
        String describe() {
            return accel.name().toLowerCase(Locale.ROOT) + " (" + why + ")";
        }
    }

    /**
     * The accelerator for guests that have no agent to self-test with (unikernels): the verdict for the
     * host's Linux guest when a host kernel exists, else TCG unless forced.
     */
    public static VmPlan.Accel forHost(Map<String, String> options, VmCache cache) {
        boolean forced = VmConfig.option(options, OPTION).isPresent()
                || Optional.ofNullable(System.getenv(ENV)).filter(s -> !s.isBlank()).isPresent();
        if (!forced && !kvmUsable()) {
            // decided without preparing the host's guest (which takes seconds the first time)
            return VmPlan.Accel.TCG;
        }
        try {
            return choose(options, Guests.resolve(SandboxImage.host(), cache), cache).accel();
        } catch (SandboxException e) {
            return Optional.ofNullable(options.get(OPTION)).or(() -> Optional.ofNullable(System.getenv(ENV)))
                    .filter(s -> s.trim().equalsIgnoreCase("kvm")).map(s -> VmPlan.Accel.KVM).orElse(VmPlan.Accel.TCG);
        }
    }

    static Choice choose(Map<String, String> options, GuestImage image, VmCache cache) {
        Optional<String> forced = VmConfig.option(options, OPTION).or(() -> Optional.ofNullable(System.getenv(ENV)).filter(s -> !s.isBlank()));
        if (forced.isPresent()) {
            String f = forced.get().trim().toLowerCase(Locale.ROOT);
            return switch (f) {
                case "kvm" -> new Choice(VmPlan.Accel.KVM, "forced by " + OPTION + "/" + ENV);
                case "tcg" -> new Choice(VmPlan.Accel.TCG, "forced by " + OPTION + "/" + ENV);
                default -> throw new InvalidInputException(OPTION + "=" + forced.get() + ": give kvm or tcg (or leave it out to detect)");
            };
        }
        if (!kvmUsable()) {
            return new Choice(VmPlan.Accel.TCG, "no usable /dev/kvm");
        }
        String key;
        try {
            key = Hashing.shortKey(Hashing.of(List.of(HostFacts.bootId(), Hashing.file(Path.of(VmPlan.QEMU)), image.key())));
        } catch (IOException e) {
            return new Choice(VmPlan.Accel.TCG, "cannot read " + VmPlan.QEMU + " to test KVM: " + e.getMessage());
        }
        return MEMO.computeIfAbsent(key, k -> cachedOrTest(k, image, cache));
    }

    private static boolean kvmUsable() {
        Path kvm = Path.of("/dev/kvm");
        return Files.isReadable(kvm) && Files.isWritable(kvm);
    }

    private static Choice cachedOrTest(String key, GuestImage image, VmCache cache) {
        Path verdict = cache.root().resolve("accel").resolve(key + ".txt");
        try {
            if (Files.isRegularFile(verdict)) {
                String v = Files.readString(verdict).strip();
                if (v.equals("KVM")) {
                    return new Choice(VmPlan.Accel.KVM, "/dev/kvm passed its boot self-test");
                }
                return new Choice(VmPlan.Accel.TCG, "KVM failed its boot self-test: " + v);
            }
        } catch (IOException e) {
            // test again
        }
        Optional<String> failure = selfTest(image);
        try {
            Files.createDirectories(verdict.getParent());
            Path tmp = Files.createTempFile(verdict.getParent(), key, ".tmp");
            Files.writeString(tmp, failure.orElse("KVM"), StandardCharsets.UTF_8);
            Files.move(tmp, verdict, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException ignored) {
            // the verdict is kept in memory; the next JVM tests again
        }
        return failure.map(f -> new Choice(VmPlan.Accel.TCG, "KVM failed its boot self-test: " + f))
                .orElseGet(() -> new Choice(VmPlan.Accel.KVM, "/dev/kvm passed its boot self-test"));
    }

    /** Boots the guest under KVM until its agent is ready; empty when it was, else what went wrong. */
    static Optional<String> selfTest(GuestImage image) {
        VmPlan plan = new VmPlan(VmPlan.Machine.MICROVM, VmPlan.Accel.KVM, image.pvhKernel(), image.initramfs(),
                Cmdlines.microvm(), 256, 1, 0, List.of(), false, Optional.empty(), Optional.empty());
        VmStarter s = new VmStarter("kvm-self-test", "kvmtest" + Long.toHexString(System.nanoTime()));
        try {
            s.qemu(plan);
            s.agent().start();
            s.agent().awaitReady(SELF_TEST);
            return Optional.empty();
        } catch (TimeoutException e) {
            return Optional.of("the guest did not become ready within " + SELF_TEST);
        } catch (SandboxException e) {
            String qemuSaid = s.dir().tail("qemu.log", 400).lines().findFirst().orElse("");
            String m = qemuSaid.isEmpty() ? e.getMessage().lines().findFirst().orElse("") : "QEMU: " + qemuSaid;
            return Optional.of(m.length() > 200 ? m.substring(0, 200) + "..." : m);
        } finally {
            s.close();
        }
    }
}
