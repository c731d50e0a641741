package dev.sandbox4j.vm.internal.protocol;

import dev.sandbox4j.ExecException;

/** The other side sent something PROTOCOL.md does not allow; the message names the frame and the fault. */
public final class AgentProtocolException extends ExecException {
    private static final long serialVersionUID = 1L;

    public AgentProtocolException(String message) {
        super(message);
    }
}
