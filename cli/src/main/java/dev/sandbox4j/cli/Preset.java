package dev.sandbox4j.cli;

import dev.sandbox4j.IsolationPolicy;

/** {@code --preset}: the policy presets of {@link IsolationPolicy}. */
enum Preset {
    STRICT, STANDARD, PERMISSIVE;

    IsolationPolicy policy() {
        return switch (this) {
            case STRICT -> IsolationPolicy.strict();
            case STANDARD -> IsolationPolicy.standard();
            case PERMISSIVE -> IsolationPolicy.permissive();
        };
    }

    @Override
    public String toString() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
