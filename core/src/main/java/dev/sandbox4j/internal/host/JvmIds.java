package dev.sandbox4j.internal.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** This JVM's effective uid and gid, read once from /proc/self/status. Thread-safe. */
public final class JvmIds {
    private static final int[] IDS = read();

    private JvmIds() {
    }

    public static int uid() {
        return IDS[0];
    }

    public static int gid() {
        return IDS[1];
    }

    public static boolean root() {
        return IDS[0] == 0;
    }

    private static int[] read() {
        int uid = -1;
        int gid = -1;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    uid = Integer.parseInt(line.substring(4).trim().split("\\s+")[1]);
                } else if (line.startsWith("Gid:")) {
                    gid = Integer.parseInt(line.substring(4).trim().split("\\s+")[1]);
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("cannot read this JVM's ids from /proc/self/status: " + e, e);
        }
        return new int[] {uid, gid};
    }
}
