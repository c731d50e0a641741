package dev.sandbox4j.langchain4j.internal;

import dev.sandbox4j.Durations;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.ProcessPolicy;
import java.time.Duration;
import java.util.Optional;

/**
 * The shell tool's description, told what the model needs to plan: where it runs, as which user, with
 * which network, for how long, and whether background processes live on. Stateless.
 */
public final class ToolDescriptions {
    private ToolDescriptions() {
    }

    /**
     * @param policy   the sandboxes' policy when known; empty: the description says the policy decides
     * @param timeout  the tools' own timeout per command, if set (else the policy's wall time)
     * @param maxChars the longest result, in characters
     * @param sandbox  how to name the sandbox ("the conversation's sandbox")
     * @param keepsBackground whether the sandboxes' backend keeps background processes for later calls
     *                 ({@code Capability.KEEP_BACKGROUND}); empty when the backend is not known
     */
    public static String shell(Optional<IsolationPolicy> policy, Optional<Duration> timeout, int maxChars,
                               String sandbox, Optional<Boolean> keepsBackground) {
        StringBuilder d = new StringBuilder("Runs a shell command line (/bin/sh -c) inside an isolated sandbox");
        if (policy.isPresent()) {
            IsolationPolicy p = policy.get();
            d.append(", as ").append(user(p.process())).append(". ").append(network(p));
            d.append(" Each call may run for ").append(Durations.format(timeout.orElse(p.limits().wallTime())))
                    .append("; then the command and every process it started are killed.");
        } else {
            d.append(". The sandbox's policy sets the user, the network (by default none at all: no internet, no"
                    + " package downloads) and the time limit per call");
            d.append(timeout.map(t -> " (here " + Durations.format(t) + ")").orElse("")).append('.');
        }
        d.append(" The working directory is the workspace, where files persist between calls. ")
                .append(background(keepsBackground, sandbox)).append(" Returns the exit code,"
                + " stdout and stderr (at most ").append(maxChars).append(" characters; long output keeps its"
                + " start and end), and notes when the command timed out, was killed or its output was cut.");
        return d.toString();
    }

    /** What happens to a background process, as far as the backend is known; the same words everywhere. */
    public static String background(Optional<Boolean> keeps, String sandbox) {
        if (keeps.isEmpty()) {
            return "Whether a server or other background process started in one call (for example with '&')"
                    + " keeps running into the next call depends on the sandbox's backend; to be sure, start it and"
                    + " use it within one call.";
        }
        return keeps.get()
                ? "A server or other background process started in one call (for example with '&') keeps running"
                        + " and can be used in the next call; it is stopped when " + sandbox + " closes."
                : "A background process started in one call (for example with '&') does not carry over to the"
                        + " next call here: start a server and use it within one call.";
    }

    static String user(ProcessPolicy p) {
        if (p.uid().isPresent()) {
            return "user id " + p.uid().getAsInt() + (p.uid().getAsInt() == 0 ? " (root inside the sandbox)" : "");
        }
        if (p.equals(ProcessPolicy.host())) {
            return "the application's own user";
        }
        return "an unprivileged user of its own (not root; there is no sudo)";
    }

    static String network(IsolationPolicy p) {
        return switch (p.network().mode()) {
            case NONE -> "There is no network: no internet, no package downloads (pip, npm, apt fail), no host"
                    + " services.";
            case LOOPBACK -> "There is no network but the sandbox's own loopback (127.0.0.1 inside reaches only"
                    + " the sandbox): no internet, no package downloads.";
            case HOST -> "The network is the host's.";
        };
    }
}
