package dev.sandbox4j.vm;

import dev.sandbox4j.Command;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.Sandbox;

/** Helpers shared by this module's VM tests. */
final class VmTests {
    private VmTests() {
    }

    /** Opens and closes one sandbox of {@code policy}'s shape: the snapshot (and KVM verdict) exist afterwards. */
    static void warm(String backend, IsolationPolicy policy) {
        try (Sandbox s = Sandbox.builder().backend(backend).policy(policy).build()) {
            s.exec(Command.of("true"));
        }
    }
}
