package dev.sandbox4j;

import java.time.Duration;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * Resource limits of a sandbox. Immutable and thread-safe. An empty optional means "no limit" and then
 * needs no capability of the backend; a present one must be enforced or {@code build()} fails.
 *
 * @param memory    memory of all the sandbox's processes together (RAM; swap counts where the backend can)
 * @param cpus      CPU time as a number of CPUs (1.5 = one and a half cores' time per wall second)
 * @param pids      the most processes and threads alive at once inside the sandbox
 * @param wallTime  default wall-clock timeout of one exec; {@link Command#timeout(Duration)} overrides it.
 *                  Always enforced (by the core); positive.
 * @param maxOutput default cap per output stream (stdout and stderr each) of one exec; output beyond it is
 *                  drained and dropped and the result says truncated. Always enforced (by the core).
 * @param fileSize  the largest file a process may write (RLIMIT_FSIZE; a write past it fails with EFBIG)
 * @param openFiles the most file descriptors one process may hold open (RLIMIT_NOFILE)
 * @param disk      what the sandbox may store on the host, all its writable places together: the workspace,
 *                  the tmpfs paths and its other writable mounts. A write past it fails inside with ENOSPC and
 *                  raises a {@code limits.disk} violation. Only storage the library makes can be bounded: with
 *                  a disk limit the workspace must be the library's own (no {@code workspace(dir)}) and no
 *                  mount may be writable, else {@code build()} refuses the policy. At least 1 MiB.
 */
public record ResourceLimits(Optional<DataSize> memory, OptionalDouble cpus, OptionalInt pids, Duration wallTime,
                             DataSize maxOutput, Optional<DataSize> fileSize, OptionalInt openFiles,
                             Optional<DataSize> disk) {

    public ResourceLimits {
        if (memory == null || cpus == null || pids == null || fileSize == null || openFiles == null || disk == null) {
            throw new InvalidInputException("limits: use Optional.empty() for no limit, not null");
        }
        if (memory.isPresent() && memory.get().bytes() < 4L * 1024 * 1024) {
            throw new InvalidInputException("limits.memory: " + memory.get() + " is below 4m; no process starts in less");
        }
        if (cpus.isPresent() && !(cpus.getAsDouble() > 0 && cpus.getAsDouble() <= 1024)) {
            throw new InvalidInputException("limits.cpus: " + cpus.getAsDouble() + " must be more than 0 (e.g. 0.5, 1, 2)");
        }
        if (pids.isPresent() && pids.getAsInt() < 1) {
            throw new InvalidInputException("limits.pids: " + pids.getAsInt() + " must be at least 1");
        }
        if (wallTime == null || wallTime.isNegative() || wallTime.isZero()) {
            throw new InvalidInputException("limits.wallTime: " + wallTime + " must be a positive duration (e.g. 30s)");
        }
        if (maxOutput == null) {
            throw new InvalidInputException("limits.maxOutput: no size given (e.g. 1m)");
        }
        if (openFiles.isPresent() && openFiles.getAsInt() < 3) {
            throw new InvalidInputException("limits.openFiles: " + openFiles.getAsInt()
                    + " must be at least 3 (stdin, stdout, stderr)");
        }
        if (disk.isPresent() && disk.get().bytes() < 1024L * 1024) {
            throw new InvalidInputException("limits.disk: " + disk.get() + " is below 1m; give at least 1m (e.g. 1g)");
        }
    }

    /** The given limits and no disk limit. */
    public ResourceLimits(Optional<DataSize> memory, OptionalDouble cpus, OptionalInt pids, Duration wallTime,
                          DataSize maxOutput, Optional<DataSize> fileSize, OptionalInt openFiles) {
        this(memory, cpus, pids, wallTime, maxOutput, fileSize, openFiles, Optional.empty());
    }

    /** No limit but the always-enforced defaults: wall time 30s and 1 MiB of output per stream. */
    public static ResourceLimits unlimited() {
        return new ResourceLimits(Optional.empty(), OptionalDouble.empty(), OptionalInt.empty(),
                Duration.ofSeconds(30), DataSize.ofMiB(1), Optional.empty(), OptionalInt.empty(), Optional.empty());
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Adjusts limits; {@code none*} methods remove a limit. Not thread-safe. */
    public static final class Builder {
        private Optional<DataSize> memory;
        private OptionalDouble cpus;
        private OptionalInt pids;
        private Duration wallTime;
        private DataSize maxOutput;
        private Optional<DataSize> fileSize;
        private OptionalInt openFiles;
        private Optional<DataSize> disk;

        Builder(ResourceLimits from) {
            memory = from.memory;
            cpus = from.cpus;
            pids = from.pids;
            wallTime = from.wallTime;
            maxOutput = from.maxOutput;
            fileSize = from.fileSize;
            openFiles = from.openFiles;
            disk = from.disk;
        }

        public Builder memory(DataSize size) {
            memory = Optional.of(size);
            return this;
        }

        public Builder noMemoryLimit() {
            memory = Optional.empty();
            return this;
        }

        public Builder cpus(double n) {
            cpus = OptionalDouble.of(n);
            return this;
        }

        public Builder noCpuLimit() {
            cpus = OptionalDouble.empty();
            return this;
        }

        public Builder pids(int n) {
            pids = OptionalInt.of(n);
            return this;
        }

        public Builder noPidsLimit() {
            pids = OptionalInt.empty();
            return this;
        }

        public Builder wallTime(Duration d) {
            wallTime = d;
            return this;
        }

        public Builder maxOutput(DataSize size) {
            maxOutput = size;
            return this;
        }

        public Builder fileSize(DataSize size) {
            fileSize = Optional.of(size);
            return this;
        }

        public Builder noFileSizeLimit() {
            fileSize = Optional.empty();
            return this;
        }

        public Builder openFiles(int n) {
            openFiles = OptionalInt.of(n);
            return this;
        }

        public Builder noOpenFilesLimit() {
            openFiles = OptionalInt.empty();
            return this;
        }

        /** At most {@code size} stored by the sandbox on the host, all its writable places together. */
        public Builder disk(DataSize size) {
            disk = Optional.of(size);
            return this;
        }

        public Builder noDiskLimit() {
            disk = Optional.empty();
            return this;
        }

        public ResourceLimits build() {
            return new ResourceLimits(memory, cpus, pids, wallTime, maxOutput, fileSize, openFiles, disk);
        }
    }
}
