/**
 * sandbox4j Linux backends. The only public surface is the providers in {@code dev.sandbox4j.linux};
 * everything under {@code dev.sandbox4j.linux.internal} is private.
 */
module dev.sandbox4j.linux {
    requires dev.sandbox4j.core;
    requires com.sun.jna;

    // JNA reflects on the narrow native interfaces and their by-reference types
    opens dev.sandbox4j.linux.internal.sys to com.sun.jna;
    opens dev.sandbox4j.linux.internal.rootfs to com.sun.jna;

    provides dev.sandbox4j.spi.SandboxBackend with dev.sandbox4j.linux.BubblewrapBackend,
            dev.sandbox4j.linux.NamespacesBackend, dev.sandbox4j.linux.ChrootBackend, dev.sandbox4j.linux.NspawnBackend;
}
