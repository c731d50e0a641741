package dev.sandbox4j.cli;

import dev.sandbox4j.DataSize;
import dev.sandbox4j.NetworkPolicy;
import dev.sandbox4j.SandboxImage;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The top command, {@code sandbox4j}. It does nothing itself but print its usage; the work is in its
 * subcommands. Picocli's own conventions hold: exit 2 and the usage on a bad flag, {@code --help} and
 * {@code --version} on every level.
 */
@Command(name = "sandbox4j",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Runs commands inside an isolated sandbox (sandbox4j library from a shell).",
        synopsisSubcommandLabel = "COMMAND",
        commandListHeading = "%nCommands:%n")
final class SandboxCli implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    private SandboxCli() {
    }

    /** A command line over {@code io} with every subcommand and the DataSize, Duration and image converters. */
    static CommandLine commandLine(StdStreams io) {
        CommandLine cli = new CommandLine(new SandboxCli());
        cli.addSubcommand("run", new RunCommand(io));
        cli.addSubcommand("doctor", new DoctorCommand(io));
        cli.addSubcommand("backends", new BackendsCommand(io));
        cli.addSubcommand("reap", new ReapCommand(io));
        // registered after the subcommands so that they inherit the converters and settings
        cli.registerConverter(DataSize.class, new DataSizeConverter());
        cli.registerConverter(Duration.class, new DurationConverter());
        cli.registerConverter(SandboxImage.class, new ImageConverter());
        cli.registerConverter(MountArg.class, MountArg::parse);
        cli.registerConverter(Preset.class, new LowerCaseEnumConverter<>(Preset.class));
        cli.registerConverter(NetworkPolicy.Mode.class, new LowerCaseEnumConverter<>(NetworkPolicy.Mode.class));
        // `run sh -c 'x'` works without `--`: everything from the first positional on is the command's
        cli.getSubcommands().get("run").setStopAtPositional(true);
        cli.setParameterExceptionHandler(new UsageErrorHandler());
        cli.setExecutionExceptionHandler(new InternalErrorHandler());
        cli.setOut(new PrintWriter(io.out(), true));
        cli.setErr(new PrintWriter(io.err(), true));
        return cli;
    }

    /** {@code sandbox4j} alone: the usage on stderr and exit 2, as for any other incomplete command line. */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return CommandLine.ExitCode.USAGE;
    }
}
