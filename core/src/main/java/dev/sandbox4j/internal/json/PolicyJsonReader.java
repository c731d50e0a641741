package dev.sandbox4j.internal.json;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sandbox4j.DataSize;
import dev.sandbox4j.EnvironmentPolicy;
import dev.sandbox4j.FilesystemPolicy;
import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.Mount;
import dev.sandbox4j.NetworkPolicy;
import dev.sandbox4j.ProcessPolicy;
import dev.sandbox4j.ResourceLimits;
import dev.sandbox4j.SyscallPolicy;
import dev.sandbox4j.internal.Validate;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.Set;

/** Turns a parsed JSON tree into an {@link IsolationPolicy}, merging it field by field over a preset. */
final class PolicyJsonReader {
    static final List<String> POLICY = List.of("preset", "filesystem", "network", "limits", "syscalls", "process",
            "environment");
    static final List<String> FILESYSTEM = List.of("isolated", "mounts", "hidden", "tmpfs");
    static final List<String> MOUNT = List.of("host", "sandbox", "writable");
    static final List<String> LIMITS = List.of("memory", "cpus", "pids", "wallTime", "maxOutput", "fileSize",
            "openFiles", "disk");
    static final List<String> SYSCALLS = List.of("denied", "action");
    static final List<String> PROCESS = List.of("isolatePids", "uid", "noNewPrivileges", "dropCapabilities",
            "keepCapabilities");
    static final List<String> ENVIRONMENT = List.of("variables", "inherit");

    private static final String DEFAULT_PROFILE = "default";

    private PolicyJsonReader() {
    }

    static IsolationPolicy read(JsonNode root) {
        JsonPart top = JsonPart.object(root, "", "the policy", POLICY);
        IsolationPolicy base = top.has("preset") ? preset(top) : IsolationPolicy.strict();
        FilesystemPolicy fs = top.has("filesystem") ? filesystem(top.get("filesystem"), base.filesystem())
                : base.filesystem();
        NetworkPolicy network = top.has("network") ? new NetworkPolicy(top.choice("network", NetworkPolicy.Mode.class))
                : base.network();
        ResourceLimits limits = top.has("limits") ? limits(top.get("limits"), base.limits()) : base.limits();
        SyscallPolicy syscalls = top.has("syscalls") ? syscalls(top.get("syscalls"), base.syscalls()) : base.syscalls();
        ProcessPolicy process = top.has("process") ? process(top.get("process"), base.process()) : base.process();
        EnvironmentPolicy env = top.has("environment") ? environment(top.get("environment"), base.environment())
                : base.environment();
        return JsonPart.at("", () -> new IsolationPolicy(fs, network, limits, syscalls, process, env));
    }

    private static IsolationPolicy preset(JsonPart top) {
        String name = top.string("preset", "one of strict, standard, permissive");
        return switch (name) {
            case "strict" -> IsolationPolicy.strict();
            case "standard" -> IsolationPolicy.standard();
            case "permissive" -> IsolationPolicy.permissive();
            default -> throw JsonPart.error("preset", "'" + name + "' is not a preset; use strict, standard or permissive");
        };
    }

    private static FilesystemPolicy filesystem(JsonNode n, FilesystemPolicy base) {
        JsonPart o = JsonPart.object(n, "filesystem", "filesystem", FILESYSTEM);
        boolean isolated = o.has("isolated") ? o.bool("isolated") : base.isolated();
        List<Mount> mounts = o.has("mounts") ? mounts(o) : base.mounts();
        List<String> hidden = o.has("hidden") ? sandboxPaths(o, "hidden") : base.hidden();
        List<String> tmpfs = o.has("tmpfs") ? sandboxPaths(o, "tmpfs") : base.tmpfs();
        return JsonPart.at("filesystem", () -> new FilesystemPolicy(isolated, mounts, hidden, tmpfs));
    }

