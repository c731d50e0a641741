package dev.sandbox4j.testkit;

/**
 * The shell scripts the contract kit runs inside sandboxes. POSIX sh plus coreutils or busybox, so they
 * run in minimal images; each rule that needs more checks for its tool first and skips with the reason.
 * Stateless.
 */
public final class ContractCommands {
    /** The environment variable the kit marks processes with, to find them on the host and inside. */
    public static final String MARK = "SANDBOX4J_MARK";

    /** What the connect script prints (and exits 99 with) when the image has no tool to open a TCP connection. */
    public static final String NO_TCP_TOOL = "sandbox4j-no-tcp-tool";

    private ContractCommands() {
    }

    /** Prints the /proc directory of every process (inside) whose environment holds exactly {@code entry}. */
    public static String processesWithEnvInside(String entry) {
        return "for f in /proc/[0-9]*/environ; do"
                + " if tr '\\000' '\\n' < \"$f\" 2>/dev/null | grep -qxF '" + entry + "'; then echo \"${f%/environ}\"; fi;"
                + " done; true";
    }

    /**
     * Starts a daemon that leaves the exec's session ({@code setsid}), closes every stdio and sleeps, and
     * drops {@code startedFile} in the working directory once it runs. The exec waits (up to 30 s) until
     * the daemon runs and exits 0 only then: a backend may kill the daemon as soon as the exec ends, so
     * the proof that it started must come before.
     */
    public static String daemonise(String startedFile) {
        return "setsid sh -c ': > " + startedFile + "; exec sleep 300' </dev/null >/dev/null 2>&1 &"
                + " i=0; while [ ! -e " + startedFile + " ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done;"
                + " test -e " + startedFile;
    }

    /**
     * Opens a TCP connection to 127.0.0.1:{@code port} with the first tool the image has (bash's /dev/tcp,
     * python3, nc); exits 0 when connected, else non-zero with the error (errno text) on stderr.
     */
    public static String connectToLoopback(int port) {
        return "if command -v bash >/dev/null 2>&1; then exec bash -c 'exec 3<>/dev/tcp/127.0.0.1/" + port + "';"
                + " elif command -v python3 >/dev/null 2>&1; then exec python3 -c"
                + " 'import socket; socket.create_connection((\"127.0.0.1\", " + port + "), 5).close()';"
                + " elif command -v nc >/dev/null 2>&1; then exec nc -w 5 127.0.0.1 " + port + " </dev/null;"
                + " else echo " + NO_TCP_TOOL + "; exit 99; fi";
    }

    /**
     * Forks up to {@code n} background sleeps (stdio closed, so the exec does not wait for them), records
     * each pid in {@code pidFile}, then kills every one it recorded with the shell's builtins only (no fork
     * is possible once the limit is hit) and prints {@code started=<count>}.
     */
    public static String boundedForkBomb(int n, String pidFile) {
        return ": > " + pidFile + ";"
                + " ( i=0; while [ $i -lt " + n + " ]; do sleep 60 </dev/null >/dev/null 2>&1 & echo $! >> " + pidFile + ";"
                + " i=$((i+1)); done );"
                + " n=0; while read p; do kill $p 2>/dev/null; n=$((n+1)); done < " + pidFile + ";"
                + " echo started=$n";
    }

    /**
     * Writes {@code bytes} of zeros to stdout, then drops {@code doneFile} and waits (polling, up to
     * {@code maxPolls} tenths of a second) for {@code goFile} to appear: the test measures the JVM while
     * the command is still running, then lets it end.
     */
    public static String floodThenWait(long bytes, String doneFile, String goFile, int maxPolls) {
        return "head -c " + bytes + " /dev/zero; : > " + doneFile + ";"
                + " i=0; while [ ! -e " + goFile + " ] && [ $i -lt " + maxPolls + " ]; do sleep 0.1; i=$((i+1)); done";
    }

    /**
     * Writes {@code blocks} blocks of 64 KiB of zeros to {@code file} with SIGXFSZ ignored, so a file-size
     * limit shows as EFBIG; dd (coreutils and busybox alike) reports it as "File too large", where
     * busybox's head would say only "I/O error".
     */
    public static String writePastFileSize(long blocks, String file) {
        return "trap '' XFSZ; dd if=/dev/zero of=" + file + " bs=65536 count=" + blocks;
    }

    /** Holds 1 GiB in one process ({@code tail} keeps a line that never ends); exits 0 only when it was not killed. */
    public static String memoryHog() {
        return "head -c 1073741824 /dev/zero | tail -n 1 > /dev/null";
    }

    /** Calls unshare(CLONE_NEWUSER) through python3's ctypes and prints the result and errno text. */
    public static String unshareViaPython() {
        return "import ctypes, os; libc = ctypes.CDLL(None, use_errno=True); r = libc.unshare(0x10000000);"
                + " e = ctypes.get_errno(); print('unshare', r, os.strerror(e) if r != 0 else 'ok');"
                + " raise SystemExit(0 if r == 0 else 1)";
    }
}
