package dev.sandbox4j.spi;

import java.util.List;
import java.util.Map;

/**
 * One process to start in an open sandbox. The core has resolved everything: the environment is final
 * (the backend passes exactly this and nothing of its own or the host's), the working directory is an
 * absolute sandbox path.
 *
 * @param argv    program and arguments
 * @param env     the complete environment
 * @param workdir absolute working directory inside the sandbox
 */
public record ProcessRequest(List<String> argv, Map<String, String> env, String workdir) {
    public ProcessRequest {
        argv = List.copyOf(argv);
        env = Map.copyOf(env);
    }
}