    private static List<Mount> mounts(JsonPart fs) {
        JsonNode array = fs.get("mounts");
        if (!array.isArray()) {
            throw JsonPart.error(fs.path("mounts"), "expected an array of mounts such as "
                    + "[{\"host\": \"/data\", \"sandbox\": \"/data\", \"writable\": false}], got " + JsonPart.describe(array));
        }
        List<Mount> out = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            String at = fs.path("mounts") + "[" + i + "]";
            JsonPart m = JsonPart.object(array.get(i), at, "a mount", MOUNT);
            if (!m.has("host")) {
                throw JsonPart.error(at, "no host path given; a mount needs \"host\" (and optionally \"sandbox\", \"writable\")");
            }
            String host = m.string("host", "an absolute host path");
            Path hostPath = JsonPart.at(m.path("host"), () -> hostPath(m.path("host"), host));
            String sandbox = m.has("sandbox") ? m.string("sandbox", "an absolute sandbox path") : hostPath.toString();
            JsonPart.at(m.path("sandbox"), () -> Validate.sandboxPath(m.path("sandbox"), sandbox));
            boolean writable = m.has("writable") && m.bool("writable");
            out.add(JsonPart.at(at, () -> new Mount(hostPath, sandbox, writable)));
        }
        return out;
    }

    private static Path hostPath(String field, String text) {
        Validate.noNul(field, text);
        try {
            return Validate.hostPath(field, Path.of(text));
        } catch (InvalidPathException e) {
            throw new InvalidInputException(field + ": '" + text + "' is not a valid path: " + e.getReason(), e);
        }
    }

    private static List<String> sandboxPaths(JsonPart fs, String field) {
        List<String> paths = fs.strings(field);
        for (int i = 0; i < paths.size(); i++) {
            String at = fs.path(field) + "[" + i + "]";
            String p = paths.get(i);
            JsonPart.at(at, () -> Validate.sandboxPath(at, p));
        }
        return paths;
    }

    private static ResourceLimits limits(JsonNode n, ResourceLimits base) {
        JsonPart o = JsonPart.object(n, "limits", "limits", LIMITS);
        Optional<DataSize> memory = o.has("memory") ? o.optionalSize("memory") : base.memory();
        OptionalDouble cpus = o.has("cpus") ? o.optionalDouble("cpus") : base.cpus();
        OptionalInt pids = o.has("pids") ? o.optionalInt("pids", "no limit") : base.pids();
        Duration wallTime = o.has("wallTime") ? o.duration("wallTime") : base.wallTime();
        DataSize maxOutput = o.has("maxOutput") ? o.size("maxOutput") : base.maxOutput();
        Optional<DataSize> fileSize = o.has("fileSize") ? o.optionalSize("fileSize") : base.fileSize();
        OptionalInt openFiles = o.has("openFiles") ? o.optionalInt("openFiles", "no limit") : base.openFiles();
        Optional<DataSize> disk = o.has("disk") ? o.optionalSize("disk") : base.disk();
        return JsonPart.at("limits", () -> new ResourceLimits(memory, cpus, pids, wallTime, maxOutput, fileSize, openFiles,
                disk));
    }

    private static SyscallPolicy syscalls(JsonNode n, SyscallPolicy base) {
        JsonPart o = JsonPart.object(n, "syscalls", "syscalls", SYSCALLS);
        Set<String> denied = base.denied();
        if (o.has("denied")) {
            JsonNode d = o.get("denied");
            if (d.isTextual() && DEFAULT_PROFILE.equals(d.textValue())) {
                denied = SyscallPolicy.DEFAULT_DENIED;
            } else if (d.isArray()) {
                denied = new LinkedHashSet<>(o.strings("denied"));
            } else {
                throw JsonPart.error(o.path("denied"), "expected \"default\" (the default profile) or an array of"
                        + " system-call names such as [\"ptrace\", \"mount\"], got " + JsonPart.describe(d));
            }
        }
        SyscallPolicy.Action action = o.has("action") ? o.choice("action", SyscallPolicy.Action.class) : base.action();
        Set<String> names = denied;
        return JsonPart.at("syscalls", () -> new SyscallPolicy(names, action));
    }

    private static ProcessPolicy process(JsonNode n, ProcessPolicy base) {
        JsonPart o = JsonPart.object(n, "process", "process", PROCESS);
        boolean isolatePids = o.has("isolatePids") ? o.bool("isolatePids") : base.isolatePids();
        OptionalInt uid = o.has("uid") ? o.optionalInt("uid", "the sandbox's own user") : base.uid();
        boolean noNewPrivileges = o.has("noNewPrivileges") ? o.bool("noNewPrivileges") : base.noNewPrivileges();
        boolean drop = o.has("dropCapabilities") ? o.bool("dropCapabilities") : base.dropCapabilities();
        Set<String> keep = o.has("keepCapabilities") ? new LinkedHashSet<>(o.strings("keepCapabilities"))
                : base.keepCapabilities();
        return JsonPart.at("process", () -> new ProcessPolicy(isolatePids, uid, noNewPrivileges, drop, keep));
    }

    private static EnvironmentPolicy environment(JsonNode n, EnvironmentPolicy base) {
        JsonPart o = JsonPart.object(n, "environment", "environment", ENVIRONMENT);
        Map<String, String> variables = o.has("variables") ? o.stringMap("variables") : base.variables();
        Set<String> inherit = o.has("inherit") ? new LinkedHashSet<>(o.strings("inherit")) : base.inherit();
        return JsonPart.at("environment", () -> new EnvironmentPolicy(variables, inherit));
    }
}
