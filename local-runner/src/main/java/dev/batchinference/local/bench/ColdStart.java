package dev.batchinference.local.bench;

import dev.batchinference.config.PipelineConfig;
import dev.batchinference.format.ChunkLimits;
import dev.batchinference.inference.ChunkPriming;
import dev.batchinference.ingest.JobIngestor;
import dev.batchinference.model.ModelRef;
import dev.batchinference.model.ModelStore;
import dev.batchinference.queue.InMemoryMessageSender;
import dev.batchinference.storage.InMemoryObjectStore;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Fresh JVMs, as new Lambda execution environments: ONNX Runtime alone creating a session and predicting
 * one batch (the floor), and the batch-worker handler doing a job's first default-size chunk (200,000 rows,
 * or the benchmark's rows if fewer), CSV and Parquet, then the same chunk again in the same JVM, as that
 * environment's later invocations. All with this JVM's java and class path and the worker function's JVM
 * options, taken in turns, timed from spawning the process to the line the probe prints.
 */
final class ColdStart {
    static final int FLOOR_ROWS = PipelineConfig.DEFAULT_INFERENCE_BATCH_ROWS;
    /** Invocations per worker JVM: the first, then later ones until the JIT has compiled the hot code. */
    static final int INVOCATIONS = 5;
    /** The invocations whose median is the warm figure (1-based, inclusive): after two chunks, as the in-process figures. */
    static final int FIRST_WARM = 3;
    private static final double FIRST_TO_WARM_TARGET = 0.5;

    private final BenchData data;
    private final int runs;
    private final int chunkRows;

    record Figures(Measurement floor, List<Measurement> worker) {
    }

    ColdStart(BenchData data, int runs, long rows) {
        this.data = data;
        this.runs = runs;
        this.chunkRows = (int) Math.min(rows, ChunkLimits.DEFAULT_MAX_ROWS);
    }

    Figures measure() throws IOException {
        Path scratch = data.scratch();
        ModelStore.LocalModel model = ModelStore.readLocal(data.modelDir());
        String[] floorArgs = {model.onnxFile().toString(), Integer.toString(FLOOR_ROWS),
                model.manifest().probabilitiesOutput()};
        String modelName = model.manifest().name();
        List<Chunk> chunks = List.of(prepare("CSV", data.csv(chunkRows), scratch),
                prepare("Parquet", data.parquet(chunkRows), scratch));

        String classPath = lambdaLikeClassPath();
        // once untimed: the first start after a build reads the jars from disk (the worker's are a superset)
        worker(classPath, scratch, chunks.get(0), 1);
        List<Double> floor = new ArrayList<>();
        for (int run = 1; run <= runs; run++) {
            floor.add(ChildJvm.run(ColdStartFloor.class, ChildJvm.WORKER_JVM_OPTIONS, classPath, scratch, floorArgs)
                    .millisToReport());
            for (Chunk chunk : chunks) {
                ChildJvm.Report primed = worker(classPath, scratch, chunk, 1, modelName,
                        Integer.toString(Math.min(ChunkPriming.DEFAULT_ROWS, chunkRows)));
                chunk.recordPrimed(primed);
                BenchLog.progress("worker JVM primed as for a SnapStart snapshot, %s chunk, run %d/%d: priming %s ms, "
                        + "then the first chunk's invocation %s ms", chunk.format, run, runs, primed.values().get(1),
                        primed.values().get(2));
                ChildJvm.Report report = worker(classPath, scratch, chunk, INVOCATIONS);
                chunk.record(report);
                BenchLog.progress("fresh worker JVM, %s chunk of %,d rows, run %d/%d: first chunk done %,.0f ms after "
                        + "spawn (its invocation %s ms; the bucket's load %s ms), later invocations %s ms",
                        chunk.format, chunkRows, run, runs, report.millisToMark("first-chunk"), report.values().get(1),
                        report.values().get(0), String.join(", ", report.values().subList(2, report.values().size())));
            }
            BenchLog.progress("cold start floor, run %d/%d: %,.0f ms", run, runs, floor.get(floor.size() - 1));
        }
        List<Measurement> worker = new ArrayList<>();
        for (Chunk chunk : chunks) {
            Files.deleteIfExists(chunk.bucket);
            Files.deleteIfExists(chunk.task);
            worker.addAll(chunk.figures());
        }
        return new Figures(new Measurement("cold start floor: fresh JVM → ONNX Runtime session → 1 batch", FLOOR_ROWS,
                "ms", floor), worker);
    }

    /** One format's prepared bucket and task, and what the runs measured. */
    private final class Chunk {
        final String format;
        final Path bucket;
        final Path task;
        final List<Double> fromSpawn = new ArrayList<>();
        final List<Double> firstInvocation = new ArrayList<>();
        final List<Double> warmInvocation = new ArrayList<>();
        final List<Double> primedInvocation = new ArrayList<>();

        Chunk(String format, Path bucket, Path task) {
            this.format = format;
            this.bucket = bucket;
            this.task = task;
        }

        void record(ChildJvm.Report report) {
            fromSpawn.add(perSecond(report.millisToMark("first-chunk")));
            List<Double> invocations = report.values().subList(1, report.values().size()).stream()
                    .map(Double::parseDouble).toList();
            firstInvocation.add(perSecond(invocations.get(0)));
            double warmMillis = new Measurement("warm", chunkRows, "ms", invocations.subList(FIRST_WARM - 1,
                    invocations.size())).median();
            warmInvocation.add(perSecond(warmMillis));
        }

