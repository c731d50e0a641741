package dev.sandbox4j.container;

import dev.sandbox4j.Command;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SandboxException;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A second JVM for the tests that need one: {@code open-and-halt BACKEND} opens a sandbox, prints
 * {@code READY <session>} and dies at once with {@link Runtime#halt} (no shutdown hook runs, as when a
 * JVM is killed); {@code open BACKEND [docker.host]} tries to open one and prints {@code OPENED} or the
 * exception's class and message; {@code engine-lost BACKEND HOST} (see there); {@code reap docker}
 * prints what {@link DockerBackend#reap()} removed ({@code REAPED <line>}), for the engine DOCKER_HOST names.
 */
public final class ChildJvm {
    private ChildJvm() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        String backend = args[1];
        if (mode.equals("engine-lost")) {
            engineLost(backend, args[2]);
            return;
        }
        if (mode.equals("reap")) {
            for (String line : new DockerBackend().reap()) {
                System.out.println("REAPED " + line);
            }
            System.exit(0);
        }
        try {
            var b = Sandbox.builder().backend(backend);
            if (args.length > 2) {
                b.option(backend + ".host", args[2]);
            }
            Sandbox s = b.build();
            if (mode.equals("open-and-halt")) {
                s.exec(Command.of("true"));
                System.out.println("READY " + dev.sandbox4j.spi.SessionLabels.current());
                System.out.flush();
                Runtime.getRuntime().halt(0);
            }
            System.out.println("OPENED");
            s.close();
        } catch (SandboxException e) {
            System.out.println("FAILED " + e.getClass().getSimpleName() + ": " + e.getMessage());
        }
        System.exit(0);
    }

    /**
     * {@code engine-lost BACKEND HOST}: opens a strict sandbox on the engine at HOST, runs {@code true},
     * starts {@code sleep 600}, prints {@code READY <session>}, then waits for a line on stdin (the test
     * kills the engine meanwhile) and reports, one line each, how the running command ended
     * ({@code RUNNING-EXEC}), how a new command fails ({@code NEW-EXEC}) and whether close() returned
     * ({@code CLOSED}); each step bounded, so a hang shows as {@code ...-HUNG}.
     */
    private static void engineLost(String backend, String host) throws Exception {
        Sandbox s = Sandbox.builder().backend(backend).option(backend + ".host", host)
                .policy(dev.sandbox4j.IsolationPolicy.strict()).build();
        s.exec(Command.of("true"));
        dev.sandbox4j.Execution running = s.start(Command.of("sleep", "600").timeout(java.time.Duration.ofMinutes(10)));
        System.out.println("READY " + dev.sandbox4j.spi.SessionLabels.current());
        System.out.flush();
        new java.io.BufferedReader(new java.io.InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        try {
            System.out.println("RUNNING-EXEC exit " + running.onExit().get(60, TimeUnit.SECONDS).exitCode());
        } catch (java.util.concurrent.TimeoutException e) {
            System.out.println("RUNNING-EXEC-HUNG");
        } catch (java.util.concurrent.ExecutionException e) {
            System.out.println("RUNNING-EXEC " + oneLine(e.getCause()));
        }
        var next = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return "NEW-EXEC exit " + s.exec(Command.of("true")).exitCode();
            } catch (SandboxException e) {
                return "NEW-EXEC " + oneLine(e);
            }
        });
        try {
            System.out.println(next.get(60, TimeUnit.SECONDS));
        } catch (java.util.concurrent.TimeoutException e) {
            System.out.println("NEW-EXEC-HUNG");
        }
        var closing = java.util.concurrent.CompletableFuture.runAsync(s::close);
        try {
            closing.get(60, TimeUnit.SECONDS);
            System.out.println("CLOSED");
        } catch (java.util.concurrent.TimeoutException e) {
            System.out.println("CLOSE-HUNG");
        }
        System.out.flush();
        Runtime.getRuntime().halt(0);
    }

    private static String oneLine(Throwable t) {
        return t.getClass().getSimpleName() + ": " + String.valueOf(t.getMessage()).replace('\n', ' ');
    }

    /** Runs {@code main} with {@code args} in a new JVM with this JVM's class path; returns its stdout. */
    static String run(List<String> prefix, Path classpathCopy, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-cp");
        cmd.add(classpathCopy == null ? System.getProperty("java.class.path") : classpathOf(classpathCopy));
        cmd.add(ChildJvm.class.getName());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(2, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IllegalStateException("child JVM did not end: " + cmd);
        }
        return new String(out, StandardCharsets.UTF_8);
    }

    /**
     * Copies this JVM's class path into {@code dir}, readable by everyone, so a child JVM running as
     * another user (nobody) can load it although ~/.m2 is private to root.
     */
    static Path copyClasspath(Path dir) throws IOException {
        int i = 0;
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path src = Path.of(entry);
            if (!Files.exists(src)) {
                continue;
            }
            Path dst = dir.resolve(String.format("%03d-%s", i++, src.getFileName()));
            if (Files.isDirectory(src)) {
                try (var walk = Files.walk(src)) {
                    for (Path f : (Iterable<Path>) walk::iterator) {
                        Path t = dst.resolve(src.relativize(f).toString());
                        if (Files.isDirectory(f)) {
                            Files.createDirectories(t);
                        } else {
                            Files.copy(f, t, StandardCopyOption.REPLACE_EXISTING);
                        }
                    }
                }
            } else {
                Files.copy(src, dst, StandardCopyOption.REPLACE_EXISTING);
            }
        }
        try (var walk = Files.walk(dir)) {
            for (Path f : (Iterable<Path>) walk::iterator) {
                f.toFile().setReadable(true, false);
                if (Files.isDirectory(f)) {
                    f.toFile().setExecutable(true, false);
                }
            }
        }
        return dir;
    }

    private static String classpathOf(Path dir) throws IOException {
        try (var list = Files.list(dir)) {
            return String.join(File.pathSeparator, list.sorted().map(Path::toString).toList());
        }
    }
}
