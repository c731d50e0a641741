package dev.sandbox4j;

import java.util.List;

/**
 * The chosen backend cannot enforce one or more parts of the policy, so {@code build()} refused to start
 * rather than silently weaken it. {@link #parts()} lists each part with the backends that could enforce it.
 */
public class UnsupportedPolicyException extends SandboxException {
    private static final long serialVersionUID = 1L;

    /**
     * One part of a policy that a backend cannot enforce.
     *
     * @param part        the policy part, as a path into the policy ("limits.memory", "network=none")
     * @param capability  the capability that part needs
     * @param enforcedBy  names of the installed backends that declare that capability (maybe empty)
     */
    public record Part(String part, String capability, List<String> enforcedBy) {
        public Part {
            enforcedBy = List.copyOf(enforcedBy);
        }
    }

    private final String backend;
    private final transient List<Part> parts;

    public UnsupportedPolicyException(String backend, List<Part> parts, String message) {
        super(message);
        this.backend = backend;
        this.parts = List.copyOf(parts);
    }

    /** The backend that was asked to enforce the policy. */
    public String backend() {
        return backend;
    }

    /** Every part it cannot enforce; never empty. */
    public List<Part> parts() {
        return parts;
    }
}
