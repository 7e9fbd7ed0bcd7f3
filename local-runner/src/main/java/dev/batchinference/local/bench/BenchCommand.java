package dev.batchinference.local.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ./pipeline bench}: deterministic data for the fraud model, then one table of figures, each the
 * median of several runs, beside the targets of issue 8. It calls the project's own commands and classes,
 * so it measures whatever the code does when it runs.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure ONNX Runtime alone, parsing alone, the worker's path (predict), the whole local "
                + "pipeline (run), cold start and peak memory on generated data for the fraud model; print one "
                + "table (Markdown) of medians to stdout, progress to stderr.")
public final class BenchCommand implements Callable<Integer> {
    private static final double WORKER_CSV_TARGET = 1_200_000;
    private static final double WORKER_PARQUET_TARGET = 2_000_000;
    private static final double RUN_TO_WORKER_TARGET = 1.5;
    private static final double MEMORY_GROWTH_TARGET = 1.1;

    @Spec
    CommandSpec spec;

    @Option(names = "--rows", paramLabel = "N", description = "rows of the generated input (default: ${DEFAULT-VALUE})")
    long rows = 1_000_000;

    @Option(names = "--runs", paramLabel = "N", description = "timed runs per figure; the table shows their median "
            + "(default: ${DEFAULT-VALUE})")
    int runs = 5;

    @Option(names = "--warmup", paramLabel = "N", description = "untimed runs of full size before the timed "
            + "ones of each in-process figure, so the JIT has compiled the hot code (default: ${DEFAULT-VALUE})")
    int warmups = 2;

    @Option(names = "--memory-rows", paramLabel = "N", split = ",",
            description = "input sizes for peak memory (default: ${DEFAULT-VALUE})")
    List<Long> memoryRows = new ArrayList<>(List.of(1_000_000L, 10_000_000L));

    @Option(names = "--memory-runs", paramLabel = "N",
            description = "fresh JVMs per memory figure (default: ${DEFAULT-VALUE})")
    int memoryRuns = 3;

    @Option(names = "--memory-heap", paramLabel = "SIZE",
            description = "-Xmx of the memory probes' JVMs, or 'default' for the JVM's own choice "
                    + "(default: ${DEFAULT-VALUE}, as a Lambda function's memory size caps its heap)")
    String memoryHeap = "256m";

    @Option(names = "--skip-memory", description = "skip peak memory (the 10 M rows take a couple of minutes)")
    boolean skipMemory;

    @Option(names = "--skip-cold-start", description = "skip the cold-start figures")
    boolean skipColdStart;

    @Option(names = "--only", paramLabel = "FIGURE", split = ",",
            description = "measure only these: onnx, parse, predict, run (needs predict), cold-start, memory "
                    + "(default: all)")
    List<String> only = new ArrayList<>();

    @Option(names = "--data", paramLabel = "DIR",
            description = "where generated inputs are kept and reused (default: <tmp>/batch-inference-bench)")
    Path dataDir = Path.of(System.getProperty("java.io.tmpdir"), "batch-inference-bench");

    @Option(names = "--samples", paramLabel = "DIR", description = "the repository's samples folder (default: samples)")
    Path samples;

