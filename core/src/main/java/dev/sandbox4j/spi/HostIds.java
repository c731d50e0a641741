package dev.sandbox4j.spi;

/**
 * The host uid and gid that a sandbox's processes run as, or that its user namespace (or file server)
 * maps the sandbox's user onto.
 *
 * @param uid host uid
 * @param gid host gid
 * @param own true: allocated for this sandbox alone from the library's range, held until it closes (a root
 *            JVM); false: the JVM's own ids, which an unprivileged JVM shares with its sandboxes because the
 *            kernel lets it map no others
 */
public record HostIds(int uid, int gid, boolean own) {
    @Override
    public String toString() {
        return uid + ":" + gid + (own ? " (the sandbox's own)" : " (the JVM's)");
    }
}
