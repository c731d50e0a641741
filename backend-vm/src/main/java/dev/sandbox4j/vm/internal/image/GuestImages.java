package dev.sandbox4j.vm.internal.image;

import dev.sandbox4j.SandboxStartException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Assembles guest images offline from what the host has: the agent this module built, the host's static
 * busybox ({@code busybox-static}), the virtio modules of the guest kernel ({@code linux-image-cloud-amd64})
 * and a few /etc files. The results live in the {@link VmCache}, keyed by a hash of every input, so a
 * changed kernel, agent or busybox makes a new image. Thread-safe.
 */
public final class GuestImages {
    /** Raise when the layout below changes, so that old cache entries are not reused. */
    private static final String LAYOUT = "layout-3";
    /** The modules the agent loads, in dependency order, relative to /lib/modules/RELEASE/kernel. */
    public static final List<String> MODULES = List.of("drivers/virtio/virtio_ring", "drivers/virtio/virtio",
            "drivers/virtio/virtio_mmio", "drivers/virtio/virtio_pci_legacy_dev", "drivers/virtio/virtio_pci_modern_dev",
            "drivers/virtio/virtio_pci", "drivers/char/virtio_console", "fs/fuse/fuse", "fs/fuse/virtiofs");
    static final String AGENT_RESOURCE = "sandbox4j-agent";

    private final VmCache cache;
    private final Path busybox;

    public GuestImages(VmCache cache, Path busybox) {
        this.cache = cache;
        this.busybox = busybox;
    }

