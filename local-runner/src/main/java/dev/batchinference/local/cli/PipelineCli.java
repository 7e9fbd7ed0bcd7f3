package dev.batchinference.local.cli;

import dev.batchinference.failure.PipelineException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/** The {@code ./pipeline} command: the pipeline on this machine, and control of a running one (local or deployed). */
@Command(name = "pipeline", mixinStandardHelpOptions = true, version = "batch-inference 0.1.0",
        description = "Event-driven batch inference with ONNX Runtime: the AWS pipeline, run on this machine.")
public final class PipelineCli implements java.util.concurrent.Callable<Integer> {
    /**
     * The commands by name, in the order the usage lists them. Building a command's model reflects over its
     * options and loads the types they name (the SDK's for the endpoint commands): in a fresh process all ten
     * took 0.3 s, so a command line that names one gets only that one ({@link #commandLine}).
     */
    static final Map<String, Class<?>> COMMANDS = commands(RunCommand.class, PlanCommand.class, PredictCommand.class,
            ServeCommand.class, SubmitCommand.class, StatusCommand.class, RedriveCommand.class, SweepCommand.class,
            ModelsCommand.class, dev.batchinference.local.bench.BenchCommand.class);

    /** No command given: the usage, and the exit code of a usage error. */
    @Override
    public Integer call() {
        commandLine().usage(System.err);
        return 2;
    }

    /** The command line with every command, or with only the one {@code args} start with. */
    static CommandLine commandLine(String... args) {
        CommandLine cli = new CommandLine(new PipelineCli());
        Class<?> named = args.length > 0 ? COMMANDS.get(args[0]) : null;
        if (named != null) {
            cli.addSubcommand(args[0], named);
        } else {
            COMMANDS.forEach(cli::addSubcommand);
        }
        return cli;
    }

    private static Map<String, Class<?>> commands(Class<?>... classes) {
        Map<String, Class<?>> byName = new LinkedHashMap<>();
        for (Class<?> command : classes) {
            byName.put(command.getAnnotation(Command.class).name(), command);
        }
        return java.util.Collections.unmodifiableMap(byName);
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    public static int execute(String... args) {
        CommandLine cli = commandLine(args);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            // users get the reason, not a stack trace; PIPELINE_DEBUG=1 shows the trace for bug reports
            if (System.getenv("PIPELINE_DEBUG") != null) {
                e.printStackTrace();
            }
            if (e instanceof PipelineException p) {
                commandLine.getErr().println("error: " + p.reason() + ": " + p.getMessage());
                return 1;
            }
            if (e instanceof UsageException || e instanceof IllegalArgumentException) {
                commandLine.getErr().println("error: " + e.getMessage());
                return 2;
            }
            if (e instanceof software.amazon.awssdk.core.exception.SdkException sdk) {
                commandLine.getErr().println("error: " + TargetOptions.rootMessage(sdk));
                return 3;
            }
            commandLine.getErr().println("error: " + e);
            return 3;
        });
        return cli.execute(args);
    }

    /** Where the repository is: the launcher passes it, so default paths work from any directory. */
    static Path home() {
        String home = System.getProperty("pipeline.home");
        return home != null ? Path.of(home) : Path.of("").toAbsolutePath();
    }

    /** A model given as a folder, or as a name under the samples' models folder. */
    static Path modelDir(String nameOrDir, Path modelsDir) {
        Path asDir = Path.of(nameOrDir);
        if (Files.isRegularFile(asDir.resolve("manifest.json"))) {
            return asDir;
        }
        Path named = modelsDir.resolve(nameOrDir);
        if (Files.isRegularFile(named.resolve("manifest.json"))) {
            return named;
        }
        String available;
        try (var dirs = Files.list(modelsDir)) {
            available = String.join(", ", dirs.filter(d -> Files.isRegularFile(d.resolve("manifest.json")))
                    .map(d -> d.getFileName().toString()).sorted().toList());
        } catch (java.io.IOException e) {
            available = "none";
        }
        throw new UsageException("no model '" + nameOrDir + "': not a folder with a manifest.json, nor a model in "
                + modelsDir + " (available: " + available + ")");
    }

    /** A mistake in how the command was called, told in one line. */
    static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message);
        }
    }
}
