package dev.batchinference.local.bench;

import dev.batchinference.local.cli.PipelineCli;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * A {@code ./pipeline} command run in this process, timed, with what it printed kept aside: the
 * benchmark measures the commands users run, whatever their code does at the time, and tests call the CLI
 * as users do.
 */
public final class InProcessCli {
    /** Exit code, what went to standard output and standard error, and how long the command took. */
    public record Result(int exitCode, String stdout, String stderr, long nanos) {
        Result orThrow(String what) {
            if (exitCode != 0) {
                throw new IllegalStateException(what + " exited with " + exitCode + ": " + stderr.strip());
            }
            return this;
        }

        double millis() {
            return nanos / 1e6;
        }
    }

    private InProcessCli() {
    }

    public static Result execute(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(stderr, true, StandardCharsets.UTF_8));
            long started = System.nanoTime();
            int code = PipelineCli.execute(args);
            long nanos = System.nanoTime() - started;
            return new Result(code, stdout.toString(StandardCharsets.UTF_8), stderr.toString(StandardCharsets.UTF_8),
                    nanos);
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }
}