    /** The agent binary this module was built with. */
    public static byte[] agentBinary() {
        try (InputStream in = GuestImages.class.getResourceAsStream(AGENT_RESOURCE)) {
            if (in == null) {
                throw new SandboxStartException("the guest agent binary is missing from sandbox4j-backend-vm's jar"
                        + " (dev/sandbox4j/vm/internal/image/" + AGENT_RESOURCE + "); rebuild the module with gcc installed");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new SandboxStartException("cannot read the guest agent from the jar: " + e, e);
        }
    }

    /** The host-root guest: the host kernel, and an initramfs whose /usr is the host's, shared at boot. */
    public GuestImage hostImage(HostKernel kernel) {
        try {
            Map<String, byte[]> modules = modules(kernel);
            Map<String, String> links = etcLinks();
            List<String> parts = new ArrayList<>(List.of(LAYOUT, Hashing.bytes(agentBinary()), Hashing.file(busybox)));
            modules.forEach((n, b) -> parts.addAll(List.of(n, Hashing.bytes(b))));
            links.forEach((n, t) -> parts.addAll(List.of(n, t)));
            Path ldCache = Path.of("/etc/ld.so.cache");
            byte[] ld = Files.isReadable(ldCache) ? Files.readAllBytes(ldCache) : new byte[0];
            parts.add(Hashing.bytes(ld));
            String key = Hashing.shortKey(Hashing.of(parts));
            Path dir = cache.getOrBuild("images", key, d -> {
                try (OutputStream out = Files.newOutputStream(d.resolve("initramfs.cpio")); CpioWriter w = new CpioWriter(out)) {
                    hostLayout(w, modules, links, ld);
                }
            });
            Path vmlinux = pvhKernel(kernel.image());
            return new GuestImage(vmlinux, kernel.image(), dir.resolve("initramfs.cpio"),
                    Hashing.shortKey(Hashing.of(List.of(key, Hashing.file(kernel.image())))), true);
        } catch (IOException e) {
            throw new SandboxStartException("building the guest image from " + kernel.image() + " failed: " + e, e);
        }
    }

    /** A user's kernel and initramfs; the agent, busybox and an empty file are appended as a second archive. */
    public GuestImage userImage(Path kernel, Path initramfs) {
        try {
            byte[] overlay = overlay();
            String key = Hashing.shortKey(Hashing.of(List.of(LAYOUT, "user", Hashing.file(initramfs), Hashing.bytes(overlay))));
            Path dir = cache.getOrBuild("images", key, d -> {
                try (OutputStream out = Files.newOutputStream(d.resolve("initramfs.cpio"))) {
                    byte[] theirs = Files.readAllBytes(initramfs);
                    out.write(theirs);
                    out.write(new byte[(4 - theirs.length % 4) % 4]); // the next archive starts 4-aligned
                    out.write(overlay);
                }
            });
            boolean elf = KernelExtractor.isElf(kernel);
            Path pvh = pvhKernel(kernel);
            return new GuestImage(pvh, elf ? pvh : kernel, dir.resolve("initramfs.cpio"),
                    Hashing.shortKey(Hashing.of(List.of(key, Hashing.file(kernel)))), false);
        } catch (IOException e) {
            throw new SandboxStartException("building the guest image from " + kernel + " and " + initramfs + " failed: " + e, e);
        }
    }

    /** The ELF kernel with a PVH entry, extracted once per kernel file. */
    public Path pvhKernel(Path kernel) throws IOException {
        String key = Hashing.shortKey(Hashing.file(kernel));
        // checked before anything is cached: a kernel QEMU cannot boot this way leaves no cache entry
        Path dir = cache.getOrBuild("kernels", key, d -> {
            Path vmlinux = d.resolve("vmlinux");
            Files.write(vmlinux, KernelExtractor.vmlinux(kernel));
            if (!KernelExtractor.hasPvhNote(vmlinux)) {
                throw new SandboxStartException("kernel " + kernel + " has no PVH entry (it was built without CONFIG_PVH),"
                        + " so QEMU cannot boot it without firmware; use the qemu backend, or a kernel such as " + HostKernel.PACKAGE + "'s");
            }
        });
        return dir.resolve("vmlinux");
    }

    private void hostLayout(CpioWriter w, Map<String, byte[]> modules, Map<String, String> links, byte[] ldCache) throws IOException {
        for (String d : List.of("dev", "proc", "sys", "usr", "workspace", "etc", "root", "run", "var", "mnt", "home", "sandbox4j",
                "sandbox4j/modules")) {
            w.dir(d, 0755);
        }
        w.dir("tmp", 01777);
        w.dir("var/tmp", 01777);
        // Debian is usr-merged: the top-level program and library directories are links into the /usr share
        for (String d : List.of("bin", "sbin", "lib", "lib64", "libx32", "lib32")) {
            Path host = Path.of("/", d);
            if (Files.isSymbolicLink(host)) {
                w.symlink(d, Files.readSymbolicLink(host).toString());
            }
        }
        common(w);
        for (Map.Entry<String, byte[]> m : modules.entrySet()) {
            w.file("sandbox4j/modules/" + m.getKey() + ".ko", 0644, m.getValue());
        }
        w.file("etc/passwd", 0644, ("root:x:0:0:root:/root:/bin/sh\n"
                + "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n").getBytes(StandardCharsets.UTF_8));
        w.file("etc/group", 0644, "root:x:0:\nnogroup:x:65534:\n".getBytes(StandardCharsets.UTF_8));
        w.file("etc/hostname", 0644, "sandbox\n".getBytes(StandardCharsets.UTF_8));
        w.file("etc/hosts", 0644, "127.0.0.1\tlocalhost sandbox\n::1\tlocalhost\n".getBytes(StandardCharsets.UTF_8));
        w.file("etc/nsswitch.conf", 0644, "passwd: files\ngroup: files\nhosts: files\n".getBytes(StandardCharsets.UTF_8));
        if (ldCache.length > 0) {
            w.file("etc/ld.so.cache", 0644, ldCache);
        }
        if (!links.isEmpty()) {
            w.dir("etc/alternatives", 0755);
        }
        for (Map.Entry<String, String> l : links.entrySet()) {
            w.symlink(l.getKey(), l.getValue());
        }
    }

    private void common(CpioWriter w) throws IOException {
        w.file("sandbox4j/agent", 0755, agentBinary());
        w.file("sandbox4j/busybox", 0755, Files.readAllBytes(busybox));
        w.file("sandbox4j/empty", 0, new byte[0]);
    }

    private byte[] overlay() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (CpioWriter w = new CpioWriter(b)) {
            w.dir("sandbox4j", 0755);
            w.dir("sandbox4j/modules", 0755);
            for (String d : List.of("dev", "proc", "sys", "tmp", "workspace")) {
                w.dir(d, d.equals("tmp") ? 01777 : 0755);
            }
            common(w);
        }
        return b.toByteArray();
    }

    private static Map<String, byte[]> modules(HostKernel kernel) throws IOException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (String m : MODULES) {
            Path ko = kernel.modulesDir().resolve("kernel").resolve(m + ".ko");
            if (Files.isRegularFile(ko)) {
                out.put(m.substring(m.lastIndexOf('/') + 1), Files.readAllBytes(ko));
            }
        }
        return out;
    }

    /** The host's /etc/alternatives links (awk, editor, pager...) and /etc/os-release, as symlinks. */
    private static Map<String, String> etcLinks() throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        Path alt = Path.of("/etc/alternatives");
        if (Files.isDirectory(alt)) {
            List<Path> entries = new ArrayList<>();
            try (DirectoryStream<Path> s = Files.newDirectoryStream(alt)) {
                s.forEach(entries::add);
            }
            entries.sort(null);
            for (Path p : entries) {
                if (Files.isSymbolicLink(p)) {
                    out.put("etc/alternatives/" + p.getFileName(), Files.readSymbolicLink(p).toString());
                }
            }
        }
        Path osRelease = Path.of("/etc/os-release");
        if (Files.isSymbolicLink(osRelease)) {
            out.put("etc/os-release", Files.readSymbolicLink(osRelease).toString());
        } else if (Files.exists(osRelease, LinkOption.NOFOLLOW_LINKS)) {
            out.put("etc/os-release", "../usr/lib/os-release");
        }
        return out;
    }
}
