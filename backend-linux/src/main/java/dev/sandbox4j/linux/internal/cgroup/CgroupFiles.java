package dev.sandbox4j.linux.internal.cgroup;

import dev.sandbox4j.SandboxStartException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/** Reading and writing cgroup control files; every failure names the file and the value. */
final class CgroupFiles {
    private CgroupFiles() {
    }

    /** Writes {@code value} to a control file in one write(2), as the kernel expects. */
    static void write(Path file, String value) {
        try {
            Files.write(file, value.getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new SandboxStartException("cgroup: writing '" + value + "' to " + file + " failed: " + e.getMessage(), e);
        }
    }

    static boolean tryWrite(Path file, String value) {
        try {
            Files.write(file, value.getBytes(StandardCharsets.US_ASCII));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static Optional<String> read(Path file) {
        try {
            return Optional.of(Files.readString(file, StandardCharsets.US_ASCII).trim());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    static OptionalLong readLong(Path file) {
        return read(file).map(s -> {
            try {
                return OptionalLong.of(Long.parseLong(s));
            } catch (NumberFormatException e) {
                return OptionalLong.empty();
            }
        }).orElse(OptionalLong.empty());
    }

    /** The number after {@code key} in a flat keyed file such as memory.events or pids.events. */
    static OptionalLong readKey(Path file, String key) {
        Optional<String> text = read(file);
        if (text.isEmpty()) {
            return OptionalLong.empty();
        }
        for (String line : text.get().split("\n")) {
            String[] kv = line.trim().split("\\s+");
            if (kv.length == 2 && kv[0].equals(key)) {
                try {
                    return OptionalLong.of(Long.parseLong(kv[1]));
                } catch (NumberFormatException e) {
                    return OptionalLong.empty();
                }
            }
        }
        return OptionalLong.empty();
    }

    /** The pids in a cgroup.procs file (empty when it is gone). */
    static List<Long> pids(Path dir) {
        List<Long> out = new ArrayList<>();
        read(dir.resolve("cgroup.procs")).ifPresent(text -> {
            for (String line : text.split("\n")) {
                if (!line.isBlank()) {
                    out.add(Long.parseLong(line.trim()));
                }
            }
        });
        return out;
    }

    static boolean empty(Path dir) {
        return pids(dir).isEmpty();
    }

    static void sigkill(long pid) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }

    static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
