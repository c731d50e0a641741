package dev.sandbox4j.benchmarks;

import dev.sandbox4j.benchmarks.support.BwrapCapture;
import dev.sandbox4j.benchmarks.support.DockerCli;
import dev.sandbox4j.benchmarks.support.HostRun;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The engines' own command-line tools doing the work the backends do, measured in the same run so that
 * each ratio in the report compares things measured side by side:
 * <ul>
 *   <li>{@code bwrap}: bwrap with exactly the options, arguments and seccomp programs the bubblewrap backend
 *       used (recorded by {@link BwrapCapture}); compare with Startup and ExecLatency of bubblewrap;</li>
 *   <li>{@code bwrap-direct}: the same bwrap, options and command spawned directly as the JVM's uid, without
 *       the seccomp programs ({@link BwrapCapture#direct()}): the floor of any one-shot built on bwrap with
 *       the file system view and namespaces the policy asks for;</li>
 *   <li>{@code docker-run}: {@code docker run --rm <strict flags> IMAGE true}; compare with Startup of docker;</li>
 *   <li>{@code docker-exec}: {@code docker exec CONTAINER true} in a container started once per trial;
 *       compare with ExecLatency of docker.</li>
 * </ul>
 * The run script passes only the tools installed here.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class CliBaseline {
    @Param({"bwrap", "bwrap-direct", "docker-run", "docker-exec"})
    public String cli;

    private List<String> argv;
    private BwrapCapture capture;
    private String container;

    @Setup(Level.Trial)
    public void prepare() {
        switch (cli) {
            case "bwrap" -> {
                capture = BwrapCapture.record();
                argv = capture.replay();
                System.out.println("bwrap baseline: " + capture.optionCount()
                        + " options recorded from the bubblewrap backend, arguments " + argv.subList(1, argv.size()));
            }
            case "bwrap-direct" -> {
                capture = BwrapCapture.record();
                argv = capture.direct();
                System.out.println("bwrap-direct baseline: arguments " + argv.subList(1, argv.size()));
            }
            case "docker-run" -> argv = DockerCli.runRm(DockerCli.image());
            case "docker-exec" -> {
                container = DockerCli.startIdle(DockerCli.image());
                argv = DockerCli.exec(container);
            }
            default -> throw new IllegalArgumentException("CliBaseline: unknown cli '" + cli
                    + "'; use bwrap, bwrap-direct, docker-run or docker-exec");
        }
        HostRun.run(argv);
    }

    @Benchmark
    public void run() {
        HostRun.run(argv);
    }

    @TearDown(Level.Trial)
    public void cleanUp() {
        if (capture != null) {
            capture.close();
            capture = null;
        }
        if (container != null) {
            DockerCli.remove(container);
            container = null;
        }
    }
}
