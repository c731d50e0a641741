/**
 * sandbox4j core: the public API ({@code dev.sandbox4j}), the SPI for backend authors
 * ({@code dev.sandbox4j.spi}) and the {@code none} backend. Everything under {@code internal} is private.
 * JNA is its one native layer: the host side of the security model (pinned paths, the sandboxes' own host
 * uids, private mounts, the set-id sweep) and the seccomp compiler of the one system-call table.
 */
module dev.sandbox4j.core {
    requires com.fasterxml.jackson.databind;
    requires org.apache.commons.compress;
    requires com.sun.jna;

    exports dev.sandbox4j;
    exports dev.sandbox4j.spi;

    // JNA reads and writes the structures of these layers reflectively
    opens dev.sandbox4j.internal.host to com.sun.jna;
    opens dev.sandbox4j.internal.seccomp to com.sun.jna;

    uses dev.sandbox4j.spi.SandboxBackend;

    provides dev.sandbox4j.spi.SandboxBackend with dev.sandbox4j.internal.none.NoneBackend;
}
