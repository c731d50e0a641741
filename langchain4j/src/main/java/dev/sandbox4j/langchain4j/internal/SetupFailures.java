package dev.sandbox4j.langchain4j.internal;

import dev.sandbox4j.BackendUnavailableException;
import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.UnsupportedPolicyException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reports failures of the application's own sandbox setup: logs each distinct diagnostic once (SLF4J,
 * logger {@code dev.sandbox4j.langchain4j}), at ERROR for a configuration the application must change (an
 * unknown backend name, a policy the backend cannot enforce, no backend available) and at WARN for a
 * sandbox that failed to start; repeats go to DEBUG. The model gets a short text instead of the operator's
 * diagnostic. Thread-safe.
 */
public final class SetupFailures {
    private static final Logger LOG = LoggerFactory.getLogger("dev.sandbox4j.langchain4j");
    /** Distinct diagnostics remembered; past this many, every new one is logged (the set stays bounded). */
    private static final int MAX_REMEMBERED = 256;

    private final String owner;
    private final Set<String> logged = ConcurrentHashMap.newKeySet();

    /** @param owner what makes the sandboxes, for the log ("SandboxToolProvider") */
    public SetupFailures(String owner) {
        this.owner = owner;
    }

    /**
     * Logs {@code failure} (once per distinct diagnostic) and returns the exception the tools turn into the
     * model's short text.
     *
     * @param what the sandbox that could not be made ("the sandbox of conversation 'c1'")
     */
    public SandboxSetupException report(String what, RuntimeException failure) {
        log(what, failure);
        return new SandboxSetupException(modelText(failure), failure);
    }

    /** Logs {@code failure} once per distinct diagnostic, as {@link #report} does, without wrapping it. */
    public void log(String what, RuntimeException failure) {
        String key = failure.getClass().getName() + ": " + failure.getMessage();
        boolean first = logged.size() >= MAX_REMEMBERED ? !logged.contains(key) : logged.add(key);
        String message = owner + ": " + what + " could not be made; every tool call that needs a sandbox fails"
                + " until the application's sandbox setup is fixed: " + failure;
        if (!first) {
            LOG.debug("{} (logged before)", message);
        } else if (isConfiguration(failure)) {
            LOG.error(message, failure);
        } else {
            LOG.warn(message, failure);
        }
    }

    static boolean isConfiguration(RuntimeException e) {
        return e instanceof InvalidInputException || e instanceof UnsupportedPolicyException
                || e instanceof BackendUnavailableException;
    }

    /** What the model reads: that the tools are down for a reason it cannot fix, without the diagnostic. */
    static String modelText(RuntimeException failure) {
        return "the sandbox for these tools could not be started (" + failure.getClass().getSimpleName()
                + "): a problem of the application's setup that its operator must fix; the details are in the"
                + " application's log. Calling again will not help; tell the user that the sandbox tools are"
                + " unavailable.";
    }
}