        /** The report of a primed worker: the bucket's load, the priming, then the first invocation, in ms. */
        void recordPrimed(ChildJvm.Report report) {
            primedInvocation.add(perSecond(Double.parseDouble(report.values().get(2))));
        }

        List<Measurement> figures() {
            Measurement warm = new Measurement(String.format("same worker JVM, warm: invocations %d–%d (median), %s",
                    FIRST_WARM, INVOCATIONS, format), chunkRows, "rows/s", warmInvocation);
            Measurement first = new Measurement("fresh worker JVM, spawn → first chunk done, " + format, chunkRows,
                    "rows/s", fromSpawn);
            Measurement primed = new Measurement("worker JVM primed as for a SnapStart snapshot, first invocation, "
                    + format, chunkRows, "rows/s", primedInvocation);
            return List.of(first.withTarget(ofWarm(first, warm)),
                    new Measurement("fresh worker JVM, first invocation alone, " + format, chunkRows, "rows/s",
                            firstInvocation),
                    primed.withTarget(ofWarm(primed, warm)),
                    warm);
        }

        private static String ofWarm(Measurement figure, Measurement warm) {
            double ratio = figure.median() / warm.median();
            return String.format(Locale.ROOT, "≥ %.0f%% of warm: %.0f%%, %s", FIRST_TO_WARM_TARGET * 100, ratio * 100,
                    ratio >= FIRST_TO_WARM_TARGET ? "met" : "missed");
        }

        private double perSecond(double millis) {
            return chunkRows / (millis / 1000);
        }
    }

    private ChildJvm.Report worker(String classPath, Path scratch, Chunk chunk, int invocations, String... prime)
            throws IOException {
        Path modelCache = Files.createTempDirectory(scratch, "model-cache-");
        try {
            List<String> args = new ArrayList<>(List.of(chunk.bucket.toString(), chunk.task.toString(),
                    modelCache.toString(), Integer.toString(invocations)));
            args.addAll(List.of(prime));
            return ChildJvm.run(ColdStartWorker.class, ChildJvm.WORKER_JVM_OPTIONS, classPath, scratch,
                    args.toArray(String[]::new));
        } finally {
            InProcessBenchmarks.deleteTree(modelCache);
        }
    }

    /**
     * This JVM's class path with the batch-worker function's logging: the local runner logs through
     * logback (its configuration is parsed at start-up: 0.1–0.2 s more per cold start here), but the
     * Lambda package ships slf4j-simple. Taken from the local Maven repository (the build put it there for batch-worker);
     * without it the probes run with no logging backend at all.
     */
    private static String lambdaLikeClassPath() {
        List<String> entries = new ArrayList<>();
        String slf4jVersion = null;
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            String name = Path.of(entry).getFileName().toString();
            if (name.startsWith("logback-")) {
                continue;
            }
            if (name.startsWith("slf4j-api-") && name.endsWith(".jar")) {
                slf4jVersion = name.substring("slf4j-api-".length(), name.length() - ".jar".length());
            }
            entries.add(entry);
        }
        if (slf4jVersion != null) {
            Path simple = Path.of(System.getProperty("user.home"), ".m2", "repository", "org", "slf4j", "slf4j-simple",
                    slf4jVersion, "slf4j-simple-" + slf4jVersion + ".jar");
            if (Files.isRegularFile(simple)) {
                entries.add(simple.toString());
                return String.join(File.pathSeparator, entries);
            }
        }
        BenchLog.progress("slf4j-simple is not in the local Maven repository: the cold-start probes run without logging");
        return String.join(File.pathSeparator, entries);
    }

    /** The bucket as ingest leaves it (the model published and current, the input, its plan of one chunk), and the task. */
    private Chunk prepare(String format, Path input, Path scratch) throws IOException {
        Path bucket = scratch.resolve("cold-start-" + format + ".bucket");
        Path task = scratch.resolve("cold-start-" + format + ".task.json");
        InMemoryObjectStore store = new InMemoryObjectStore();
        Path cache = Files.createTempDirectory(scratch, "model-cache-");
        try {
            ModelStore models = new ModelStore(store, cache);
            ModelStore.LocalModel local = ModelStore.readLocal(data.modelDir());
            ModelRef ref = models.publish(local.onnxFile(), local.manifest());
            models.promote(ref);
            String name = input.getFileName().toString();
            String key = "incoming/" + ref.name() + "/bench/cold-start" + name.substring(name.lastIndexOf('.'));
            store.write(key, Files.readAllBytes(input));
            InMemoryMessageSender workQueue = new InMemoryMessageSender();
            JobIngestor.Outcome outcome = new JobIngestor("bench", store, models, workQueue, new InMemoryMessageSender(),
                    ChunkLimits.defaults(), PipelineConfig.DataSettings.defaults(), PipelineConfig.Limits.defaults(),
                    Clock.systemUTC()).ingest(key);
            if (outcome.status() != JobIngestor.Outcome.Status.STARTED || workQueue.sent().size() != 1) {
                throw new IllegalStateException("ingest did not make one chunk task of " + input + ": " + outcome
                        + ", " + workQueue.sent().size() + " tasks");
            }
            BucketFile.write(store, bucket);
            Files.writeString(task, workQueue.sent().get(0));
            return new Chunk(format, bucket, task);
        } finally {
            InProcessBenchmarks.deleteTree(cache);
        }
    }
}
