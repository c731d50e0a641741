/**
 * sandbox4j VM backends: {@code qemu} (a q35 VM per sandbox), {@code microvm} (QEMU microvm restored from a
 * warm snapshot) and {@code unikernel}. The only public surface is the providers in {@code dev.sandbox4j.vm};
 * everything under {@code dev.sandbox4j.vm.internal} is private.
 */
module dev.sandbox4j.vm {
    requires transitive dev.sandbox4j.core;
    requires com.fasterxml.jackson.databind;
    requires org.apache.commons.compress;

    exports dev.sandbox4j.vm;

    provides dev.sandbox4j.spi.SandboxBackend with dev.sandbox4j.vm.MicrovmBackend, dev.sandbox4j.vm.QemuBackend,
            dev.sandbox4j.vm.UnikernelBackend;
}
