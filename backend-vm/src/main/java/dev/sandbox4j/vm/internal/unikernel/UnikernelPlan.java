package dev.sandbox4j.vm.internal.unikernel;

import dev.sandbox4j.vm.internal.qemu.VmPlan;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The QEMU command line of one unikernel boot, as plain data: a microvm with no virtio device at all, the
 * image booted through its PVH entry, COM1 on QEMU's stdin and stdout, and isa-debug-exit at port 0xf4.
 *
 * @param accel     kvm or tcg
 * @param image     the unikernel ELF
 * @param initrd    its initrd (a PVH module), if any
 * @param cmdline   its command line: the command's arguments joined by spaces
 * @param ramMiB    RAM
 * @param cpus      vCPUs
 */
public record UnikernelPlan(VmPlan.Accel accel, Path image, Optional<Path> initrd, String cmdline, long ramMiB, int cpus) {
    /** The isa-debug-exit port: a byte v written there ends QEMU with status (v << 1) | 1. */
    public static final int DEBUG_EXIT_PORT = 0xf4;

    public List<String> args(String name, Path pidFile) {
        List<String> a = new ArrayList<>(List.of(VmPlan.QEMU, "-name", "guest=" + name + ",debug-threads=off",
                "-M", "microvm,x-option-roms=off,rtc=off", "-pidfile", pidFile.toString()));
        if (accel == VmPlan.Accel.KVM) {
            a.addAll(List.of("-accel", "kvm", "-cpu", "host"));
        } else {
            a.addAll(List.of("-accel", "tcg,tb-size=32", "-cpu", "max"));
        }
        a.addAll(List.of("-m", ramMiB + "M", "-smp", Integer.toString(cpus), "-nodefaults", "-no-user-config",
                "-display", "none", "-no-reboot", "-nic", "none", "-kernel", image.toString()));
        initrd.ifPresent(i -> a.addAll(List.of("-initrd", i.toString())));
        a.addAll(List.of("-append", cmdline, "-serial", "stdio",
                "-device", "isa-debug-exit,iobase=0x" + Integer.toHexString(DEBUG_EXIT_PORT) + ",iosize=0x01"));
        return a;
    }

    /**
     * The command's exit code from QEMU's: {@code (v << 1) | 1} is the value v the unikernel wrote to
     * isa-debug-exit; 0 is a normal power-off; a signal (the host killed it) is 128 + signal as usual.
     * QEMU's own start-up errors also end with 1 (then stderr says why), which reads as v = 0.
     */
    public static int exitCode(int qemuStatus) {
        if (qemuStatus > 128) {
            return qemuStatus;
        }
        return (qemuStatus & 1) == 1 ? qemuStatus >> 1 : qemuStatus;
    }
}
