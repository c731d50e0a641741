package dev.sandbox4j.internal.host;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** Whether any process runs as a uid, from /proc/PID/status (real, effective, saved or fs uid). Stateless. */
final class ProcessUids {
    private ProcessUids() {
    }

    static boolean anyRunningAs(int uid) {
        String id = Integer.toString(uid);
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"),
                p -> p.getFileName().toString().matches("\\d+"))) {
            for (Path p : procs) {
                try {
                    for (String line : Files.readAllLines(p.resolve("status"))) {
                        if (line.startsWith("Uid:")) {
                            for (String u : line.substring(4).trim().split("\\s+")) {
                                if (u.equals(id)) {
                                    return true;
                                }
                            }
                            break;
                        }
                    }
                } catch (IOException | RuntimeException gone) {
                    // it ended while we looked
                }
            }
        } catch (IOException e) {
            return true; // cannot tell: do not reuse
        }
        return false;
    }
}
