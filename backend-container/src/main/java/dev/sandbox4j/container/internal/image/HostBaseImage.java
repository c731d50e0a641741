package dev.sandbox4j.container.internal.image;

import dev.sandbox4j.container.internal.plan.BindMount;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * The image behind {@link dev.sandbox4j.SandboxImage#host()} on a container engine: a tiny local image
 * made once per host layout (no registry needed), holding only mount points, a two-line /etc/passwd and
 * the top-level symlinks of a merged-/usr host ({@code bin -> usr/bin}); the host's system directories
 * are bind-mounted into it read-only ({@link #systemBinds()}). So the sandbox sees the host's programs
 * and libraries, and nothing else of the host: no /home, no /root, no /etc beyond the loader's and
 * name-service basics. Stateless.
 */
public final class HostBaseImage {
    public static final String REPOSITORY = "sandbox4j/host-base";
    /** Bumped when the image's content changes, so an old one is never reused. */
    private static final String FORMAT = "1";
    private static final List<String> TOP_DIRS = List.of("bin", "sbin", "lib", "lib32", "lib64", "libx32");
    /** /etc entries the dynamic loader and the C library's name service read; no secret among them. */
    private static final List<String> ETC_ENTRIES = List.of("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives",
            "nsswitch.conf", "localtime", "ssl/certs");

    /** The tag of the last layout seen, with that layout. */
    private static volatile Map.Entry<Map<String, String>, String> lastTag;

    private HostBaseImage() {
    }

    /** The top-level entries of this host: a name maps to its symlink target, or to "" for a real directory. */
    static Map<String, String> hostLayout() {
        Map<String, String> layout = new LinkedHashMap<>();
        for (String d : TOP_DIRS) {
            Path p = Path.of("/", d);
            try {
                if (Files.isSymbolicLink(p)) {
                    layout.put(d, Files.readSymbolicLink(p).toString());
                } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    layout.put(d, "");
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the host's /" + d, e);
            }
        }
        return layout;
    }

    /** {@code sandbox4j/host-base:<format>-<hash of the layout>}. */
    public static String reference() {
        Map<String, String> layout = hostLayout();
        // the layout is read every time (it is a handful of stat calls); only its hash is kept, for that layout
        Map.Entry<Map<String, String>, String> known = lastTag;
        if (known == null || !known.getKey().equals(layout)) {
            known = Map.entry(Map.copyOf(layout), tag(layout));
            lastTag = known;
        }
        return REPOSITORY + ":" + known.getValue();
    }

    static String tag(Map<String, String> layout) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(FORMAT.getBytes(StandardCharsets.UTF_8));
            layout.forEach((k, v) -> sha.update((k + "=" + v + "\n").getBytes(StandardCharsets.UTF_8)));
            return FORMAT + "-" + HexFormat.of().formatHex(sha.digest()).substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The host paths bound in read-only: /usr, the real top-level library/program dirs, the /etc basics.
     * An /etc entry that is a symbolic link (/etc/localtime) is bound from its target, resolved here once:
     * a backend pins every source without following links.
     */
    public static List<BindMount> systemBinds() {
        List<BindMount> binds = new ArrayList<>();
        binds.add(new BindMount("/usr", "/usr", true));
        hostLayout().forEach((name, target) -> {
            if (target.isEmpty()) {
                binds.add(new BindMount("/" + name, "/" + name, true));
            }
        });
        for (String e : ETC_ENTRIES) {
            Path p = Path.of("/etc", e);
            if (Files.exists(p)) {
                try {
                    binds.add(new BindMount(p.toRealPath().toString(), p.toString(), true));
                } catch (IOException gone) {
                    // removed meanwhile: nothing to bind
                }
            }
        }
        return binds;
    }

    /** The image's content as a tar (a few kilobytes). */
    public static byte[] tar() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (String d : List.of("usr", "etc", "proc", "dev", "sys", "run", "root", "home", "var", "workspace",
                    ".sandbox4j", "etc/ssl")) {
                dir(tar, d, 0755);
            }
            dir(tar, "tmp", 01777);
            dir(tar, "var/tmp", 01777);
            for (Map.Entry<String, String> e : hostLayout().entrySet()) {
                if (e.getValue().isEmpty()) {
                    dir(tar, e.getKey(), 0755);
                } else {
                    TarArchiveEntry link = new TarArchiveEntry(e.getKey(), TarArchiveEntry.LF_SYMLINK);
                    link.setLinkName(e.getValue());
                    tar.putArchiveEntry(link);
                    tar.closeArchiveEntry();
                }
            }
            file(tar, "etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
            file(tar, "etc/group", "root:x:0:\nnogroup:x:65534:\n");
            tar.finish();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make the host base image's tar", e);
        }
        return bytes.toByteArray();
    }

    private static void dir(TarArchiveOutputStream tar, String name, int mode) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name + "/");
        e.setMode(TarArchiveEntry.DEFAULT_DIR_MODE & ~0777 | mode);
        tar.putArchiveEntry(e);
        tar.closeArchiveEntry();
    }

    private static void file(TarArchiveOutputStream tar, String name, String content) throws IOException {
        byte[] b = content.getBytes(StandardCharsets.UTF_8);
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(b.length);
        e.setMode(0100644);
        tar.putArchiveEntry(e);
        tar.write(b);
        tar.closeArchiveEntry();
    }
}
