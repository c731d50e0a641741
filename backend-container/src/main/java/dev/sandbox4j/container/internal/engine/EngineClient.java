package dev.sandbox4j.container.internal.engine;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.model.Version;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A docker-java client for one engine endpoint, shared by every sandbox on it (docker-java's client is
 * thread-safe and pools its connections), plus the error wording of every engine call: the operation,
 * the engine's own message and the way out. Thread-safe.
 */
public final class EngineClient {
    private static final Map<String, EngineClient> CLIENTS = new ConcurrentHashMap<>();
    /** An engine call that takes longer than this without a byte is treated as a hung engine. */
    static final Duration RESPONSE_TIMEOUT = Duration.ofSeconds(120);
    /**
     * Runs the calls that wait with a deadline of their own. Not the common pool: with one or two CPUs
     * CompletableFuture's default makes a new thread for every task, and the core probes the engine
     * before every sandbox.
     */
    private static final java.util.concurrent.ExecutorService CALLS = java.util.concurrent.Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "sandbox4j-engine-call");
        t.setDaemon(true);
        return t;
    });

    private final Endpoint endpoint;
    private final String engineName;
    private final DockerClient api;

    private EngineClient(Endpoint endpoint, String engineName) {
        this.endpoint = endpoint;
        this.engineName = engineName;
        DefaultDockerClientConfig config = DefaultDockerClientConfig.createDefaultConfigBuilder()
                .withDockerHost(endpoint.uri().toString()).withDockerTlsVerify(false).build();
        ZerodepDockerHttpClient http = new ZerodepDockerHttpClient.Builder().dockerHost(endpoint.uri())
                .connectionTimeout(Duration.ofSeconds(5)).responseTimeout(RESPONSE_TIMEOUT).maxConnections(64).build();
        this.api = DockerClientImpl.getInstance(config, http);
    }

    /** The shared client for {@code endpoint}. */
    public static EngineClient of(Endpoint endpoint, String engineName) {
        return CLIENTS.computeIfAbsent(endpoint.uri() + "|" + engineName, k -> new EngineClient(endpoint, engineName));
    }

    public DockerClient api() {
        return api;
    }

    public Endpoint endpoint() {
        return endpoint;
    }

    public String engineName() {
        return engineName;
    }

    /** The engine's version, within {@code max}; throws {@link EngineException} naming the endpoint. */
    public Version version(Duration max) {
        CompletableFuture<Version> f = CompletableFuture.supplyAsync(() -> api.versionCmd().exec(), CALLS);
        try {
            return f.get(max.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            throw new EngineException("the " + engineName + " engine at " + endpoint + " did not answer within "
                    + max.toSeconds() + " s (hung or overloaded); fix: restart it", e);
        } catch (ExecutionException e) {
            throw failure("asking for its version", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EngineException("interrupted while asking the " + engineName + " engine for its version", e);
        }
    }

    /** The engine's name, version and API version, as its {@code /_ping} answer states them. */
    public record Ping(String product, String version, String apiVersion) {
    }

    /**
     * {@code GET /_ping} within {@code max}: whether the engine answers, and the version its {@code Server}
     * header states ({@code Docker/20.10.24 (linux)}, {@code Libpod/4.3.1 (linux)}). The probe's call,
     * made before every sandbox: dockerd answers {@code /version} only after running its runtime's and its
     * init's binaries to ask their versions (5-7 ms here), {@code /_ping} at once (under 1 ms). Empty when
     * the answer names no version (a proxy in between): {@link #version} then. Throws {@link EngineException}
     * naming the endpoint.
     */
    public Optional<Ping> ping(Duration max) {
        RawHttp.Response r;
        try {
            r = RawHttp.exchange(endpoint, "/_ping", max);
        } catch (java.io.IOException e) {
            throw failure("asking whether it runs (GET /_ping)", e);
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("([A-Za-z]+)/([0-9][^ ]*)")
                .matcher(r.headers().getOrDefault("server", ""));
        String api = r.headers().get("api-version");
        return m.lookingAt() && api != null ? Optional.of(new Ping(m.group(1), m.group(2), api)) : Optional.empty();
    }

    /**
     * An {@link EngineException} for a failed engine call: {@code operation} ("creating the container"),
     * the engine's message, and when the engine itself is gone, how to bring it back.
     */
    public EngineException failure(String operation, Throwable t) {
        String msg = message(t);
        boolean gone = connectionLost(t);
        String text = engineName + " engine at " + endpoint + ": " + operation + " failed: " + msg;
        if (gone) {
            text += " (the engine is not reachable any more: it stopped or restarted); fix: start the engine"
                    + " again, then close this sandbox and open a new one";
        }
        return new EngineException(text, t);
    }

    /** The engine's own message of a docker-java failure, without its JSON wrapping, at most 1000 characters. */
    public static String message(Throwable t) {
        String m = fullMessage(t);
        return m.length() <= 1000 ? m : m.substring(0, 600) + " [...] " + m.substring(m.length() - 300);
    }

    private static String fullMessage(Throwable t) {
        if (t instanceof DockerException d) {
            String m = d.getMessage();
            int i = m.indexOf("{\"message\":\"");
            if (i >= 0) {
                int end = m.lastIndexOf("\"}");
                return "status " + d.getHttpStatus() + ": " + m.substring(i + 12, end > i ? end : m.length())
                        .replace("\\\"", "\"").replace("\\n", " ");
            }
            return m.strip();
        }
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == t ? String.valueOf(t) : t.getClass().getSimpleName() + ": " + root;
    }

    /** True when the failure is the connection to the engine itself (refused, reset, socket gone). */
    public static boolean connectionLost(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof java.io.IOException) {
                String m = String.valueOf(c.getMessage());
                if (m.contains("onnection refused") || m.contains("o such file") || m.contains("reset")
                        || m.contains("Broken pipe") || m.contains("closed") || m.contains("[111]") || m.contains("[2]")
                        || c instanceof java.net.ConnectException || c instanceof java.nio.channels.ClosedChannelException
                        || c.getClass().getSimpleName().equals("NoHttpResponseException")) {
                    return true;
                }
            }
        }
        return false;
    }
}
