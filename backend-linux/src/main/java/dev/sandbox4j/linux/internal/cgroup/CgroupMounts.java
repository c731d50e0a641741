package dev.sandbox4j.linux.internal.cgroup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where the cgroup hierarchies are mounted and where this JVM sits in each, read from
 * /proc/self/mountinfo and /proc/self/cgroup. Sandbox cgroups are made below the JVM's own cgroup, so
 * that whatever limits the JVM's owner put on the JVM also bound its sandboxes.
 *
 * @param v1Mounts controller name ({@code memory}, {@code pids}, {@code cpu}, {@code freezer}) to the
 *                 mount point of its v1 hierarchy
 * @param v1Own    controller name to this JVM's cgroup directory in that hierarchy
 * @param v2Mount  the cgroup2 mount point, if one is mounted
 * @param v2Own    this JVM's cgroup2 directory, if known
 */
record CgroupMounts(Map<String, Path> v1Mounts, Map<String, Path> v1Own, Optional<Path> v2Mount, Optional<Path> v2Own) {

    CgroupMounts {
        v1Mounts = Map.copyOf(v1Mounts);
        v1Own = Map.copyOf(v1Own);
    }

    /** Every mount point, v1 and v2, for the reaper. */
    List<Path> allMounts() {
        java.util.LinkedHashSet<Path> all = new java.util.LinkedHashSet<>(v1Mounts.values());
        v2Mount.ifPresent(all::add);
        return List.copyOf(all);
    }

    static CgroupMounts read() {
        try {
            return parse(Files.readAllLines(Path.of("/proc/self/mountinfo")), Files.readAllLines(Path.of("/proc/self/cgroup")));
        } catch (IOException e) {
            return new CgroupMounts(Map.of(), Map.of(), Optional.empty(), Optional.empty());
        }
    }

    static CgroupMounts parse(List<String> mountinfo, List<String> selfCgroup) {
        Map<String, Path> v1Mounts = new HashMap<>();
        Map<String, String> v1Roots = new HashMap<>();
        Path v2Mount = null;
        String v2Root = "/";
        for (String line : mountinfo) {
            int dash = line.indexOf(" - ");
            if (dash < 0) {
                continue;
            }
            String[] pre = line.substring(0, dash).split(" ");
            String[] post = line.substring(dash + 3).split(" ");
            if (pre.length < 5 || post.length < 3) {
                continue;
            }
            String root = unescape(pre[3]);
            Path mountPoint = Path.of(unescape(pre[4]));
            if (post[0].equals("cgroup2")) {
                if (v2Mount == null) {
                    v2Mount = mountPoint;
                    v2Root = root;
                }
            } else if (post[0].equals("cgroup")) {
                for (String opt : post[2].split(",")) {
                    if (CgroupSandbox.V1_CONTROLLERS.contains(opt)) {
                        v1Mounts.putIfAbsent(opt, mountPoint);
                        v1Roots.putIfAbsent(opt, root);
                    }
                }
            }
        }
        Map<String, Path> v1Own = new HashMap<>();
        Path v2Own = null;
        for (String line : selfCgroup) {
            String[] f = line.split(":", 3);
            if (f.length < 3) {
                continue;
            }
            if (f[0].equals("0") && f[1].isEmpty()) {
                if (v2Mount != null) {
                    v2Own = own(v2Mount, v2Root, f[2]);
                }
                continue;
            }
            for (String controller : f[1].split(",")) {
                Path mount = v1Mounts.get(controller);
                if (mount != null) {
                    v1Own.put(controller, own(mount, v1Roots.get(controller), f[2]));
                }
            }
        }
        return new CgroupMounts(v1Mounts, v1Own, Optional.ofNullable(v2Mount), Optional.ofNullable(v2Own));
    }

    /**
     * The directory of {@code cgroupPath} under a mount whose root is {@code mountRoot}. Inside a cgroup
     * namespace the path is already relative to the namespace root; outside one it may start with the
     * mount's root, which the mount point does not show.
     */
    private static Path own(Path mount, String mountRoot, String cgroupPath) {
        String rel = cgroupPath;
        if (!mountRoot.equals("/") && (rel.equals(mountRoot) || rel.startsWith(mountRoot + "/"))) {
            rel = rel.substring(mountRoot.length());
        }
        rel = rel.replaceAll("^/+", "");
        return rel.isEmpty() ? mount : mount.resolve(rel);
    }

    /** mountinfo escapes space, tab, newline and backslash as \ooo. */
    private static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length() && s.substring(i + 1, i + 4).matches("[0-7]{3}")) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
