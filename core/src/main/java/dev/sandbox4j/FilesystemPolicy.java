package dev.sandbox4j;

import dev.sandbox4j.internal.Validate;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What the sandbox sees of a file system. Immutable and thread-safe.
 *
 * <p>When {@code isolated} is true the sandbox sees only its image (for {@link SandboxImage#host()}: the
 * host's system directories /usr, /bin, /lib..., read-only), the workspace read-write at
 * {@code /workspace}, the {@code mounts}, a private {@code /proc} and minimal {@code /dev}, and a tmpfs on
 * every path of {@code tmpfs}; each path of {@code hidden} is covered by an empty read-only directory or
 * file. When false (only {@link #host()}) it sees the host's whole file system: no backend then claims to
 * protect a host file.
 *
 * @param isolated true for a private view (the default), false for the host's whole file system
 * @param mounts   extra host paths, read-only or read-write
 * @param hidden   absolute sandbox paths made empty and unreadable
 * @param tmpfs    absolute sandbox paths that get a fresh, private, size-capped tmpfs
 */
public record FilesystemPolicy(boolean isolated, List<Mount> mounts, List<String> hidden, List<String> tmpfs) {

    public FilesystemPolicy {
        mounts = List.copyOf(mounts);
        hidden = hidden.stream().map(p -> Validate.sandboxPath("filesystem.hidden", p)).toList();
        tmpfs = tmpfs.stream().map(p -> Validate.sandboxPath("filesystem.tmpfs", p)).toList();
        if (!isolated && (!mounts.isEmpty() || !hidden.isEmpty() || !tmpfs.isEmpty())) {
            throw new InvalidInputException("filesystem: mounts, hidden and tmpfs paths need an isolated view,"
                    + " but isolated is false; start from FilesystemPolicy.isolatedView()");
        }
    }

    /**
     * The default: a private view with a tmpfs on /tmp and on /var/tmp (the two places programs expect to write
     * temporary files, as in a container or VM; with {@code limits.disk} both lie on the sandbox's bounded
     * storage) and nothing else of the host beyond the image.
     */
    public static FilesystemPolicy isolatedView() {
        return new FilesystemPolicy(true, List.of(), List.of(), List.of("/tmp", "/var/tmp"));
    }

    /** The host's whole file system, unprotected; what {@link IsolationPolicy#permissive()} uses. */
    public static FilesystemPolicy host() {
        return new FilesystemPolicy(false, List.of(), List.of(), List.of());
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Adjusts a filesystem policy; {@code readOnly("/usr")} means the host's /usr at /usr. Not thread-safe. */
    public static final class Builder {
        private boolean isolated;
        private final List<Mount> mounts;
        private final List<String> hidden;
        private final List<String> tmpfs;

        Builder(FilesystemPolicy from) {
            this.isolated = from.isolated;
            this.mounts = new ArrayList<>(from.mounts);
            this.hidden = new ArrayList<>(from.hidden);
            this.tmpfs = new ArrayList<>(from.tmpfs);
        }

        public Builder readOnly(String path) {
            return readOnly(Path.of(Validate.sandboxPath("filesystem.readOnly", path)), path);
        }

        public Builder readOnly(Path hostPath, String sandboxPath) {
            isolated = true;
            mounts.add(Mount.readOnly(hostPath, sandboxPath));
            return this;
        }

        public Builder readWrite(Path hostPath, String sandboxPath) {
            isolated = true;
            mounts.add(Mount.readWrite(hostPath, sandboxPath));
            return this;
        }

        public Builder hide(String sandboxPath) {
            isolated = true;
            hidden.add(sandboxPath);
            return this;
        }

        public Builder tmpfs(String sandboxPath) {
            isolated = true;
            if (!tmpfs.contains(sandboxPath)) {
                tmpfs.add(sandboxPath);
            }
            return this;
        }

        public FilesystemPolicy build() {
            return new FilesystemPolicy(isolated, mounts, hidden, tmpfs);
        }
    }
}
