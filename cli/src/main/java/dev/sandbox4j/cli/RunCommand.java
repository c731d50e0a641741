package dev.sandbox4j.cli;

import dev.sandbox4j.Command;
import dev.sandbox4j.ExecResult;
import dev.sandbox4j.Execution;
import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.OutputListener;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SandboxBuilder;
import dev.sandbox4j.SandboxException;
import dev.sandbox4j.SandboxImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code sandbox4j run [options] -- CMD [ARGS...]}: builds the policy (preset or file, then the flags),
 * opens a sandbox, runs the command with the CLI's stdin forwarded and its output streamed through, closes
 * the sandbox and exits with the command's status.
 */
@picocli.CommandLine.Command(name = "run",
        description = "Runs CMD in a new sandbox and exits with its status.",
        sortOptions = false,
        showEndOfOptionsDelimiterInUsageHelp = true,
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "N:the command's own status (126 and 127 as a shell gives them; 128+n when signal n ended it)",
            "2:a bad flag or value; nothing was started",
            "124:the timeout ended it; its whole process tree was killed",
            "125:the sandbox could not be made, or failed under the command (the reason is on stderr)"})
final class RunCommand implements Callable<Integer> {
    static final int TIMED_OUT = 124;
    static final int SANDBOX_FAILED = 125;

    private final StdStreams io;

    @Spec
    private CommandSpec spec;

    @Option(names = "--backend", paramLabel = "NAME",
            description = "A backend name (see `sandbox4j backends`) or auto: the strongest available one that can"
                    + " enforce the policy. Default: $SANDBOX4J_BACKEND, else auto.")
    private String backend;

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    private PolicySource source;

    @Mixin
    private PolicyFlags flags;

    @Option(names = "--env", paramLabel = "K=V", description = "Set a variable for the command. Repeatable.")
    private Map<String, String> env = new LinkedHashMap<>();

    @Option(names = "--workdir", paramLabel = "DIR",
            description = "Absolute working directory inside the sandbox (default: the workspace).")
    private String workdir;

    @Option(names = "--workspace", paramLabel = "HOSTDIR",
            description = "An existing host directory used as the read-write workspace, kept afterwards"
                    + " (default: a private temporary one, deleted afterwards).")
    private Path workspace;

    @Option(names = "--image", paramLabel = "REF",
            description = "host (the host's system directories, the default), an absolute path to a root"
                    + " file system directory, or an OCI image reference such as python:3.12.")
    private SandboxImage image;

    @Option(names = "--json", description = "Print one JSON object with the exit code, output and timing instead"
            + " of streaming the output (kept in a private temporary file meanwhile, not in memory).")
    private boolean json;

    @Parameters(arity = "1..*", paramLabel = "CMD", description = "The program and its arguments (no shell).")
    private List<String> argv;

    RunCommand(StdStreams io) {
        this.io = io;
    }

    @Override
    public Integer call() {
        SandboxBuilder builder;
        Command command;
        try {
            IsolationPolicy policy = flags.applyTo(PolicySource.base(source));
            command = command();
            builder = Sandbox.builder().policy(policy);
            if (backend != null) {
                builder.backend(backend);
            }
            if (image != null) {
                builder.image(image);
            }
            if (workspace != null) {
                builder.workspace(workspace.toAbsolutePath().normalize());
            }
        } catch (InvalidInputException e) {
            // a value picocli accepted but the policy refuses: a usage error like any other bad flag
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        }
        Sandbox sandbox;
        try {
            sandbox = builder.build();
        } catch (SandboxException e) {
            return failed(e);
        }
        // Ctrl-C (SIGINT) or SIGTERM of the CLI: the library's own shutdown hook closes the open sandbox
        try (sandbox) {
            return execute(sandbox, command);
        } catch (SandboxException e) {
            return failed(e);
        }
    }

    private Command command() {
        Command c = Command.of(argv);
        for (Map.Entry<String, String> e : env.entrySet()) {
            c = c.env(e.getKey(), e.getValue());
        }
        if (workdir != null) {
            c = c.workdir(workdir);
        }
        return c;
    }

    private int execute(Sandbox sandbox, Command command) {
        ExecResult result;
        if (json) {
            try (JsonCapture capture = JsonCapture.open()) {
                result = run(sandbox, command, capture);
                capture.writeReport(result, io.out());
            } catch (IOException e) {
                throw new UncheckedIOException("writing the --json report", e);
            }
        } else {
            result = run(sandbox, command, OutputRelay.passThrough(io.out(), io.err()));
        }
        io.out().flush();
        io.err().flush();
        return result.timedOut() ? TIMED_OUT : result.exitCode();
    }

    private ExecResult run(Sandbox sandbox, Command command, OutputListener listener) {
        Execution execution = sandbox.start(command, listener);
        StdinPump.start(io.in(), execution.stdin());
        return execution.await();
    }

    private int failed(SandboxException e) {
        io.err().println("sandbox4j: " + e.getMessage());
        io.err().flush();
        return SANDBOX_FAILED;
    }
}
