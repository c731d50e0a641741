package dev.sandbox4j.linux.internal.plan;

import dev.sandbox4j.DataSize;
import dev.sandbox4j.linux.internal.rlimit.Rlimits;
import dev.sandbox4j.linux.internal.seccomp.SeccompFilter;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * One setup step of a sandbox, as plain data (the vocabulary of {@link SandboxPlan}, like bubblewrap's
 * SetupOp list). Engine-neutral: the bubblewrap executor turns steps into bwrap arguments, another
 * launcher may execute the same steps with its own means. {@code toString()} is the printable form used
 * in plans and error messages; it never prints an environment value.
 */
public sealed interface Step {

    // --- namespaces

    /** A new user namespace. */
    record UnshareUser() implements Step {
        @Override
        public String toString() {
            return "unshare user namespace";
        }
    }

    /** A new pid namespace: the exec's processes see only each other and die with its pid 1. */
    record UnsharePid() implements Step {
        @Override
        public String toString() {
            return "unshare pid namespace";
        }
    }

    /** A new network namespace whose only interface is its own loopback (up). */
    record UnshareNet() implements Step {
        @Override
        public String toString() {
            return "unshare network namespace (private loopback only)";
        }
    }

    record UnshareIpc() implements Step {
        @Override
        public String toString() {
            return "unshare ipc namespace";
        }
    }

    /** A new UTS namespace with its own host name (the host's name is not shown). */
    record UnshareUts(String hostname) implements Step {
        @Override
        public String toString() {
            return "unshare uts namespace, hostname " + hostname;
        }
    }

    /** A new cgroup namespace, where the engine supports it. */
    record UnshareCgroup() implements Step {
        @Override
        public String toString() {
            return "unshare cgroup namespace (if supported)";
        }
    }

    /** No further user namespace can be made inside (user.max_user_namespaces = 0 in a nested one). */
    record DisableUserns() implements Step {
        @Override
        public String toString() {
            return "disable nested user namespaces";
        }
    }

    // --- launcher side (before the engine runs)

    /** The first process writes its pid into each file before it execs anything. */
    record JoinCgroups(List<Path> procsFiles) implements Step {
        public JoinCgroups {
            procsFiles = List.copyOf(procsFiles);
        }

        @Override
        public String toString() {
            return "join cgroups " + procsFiles;
        }
    }

    /** A resource limit, soft = hard, set by the launcher and inherited by everything it starts. */
    record Rlimit(Rlimits.Limit limit) implements Step {
        @Override
        public String toString() {
            return "rlimit " + limit;
        }
    }

    // --- file system, in mount order

    record BindRo(Path host, String dest) implements Step {
        @Override
        public String toString() {
            return "bind " + host + " -> " + dest + " (read-only)";
        }
    }

    record BindRw(Path host, String dest) implements Step {
        @Override
        public String toString() {
            return "bind " + host + " -> " + dest + " (read-write)";
        }
    }

    /** Host devices too: only for a policy that shows the host's whole file system. */
    record BindDev(Path host, String dest) implements Step {
        @Override
        public String toString() {
            return "bind " + host + " -> " + dest + " (read-write, devices allowed)";
        }
    }

    record Symlink(String target, String dest) implements Step {
        @Override
        public String toString() {
            return "symlink " + dest + " -> " + target;
        }
    }

    /**
     * A fresh tmpfs.
     *
     * @param size cap on its size; empty: the kernel's default (half the RAM)
     * @param mode permission bits of its root, e.g. 01777 for /tmp
     */
    record Tmpfs(String dest, Optional<DataSize> size, int mode) implements Step {
        @Override
        public String toString() {
            return "tmpfs " + dest + " mode 0" + Integer.toOctalString(mode) + size.map(s -> " size " + s).orElse("");
        }
    }

    record Proc(String dest) implements Step {
        @Override
        public String toString() {
            return "proc " + dest;
        }
    }

    /** A minimal /dev: null, zero, full, random, urandom, tty, pts, shm. */
    record Dev(String dest) implements Step {
        @Override
        public String toString() {
            return "minimal dev " + dest;
        }
    }

    /** A directory covered by an empty, read-only tmpfs of mode 0000: empty and unreadable. */
    record HideDir(String dest) implements Step {
        @Override
        public String toString() {
            return "hide directory " + dest + " (empty read-only tmpfs, mode 0000)";
        }
    }

    /** A file covered by an empty, read-only file of mode 0000: empty and unreadable. */
    record HideFile(String dest) implements Step {
        @Override
        public String toString() {
            return "hide file " + dest + " (empty read-only file, mode 0000)";
        }
    }

    record RemountRo(String dest) implements Step {
        @Override
        public String toString() {
            return "remount " + dest + " read-only";
        }
    }

    /** Nothing to do; kept so that the printed plan says why a policy item has no step. */
    record Note(String text) implements Step {
        @Override
        public String toString() {
            return "note: " + text;
        }
    }

    // --- process

    /** The command's uid and gid inside the sandbox. */
    record SetUser(int uid, int gid) implements Step {
        @Override
        public String toString() {
            return "run as uid " + uid + " gid " + gid;
        }
    }

    /** Drop every capability (bounding, effective, permitted, inheritable, ambient) but {@code keep}. */
    record DropCaps(Set<String> keep) implements Step {
        public DropCaps {
            keep = Set.copyOf(keep);
        }

        @Override
        public String toString() {
            return "drop all capabilities" + (keep.isEmpty() ? "" : " but " + new java.util.TreeSet<>(keep));
        }
    }

    /** PR_SET_NO_NEW_PRIVS. */
    record NoNewPrivs() implements Step {
        @Override
        public String toString() {
            return "no new privileges";
        }
    }

    /** The sandbox dies with its launcher (and the launcher with the JVM). */
    record DieWithParent() implements Step {
        @Override
        public String toString() {
            return "die with parent";
        }
    }

    /** setsid(): no controlling terminal, so TIOCSTI cannot type into the JVM's terminal. */
    record NewSession() implements Step {
        @Override
        public String toString() {
            return "new session";
        }
    }

    /** The system-call filter, installed last before exec. */
    record Seccomp(SeccompFilter.Compiled filter) implements Step {
        @Override
        public String toString() {
            return filter.toString();
        }
    }

    // --- the exec

    record ClearEnv() implements Step {
        @Override
        public String toString() {
            return "clear environment";
        }
    }

    /** One environment variable; its value is never printed (it may be a secret). */
    record SetEnv(String name, String value) implements Step {
        @Override
        public String toString() {
            return "setenv " + name + " (" + value.length() + " chars)";
        }
    }

    record Chdir(String dir) implements Step {
        @Override
        public String toString() {
            return "chdir " + dir;
        }
    }

    record Exec(List<String> argv) implements Step {
        public Exec {
            argv = List.copyOf(argv);
        }

        @Override
        public String toString() {
            return "exec " + argv;
        }
    }
}
