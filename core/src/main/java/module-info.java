/**
 * sandbox4j core: the public API ({@code dev.sandbox4j}), the SPI for backend authors
 * ({@code dev.sandbox4j.spi}) and the {@code none} backend. Everything under {@code internal} is private.
 */
module dev.sandbox4j.core {
    requires com.fasterxml.jackson.databind;
    requires org.apache.commons.compress;

    exports dev.sandbox4j;
    exports dev.sandbox4j.spi;

    uses dev.sandbox4j.spi.SandboxBackend;

    provides dev.sandbox4j.spi.SandboxBackend with dev.sandbox4j.internal.none.NoneBackend;
}
