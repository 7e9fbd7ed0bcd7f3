package dev.batchinference.local.bench;

/** What the benchmark is doing, on stderr, so that stdout holds the table alone. */
final class BenchLog {
    private BenchLog() {
    }

    static void progress(String format, Object... args) {
        System.err.println("bench: " + String.format(format, args));
    }
}
