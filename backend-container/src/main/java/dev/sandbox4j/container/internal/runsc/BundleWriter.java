package dev.sandbox4j.container.internal.runsc;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.CompressorException;
import org.apache.commons.compress.compressors.CompressorStreamFactory;

/**
 * Writes a {@link BundlePlan} as an OCI bundle: {@code config.json} (Jackson) and the {@code rootfs}
 * directory, unpacked from a tar (the host base image's few entries, or the user's root file system),
 * with the mount points the plan needs made in it. Unpacking refuses absolute and {@code ..} names and
 * never writes through a symlink, so a hostile tarball cannot place a file outside the rootfs; device
 * nodes are skipped and setuid/setgid bits dropped. Stateless.
 */
final class BundleWriter {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private BundleWriter() {
    }

    /** The OCI runtime spec of {@code plan}, with {@code rootfs} as the root. */
    static ObjectNode config(BundlePlan plan) {
        ObjectNode c = JSON.createObjectNode();
        c.put("ociVersion", "1.0.2");
        ObjectNode process = c.putObject("process");
        process.put("terminal", false);
        process.putObject("user").put("uid", plan.uid()).put("gid", plan.gid());
        plan.args().forEach(process.putArray("args")::add);
        plan.env().forEach(process.putArray("env")::add);
        process.put("cwd", "/");
        ObjectNode caps = process.putObject("capabilities");
        for (String set : List.of("bounding", "effective", "inheritable", "permitted", "ambient")) {
            caps.putArray(set);
        }
        process.put("noNewPrivileges", true);
        ArrayNode rl = process.putArray("rlimits");
        plan.rlimits().forEach(r -> rl.addObject().put("type", r.type()).put("hard", r.value()).put("soft", r.value()));
        c.putObject("root").put("path", "rootfs").put("readonly", true);
        c.put("hostname", "sandbox");
        ArrayNode mounts = c.putArray("mounts");
        for (BundlePlan.OciMount m : plan.mounts()) {
            ObjectNode o = mounts.addObject().put("destination", m.destination()).put("type", m.type()).put("source", m.source());
            m.options().forEach(o.putArray("options")::add);
        }
        ObjectNode linux = c.putObject("linux");
        ArrayNode ns = linux.putArray("namespaces");
        for (String n : List.of("pid", "network", "ipc", "uts", "mount")) {
            ns.addObject().put("type", n);
        }
        linux.put("cgroupsPath", plan.cgroupsPath());
        ObjectNode res = linux.putObject("resources");
        plan.memoryBytes().ifPresent(b -> res.putObject("memory").put("limit", b).put("swap", b));
        plan.cpuQuotaUs().ifPresent(q -> res.putObject("cpu").put("quota", q).put("period", BundlePlan.CPU_PERIOD_US));
        linux.set("seccomp", plan.seccomp());
        return c;
    }

