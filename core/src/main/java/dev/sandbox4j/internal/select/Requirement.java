package dev.sandbox4j.internal.select;

import dev.sandbox4j.spi.Capability;

/** One part of a policy or image and the capability that enforcing it takes. */
record Requirement(String part, Capability capability) {
}
