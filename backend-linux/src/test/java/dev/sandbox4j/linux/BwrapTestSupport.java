package dev.sandbox4j.linux;

import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SandboxBuilder;
import dev.sandbox4j.SandboxEvent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/** Sandboxes of the bubblewrap backend for this module's own tests, with their events recorded. */
final class BwrapTestSupport {
    final List<SandboxEvent> events = Collections.synchronizedList(new ArrayList<>());

    Sandbox open(IsolationPolicy policy) {
        return open(policy, UnaryOperator.identity());
    }

    Sandbox open(IsolationPolicy policy, UnaryOperator<SandboxBuilder> more) {
        return more.apply(Sandbox.builder().backend("bubblewrap").policy(policy).listener(events::add)).build();
    }

    List<SandboxEvent.PolicyViolation> violations() {
        synchronized (events) {
            return events.stream().filter(SandboxEvent.PolicyViolation.class::isInstance)
                    .map(SandboxEvent.PolicyViolation.class::cast).toList();
        }
    }

    /** Host directories (cgroups, temp dirs) whose name holds {@code token}. */
    static List<Path> hostDirsNamed(String token) {
        List<Path> roots = new ArrayList<>();
        try (Stream<Path> s = Files.list(Path.of("/sys/fs/cgroup"))) {
            s.forEach(roots::add);
        } catch (IOException e) {
            // no cgroup tree: nothing to look at there
        }
        roots.add(Path.of(System.getProperty("java.io.tmpdir")));
        List<Path> found = new ArrayList<>();
        for (Path root : roots) {
            try {
                Files.walkFileTree(root, java.util.EnumSet.noneOf(java.nio.file.FileVisitOption.class), 6,
                        new java.nio.file.SimpleFileVisitor<>() {
                            @Override
                            public java.nio.file.FileVisitResult preVisitDirectory(Path dir,
                                                                                  java.nio.file.attribute.BasicFileAttributes a) {
                                if (dir.getFileName() != null && dir.getFileName().toString().contains(token)) {
                                    found.add(dir);
                                }
                                return java.nio.file.FileVisitResult.CONTINUE;
                            }

                            @Override
                            public java.nio.file.FileVisitResult visitFileFailed(Path file, IOException e) {
                                // an unreadable subtree (another user's, one that just went): not ours
                                return java.nio.file.FileVisitResult.CONTINUE;
                            }
                        });
            } catch (IOException e) {
                // the root itself is unreadable: nothing of ours there
            }
        }
        return found;
    }

    /** A tiny root file system: a static busybox and its applet links, nothing of the host. */
    static Path busyboxRootfs(Path dir) throws IOException {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Files.copy(Path.of("/usr/bin/busybox"), bin.resolve("busybox"));
        for (String applet : List.of("sh", "ls", "cat", "echo", "env", "id", "touch", "sleep", "setsid", "head", "tail", "dd")) {
            Files.createSymbolicLink(bin.resolve(applet), Path.of("busybox"));
        }
        Files.createDirectories(dir.resolve("etc"));
        Files.writeString(dir.resolve("etc/rootfs-marker"), "from the rootfs\n");
        return dir;
    }
}