    @Override
    public Integer call() throws IOException {
        check(rows >= 1, "--rows must be at least 1");
        check(runs >= 1, "--runs must be at least 1");
        check(warmups >= 0, "--warmup must be 0 or more");
        check(memoryRuns >= 1, "--memory-runs must be at least 1");
        check(memoryHeap.matches("default|[0-9]+[kKmMgG]?"), "--memory-heap takes a size such as 256m, or 'default'");
        check(memoryRows.stream().allMatch(n -> n >= 1), "--memory-rows must all be at least 1");
        check(List.of("onnx", "parse", "predict", "run", "cold-start", "memory").containsAll(only),
                "--only takes onnx, parse, predict, run, cold-start, memory");
        long started = System.nanoTime();
        double loadAtStart = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        BenchData data = new BenchData(samples != null ? samples : home().resolve("samples"), dataDir);
        String commit = commit(data);
        Path csv = data.csv(rows);
        Path parquet = data.parquet(rows);

        List<Measurement> table = new ArrayList<>();
        InProcessBenchmarks inProcess = new InProcessBenchmarks(data, warmups, runs);
        if (wanted("onnx")) {
            table.add(inProcess.onnxAlone(rows));
        }
        if (wanted("parse")) {
            table.add(inProcess.parseCsv(csv, rows));
            table.add(inProcess.parseParquet(parquet, rows));
        }
        if (wanted("predict") || wanted("run")) {
            InProcessBenchmarks.WorkerPath csvPath = inProcess.predict("worker path, CSV → CSV (predict)", csv, ".csv",
                    data.sampleCsv(), rows);
            table.add(csvPath.rate().withTarget(atLeast(csvPath.rate(), WORKER_CSV_TARGET)));
            if (wanted("predict")) {
                InProcessBenchmarks.WorkerPath parquetPath = inProcess.predict("worker path, Parquet → Parquet (predict)",
                        parquet, ".parquet", data.sampleParquet(), rows);
                table.add(parquetPath.rate().withTarget(atLeast(parquetPath.rate(), WORKER_PARQUET_TARGET)));
            }
            if (wanted("run")) {
                InProcessBenchmarks.WholePipeline whole = inProcess.run(csv, rows);
                table.add(whole.wall().withTarget(ratio(whole.wall().median() / csvPath.medianMillis(),
                        RUN_TO_WORKER_TARGET, String.format("worker path CSV (%,.0f ms)", csvPath.medianMillis()))));
                table.add(whole.rate());
                table.add(whole.job());
            }
        }
        if (!skipColdStart && wanted("cold-start")) {
            ColdStart.Figures cold = new ColdStart(data, runs, rows).measure();
            table.add(cold.floor());
            table.addAll(cold.worker());
        }
        if (!skipMemory && !memoryRows.isEmpty() && wanted("memory")) {
            table.addAll(memory(data));
        }

        BenchLog.progress("done in %.1f min", (System.nanoTime() - started) / 60e9);
        System.out.println(caption(commit, loadAtStart));
        System.out.println();
        ResultTable.print(table, System.out);
        return 0;
    }

    private boolean wanted(String figure) {
        return only.isEmpty() || only.contains(figure);
    }

    private List<Measurement> memory(BenchData data) throws IOException {
        List<Long> sizes = memoryRows.stream().distinct().sorted().toList();
        PeakMemory memory = new PeakMemory(data, memoryRuns, "default".equals(memoryHeap) ? null : memoryHeap);
        List<Measurement> rss = new ArrayList<>();
        List<Measurement> heap = new ArrayList<>();
        for (long size : sizes) {
            PeakMemory.Figures figures = memory.measure(size);
            rss.add(figures.rss());
            heap.add(figures.heap());
        }
        if (sizes.size() > 1) {
            Measurement smallest = rss.get(0);
            Measurement largest = rss.get(rss.size() - 1);
            rss.set(rss.size() - 1, largest.withTarget(ratio(largest.median() / smallest.median(), MEMORY_GROWTH_TARGET,
                    String.format("at %,d rows", smallest.rows()))));
        }
        List<Measurement> all = new ArrayList<>(rss);
        all.addAll(heap);
        return all;
    }

    private static String atLeast(Measurement m, double target) {
        return String.format("≥ %,.0f %s: %s", target, m.unit(), m.median() >= target ? "met" : "missed");
    }

    private static String ratio(double value, double limit, String of) {
        return String.format(Locale.ROOT, "≤ %s × %s: %.2f×, %s", trim(limit), of, value,
                value <= limit ? "met" : "missed");
    }

    private static String trim(double value) {
        return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
    }

    /** The machine, and how busy it was: other processes' load skews every figure. */
    private static String caption(String commit, double loadAtStart) {
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        return String.format(Locale.ROOT, "fraud model (20 features), code at %s; %d cores, %.1f GiB, %s %s (%s); "
                        + "load average %.1f at start, %.1f at end; medians of timed runs",
                commit, Runtime.getRuntime().availableProcessors(), os.getTotalMemorySize() / (double) (1L << 30),
                System.getProperty("java.vm.name"), System.getProperty("java.version"), System.getProperty("java.vendor"),
                loadAtStart, os.getSystemLoadAverage());
    }

    /** The commit measured, {@code -dirty} with uncommitted changes; "unknown" outside a git checkout. */
    private static String commit(BenchData data) {
        try {
            Process git = new ProcessBuilder("git", "-C", data.modelsDir().toAbsolutePath().toString(), "describe",
                    "--always", "--dirty").redirectErrorStream(true).start();
            String out = new String(git.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
            return git.waitFor() == 0 && !out.isEmpty() ? out : "unknown";
        } catch (IOException e) {
            return "unknown";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }

    /** Where the repository is: the launcher passes it, else the working directory. */
    private static Path home() {
        String home = System.getProperty("pipeline.home");
        return home != null ? Path.of(home) : Path.of("").toAbsolutePath();
    }

    private void check(boolean condition, String message) {
        if (!condition) {
            throw new CommandLine.ParameterException(spec.commandLine(), message);
        }
    }
}
