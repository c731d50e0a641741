package dev.sandbox4j.vm.internal.qemu;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything QEMU is started with, as plain data: {@link #args} turns it into the command line, so the
 * plan can be unit-tested and printed in errors, and {@link #machineKey} names the parts a snapshot
 * depends on.
 *
 * @param machine     microvm or q35
 * @param accel       kvm or tcg
 * @param kernel      the kernel QEMU loads (PVH ELF for microvm, bzImage for q35)
 * @param initramfs   the initramfs
 * @param cmdline     the kernel command line
 * @param ramMiB      guest RAM in MiB
 * @param cpus        vCPUs
 * @param rootPorts   empty PCIe root ports (microvm) that virtiofs devices are hot-added to after a restore
 * @param fsDevices   virtiofs devices: on the command line, or (fsHotplug) added through QMP after a restore,
 *                    chardev and device, one per root port (so that virtiofsd can start while QEMU does)
 * @param fsHotplug   see fsDevices
 * @param ramFile     guest RAM in this file (shared, so that virtiofsd can map it) instead of an anonymous memfd:
 *                    what a snapshot is saved from and restored into
 * @param incoming    a device-state stream to load instead of booting (microvm snapshot restore); QEMU then
 *                    listens on {@link #incomingSocket} and the caller streams the file there (see {@link Incoming})
 */
public record VmPlan(Machine machine, Accel accel, Path kernel, Path initramfs, String cmdline, long ramMiB, int cpus,
                     int rootPorts, List<FsDevice> fsDevices, boolean fsHotplug, Optional<Path> ramFile, Optional<Path> incoming) {

    public enum Machine { MICROVM, Q35 }

    public enum Accel { KVM, TCG }

    /** A virtiofs device: {@code tag} as the guest mounts it, served by virtiofsd on {@code socket}. */
    public record FsDevice(String id, String tag, Path socket) {
    }

    public static final String QEMU = "/usr/bin/qemu-system-x86_64";

    public VmPlan {
        fsDevices = List.copyOf(fsDevices);
        if (ramFile.isPresent() && ramFile.get().toString().contains(",")) {
            throw new IllegalArgumentException("RAM file path " + ramFile.get() + " holds a comma");
        }
    }

    public VmPlan withIncoming(Path state) {
        return new VmPlan(machine, accel, kernel, initramfs, cmdline, ramMiB, cpus, rootPorts, fsDevices, fsHotplug, ramFile,
                Optional.of(state));
    }

    public VmPlan withRamFile(Path file) {
        return new VmPlan(machine, accel, kernel, initramfs, cmdline, ramMiB, cpus, rootPorts, fsDevices, fsHotplug,
                Optional.of(file), incoming);
    }

    /** Where QEMU listens for the device state of a restore, in the VM's runtime directory {@code dir}. */
    public static Path incomingSocket(RuntimeDir dir) {
        return dir.resolve("in.sock"); // short: unix socket paths end at 107 bytes (RuntimeDir)
    }

    public VmPlan withFs(List<FsDevice> devices, boolean hotplug) {
        if (hotplug && devices.size() > rootPorts) {
            throw new IllegalArgumentException(devices.size() + " shares need as many root ports; the plan has " + rootPorts);
        }
        return new VmPlan(machine, accel, kernel, initramfs, cmdline, ramMiB, cpus, rootPorts, devices, hotplug, ramFile, incoming);
    }

    /** One QMP command with its arguments. */
    public record QmpCommand(String command, Map<String, Object> arguments) {
    }

    /**
     * The QMP commands that connect QEMU to each share's virtiofsd (which must be listening by then): a
     * chardev per share. Sent while the snapshot still loads, so that virtiofsd (which sets up its sandbox
     * once QEMU connects) is ready when its device is added.
     */
    public List<QmpCommand> chardevCommands() {
        List<QmpCommand> out = new ArrayList<>();
        for (FsDevice d : fsDevices) {
            out.add(new QmpCommand("chardev-add", Map.of("id", d.id(), "backend", Map.of("type", "socket", "data",
                    Map.of("server", false, "addr", Map.of("type", "unix", "data", Map.of("path", d.socket().toString())))))));
        }
        return out;
    }

    /** The QMP commands that hot-add the virtiofs devices, one per root port, after {@link #chardevCommands}. */
    public List<QmpCommand> deviceCommands() {
        List<QmpCommand> out = new ArrayList<>();
        for (int i = 0; i < fsDevices.size(); i++) {
            FsDevice d = fsDevices.get(i);
            out.add(new QmpCommand("device_add", Map.of("driver", "vhost-user-fs-pci", "bus", "rp" + i, "chardev", d.id(),
                    "tag", d.tag(), "id", "dev-" + d.id())));
        }
        return out;
    }

    /** The CPU model under TCG: every feature TCG emulates (AVX2 since QEMU 7.2). */
    static final String TCG_CPU = "max";

    /** What a saved machine state depends on besides the guest image: restore needs exactly this. */
    public String machineKey() {
        return String.join("|", "v3", machine.name(), accel.name(), accel == Accel.TCG ? TCG_CPU : "host", cmdline, Long.toString(ramMiB), Integer.toString(cpus),
                Integer.toString(rootPorts));
    }

    /** The QEMU command line; {@code name} labels the process, {@code dir} holds its sockets and logs. */
    public List<String> args(String name, RuntimeDir dir) {
        List<String> a = new ArrayList<>(List.of(QEMU, "-name", "guest=" + name + ",debug-threads=off"));
        switch (machine) {
            case MICROVM -> a.addAll(List.of("-M", "microvm,acpi=on,pcie=on,x-option-roms=off,isa-serial=on,rtc=on"));
            case Q35 -> a.addAll(List.of("-M", "q35,smm=off,vmport=off,sata=off,usb=off"));
        }
        if (accel == Accel.KVM) {
            a.addAll(List.of("-accel", "kvm", "-cpu", "host"));
        } else {
            // a smaller translation cache than the default 1 GiB: about 200 MB less resident memory per VM
            a.addAll(List.of("-accel", "tcg,tb-size=32", "-cpu", TCG_CPU));
        }
        a.addAll(List.of("-m", ramMiB + "M", "-smp", Integer.toString(cpus),
                "-object", ramFile.map(f -> "memory-backend-file,id=mem,size=" + ramMiB + "M,mem-path=" + f + ",share=on")
                        .orElse("memory-backend-memfd,id=mem,size=" + ramMiB + "M,share=on"), "-numa", "node,memdev=mem",
                "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot", "-nic", "none"));
        if (incoming.isEmpty()) {
            // a restore loads a booted guest's RAM: QEMU would read and copy the kernel and initramfs for nothing
            a.addAll(List.of("-kernel", kernel.toString(), "-initrd", initramfs.toString(), "-append", cmdline));
        }
        a.addAll(List.of("-serial", "file:" + dir.resolve("console.log"), "-qmp", "stdio",
                "-chardev", "socket,id=agent,path=" + dir.resolve("agent.sock")));
        if (machine == Machine.MICROVM) {
            // without it virtiofsd refuses the legacy virtio-mmio transport and the guest's mount hangs
            a.addAll(List.of("-global", "virtio-mmio.force-legacy=false", "-device", "virtio-serial-device,max_ports=2"));
        } else {
            a.addAll(List.of("-device", "virtio-serial-pci,max_ports=2"));
        }
        a.addAll(List.of("-device", "virtserialport,chardev=agent,name=sandbox4j.agent"));
        for (int i = 0; i < rootPorts; i++) {
            a.addAll(List.of("-device", "pcie-root-port,id=rp" + i + ",bus=pcie.0,chassis=" + (i + 1)));
        }
        if (!fsHotplug) {
            for (FsDevice d : fsDevices) {
                a.addAll(List.of("-chardev", "socket,id=" + d.id() + ",path=" + d.socket(),
                        "-device", "vhost-user-fs-pci,chardev=" + d.id() + ",tag=" + d.tag()));
            }
        }
        // QEMU listens at once and loads when the stream arrives: no migrate-incoming round trip, no exec of a shell and cat
        incoming.ifPresent(s -> a.addAll(List.of("-incoming", "unix:" + incomingSocket(dir))));
        return a;
    }
}
