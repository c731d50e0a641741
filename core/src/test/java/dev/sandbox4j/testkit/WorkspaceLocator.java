package dev.sandbox4j.testkit;

import dev.sandbox4j.Sandbox;
import dev.sandbox4j.spi.SessionLabels;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.EnumSet;
import java.util.List;

/**
 * Finds on the host the workspace directory a builder made for a sandbox, by a marker file written
 * through {@code files()}: the sandbox's workspace path itself when it is a host path (the {@code none}
 * backend), else the directory of {@code java.io.tmpdir} named after the sandbox's id as
 * {@link SessionLabels#hostName} names it, else a directory under {@code java.io.tmpdir} (at most three
 * levels down) holding the marker. Stateless.
 */
final class WorkspaceLocator {
    private WorkspaceLocator() {
    }

    /** The host directory holding {@code marker} at its top, or null when none is found. */
    static Path find(Sandbox sandbox, String marker) throws IOException {
        Path direct = Path.of(sandbox.workspacePath());
        if (Files.isRegularFile(direct.resolve(marker))) {
            return direct;
        }
        // the core names its temp workspaces sandbox4j-<kind>-<session>--<sandboxId> (SessionLabels.hostName)
        try (var named = Files.list(tmpdir())) {
            var byName = named.filter(p -> p.getFileName().toString().startsWith(SessionLabels.NAME_PREFIX)
                    && p.getFileName().toString().endsWith("--" + sandbox.id()) && Files.isDirectory(p)).findFirst();
            if (byName.isPresent()) {
                return byName.get();
            }
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

    /** Where {@link #find} looked, for failure messages. */
    static List<Path> searched(Sandbox sandbox) {
        return List.of(Path.of(sandbox.workspacePath()), tmpdir());
    }

    private static Path tmpdir() {
        return Path.of(System.getProperty("java.io.tmpdir"));
    }
}
