package dev.sandbox4j.container.internal.plan;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sandbox4j.SyscallPolicy;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * Turns a {@link SyscallPolicy} into the seccomp JSON an engine takes ({@code --security-opt seccomp=...}).
 *
 * <p>The design choice: an engine's own default profile is an allowlist (everything not named fails with
 * ENOSYS), and a custom profile <em>replaces</em> it. A profile of "allow all but the denied names" would
 * therefore be weaker than what the engine does with no profile at all. So the generated profile is the
 * engine default (containers/common's copy of Moby's profile, shipped as a resource) with the policy's
 * denied names removed from every allow rule and denied by one rule of their own (EPERM, or kill the
 * process). Calls the default already refuses stay refused: the sandbox is at least as tight as the
 * engine's default and every denied name fails exactly as the policy says. Names the kernel or libseccomp
 * does not know are skipped by the runtime (runc, runsc), as the policy allows.
 *
 * <p>A profile is some 30 KB of JSON, the same for every sandbox of one policy: the last few are kept per
 * JVM, keyed by the whole (immutable) {@link SyscallPolicy}, so two policies never share one. Thread-safe.
 */
public final class SeccompProfiles {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String BASE = "engine-default-seccomp.json";
    private static volatile JsonNode base;
    /** Profiles of the last {@value #CACHED} policies, least recently used first. */
    static final int CACHED = 16;
    private static final Map<SyscallPolicy, String> PROFILES = new LinkedHashMap<>(CACHED * 2, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<SyscallPolicy, String> eldest) {
            return size() > CACHED;
        }
    };

    private SeccompProfiles() {
    }

    /** The profile JSON for {@code policy}; only call when {@code policy.filters()}. */
    public static String forPolicy(SyscallPolicy policy) {
        synchronized (PROFILES) {
            String known = PROFILES.get(policy);
            if (known != null) {
                return known;
            }
        }
        String made = build(policy);
        synchronized (PROFILES) {
            PROFILES.put(policy, made);
        }
        return made;
    }

    /** How many profiles are cached now (for tests). */
    static int cachedCount() {
        synchronized (PROFILES) {
            return PROFILES.size();
        }
    }

    private static String build(SyscallPolicy policy) {
        ObjectNode profile = baseProfile().deepCopy();
        ArrayNode kept = JSON.createArrayNode();
        for (JsonNode rule : profile.withArray("syscalls")) {
            ArrayNode names = JSON.createArrayNode();
            for (JsonNode n : rule.path("names")) {
                if (!policy.denied().contains(n.asText())) {
                    names.add(n);
                }
            }
            if (!names.isEmpty()) {
                ((ObjectNode) rule).set("names", names);
                kept.add(rule);
            }
        }
        ObjectNode deny = JSON.createObjectNode();
        ArrayNode denied = deny.putArray("names");
        new TreeSet<>(policy.denied()).forEach(denied::add);
        if (policy.action() == SyscallPolicy.Action.KILL) {
            deny.put("action", "SCMP_ACT_KILL_PROCESS");
        } else {
            deny.put("action", "SCMP_ACT_ERRNO");
            deny.put("errnoRet", 1);
        }
        deny.put("comment", "sandbox4j: denied by the policy");
        kept.add(deny);
        profile.set("syscalls", kept);
        try {
            return JSON.writeValueAsString(profile);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The names the base profile allows for a process without capabilities (for tests and diagnostics). */
    public static TreeSet<String> allowedWithoutCapabilities(String profileJson) {
        TreeSet<String> out = new TreeSet<>();
        try {
            for (JsonNode rule : JSON.readTree(profileJson).path("syscalls")) {
                boolean needsCaps = rule.path("includes").path("caps").size() > 0;
                if ("SCMP_ACT_ALLOW".equals(rule.path("action").asText()) && !needsCaps) {
                    for (Iterator<JsonNode> it = rule.path("names").elements(); it.hasNext(); ) {
                        out.add(it.next().asText());
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    private static JsonNode baseProfile() {
        JsonNode b = base;
        if (b == null) {
            try (InputStream in = SeccompProfiles.class.getResourceAsStream(BASE)) {
                if (in == null) {
                    throw new IllegalStateException("resource " + BASE + " is missing from sandbox4j-backend-container");
                }
                b = JSON.readTree(in);
                base = b;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + BASE, e);
            }
        }
        return b;
    }
}
