package dev.sandbox4j.vm.internal.protocol;

/**
 * The ERROR payload.
 *
 * @param errno   the guest's errno value (EPROTO, EINVAL, ENOENT...)
 * @param message what failed, in the agent's words
 */
public record AgentError(int errno, String message) {
    public static final int ENOENT = 2;
    public static final int EFBIG = 27;

    public static AgentError decode(Frame f) {
        PayloadReader r = new PayloadReader(f);
        long errno = r.u32();
        String message = r.str();
        r.end();
        return new AgentError((int) errno, message);
    }
}
