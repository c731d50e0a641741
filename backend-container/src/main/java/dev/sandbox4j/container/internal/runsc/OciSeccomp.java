package dev.sandbox4j.container.internal.runsc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.container.internal.plan.SeccompProfiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * The sandbox's seccomp profile in the OCI runtime spec's form ({@code linux.seccomp}), for every sandbox.
 * The profile itself is {@link SeccompProfiles#forRunsc}'s (the engine default allowlist with the sandbox's
 * {@link dev.sandbox4j.spi.SyscallTable} rules in place of the default's rules for those names, in the
 * actions this runsc knows), which is in the engine's format: rules carry {@code includes}/{@code excludes}
 * on capabilities and architectures that the engine resolves before handing the spec to the runtime. Here
 * nothing resolves them but this class: a rule that needs a capability is dropped (the sandbox holds none),
 * a rule for other architectures is dropped, and the engine-only fields go. gVisor's kernel takes the first
 * rule that matches a call; the table's rules come first and no other rule names their calls. Stateless.
 */
final class OciSeccomp {
    private static final ObjectMapper JSON = new ObjectMapper();

    private OciSeccomp() {
    }

    /** The {@code linux.seccomp} object for a sandbox with {@code policy}, on {@code arch} (os.arch). */
    static ObjectNode forSandbox(IsolationPolicy policy, String arch) {
        JsonNode engine;
        try {
            engine = JSON.readTree(SeccompProfiles.forRunsc(policy));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String dockerArch = switch (arch) {
            case "amd64", "x86_64" -> "amd64";
            case "aarch64", "arm64" -> "arm64";
            default -> arch;
        };
        ObjectNode out = JSON.createObjectNode();
        out.put("defaultAction", engine.path("defaultAction").asText("SCMP_ACT_ERRNO"));
        if (engine.has("defaultErrnoRet")) {
            out.put("defaultErrnoRet", engine.path("defaultErrnoRet").asInt());
        }
        // the native ABI only, as the engine profile lists (SeccompProfiles: no compat ABI holds the table there)
        ArrayNode arches = out.putArray("architectures");
        (dockerArch.equals("amd64") ? List.of("SCMP_ARCH_X86_64")
                : dockerArch.equals("arm64") ? List.of("SCMP_ARCH_AARCH64") : List.<String>of())
                .forEach(arches::add);
        ArrayNode rules = out.putArray("syscalls");
        for (JsonNode r : engine.path("syscalls")) {
            JsonNode inc = r.path("includes");
            JsonNode exc = r.path("excludes");
            if (inc.path("caps").size() > 0 || inc.has("minKernel")) {
                continue;
            }
            if (inc.path("arches").size() > 0 && !contains(inc.path("arches"), dockerArch)) {
                continue;
            }
            if (contains(exc.path("arches"), dockerArch)) {
                continue;
            }
            ObjectNode rule = rules.addObject();
            rule.set("names", r.path("names").deepCopy());
            rule.put("action", r.path("action").asText());
            if (r.has("errnoRet")) {
                rule.put("errnoRet", r.path("errnoRet").asInt());
            }
            if (r.path("args").size() > 0) {
                rule.set("args", r.path("args").deepCopy());
            }
        }
        return out;
    }

    private static boolean contains(JsonNode array, String value) {
        for (JsonNode n : array) {
            if (n.asText().equals(value)) {
                return true;
            }
        }
        return false;
    }
}
