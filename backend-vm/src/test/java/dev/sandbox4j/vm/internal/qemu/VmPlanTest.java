package dev.sandbox4j.vm.internal.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The QEMU command lines as plain data. */
class VmPlanTest {

    static VmPlan microvm() {
        return new VmPlan(VmPlan.Machine.MICROVM, VmPlan.Accel.TCG, Path.of("/k"), Path.of("/i"), "console=ttyS0", 1024, 1, 4,
                List.of(), true, Optional.empty(), Optional.empty());
    }

    @Test
    @DisplayName("microvm: shared memfd RAM, modern virtio-mmio, no network device, root ports, QMP on stdio")
    void microvmArgs() {
        RuntimeDir dir = RuntimeDir.create("plantest" + System.nanoTime());
        try {
            VmPlan p = microvm().withFs(List.of(new VmPlan.FsDevice("fs0", "usr", dir.resolve("fs0.sock"))), true)
                    .withIncoming(Path.of("/cache/state")).withRamFile(Path.of("/dev/shm/x/ram"));
            List<String> a = p.args("sandbox4j-test", dir);
            String line = String.join(" ", a);
            assertThat(line).contains("-M microvm,acpi=on,pcie=on", "memory-backend-file,id=mem,size=1024M,mem-path=/dev/shm/x/ram,share=on",
                    "-global virtio-mmio.force-legacy=false", "-nic none", "-nodefaults", "-qmp stdio", "-no-reboot",
                    "pcie-root-port,id=rp3,bus=pcie.0,chassis=4", "-incoming unix:" + dir.resolve("in.sock"),
                    "socket,id=agent,path=" + dir.resolve("agent.sock"));
            // the shares' chardevs and devices come later, over QMP, so that virtiofsd can start while QEMU does;
            // a restore loads a booted guest, so QEMU gets no kernel to read
            assertThat(line).doesNotContain("vhost-user-fs-pci").doesNotContain("fs0.sock").doesNotContain("-netdev")
                    .doesNotContain("-kernel").doesNotContain("-initrd").doesNotContain("-append");
            assertThat(p.chardevCommands()).extracting(VmPlan.QmpCommand::command).containsExactly("chardev-add");
            assertThat(p.chardevCommands().get(0).arguments()).containsEntry("id", "fs0")
                    .extractingByKey("backend").asString().contains("path=" + dir.resolve("fs0.sock"), "server=false");
            assertThat(p.deviceCommands()).extracting(VmPlan.QmpCommand::command).containsExactly("device_add");
            assertThat(p.deviceCommands().get(0).arguments()).containsEntry("bus", "rp0").containsEntry("tag", "usr")
                    .containsEntry("driver", "vhost-user-fs-pci").containsEntry("chardev", "fs0");
            VmPlan cold = microvm().withFs(p.fsDevices(), false);
            assertThat(String.join(" ", cold.args("x", dir))).contains("vhost-user-fs-pci,chardev=fs0,tag=usr",
                    "socket,id=fs0,path=" + dir.resolve("fs0.sock"),
                    "memory-backend-memfd,id=mem,size=1024M,share=on", "-kernel /k -initrd /i -append console=ttyS0")
                    .doesNotContain("-incoming");
        } finally {
            dir.close();
        }
    }

    @Test
    @DisplayName("a snapshot's machine key changes with RAM, vCPUs, accelerator and command line, not with shares")
    void machineKey() {
        VmPlan p = microvm();
        assertThat(p.withFs(List.of(new VmPlan.FsDevice("fs0", "usr", Path.of("/s"))), true).machineKey()).isEqualTo(p.machineKey());
        assertThat(new VmPlan(p.machine(), p.accel(), p.kernel(), p.initramfs(), p.cmdline(), 2048, 1, 4, List.of(), true,
                Optional.empty(), Optional.empty()).machineKey()).isNotEqualTo(p.machineKey());
        assertThat(new VmPlan(p.machine(), VmPlan.Accel.KVM, p.kernel(), p.initramfs(), p.cmdline(), 1024, 1, 4, List.of(), true,
                Optional.empty(), Optional.empty()).machineKey()).isNotEqualTo(p.machineKey());
        assertThat(new VmPlan(p.machine(), p.accel(), p.kernel(), p.initramfs(), p.cmdline(), 1024, 2, 4, List.of(), true,
                Optional.empty(), Optional.empty()).machineKey()).isNotEqualTo(p.machineKey());
    }

    @Test
    @DisplayName("virtiofsd's user namespace maps the guest's sandbox user onto the sandbox's host uid, and nothing else")
    void uidMap() {
        assertThat(Virtiofsd.map(65534, 1879048200)).isEqualTo("65534 1879048200 1\n");
        assertThat(Virtiofsd.map(0, 1879048201)).isEqualTo("0 1879048201 1\n");
        assertThatThrownBy(() -> new Virtiofsd.Ids(65534, 65534, 0, 1879048200)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("never serves as host root");
    }
}
