package dev.sandbox4j.linux.internal.bwrap;

/**
 * What the installed bwrap supports, from its version.
 *
 * @param version       e.g. {@code 0.8.0}
 * @param disableUserns {@code --disable-userns} (0.8.0+)
 * @param addSeccompFd  {@code --add-seccomp-fd} (0.6.0+), else {@code --seccomp}: either loads the one program
 */
public record BwrapFeatures(String version, boolean disableUserns, boolean addSeccompFd) {
    /** The oldest bwrap this backend drives: {@code --perms} and {@code --size} before {@code --tmpfs}. */
    public static final String MINIMUM = "0.5.0";

    public static BwrapFeatures of(String version) {
        return new BwrapFeatures(version, atLeast(version, "0.8.0"), atLeast(version, "0.6.0"));
    }

    public boolean supported() {
        return atLeast(version, MINIMUM);
    }

    static boolean atLeast(String version, String wanted) {
        String[] a = version.split("[.\\-]");
        String[] b = wanted.split("\\.");
        for (int i = 0; i < b.length; i++) {
            int x = i < a.length ? num(a[i]) : 0;
            int y = Integer.parseInt(b[i]);
            if (x != y) {
                return x > y;
            }
        }
        return true;
    }

    private static int num(String s) {
        String digits = s.replaceAll("\\D.*", "");
        return digits.isEmpty() ? 0 : Integer.parseInt(digits);
    }
}
