package dev.sandbox4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandbox4j.spi.Capability;
import org.junit.jupiter.api.Test;

/** {@link SandboxBuilder#choose()}: what build() would pick, and the same refusals, with nothing opened. */
class SandboxBuilderChooseTest {

    @Test
    void tellsTheBackendAndItsCapabilities() {
        BackendInfo info = Sandbox.builder().backend("none").policy(IsolationPolicy.permissive()).choose();
        assertThat(info.name()).isEqualTo("none");
        assertThat(info.capabilities()).contains(Capability.KEEP_BACKGROUND, Capability.NETWORK_HOST);
    }

    @Test
    void refusesWhatBuildRefuses() {
        assertThatThrownBy(() -> Sandbox.builder().backend("none").choose())
                .as("none under strict").isInstanceOf(UnsupportedPolicyException.class).hasMessageContaining("none");
        assertThatThrownBy(() -> Sandbox.builder().backend("no-such-backend").choose())
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("no-such-backend");
    }
}
