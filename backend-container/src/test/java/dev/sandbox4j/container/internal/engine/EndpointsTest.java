package dev.sandbox4j.container.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandbox4j.InvalidInputException;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EndpointsTest {
    @Test
    void optionWinsAndFormsAreRead() {
        Endpoint e = Endpoints.docker(Map.of("docker.host", "unix:///x/d.sock"), "docker.host");
        assertThat(e.uri().toString()).isEqualTo("unix:///x/d.sock");
        assertThat(e.source()).isEqualTo("option docker.host");
        assertThat(Endpoints.parse("/run/p.sock", "t").uri().toString()).isEqualTo("unix:///run/p.sock");
        assertThat(Endpoints.parse("tcp://127.0.0.1:2375", "t").uri().getPort()).isEqualTo(2375);
    }

    @Test
    void unsupportedAddressesAreRefusedWithTheForms() {
        assertThatThrownBy(() -> Endpoints.parse("ssh://user@host", "option docker.host"))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("option docker.host")
                .hasMessageContaining("unix:///");
    }
}
