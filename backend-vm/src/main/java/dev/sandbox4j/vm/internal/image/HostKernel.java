package dev.sandbox4j.vm.internal.image;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The guest kernel taken from the host's Debian packages: {@code /boot/vmlinuz-<release>} (the newest
 * {@code -cloud-amd64} one first: linux-image-cloud-amd64 is the kernel made for VMs) with its modules in
 * {@code /lib/modules/<release>}. Stateless.
 *
 * @param image      the bzImage
 * @param release    the kernel release
 * @param modulesDir its modules directory (may be missing: then the drivers must be built in)
 */
public record HostKernel(Path image, String release, Path modulesDir) {

    /** The package that provides the kernel this backend looks for. */
    public static final String PACKAGE = "linux-image-cloud-amd64";

    public static Optional<HostKernel> find(Path boot, Path modules) {
        List<Path> found = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(boot, "vmlinuz-*")) {
            s.forEach(found::add);
        } catch (IOException e) {
            return Optional.empty();
        }
        return found.stream().filter(Files::isReadable)
                .max(Comparator.comparing((Path p) -> p.getFileName().toString().endsWith("-cloud-amd64"))
                        .thenComparing(p -> p.getFileName().toString(), HostKernel::compareVersions))
                .map(p -> {
                    String release = p.getFileName().toString().substring("vmlinuz-".length());
                    return new HostKernel(p, release, modules.resolve(release));
                });
    }

    public static Optional<HostKernel> find() {
        return find(Path.of("/boot"), Path.of("/lib/modules"));
    }

    /** A user's kernel file; its modules are looked for by the release in its file name, if it has one. */
    public static HostKernel of(Path image) {
        String name = image.getFileName().toString();
        String release = name.startsWith("vmlinuz-") ? name.substring(8) : name.startsWith("vmlinux-") ? name.substring(8) : "";
        return new HostKernel(image, release, Path.of("/lib/modules", release.isEmpty() ? "-" : release));
    }

    /** Compares "6.1.0-56-cloud-amd64" and "6.1.0-9-cloud-amd64" by their numbers. */
    static int compareVersions(String a, String b) {
        String[] x = a.split("[^0-9]+");
        String[] y = b.split("[^0-9]+");
        for (int i = 0; i < Math.min(x.length, y.length); i++) {
            if (x[i].isEmpty() || y[i].isEmpty()) {
                continue;
            }
            int c = Long.compare(Long.parseLong(x[i].length() > 18 ? x[i].substring(0, 18) : x[i]),
                    Long.parseLong(y[i].length() > 18 ? y[i].substring(0, 18) : y[i]));
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(x.length, y.length);
    }
}