    /** Writes {@code bundle/config.json} and makes the mount points in {@code bundle/rootfs}, which must exist. */
    static void write(BundlePlan plan, Path bundle) throws IOException {
        Path rootfs = bundle.resolve("rootfs");
        for (BundlePlan.OciMount m : plan.mounts()) {
            mountPoint(rootfs, m, plan.mounts());
        }
        Path tmp = bundle.resolve("config.json.part");
        JSON.writeValue(tmp.toFile(), config(plan));
        Files.move(tmp, bundle.resolve("config.json"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Makes the mount point of {@code m} unless an earlier mount covers its parent (runsc then makes it). */
    private static void mountPoint(Path rootfs, BundlePlan.OciMount m, List<BundlePlan.OciMount> all) throws IOException {
        String dest = m.destination();
        for (BundlePlan.OciMount other : all) {
            if (other == m) {
                break;
            }
            if (dest.startsWith(other.destination().endsWith("/") ? other.destination() : other.destination() + "/")) {
                return;
            }
        }
        Path target = rootfs;
        String[] parts = dest.substring(1).split("/");
        for (int i = 0; i < parts.length; i++) {
            target = target.resolve(parts[i]);
            if (Files.isSymbolicLink(target)) {
                return; // the image's own layout (bin -> usr/bin): runsc resolves it inside the rootfs
            }
            boolean last = i == parts.length - 1;
            if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                boolean file = last && m.type().equals("bind") && Files.isRegularFile(Path.of(m.source()));
                if (file) {
                    Files.createFile(target);
                } else {
                    Files.createDirectory(target);
                    Files.setPosixFilePermissions(target, perms(0755));
                }
            }
        }
    }

    /** Unpacks {@code tar} (plain, gzip, xz or bzip2) into {@code rootfs}. */
    static void unpack(InputStream tar, Path rootfs) throws IOException {
        InputStream in = new BufferedInputStream(tar);
        try {
            in = new CompressorStreamFactory().createCompressorInputStream(in);
        } catch (CompressorException notCompressed) {
            // a plain tar
        }
        try (TarArchiveInputStream t = new TarArchiveInputStream(in)) {
            TarArchiveEntry e;
            while ((e = t.getNextTarEntry()) != null) {
                Path target = safeTarget(rootfs, e.getName());
                if (target == null) {
                    continue;
                }
                int mode = e.getMode() & 0777;
                if (e.isDirectory()) {
                    if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                        Files.deleteIfExists(target);
                        Files.createDirectory(target);
                    }
                    Files.setPosixFilePermissions(target, perms(mode));
                } else if (e.isSymbolicLink()) {
                    Files.deleteIfExists(target);
                    Files.createSymbolicLink(target, Path.of(e.getLinkName()));
                } else if (e.isLink()) {
                    Path from = safeTarget(rootfs, e.getLinkName());
                    if (from != null && Files.isRegularFile(from, LinkOption.NOFOLLOW_LINKS)) {
                        Files.deleteIfExists(target);
                        Files.createLink(target, from);
                    }
                } else if (e.isFile()) {
                    Files.deleteIfExists(target);
                    Files.copy(t, target);
                    Files.setPosixFilePermissions(target, perms(mode));
                }
                // device nodes, FIFOs: skipped (gVisor gives /dev of its own)
            }
        }
    }

    static void unpack(byte[] tar, Path rootfs) throws IOException {
        unpack(new ByteArrayInputStream(tar), rootfs);
    }

    /**
     * {@code rootfs/name} when {@code name} stays inside and no existing parent on the way is a symlink
     * (which could point outside); null for an entry to skip (the root itself, or an unsafe name).
     */
    private static Path safeTarget(Path rootfs, String name) throws IOException {
        String n = name;
        while (n.startsWith("./")) {
            n = n.substring(2);
        }
        if (n.startsWith("/") || n.isEmpty() || n.equals(".")) {
            return null;
        }
        Path target = rootfs;
        String[] parts = n.split("/");
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i];
            if (p.isEmpty() || p.equals(".")) {
                continue;
            }
            if (p.equals("..") || p.indexOf('\0') >= 0) {
                throw new IOException("tar entry '" + name + "' leaves the root file system");
            }
            if (i < parts.length - 1 || n.endsWith("/")) {
                Path next = target.resolve(p);
                if (Files.isSymbolicLink(next)) {
                    throw new IOException("tar entry '" + name + "' goes through the symlink " + rootfs.relativize(next));
                }
            }
            target = target.resolve(p);
        }
        if (target.equals(rootfs)) {
            return null;
        }
        Files.createDirectories(target.getParent());
        return target;
    }

    static Set<PosixFilePermission> perms(int mode) {
        Set<PosixFilePermission> s = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] order = {PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE,
                PosixFilePermission.OTHERS_READ, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE,
                PosixFilePermission.GROUP_READ, PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE,
                PosixFilePermission.OWNER_READ};
        for (int i = 0; i < order.length; i++) {
            if ((mode & (1 << i)) != 0) {
                s.add(order[i]);
            }
        }
        return s;
    }
}
