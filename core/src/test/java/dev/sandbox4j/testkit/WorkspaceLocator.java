package dev.sandbox4j.testkit;

import dev.sandbox4j.Sandbox;
import dev.sandbox4j.spi.SessionLabels;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.EnumSet;
import java.util.List;

/**
 * Finds on the host the workspace directory a builder made for a sandbox, by a marker file written
 * through {@code files()}: the sandbox's workspace path itself when it is a host path (the {@code none}
 * backend), else the directory of {@code java.io.tmpdir} named after the sandbox's id as
 * {@link SessionLabels#hostName} names it, else the workspace on the disk storage of a sandbox with
 * {@code limits.disk} ({@code <run dir>/sandbox4j-st-<session>--<id>/storage/workspace} of a root JVM, or
 * {@code /proc/<holder>/root<tmpdir>/sandbox4j-st-<session>--<id>/workspace} of a non-root one), else a directory
 * under {@code java.io.tmpdir} (at most three levels down) holding the marker. Stateless.
 */
final class WorkspaceLocator {
    private WorkspaceLocator() {
    }

    /** The host directory holding {@code marker} at its top, or null when none is found. */
    static Path find(Sandbox sandbox, String marker) throws IOException {
        Path direct = Path.of(sandbox.workspacePath());
        if (Files.isRegularFile(direct.resolve(marker), LinkOption.NOFOLLOW_LINKS)) {
            return direct;
        }
        // the core names its temp workspaces sandbox4j-<kind>-<session>--<sandboxId> (SessionLabels.hostName)
        try (var named = Files.list(tmpdir())) {
            // a backend may keep directories of its own under the same id: only the one holding the marker counts
            var byName = named.filter(p -> p.getFileName().toString().startsWith(SessionLabels.NAME_PREFIX)
                    && p.getFileName().toString().endsWith("--" + sandbox.id()) && Files.isRegularFile(p.resolve(marker),
                    LinkOption.NOFOLLOW_LINKS)).findFirst();
            if (byName.isPresent()) {
                return byName.get();
            }
        }
        // with limits.disk the workspace lies on the sandbox's storage tmpfs: <run dir>/sandbox4j-st-<session>--<id>/storage/workspace
        if (Files.isDirectory(runDir()) && Files.isReadable(runDir())) {
            // a root JVM's (0711: an unprivileged JVM may enter but not list it, and has nothing there)
            try (var staged = Files.list(runDir())) {
                var onStorage = staged.filter(p -> p.getFileName().toString().startsWith(SessionLabels.NAME_PREFIX)
                                && p.getFileName().toString().endsWith("--" + sandbox.id()))
                        .map(p -> p.resolve("storage").resolve("workspace"))
                        .filter(p -> Files.isRegularFile(p.resolve(marker), LinkOption.NOFOLLOW_LINKS)).findFirst();
                if (onStorage.isPresent()) {
                    return onStorage.get();
                }
            }
        }
        // an unprivileged JVM's disk storage: a tmpfs over <tmpdir>/sandbox4j-st-<session>--<id> in the mount
        // namespace of a holder process, reached through /proc/<holder>/root
        Path held = inStorageHolder(sandbox, marker);
        if (held != null) {
            return held;
        }
        Path[] found = new Path[1];
        Files.walkFileTree(tmpdir(), EnumSet.noneOf(FileVisitOption.class), 4, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                if (file.getFileName().toString().equals(marker) && attrs.isRegularFile()) {
                    found[0] = file.getParent();
                    return FileVisitResult.TERMINATE;
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
                // other tests' directories come and go while we walk
                return FileVisitResult.CONTINUE;
            }
        });
        return found[0];
    }

    private static Path inStorageHolder(Sandbox sandbox, String marker) throws IOException {
        List<Path> dirs;
        try (var named = Files.list(tmpdir())) {
            dirs = named.filter(p -> p.getFileName().toString().startsWith(SessionLabels.NAME_PREFIX + "st-")
                    && p.getFileName().toString().endsWith("--" + sandbox.id())).toList();
        }
        if (dirs.isEmpty()) {
            return null;
        }
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().matches("\\d+"))) {
            for (Path proc : procs) {
                String cmdline = HostProbes.commandLine(Long.parseLong(proc.getFileName().toString()));
                for (Path dir : dirs) {
                    Path ws = Path.of(proc.resolve("root") + dir.toString()).resolve("workspace");
                    if (cmdline.contains(dir.toString()) && Files.isRegularFile(ws.resolve(marker), LinkOption.NOFOLLOW_LINKS)) {
                        return ws;
                    }
                }
            }
        }
        return null;
    }

    /** Where {@link #find} looked, for failure messages. */
    static List<Path> searched(Sandbox sandbox) {
        return List.of(Path.of(sandbox.workspacePath()), tmpdir(), runDir());
    }

    /** The core's run directory of root JVMs ({@code sandbox4j.runDir}, else /run/sandbox4j): staged binds, disk storage. */
    static Path runDir() {
        return Path.of(System.getProperty("sandbox4j.runDir", "/run/sandbox4j"));
    }

    private static Path tmpdir() {
        return Path.of(System.getProperty("java.io.tmpdir"));
    }
}
