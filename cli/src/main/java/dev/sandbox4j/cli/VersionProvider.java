package dev.sandbox4j.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/** {@code sandbox4j --version}: the project version, filtered into {@code version.properties} by Maven. */
final class VersionProvider implements IVersionProvider {

    @Override
    public String[] getVersion() {
        return new String[] {"sandbox4j " + version(), "Java " + Runtime.version() + " on " + System.getProperty("os.name")
                + " " + System.getProperty("os.arch")};
    }

    static String version() {
        try (InputStream in = VersionProvider.class.getResourceAsStream("version.properties")) {
            if (in == null) {
                throw new IllegalStateException("version.properties is missing from the sandbox4j-cli jar; rebuild it with mvn -pl cli package");
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version");
        } catch (IOException e) {
            throw new UncheckedIOException("reading version.properties", e);
        }
    }
}
