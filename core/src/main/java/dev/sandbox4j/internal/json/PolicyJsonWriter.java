package dev.sandbox4j.internal.json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sandbox4j.DataSize;
import dev.sandbox4j.Durations;
import dev.sandbox4j.EnvironmentPolicy;
import dev.sandbox4j.FilesystemPolicy;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.Mount;
import dev.sandbox4j.ProcessPolicy;
import dev.sandbox4j.ResourceLimits;
import dev.sandbox4j.SandboxException;
import dev.sandbox4j.SyscallPolicy;
import java.time.Duration;
import java.util.Collection;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.TreeSet;

/** Writes every field of a policy, in the layout {@link PolicyJsonReader} reads, with no preset. */
final class PolicyJsonWriter {
    private PolicyJsonWriter() {
    }

    static String write(IsolationPolicy p) {
        ObjectNode root = PolicyJson.MAPPER.createObjectNode();
        filesystem(root.putObject("filesystem"), p.filesystem());
        root.put("network", p.network().mode().name().toLowerCase(Locale.ROOT));
        limits(root.putObject("limits"), p.limits());
        syscalls(root.putObject("syscalls"), p.syscalls());
        process(root.putObject("process"), p.process());
        environment(root.putObject("environment"), p.environment());
        try {
            return PolicyJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(root);
        } catch (JsonProcessingException e) {
            // a tree of strings, numbers and booleans always serialises; keep the cause if it ever does not
            throw new SandboxException(PolicyJson.PREFIX + "could not write the policy: " + e.getOriginalMessage(), e);
        }
    }

    private static void filesystem(ObjectNode o, FilesystemPolicy fs) {
        o.put("isolated", fs.isolated());
        ArrayNode mounts = o.putArray("mounts");
        for (Mount m : fs.mounts()) {
            ObjectNode mount = mounts.addObject();
            mount.put("host", m.hostPath().toString());
            mount.put("sandbox", m.sandboxPath());
            mount.put("writable", m.writable());
        }
        strings(o.putArray("hidden"), fs.hidden());
        strings(o.putArray("tmpfs"), fs.tmpfs());
    }

    private static void limits(ObjectNode o, ResourceLimits l) {
        size(o, "memory", l.memory());
        if (l.cpus().isPresent()) {
            o.put("cpus", l.cpus().getAsDouble());
        } else {
            o.putNull("cpus");
        }
        number(o, "pids", l.pids());
        o.put("wallTime", duration(l.wallTime()));
        o.put("maxOutput", l.maxOutput().toString());
        size(o, "fileSize", l.fileSize());
        number(o, "openFiles", l.openFiles());
        size(o, "disk", l.disk());
    }

    private static void syscalls(ObjectNode o, SyscallPolicy s) {
        // "default" follows the library's profile; any other set is written out name by name
        if (s.denied().equals(SyscallPolicy.DEFAULT_DENIED)) {
            o.put("denied", "default");
        } else {
            strings(o.putArray("denied"), new TreeSet<>(s.denied()));
        }
        o.put("action", s.action().name().toLowerCase(Locale.ROOT));
    }

    private static void process(ObjectNode o, ProcessPolicy p) {
        o.put("isolatePids", p.isolatePids());
        number(o, "uid", p.uid());
        o.put("noNewPrivileges", p.noNewPrivileges());
        o.put("dropCapabilities", p.dropCapabilities());
        strings(o.putArray("keepCapabilities"), p.keepCapabilities());
    }

    private static void environment(ObjectNode o, EnvironmentPolicy e) {
        ObjectNode vars = o.putObject("variables");
        // sorted: the map may come from Map.of, whose order changes from one JVM run to the next
        new TreeMap<>(e.variables()).forEach(vars::put);
        strings(o.putArray("inherit"), e.inherit());
    }

    private static void strings(ArrayNode a, Collection<String> values) {
        values.forEach(a::add);
    }

    private static void size(ObjectNode o, String field, Optional<DataSize> size) {
        if (size.isPresent()) {
            o.put(field, size.get().toString());
        } else {
            o.putNull(field);
        }
    }

    private static void number(ObjectNode o, String field, OptionalInt n) {
        if (n.isPresent()) {
            o.put(field, n.getAsInt());
        } else {
            o.putNull(field);
        }
    }

    /** The short form when it reads back exactly, else ISO-8601 (which keeps nanoseconds). */
    private static String duration(Duration d) {
        try {
            String s = Durations.format(d);
            if (Durations.parse(s).equals(d)) {
                return s;
            }
        } catch (ArithmeticException e) {
            // too long for milliseconds: the ISO form below still holds it
        }
        return d.toString();
    }
}
