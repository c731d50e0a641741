package dev.sandbox4j.container.internal.image;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The host programs a container borrows: a static init (tini or catatonit) that becomes PID 1 of every
 * sandbox container, bind-mounted read-only, so that any image (the host image, whose /sbin is the
 * host's read-only /usr/sbin, included) gets the same init that reaps orphans. Stateless.
 */
public final class HostBinaries {
    /** Where engines and distributions put a static init, best first. */
    static final List<String> INIT_CANDIDATES = List.of("/usr/bin/tini-static", "/usr/bin/docker-init",
            "/usr/libexec/docker/docker-init", "/usr/local/bin/docker-init", "/usr/libexec/podman/catatonit",
            "/usr/bin/catatonit", "/usr/local/bin/tini-static", "/sbin/tini-static");

    private HostBinaries() {
    }

    /** The first statically linked init of {@link #INIT_CANDIDATES}, symlinks resolved. */
    public static Optional<Path> staticInit() {
        for (String c : INIT_CANDIDATES) {
            Path p = Path.of(c);
            try {
                if (Files.isExecutable(p)) {
                    Path real = p.toRealPath();
                    if (isStaticElf(real)) {
                        return Optional.of(real);
                    }
                }
            } catch (IOException ignored) {
                // not usable: try the next one
            }
        }
        return Optional.empty();
    }

    /** The executable {@code name} in a directory of the PATH (or /usr/bin, /usr/sbin, /bin, /sbin). */
    public static Optional<Path> onPath(String name) {
        List<String> dirs = new java.util.ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) {
            dirs.addAll(List.of(path.split(java.io.File.pathSeparator)));
        }
        dirs.addAll(List.of("/usr/bin", "/usr/sbin", "/bin", "/sbin"));
        for (String d : dirs) {
            Path p = d.isEmpty() ? null : Path.of(d, name);
            if (p != null && Files.isExecutable(p) && !Files.isDirectory(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** What to install when {@link #staticInit()} finds none. */
    public static String initFix() {
        return "install a static init: apt-get install tini (gives /usr/bin/tini-static), or docker.io (docker-init)";
    }

    /** True for an ELF executable without a PT_INTERP header (no dynamic loader needed). */
    static boolean isStaticElf(Path file) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            byte[] ident = new byte[16];
            f.readFully(ident);
            if (ident[0] != 0x7f || ident[1] != 'E' || ident[2] != 'L' || ident[3] != 'F' || ident[5] != 1) {
                return false; // not ELF, or big-endian (not a host we run on)
            }
            boolean is64 = ident[4] == 2;
            long phoff;
            int phentsize;
            int phnum;
            if (is64) {
                f.seek(0x20);
                phoff = Long.reverseBytes(f.readLong());
                f.seek(0x36);
            } else {
                f.seek(0x1C);
                phoff = Integer.toUnsignedLong(Integer.reverseBytes(f.readInt()));
                f.seek(0x2A);
            }
            phentsize = Short.toUnsignedInt(Short.reverseBytes(f.readShort()));
            phnum = Short.toUnsignedInt(Short.reverseBytes(f.readShort()));
            for (int i = 0; i < phnum; i++) {
                f.seek(phoff + (long) i * phentsize);
                int type = Integer.reverseBytes(f.readInt());
                if (type == 3) { // PT_INTERP
                    return false;
                }
            }
            return phnum > 0;
        }
    }
}
