package dev.batchinference.local.cli;

import dev.batchinference.local.bench.InProcessCli;

/** Runs {@code ./pipeline} in this JVM as a user would call it, capturing what it prints. */
public final class Cli {
    private Cli() {
    }

    /** Exit code and what went to standard output and standard error. */
    public record Result(int exitCode, String stdout, String stderr) {
    }

    /** One command at a time: the standard streams are the JVM's. */
    public static synchronized Result run(String... args) {
        InProcessCli.Result result = InProcessCli.execute(args);
        return new Result(result.exitCode(), result.stdout(), result.stderr());
    }
}
