package dev.sandbox4j.linux.internal.cgroup;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class CgroupMountsTest {
    private static final List<String> HYBRID = List.of(
            "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu",
            "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory",
            "37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer",
            "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids",
            "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd",
            "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw",
            "50 22 0:40 / /mnt/with\\040space rw - ext4 /dev/sda rw");

    @Test
    void hybridHostV1ControllersBelowTheJvmsOwnCgroup() {
        CgroupMounts m = CgroupMounts.parse(HYBRID, List.of("9:name=systemd:/", "8:pids:/", "6:freezer:/",
                "4:memory:/process_api/7e7b", "1:cpu:/", "0::/"));
        assertThat(m.v1Own()).containsEntry("memory", Path.of("/sys/fs/cgroup/memory/process_api/7e7b"))
                .containsEntry("pids", Path.of("/sys/fs/cgroup/pids")).containsEntry("cpu", Path.of("/sys/fs/cgroup/cpu"))
                .containsEntry("freezer", Path.of("/sys/fs/cgroup/freezer")).doesNotContainKey("name=systemd");
        assertThat(m.v2Own()).contains(Path.of("/sys/fs/cgroup/unified"));
        assertThat(m.allMounts()).hasSize(5);
    }

    @Test
    void pureV2InsideANamespaceWhoseMountRootIsNotSlash() {
        CgroupMounts m = CgroupMounts.parse(List.of("30 25 0:26 /user.slice /sys/fs/cgroup rw - cgroup2 cgroup2 rw"),
                List.of("0::/user.slice/user-1000.slice/app.scope"));
        assertThat(m.v1Own()).isEmpty();
        assertThat(m.v2Own()).contains(Path.of("/sys/fs/cgroup/user-1000.slice/app.scope"));
    }

    @Test
    void cpuQuotaHasTheKernelsFloor() {
        assertThat(CgroupSandbox.quota(1.0)).isEqualTo(100_000);
        assertThat(CgroupSandbox.quota(0.5)).isEqualTo(50_000);
        assertThat(CgroupSandbox.quota(0.001)).isEqualTo(1000);
    }
}
