package dev.sandbox4j.container.internal.plan;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.spi.SyscallRule;
import dev.sandbox4j.spi.SyscallTable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The seccomp JSON an engine takes ({@code --security-opt seccomp=...}) for a sandbox: generated from
 * {@link SyscallTable#forSandbox}, the one system-call table, for every sandbox (also when the policy does
 * not filter: the set-id guard and the network rules apply always).
 *
 * <p>An engine's own default profile is an allowlist (everything not named fails), and a custom profile
 * <em>replaces</em> it: a profile of the table's rules alone would be weaker than what the
 * engine does with no profile at all. So the profile is built on the engine default (containers/common's
 * copy of Moby's profile, shipped as a resource):
 * <ol>
 *   <li>every name the table has a rule for leaves every rule of the base (the base's own conditional
 *       rules for it included, such as Moby's clone and clone3 rules, and its EINVAL for audit netlink
 *       sockets, whose messages the kernel refuses anyway without CAP_AUDIT_WRITE), so that no base rule
 *       can contradict the table's;</li>
 *   <li>the table's rules come first, one rule each: its denials (EPERM, ENOSYS, or kill the process) with
 *       their argument tests, and its {@link SyscallRule.Verdict#ALLOW} complements, but a complement only
 *       for a name that the base allowed to a process without capabilities: a call the engine's default
 *       refuses stays refused, so the sandbox is at least as tight as the engine's default;</li>
 *   <li>then the rest of the base.</li>
 * </ol>
 * The default errno is EPERM, as Docker 20.10 applies any custom profile (it drops {@code defaultErrnoRet});
 * for Podman too, so that runc skips the table's EPERM denials, redundant in an allowlist whose ALLOW
 * rules exclude them. The table's ENOSYS answers (clone3, openat2, io_uring) are rules of their own and
 * keep their errno.
 *
 * <p><b>The host's native ABI only.</b> The profile lists one architecture, the host's own
 * ({@code SCMP_ARCH_X86_64} on x86_64, {@code SCMP_ARCH_AARCH64} on aarch64; none named elsewhere, which
 * libseccomp takes as the native one alone), instead of the engine default's {@code archMap} with its compat
 * ABIs (x86 and x32; arm). An allowlist cannot hold the table on i386: it needs the ALLOW complements of
 * the {@code socket} denial, and libseccomp adds every {@code socket} rule of an x86 filter a second time, on
 * the multiplexed {@code socketcall(SYS_SOCKET, ...)}, with its argument test replaced by the call number:
 * so {@code socketcall(SYS_SOCKET, {AF_VSOCK, ...})} was allowed whatever the table's own socketcall
 * denial (which, added as well, collides with the mirrored ALLOW: EEXIST). A call through an ABI a filter
 * does not list gets libseccomp's bad-architecture action, which runc leaves at its default: the calling
 * thread is killed with SIGSYS. So no 32-bit program runs in these containers (its first call kills it,
 * exit 159, "Bad system call"), and a 64-bit program that enters the kernel through {@code int 0x80} or an
 * x32 number is killed there: the compat ABIs are closed as a whole rather than held to a weaker table.
 * A rule's tests are on distinct arguments (the runtimes AND those; runc would OR tests on the same
 * argument), which {@link #forRules} checks. A masked test is written as the runtimes read it:
 * {@code value} the mask, {@code valueTwo} the value. Names the kernel or libseccomp does not know are
 * skipped by the runtime, and such a call gets the default (EPERM).
 *
 * <p>A profile is some 30 KB of JSON, the same for every sandbox of one rule list: the last few are kept
 * per JVM, keyed by the whole (immutable) list. Thread-safe.
 */
public final class SeccompProfiles {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String BASE = "engine-default-seccomp.json";
    private static volatile JsonNode base;
    /** Profiles of the last {@value #CACHED} rule lists, least recently used first. */
    static final int CACHED = 16;
    private static final Map<List<SyscallRule>, String> PROFILES = new LinkedHashMap<>(CACHED * 2, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<List<SyscallRule>, String> eldest) {
            return size() > CACHED;
        }
    };

    private SeccompProfiles() {
    }

    /** The profile JSON for a sandbox with {@code policy}: the engine default with {@code SyscallTable.forSandbox(policy)}. */
    public static String forSandbox(IsolationPolicy policy) {
        return forRules(SyscallTable.forSandbox(policy));
    }

    /**
     * {@link #forSandbox} in the form this runsc (gVisor 2022) takes: it refuses {@code SCMP_ACT_KILL_PROCESS}
     * (the whole spec) and knows {@code SCMP_ACT_KILL}, which ends the calling thread; and it answers every
     * ERRNO rule with EPERM whatever its errnoRet, so an ENOSYS denial becomes {@code SCMP_ACT_TRACE}: a call
     * traced with no tracer fails with ENOSYS (seccomp(2)), which makes the C library fall back (clone3 to
     * clone). Only a tracer with PTRACE_O_TRACESECCOMP in the same sandbox could resume such a call (the
     * default profile denies ptrace), and then gVisor's own kernel answers it: it has neither clone3 nor
     * openat2, and its io_uring runs no open. The commands of every gVisor sandbox run under the seccomp
     * helper besides, whose program has the table's exact answers.
     */
    public static String forRunsc(IsolationPolicy policy) {
        try {
            ObjectNode profile = (ObjectNode) JSON.readTree(forSandbox(policy));
            for (JsonNode rule : profile.path("syscalls")) {
                ObjectNode r = (ObjectNode) rule;
                String action = r.path("action").asText();
                if (action.equals("SCMP_ACT_KILL_PROCESS")) {
                    r.put("action", "SCMP_ACT_KILL");
                } else if (action.equals("SCMP_ACT_ERRNO") && r.path("errnoRet").asInt(SyscallTable.EPERM) == SyscallTable.ENOSYS) {
                    r.put("action", "SCMP_ACT_TRACE");
                }
            }
            return JSON.writeValueAsString(profile);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The profile JSON for {@code rules} (a {@link SyscallTable} list) on the engine default.
     *
     * @throws IllegalArgumentException for a rule with two tests on one argument, which a runtime would not AND
     */
    public static String forRules(List<SyscallRule> rules) {
        List<SyscallRule> key = List.copyOf(rules);
        synchronized (PROFILES) {
            String known = PROFILES.get(key);
            if (known != null) {
                return known;
            }
        }
        String made = build(key);
        synchronized (PROFILES) {
            PROFILES.put(key, made);
        }
        return made;
    }

    /** How many profiles are cached now (for tests). */
    static int cachedCount() {
        synchronized (PROFILES) {
            return PROFILES.size();
        }
    }

    private static String build(List<SyscallRule> rules) {
        ObjectNode profile = baseProfile().deepCopy();
        Set<String> allowedByBase = allowedWithoutCapabilities(profile);
        Set<String> tabled = new HashSet<>();
        rules.forEach(r -> tabled.add(r.name()));
        ArrayNode out = JSON.createArrayNode();
        for (SyscallRule r : rules) {
            if (r.verdict() == SyscallRule.Verdict.ALLOW && !allowedByBase.contains(r.name())) {
                continue;
            }
            out.add(rule(r));
        }
        for (JsonNode rule : profile.withArray("syscalls")) {
            ArrayNode names = JSON.createArrayNode();
            for (JsonNode n : rule.path("names")) {
                if (!tabled.contains(n.asText())) {
                    names.add(n);
                }
            }
            if (!names.isEmpty()) {
                ((ObjectNode) rule).set("names", names);
                out.add(rule);
            }
        }
        profile.set("syscalls", out);
        profile.remove("archMap");
        profile.remove("architectures");
        nativeArchitecture().ifPresent(a -> profile.putArray("architectures").add(a));
        profile.put("defaultErrnoRet", SyscallTable.EPERM);
        profile.put("defaultErrno", "EPERM");
        try {
            return JSON.writeValueAsString(profile);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The libseccomp name of this host's native ABI ({@code os.arch}), the only one a profile lists (see the
     * class comment); empty for an architecture not named here, where a profile without architectures means
     * the native one alone.
     */
    public static Optional<String> nativeArchitecture() {
        return switch (System.getProperty("os.arch", "")) {
            case "amd64", "x86_64" -> Optional.of("SCMP_ARCH_X86_64");
            case "aarch64", "arm64" -> Optional.of("SCMP_ARCH_AARCH64");
            default -> Optional.empty();
        };
    }

    /** One table rule in the engine's form. */
    private static ObjectNode rule(SyscallRule r) {
        ObjectNode o = JSON.createObjectNode();
        o.putArray("names").add(r.name());
        switch (r.verdict()) {
            case ALLOW -> o.put("action", "SCMP_ACT_ALLOW");
            case ERRNO -> o.put("action", "SCMP_ACT_ERRNO").put("errnoRet", r.errno());
            case KILL_PROCESS -> o.put("action", "SCMP_ACT_KILL_PROCESS");
        }
        ArrayNode args = o.putArray("args");
        Set<Integer> indexes = new HashSet<>();
        for (SyscallRule.ArgTest t : r.when()) {
            if (!indexes.add(t.index())) {
                throw new IllegalArgumentException("syscall rule " + r + " tests argument " + t.index() + " twice; an"
                        + " engine's runtime would OR such tests, so the table must not have them");
            }
            ObjectNode a = args.addObject().put("index", t.index());
            switch (t.op()) {
                case MASKED_EQ -> a.put("value", t.mask()).put("valueTwo", t.value()).put("op", "SCMP_CMP_MASKED_EQ");
                case EQ -> a.put("value", t.value()).put("valueTwo", 0).put("op", "SCMP_CMP_EQ");
                case NE -> a.put("value", t.value()).put("valueTwo", 0).put("op", "SCMP_CMP_NE");
            }
        }
        o.put("comment", "sandbox4j: " + r.reason());
        return o;
    }

    /**
     * The names an ALLOW rule of {@code profile} gives to a process without capabilities (a rule that
     * includes no capability; with or without argument tests), for every architecture.
     */
    static Set<String> allowedWithoutCapabilities(JsonNode profile) {
        Set<String> out = new LinkedHashSet<>();
        for (JsonNode rule : profile.path("syscalls")) {
            boolean needsCaps = rule.path("includes").path("caps").size() > 0;
            if ("SCMP_ACT_ALLOW".equals(rule.path("action").asText()) && !needsCaps) {
                for (Iterator<JsonNode> it = rule.path("names").elements(); it.hasNext(); ) {
                    out.add(it.next().asText());
                }
            }
        }
        return out;
    }

    /** The names a profile allows for a process without capabilities (for tests and diagnostics). */
    public static TreeSet<String> allowedWithoutCapabilities(String profileJson) {
        try {
            return new TreeSet<>(allowedWithoutCapabilities(JSON.readTree(profileJson)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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
