package dev.sandbox4j.cli;

import java.nio.file.Path;
import picocli.CommandLine.TypeConversionException;

/**
 * One {@code --ro}/{@code --rw} value, {@code HOST[:SANDBOX]}: a relative host path is taken from the
 * current directory; without {@code :SANDBOX} the sandbox sees it at the same absolute path. The first
 * colon separates the two, as in {@code docker -v}.
 *
 * @param host    absolute, normalised host path
 * @param sandbox the path inside the sandbox (checked by the core's policy when it is built)
 */
record MountArg(Path host, String sandbox) {

    static MountArg parse(String value) {
        if (value.isEmpty()) {
            throw new TypeConversionException("'' is not a mount; use HOST[:SANDBOX], e.g. ./src:/src");
        }
        int colon = value.indexOf(':');
        String hostPart = colon < 0 ? value : value.substring(0, colon);
        if (hostPart.isEmpty()) {
            throw new TypeConversionException("'" + value + "' has no host path; use HOST[:SANDBOX], e.g. ./src:/src");
        }
        if (hostPart.indexOf('\0') >= 0) {
            throw new TypeConversionException("'" + value + "' contains a NUL byte");
        }
        Path host = Path.of(hostPart).toAbsolutePath().normalize();
        String sandbox = colon < 0 ? host.toString() : value.substring(colon + 1);
        if (sandbox.isEmpty()) {
            throw new TypeConversionException("'" + value + "' has an empty sandbox path after ':'; use HOST[:SANDBOX]");
        }
        return new MountArg(host, sandbox);
    }
}
