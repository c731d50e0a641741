package dev.sandbox4j.vm.internal.protocol;

/**
 * The READY payload.
 *
 * @param agentVersion  the agent's protocol version
 * @param kernelRelease the guest kernel's release ("test" when it runs on the host)
 */
public record ReadyReport(String agentVersion, String kernelRelease) {
    /** The protocol version this host speaks. */
    public static final String VERSION = "2";

    public static ReadyReport decode(Frame f) {
        PayloadReader r = new PayloadReader(f);
        ReadyReport report = new ReadyReport(r.str(), r.str());
        r.end();
        return report;
    }
}
