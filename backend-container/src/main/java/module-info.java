/**
 * sandbox4j's container backends: {@code docker}, {@code podman} and {@code gvisor}. The only public
 * types are the three providers; everything under {@code internal} is private to the module.
 */
module dev.sandbox4j.backend.container {
    requires transitive dev.sandbox4j.core;
    requires com.fasterxml.jackson.databind;
    requires org.apache.commons.compress;
    requires com.sun.jna;
    requires com.github.dockerjava.api;
    requires com.github.dockerjava.core;
    requires com.github.dockerjava.transport.zerodep;

    exports dev.sandbox4j.container;

    provides dev.sandbox4j.spi.SandboxBackend with dev.sandbox4j.container.DockerBackend,
            dev.sandbox4j.container.PodmanBackend, dev.sandbox4j.container.GvisorBackend,
            dev.sandbox4j.container.GvisorRunscBackend;
}
