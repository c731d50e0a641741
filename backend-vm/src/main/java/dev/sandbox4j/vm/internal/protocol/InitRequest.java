package dev.sandbox4j.vm.internal.protocol;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * The INIT payload: what a booted or restored guest must set up before the first exec.
 *
 * @param now            the host's wall clock, set in the guest
 * @param seed           32 random bytes mixed into the guest's RNG before it is reseeded
 * @param loopback       bring the guest's loopback up (network {@code loopback}); else it stays down
 * @param fixedAddresses start every command without address-space layout randomisation (see
 *                       {@code VmConfig#OPTION_ASLR}: under TCG it halves the cost of starting a program)
 * @param pidsMax        pids.max of the sandbox cgroup
 * @param memoryMax      memory.max of the sandbox cgroup, bytes
 * @param cpuQuotaMicros cpu.max quota per 100 ms period
 * @param shares         virtiofs shares to mount
 * @param tmpfs          tmpfs mounts
 * @param hidden         guest paths to cover
 */
public record InitRequest(Instant now, byte[] seed, boolean loopback, boolean fixedAddresses, OptionalLong pidsMax, OptionalLong memoryMax,
                          OptionalLong cpuQuotaMicros, List<Share> shares, List<Tmpfs> tmpfs, List<String> hidden) {

    /** A virtiofs share: {@code tag} as the device names it, mounted at {@code guestPath}. */
    public record Share(String tag, String guestPath, boolean readOnly) {
    }

    /** A tmpfs at {@code guestPath} with mount options such as {@code size=64m,mode=1777}. */
    public record Tmpfs(String guestPath, String options) {
    }

    public InitRequest {
        if (seed.length != 32) {
            throw new IllegalArgumentException("INIT seed must be 32 bytes, not " + seed.length);
        }
        shares = List.copyOf(shares);
        tmpfs = List.copyOf(tmpfs);
        hidden = List.copyOf(hidden);
    }

    public byte[] encode() {
        PayloadWriter w = new PayloadWriter();
        w.u64(now.getEpochSecond() * 1_000_000_000L + now.getNano()).bytes(seed).u32((loopback ? 1 : 0) | (fixedAddresses ? 2 : 0))
                .u64(pidsMax.orElse(PayloadWriter.NONE)).u64(memoryMax.orElse(PayloadWriter.NONE))
                .u64(cpuQuotaMicros.orElse(PayloadWriter.NONE));
        List<String> m = new ArrayList<>();
        shares.forEach(s -> m.addAll(List.of(s.tag(), s.guestPath(), s.readOnly() ? "ro" : "rw")));
        List<String> t = new ArrayList<>();
        tmpfs.forEach(x -> t.addAll(List.of(x.guestPath(), x.options())));
        return w.list(m).list(t).list(hidden).toByteArray();
    }
}
