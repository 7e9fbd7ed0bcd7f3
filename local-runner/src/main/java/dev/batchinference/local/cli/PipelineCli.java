package dev.batchinference.local.cli;

import dev.batchinference.failure.PipelineException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/** The {@code ./pipeline} command: the pipeline on this machine, and control of a running one (local or deployed). */
@Command(name = "pipeline", mixinStandardHelpOptions = true, version = "batch-inference 0.1.0",
        description = "Event-driven batch inference with ONNX Runtime: the AWS pipeline, run on this machine.",
        subcommands = {RunCommand.class, PlanCommand.class, PredictCommand.class, ServeCommand.class, SubmitCommand.class, StatusCommand.class,
                RedriveCommand.class, SweepCommand.class, ModelsCommand.class, dev.batchinference.local.bench.BenchCommand.class})
public final class PipelineCli implements java.util.concurrent.Callable<Integer> {

    /** No command given: the usage, and the exit code of a usage error. */
    @Override
    public Integer call() {
        new CommandLine(this).usage(System.err);
        return 2;
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    public static int execute(String... args) {
        CommandLine cli = new CommandLine(new PipelineCli());
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
