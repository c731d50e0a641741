package dev.sandbox4j.vm.internal.image;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * SHA-256 of files and strings, the cache keys of this module. A file's hash is remembered per (path,
 * size, modification time), so a JVM hashes each kernel once. Thread-safe.
 */
public final class Hashing {
    private static final Map<String, String> FILES = new ConcurrentHashMap<>();

    private Hashing() {
    }

    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks SHA-256", e);
        }
    }

    public static String file(Path p) throws IOException {
        BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
        String stamp = p.toAbsolutePath() + "|" + a.size() + "|" + a.lastModifiedTime().toMillis() + "|" + a.fileKey();
        String known = FILES.get(stamp);
        if (known != null) {
            return known;
        }
        MessageDigest d = sha256();
        try (InputStream in = Files.newInputStream(p)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                d.update(buf, 0, n);
            }
        }
        String h = HexFormat.of().formatHex(d.digest());
        FILES.put(stamp, h);
        return h;
    }

    public static String bytes(byte[] b) {
        return HexFormat.of().formatHex(sha256().digest(b));
    }

    /** The hash of several parts, each length-prefixed so that no two lists collide. */
    public static String of(Iterable<String> parts) {
        MessageDigest d = sha256();
        for (String s : parts) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            d.update((b.length + ":").getBytes(StandardCharsets.UTF_8));
            d.update(b);
        }
        return HexFormat.of().formatHex(d.digest());
    }

    /** A short form for directory names. */
    public static String shortKey(String hash) {
        return hash.substring(0, 24);
    }
}
