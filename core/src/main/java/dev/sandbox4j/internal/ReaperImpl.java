package dev.sandbox4j.internal;

import dev.sandbox4j.internal.files.TempWorkspace;
import dev.sandbox4j.internal.host.JvmIds;
import dev.sandbox4j.internal.host.Staging;
import dev.sandbox4j.internal.host.SandboxHosts;
import dev.sandbox4j.internal.select.BackendRegistry;
import dev.sandbox4j.spi.SandboxBackend;
import dev.sandbox4j.spi.SessionLabels;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What {@link dev.sandbox4j.Reaper} does: asks every backend to reap, then removes the core's own temp
 * workspaces and private mount directories (with their disk storage) whose owning JVM has ended. Live
 * sessions' resources are never touched. Never throws.
 */
public final class ReaperImpl {
    private static final System.Logger LOG = System.getLogger("dev.sandbox4j");

    private ReaperImpl() {
    }

    public static List<String> reapAll() {
        List<String> removed = new ArrayList<>();
        for (SandboxBackend b : BackendRegistry.global().all()) {
            try {
                List<String> lines = b.reap();
                if (lines != null) {
                    removed.addAll(lines);
                }
            } catch (VirtualMachineError e) {
                throw e;
            } catch (Throwable e) {
                LOG.log(System.Logger.Level.WARNING, "backend " + b.name() + " failed to reap its leftovers", e);
            }
        }
        removed.addAll(reapWorkspaces());
        if (JvmIds.root()) {
            removed.addAll(Staging.reap());
        }
        removed.addAll(SandboxHosts.reapStorage());
        return removed;
    }

    /** Deletes {@code sandbox4j-ws-<session>--<id>} temp dirs whose session's JVM is gone. */
    static List<String> reapWorkspaces() {
        List<String> removed = new ArrayList<>();
        String prefix = SessionLabels.NAME_PREFIX + TempWorkspace.KIND + "-";
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(TempWorkspace.baseDir(), prefix + "*")) {
            for (Path p : dir) {
                Optional<String> session = SessionLabels.sessionOf(p.getFileName().toString());
                if (session.isEmpty() || SessionLabels.ownerAlive(session.get())) {
                    continue;
                }
                try {
                    TempWorkspace.delete(p);
                    removed.add("workspace " + p + " (session " + session.get() + ")");
                } catch (IOException | RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "could not delete the leftover workspace " + p, e);
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "could not list the temp directory for leftover workspaces", e);
        }
        return removed;
    }
}
