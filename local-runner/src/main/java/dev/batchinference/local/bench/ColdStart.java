package dev.batchinference.local.bench;

import dev.batchinference.config.PipelineConfig;
import dev.batchinference.format.ChunkLimits;
import dev.batchinference.ingest.JobIngestor;
import dev.batchinference.model.ModelRef;
import dev.batchinference.model.ModelStore;
import dev.batchinference.queue.InMemoryMessageSender;
import dev.batchinference.storage.InMemoryObjectStore;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * Fresh JVM → first batch predicted, twice over: ONNX Runtime alone (the floor), and the batch-worker
 * handler predicting a job's first chunk. Both in fresh JVMs with this JVM's java and class path, taken
 * in turns, timed from spawning the process to the line the probe prints when done.
 */
final class ColdStart {
    static final int ROWS = PipelineConfig.DEFAULT_INFERENCE_BATCH_ROWS;

    private final BenchData data;
    private final int runs;

    record Figures(Measurement floor, Measurement ours) {
    }

    ColdStart(BenchData data, int runs) {
        this.data = data;
        this.runs = runs;
    }

    Figures measure() throws IOException {
        Path scratch = data.scratch();
        Path bucket = scratch.resolve("cold-start-bucket.bin");
        Path task = scratch.resolve("cold-start-task.json");
        prepare(bucket, task);
        ModelStore.LocalModel model = ModelStore.readLocal(data.modelDir());
        String[] floorArgs = {model.onnxFile().toString(), Integer.toString(ROWS), model.manifest().probabilitiesOutput()};

        String classPath = lambdaLikeClassPath();
        // once untimed: the first start after a build reads the jars from disk (the worker's are a superset)
        worker(classPath, scratch, bucket, task);
        List<Double> floor = new ArrayList<>();
        List<Double> ours = new ArrayList<>();
        for (int run = 1; run <= runs; run++) {
            floor.add(ChildJvm.run(ColdStartFloor.class, ChildJvm.WORKER_JVM_OPTIONS, classPath, scratch, floorArgs)
                    .millisToReport());
            ChildJvm.Report worker = worker(classPath, scratch, bucket, task);
            ours.add(worker.millisToReport());
            BenchLog.progress("cold start, run %d/%d: floor %,.0f ms, worker handler %,.0f ms (of which %s ms loading "
                    + "the prepared bucket)", run, runs, floor.get(floor.size() - 1), ours.get(ours.size() - 1),
                    worker.values().get(0));
        }
        Files.deleteIfExists(bucket);
        Files.deleteIfExists(task);
        return new Figures(
                new Measurement("cold start floor: fresh JVM → ONNX Runtime session → 1 batch", ROWS, "ms", floor),
                new Measurement("cold start: fresh JVM → worker handler's first chunk predicted", ROWS, "ms", ours));
    }

    private ChildJvm.Report worker(String classPath, Path scratch, Path bucket, Path task) throws IOException {
        Path modelCache = Files.createTempDirectory(scratch, "model-cache-");
        try {
            return ChildJvm.run(ColdStartWorker.class, ChildJvm.WORKER_JVM_OPTIONS, classPath, scratch, bucket.toString(),
                    task.toString(),
                    modelCache.toString());
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

    /** The bucket as ingest leaves it: the model published and current, a CSV of one chunk, its plan; and the task. */
    private void prepare(Path bucket, Path task) throws IOException {
        InMemoryObjectStore store = new InMemoryObjectStore();
        Path cache = Files.createTempDirectory(data.scratch(), "model-cache-");
        try {
            ModelStore models = new ModelStore(store, cache);
            ModelStore.LocalModel local = ModelStore.readLocal(data.modelDir());
            ModelRef ref = models.publish(local.onnxFile(), local.manifest());
            models.promote(ref);
            List<String> lines = Files.readAllLines(data.sampleCsv(), StandardCharsets.UTF_8);
            String key = "incoming/" + ref.name() + "/bench/cold-start.csv";
            store.write(key, (String.join("\n", lines.subList(0, ROWS + 1)) + "\n").getBytes(StandardCharsets.UTF_8));
            InMemoryMessageSender workQueue = new InMemoryMessageSender();
            JobIngestor.Outcome outcome = new JobIngestor("bench", store, models, workQueue, new InMemoryMessageSender(),
                    new ChunkLimits(ROWS, PipelineConfig.DEFAULT_CHUNK_MAX_BYTES),
                    PipelineConfig.DataSettings.defaults(), PipelineConfig.Limits.defaults(), Clock.systemUTC())
                    .ingest(key);
            if (outcome.status() != JobIngestor.Outcome.Status.STARTED || workQueue.sent().size() != 1) {
                throw new IllegalStateException("ingest did not make one chunk task: " + outcome);
            }
            BucketFile.write(store, bucket);
            Files.writeString(task, workQueue.sent().get(0));
        } finally {
            InProcessBenchmarks.deleteTree(cache);
        }
    }
}
