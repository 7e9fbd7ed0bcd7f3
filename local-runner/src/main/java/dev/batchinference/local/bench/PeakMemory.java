package dev.batchinference.local.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Peak memory of the worker's path ({@code predict}, CSV in and out) in a fresh JVM per run, at several
 * sizes, with the batch-worker function's collector ({@link ChildJvm#WORKER_JVM_OPTIONS}: under G1, the JVM's default here, the young generation grows to 60% of the heap within a few collections whatever the live set (~20 MB), so the figure would grow with the run's length). With a heap cap (as a
 * Lambda function's memory size caps its JVM's heap) the figure shows what the code holds; without one,
 * the JVM sizes the heap by its own heuristics and the resident set follows the collector's choices more
 * than the input.
 */
final class PeakMemory {
    private static final double MB = 1_000_000;

    private final BenchData data;
    private final int runs;
    private final String maxHeap;

    record Figures(Measurement rss, Measurement heap) {
    }

    /** {@code maxHeap}: the child JVMs' -Xmx (such as 256m), or null for the JVM's default. */
    PeakMemory(BenchData data, int runs, String maxHeap) {
        this.data = data;
        this.runs = runs;
        this.maxHeap = maxHeap;
    }

    Figures measure(long rows) throws IOException {
        Path csv = data.csv(rows);
        Path out = data.scratch().resolve("memory-predictions.csv");
        List<Double> rss = new ArrayList<>();
        List<Double> heap = new ArrayList<>();
        for (int run = 1; run <= runs; run++) {
            List<String> jvmOptions = new ArrayList<>(ChildJvm.WORKER_JVM_OPTIONS);
            if (maxHeap != null) {
                jvmOptions.add("-Xmx" + maxHeap);
            }
            ChildJvm.Report report = ChildJvm.run(PeakMemoryProbe.class, jvmOptions,
                    System.getProperty("java.class.path"), data.scratch(), csv.toString(),
                    data.modelDir().toString(), out.toString());
            long residentKb = Long.parseLong(report.values().get(0));
            if (residentKb < 0) {
                throw new IllegalStateException("peak RSS is read from /proc/self/status, which this system lacks: "
                        + "use --skip-memory");
            }
            rss.add(residentKb * 1024 / MB);
            heap.add(Long.parseLong(report.values().get(1)) / MB);
            BenchLog.progress("peak memory at %,d rows, run %d/%d: RSS %,.0f MB, heap %,.0f MB", rows, run, runs,
                    rss.get(rss.size() - 1), heap.get(heap.size() - 1));
        }
        Files.deleteIfExists(out);
        String jvm = (maxHeap == null ? "fresh JVM, default heap" : "fresh JVM, -Xmx" + maxHeap) + ", serial GC";
        return new Figures(new Measurement("peak RSS, worker path (predict) CSV → CSV, " + jvm, rows, "MB", rss),
                new Measurement("peak heap used (sum of pools' peaks), same runs", rows, "MB", heap));
    }
}
