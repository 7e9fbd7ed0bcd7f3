package dev.batchinference.local.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.batchinference.config.PipelineConfig;
import dev.batchinference.format.ColumnMapping;
import dev.batchinference.format.ColumnSelection;
import dev.batchinference.format.RowReader;
import dev.batchinference.json.JsonCodec;
import dev.batchinference.layout.Formats;
import dev.batchinference.model.ModelStore;
import dev.batchinference.model.OnnxModel;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The figures measured in this JVM: ONNX Runtime alone, parsing alone, the worker's path ({@code predict})
 * and the whole local pipeline ({@code run}). Each first runs once on the 10,000-row sample, untimed (class
 * loading, the JIT's first compilations), then {@code warmups} untimed runs of full size, so that the hot
 * code is compiled as in a worker that has done a chunk or two; then {@code runs} timed runs.
 */
final class InProcessBenchmarks {
    private static final int BATCH_ROWS = PipelineConfig.DEFAULT_INFERENCE_BATCH_ROWS;
    private static final int PREBUILT_BATCHES = 8;

    private final BenchData data;
    private final int warmups;
    private final int runs;
    private final ModelStore.LocalModel model;

    /** The worker path's median wall time and rate; the run's target is relative to the wall time. */
    record WorkerPath(Measurement rate, double medianMillis) {
    }

    /** The whole pipeline's wall time, rate and the job's own duration from its summary. */
    record WholePipeline(Measurement wall, Measurement rate, Measurement job) {
    }

    InProcessBenchmarks(BenchData data, int warmups, int runs) {
        this.data = data;
        this.warmups = warmups;
        this.runs = runs;
        this.model = ModelStore.readLocal(data.modelDir());
    }

    /** ONNX Runtime on tensors filled from the sample before the clock starts: the ceiling for everything else. */
    Measurement onnxAlone(long rows) throws IOException {
        int features = model.manifest().features().size();
        List<FloatBuffer> batches = new ArrayList<>();
        try (RowReader reader = Input.open(data.sampleCsv(), model.manifest().features()).reader()) {
            for (int b = 0; b < PREBUILT_BATCHES; b++) {
                FloatBuffer tensor = tensor(features);
                for (int r = 0; r < BATCH_ROWS && reader.next(); r++) {
                    reader.readFeatures(tensor, r * features);
                }
                batches.add(tensor);
            }
        }
        try (OnnxModel onnx = OnnxModel.load(model.onnxFile(), model.manifest())) {
            predictAll(onnx, batches, Math.min(rows, 100_000));
            List<Double> rates = new ArrayList<>();
            for (int run = 1; run <= runs; run++) {
                System.gc();
                long started = System.nanoTime();
                predictAll(onnx, batches, rows);
                rates.add(perSecond(rows, System.nanoTime() - started));
                BenchLog.progress("ONNX Runtime alone, run %d/%d: %,.0f rows/s", run, runs, rates.get(rates.size() - 1));
            }
            return new Measurement(String.format("ONNX Runtime alone, pre-built tensors of %,d rows", BATCH_ROWS), rows,
                    "rows/s", rates);
        }
    }

    private static void predictAll(OnnxModel onnx, List<FloatBuffer> batches, long rows) {
        long left = rows;
        for (int b = 0; left > 0; b++) {
            int n = (int) Math.min(BATCH_ROWS, left);
            onnx.predict(batches.get(b % batches.size()), n);
            left -= n;
        }
    }

    /** A RowReader driven over the whole file into a tensor buffer, pass-through values read too; no inference. */
    Measurement parseCsv(Path csv, long rows) throws IOException {
        return parseRuns("CSV", "CsvRowReader", Input.open(data.sampleCsv(), model.manifest().features()),
                Input.open(csv, model.manifest().features()), rows);
    }

    Measurement parseParquet(Path parquet, long rows) throws IOException {
        return parseRuns("Parquet", "ParquetRowReader", Input.open(data.sampleParquet(), model.manifest().features()),
                Input.open(parquet, model.manifest().features()), rows);
    }

    /** One untimed pass over the sample, the untimed full-size ones, then the timed runs. */
    private Measurement parseRuns(String format, String reader, Input warmUp, Input input, long rows) throws IOException {
        parse(warmUp, -1);
        for (int run = 1; run <= warmups; run++) {
            BenchLog.progress("parse %s alone, warm-up %d/%d", format, run, warmups);
            parse(input, rows);
        }
        List<Double> rates = new ArrayList<>();
        for (int run = 1; run <= runs; run++) {
            System.gc();
            long started = System.nanoTime();
            parse(input, rows);
            rates.add(perSecond(rows, System.nanoTime() - started));
            BenchLog.progress("parse %s alone, run %d/%d: %,.0f rows/s", format, run, runs, rates.get(rates.size() - 1));
        }
        return new Measurement("parse " + format + " alone (" + reader + " → tensor)", rows, "rows/s", rates);
    }

    private void parse(Input input, long expectedRows) throws IOException {
        int features = model.manifest().features().size();
        FloatBuffer tensor = tensor(features);
        Object[] passThrough = new Object[input.passThroughColumns()];
        long rows = 0;
        long rejected = 0;
        int slot = 0;
        try (RowReader reader = input.reader()) {
            while (reader.next()) {
                rows++;
                if (reader.readFeatures(tensor, slot * features) != null) {
                    rejected++;
                    continue;
                }
                reader.readPassThrough(passThrough);
                slot = slot + 1 == BATCH_ROWS ? 0 : slot + 1;
            }
        }
        if ((expectedRows >= 0 && rows != expectedRows) || rejected > 0) {
            throw new IllegalStateException("parsed " + rows + " rows (" + rejected + " rejected), expected "
                    + expectedRows + " and none rejected");
        }
    }

    /** A file planned once (a CSV's header, delimiter and where its data starts; a Parquet footer), read again for every run. */
    private record Input(Path file, Formats.PlannedInput planned, ColumnMapping mapping) {
        static Input open(Path file, List<String> features) throws IOException {
            Formats.PlannedInput planned = Formats.planFile(file, null, PipelineConfig.Limits.DEFAULT_MAX_RECORD_BYTES);
            return new Input(file, planned, planned.map(features, ColumnSelection.defaults()));
        }

        RowReader reader() throws IOException {
            return Formats.openFile(file, planned, mapping);
        }

        int passThroughColumns() {
            return mapping.passThroughColumns().length;
        }
    }

    /** {@code ./pipeline predict FILE --model fraud --out OUT}: the worker's path, in this process. */
    WorkerPath predict(String name, Path input, String outputExtension, Path sample, long rows) throws IOException {
        Path out = data.scratch().resolve("predictions" + outputExtension);
        predictOnce(sample, out, -1);
        for (int run = 1; run <= warmups; run++) {
            BenchLog.progress("%s, warm-up %d/%d: %,.0f ms", name, run, warmups, predictOnce(input, out, rows));
        }
        List<Double> rates = new ArrayList<>();
        List<Double> walls = new ArrayList<>();
        for (int run = 1; run <= runs; run++) {
            System.gc();
            double millis = predictOnce(input, out, rows);
            walls.add(millis);
            rates.add(rows / (millis / 1000));
            BenchLog.progress("%s, run %d/%d: %,.0f ms, %,.0f rows/s", name, run, runs, millis,
                    rates.get(rates.size() - 1));
        }
        Files.deleteIfExists(out);
        return new WorkerPath(new Measurement(name, rows, "rows/s", rates),
                new Measurement(name, rows, "ms", walls).median());
    }

    private double predictOnce(Path input, Path out, long expectedRows) throws IOException {
        InProcessCli.Result result = InProcessCli.execute("predict", input.toString(),
                "--model", data.modelDir().toString(),
                "--out", out.toString()).orThrow("predict " + input);
        long written = out.getFileName().toString().endsWith(".parquet")
                ? Formats.planFile(out, null, PipelineConfig.Limits.DEFAULT_MAX_RECORD_BYTES).rows()
                : lines(out) - 1;
        if (expectedRows >= 0 && written != expectedRows) {
            throw new IllegalStateException("predict wrote " + written + " predictions for " + expectedRows + " rows");
        }
        return result.millis();
    }

    /** {@code ./pipeline run FILE --model fraud --json}: embedded S3 and SQS, the three handlers, outputs copied back. */
    WholePipeline run(Path csv, long rows) throws IOException {
        Path out = data.scratch().resolve("run");
        runOnce(data.sampleCsv(), out, -1);
        for (int run = 1; run <= warmups; run++) {
            BenchLog.progress("whole pipeline (run), warm-up %d/%d: %,.0f ms", run, warmups,
                    runOnce(csv, out, rows).result().millis());
        }
        List<Double> walls = new ArrayList<>();
        List<Double> rates = new ArrayList<>();
        List<Double> jobs = new ArrayList<>();
        Map<String, List<Double>> phases = new LinkedHashMap<>();
        int chunks = 0;
        for (int run = 1; run <= runs; run++) {
            System.gc();
            RunOutcome outcome = runOnce(csv, out, rows);
            chunks = outcome.job().path("chunks").asInt();
            walls.add(outcome.result().millis());
            rates.add(rows / (outcome.result().millis() / 1000));
            jobs.add(outcome.job().path("durationMs").asDouble());
            outcome.timings().fields().forEachRemaining(
                    phase -> phases.computeIfAbsent(phase.getKey(), k -> new ArrayList<>()).add(phase.getValue().asDouble()));
            BenchLog.progress("whole pipeline (run), run %d/%d: %,.0f ms wall, job %,d ms, %d chunks, timings %s", run,
                    runs, outcome.result().millis(), outcome.job().path("durationMs").asLong(), chunks, outcome.timings());
        }
        StringBuilder medians = new StringBuilder();
        phases.forEach((phase, values) -> medians.append(String.format(" %s %,.0f", phase,
                new Measurement(phase, rows, "ms", values).median())));
        BenchLog.progress("whole pipeline (run), the summaries' timings (summed over chunks), medians:%s", medians);
        String name = "whole pipeline (run), CSV, " + chunks + (chunks == 1 ? " chunk" : " chunks");
        return new WholePipeline(new Measurement(name + ": wall time", rows, "ms", walls),
                new Measurement(name + ": rows / wall time", rows, "rows/s", rates),
                new Measurement(name + ": job duration (summary)", rows, "ms", jobs));
    }

    /** What {@code run --json} said about the job, and the per-phase timings from the job's summary. */
    private record RunOutcome(InProcessCli.Result result, JsonNode job, JsonNode timings) {
    }

    private RunOutcome runOnce(Path csv, Path out, long expectedRows) throws IOException {
        InProcessCli.Result result = InProcessCli.execute("run", csv.toString(), "--model", "fraud",
                "--models", data.modelsDir().toString(), "--out", out.toString(), "--json").orThrow("run " + csv);
        JsonNode job = JsonCodec.mapper().readTree(result.stdout()).path("jobs").get(0);
        if (!"SUCCEEDED".equals(job.path("state").asText())
                || (expectedRows >= 0 && job.path("rowsOut").asLong() != expectedRows)) {
            throw new IllegalStateException("run " + csv + " did not predict every row: " + job);
        }
        JsonNode timings = JsonCodec.mapper().readTree(Files.readAllBytes(Path.of(job.path("summary").asText())))
                .path("timings");
        deleteTree(out);
        return new RunOutcome(result, job, timings);
    }

    private static long lines(Path file) throws IOException {
        long count = 0;
        byte[] buffer = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n = in.read(buffer); n > 0; n = in.read(buffer)) {
                for (int i = 0; i < n; i++) {
                    if (buffer[i] == '\n') {
                        count++;
                    }
                }
            }
        }
        return count;
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static FloatBuffer tensor(int features) {
        return ByteBuffer.allocateDirect(BATCH_ROWS * features * Float.BYTES).order(ByteOrder.nativeOrder())
                .asFloatBuffer();
    }

    private static double perSecond(long rows, long nanos) {
        return rows / (nanos / 1e9);
    }
}
