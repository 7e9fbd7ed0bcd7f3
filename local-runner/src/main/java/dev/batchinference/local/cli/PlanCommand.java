package dev.batchinference.local.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.batchinference.config.PipelineConfig;
import dev.batchinference.cost.LambdaCostModel;
import dev.batchinference.failure.PipelineException;
import dev.batchinference.format.ChunkRange;
import dev.batchinference.format.ColumnMapping;
import dev.batchinference.format.InputFormat;
import dev.batchinference.format.OutputCsv;
import dev.batchinference.format.OutputFormat;
import dev.batchinference.format.PredictionWriter;
import dev.batchinference.format.RowReader;
import dev.batchinference.inference.ChunkPredictor;
import dev.batchinference.job.ChunkResult;
import dev.batchinference.json.JsonCodec;
import dev.batchinference.layout.Formats;
import dev.batchinference.model.ModelManifest;
import dev.batchinference.model.ModelStore;
import dev.batchinference.model.OnnxModel;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.commons.csv.CSVPrinter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * A dry run: what {@code run} or a deployed stack would do with files, without a job. Each file is checked
 * against the model, its chunks planned with the given settings, a sample of its rows predicted here, and the
 * job on Lambda estimated with {@link LambdaCostModel}.
 */
@Command(name = "plan", mixinStandardHelpOptions = true,
        description = "Dry run, no job: check each file against the model (format, columns), predict a sample of its"
                + " rows here, list the chunks a job would make, and estimate the job on Lambda (GB-s, requests, $ on"
                + " arm64 and x86_64, wall time). Exit 0 if every file fits the model, 2 if one does not.")
final class PlanCommand implements Callable<Integer> {

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "data files, folders or quoted globs, as for run")
    List<String> inputs;

    @Option(names = "--model", required = true, paramLabel = "NAME", description = "model name in --models, or a model folder")
    String model;

    @Option(names = "--models", paramLabel = "DIR", description = "folder of model folders (default: samples/models)")
    Path modelsDir;

    @Option(names = "--json", description = "print one JSON document instead of text")
    boolean json;

    @Option(names = "--sample-rows", paramLabel = "N", description = "predicted rows shown (default: ${DEFAULT-VALUE})")
    int sampleRows = 5;

    @Option(names = "--measure-rows", paramLabel = "N",
            description = "rows predicted here to measure the model's speed (default: ${DEFAULT-VALUE})")
    int measureRows = 20_000;

    @Option(names = "--rows-per-second", paramLabel = "R",
            description = "the worker's rows per second on Lambda (default: measured here on --measure-rows rows)")
    Double rowsPerSecond;

    @Option(names = "--first-chunk-rows-per-second", paramLabel = "R",
            description = "the worker's rows per second in the first chunk of a new execution environment, which a"
                    + " fresh JVM runs slower (default: --rows-per-second); `./pipeline bench --only cold-start` measures it")
    Double firstChunkRowsPerSecond;

    @Option(names = "--scale-to", split = ",", paramLabel = "SIZE",
            description = "also estimate inputs of these sizes made of rows like this file's: 500MB, 1GB, 100GB, 1TB"
                    + " (powers of 1,000), with the limits each would meet")
    List<String> scaleTo = List.of();

    @Option(names = "--concurrency", paramLabel = "N",
            description = "batch-worker environments at once, for the wall time (default: ${DEFAULT-VALUE}, the"
                    + " template's WorkerMaxConcurrency)")
    int concurrency = 100;

    @Option(names = "--memory", paramLabel = "FUNCTION=MB",
            description = "a function's memory: ingest, worker or writer (default: 1024, 2048, 1024, as the template)")
    Map<String, Integer> memory = Map.of();

    @Option(names = "--price", paramLabel = "NAME=USD",
            description = "a price other than the list price: arm64-gb-s, x86-gb-s, lambda-per-million,"
                    + " sqs-per-million, s3-writes-per-thousand, s3-reads-per-thousand")
    Map<String, Double> price = Map.of();

    @Mixin
    SettingsOptions settings;

    @Override
    public Integer call() throws IOException {
        List<Path> files = InputFiles.expand(inputs);
        PipelineConfig config = SettingsOptions.config(settings.environment());
        Path dir = PipelineCli.modelDir(model, modelsDir != null ? modelsDir : PipelineCli.home().resolve("samples/models"));
        ModelStore.LocalModel local = ModelStore.readLocal(dir);
        local.verifiedRef();
        ObjectNode doc = JsonCodec.mapper().createObjectNode();
        doc.put("estimate", "an estimate from the rates below, not a measurement; nothing here ran on AWS");
        ArrayNode plans = doc.putArray("files");
        boolean allFit = true;
        try (OnnxModel onnx = OnnxModel.load(local.onnxFile(), local.manifest())) {
            for (Path file : files) {
                ObjectNode plan = plan(file, local.manifest(), onnx, config);
                allFit &= plan.path("fits").asBoolean();
                plans.add(plan);
            }
        }
        if (json) {
            System.out.println(doc.toPrettyString());
        } else {
            PlanReport.print(doc, System.out);
        }
        return allFit ? 0 : 2;
    }

    private ObjectNode plan(Path file, ModelManifest manifest, OnnxModel onnx, PipelineConfig config) throws IOException {
        ObjectNode r = JsonCodec.mapper().createObjectNode();
        r.put("file", file.toString());
        r.put("model", manifest.name());
        r.put("modelVersion", manifest.version());
        r.put("bytes", Files.size(file));
        Formats.PlannedInput planned;
        ColumnMapping mapping;
        try {
            InputCheck.header(file, config); // the cheap check first, as run makes it
            planned = Formats.planFile(file, config.chunkLimits(), config.limits(), config.data().delimiter());
            mapping = planned.map(manifest.features(), config.data().columns());
        } catch (PipelineException e) {
            r.put("fits", false);
            r.put("reason", e.reason().name());
            r.put("message", e.getMessage());
            return r;
        }
        r.put("fits", true);
        r.put("format", planned.format().name());
        r.put("rows", planned.rows());
        r.set("features", JsonCodec.mapper().valueToTree(mapping.featureColumnNames()));
        r.set("passThrough", JsonCodec.mapper().valueToTree(mapping.passThroughColumnNames()));
        ArrayNode chunks = r.putArray("chunks");
        for (ChunkRange c : planned.chunks()) {
            chunks.addObject().put("index", c.index()).put("startByte", c.startByte()).put("endByte", c.endByte())
                    .put("rows", c.rows());
        }
        r.put("chunkMaxRows", config.chunkLimits().maxRows()).put("chunkMaxBytes", config.chunkLimits().maxBytes());
        Sample sample = sample(file, planned, mapping, manifest, onnx, config);
        r.set("sample", JsonCodec.mapper().valueToTree(sample.lines()));
        r.put("sampleRejected", sample.result().rowsRejected());
        double measured = sample.result().rowsIn() / Math.max(sample.seconds(), 1e-6);
        double rate = rowsPerSecond != null ? rowsPerSecond : measured;
        long scanned = planned.format() == InputFormat.PARQUET ? 0
                : planned.chunks().isEmpty() ? Files.size(file) : planned.chunks().get(planned.chunks().size() - 1).endByte();
        long outputBytes = Math.round(sample.outputBytesPerRow() * planned.rows());
        double firstRate = firstChunkRowsPerSecond != null ? firstChunkRowsPerSecond : rate;
        LambdaCostModel costs = new LambdaCostModel(prices(), memory(), LambdaCostModel.Rates.assuming(rate, firstRate));
        LambdaCostModel.Estimate estimate = costs.estimate(
                new LambdaCostModel.Job(planned.rows(), scanned, outputBytes, planned.chunks().size()), concurrency);
        ObjectNode e = r.putObject("lambda");
        e.put("workerRowsPerSecond", Math.round(rate));
        e.put("rowsPerSecondSource", rowsPerSecond != null ? "--rows-per-second"
                : "measured here on " + sample.result().rowsIn() + " rows after a warm-up pass, one thread");
        e.put("firstChunkRowsPerSecond", Math.round(firstRate));
        e.put("planBytesPerSecond", costs.rates().planBytesPerSecond());
        e.put("collateBytesPerSecond", costs.rates().collateBytesPerSecond());
        e.put("secondsPerInvocation", costs.rates().secondsPerInvocation());
        e.put("outputBytes", outputBytes);
        e.set("estimate", JsonCodec.mapper().valueToTree(estimate));
        e.set("prices", JsonCodec.mapper().valueToTree(costs.prices()));
        if (!scaleTo.isEmpty()) {
            e.set("scaled", scaled(planned, Files.size(file), sample.outputBytesPerRow(), costs, config));
        }
        return r;
    }

    /** The model's figures for inputs of other sizes made of rows like the file's, and the limits each meets. */
    private ArrayNode scaled(Formats.PlannedInput planned, long fileBytes, double outputBytesPerRow, LambdaCostModel costs,
                             PipelineConfig config) {
        ArrayNode sizes = JsonCodec.mapper().createArrayNode();
        double bytesPerRow = (double) fileBytes / Math.max(1, planned.rows());
        for (String size : scaleTo) {
            long bytes = InputSizes.parse(size);
            long rows = Math.round(bytes / bytesPerRow);
            long chunks = Math.max(1, Math.max(ceilDiv(rows, config.chunkLimits().maxRows()),
                    ceilDiv(bytes, config.chunkLimits().maxBytes())));
            boolean csv = planned.format() != InputFormat.PARQUET;
            long outputBytes = Math.round(outputBytesPerRow * rows);
            LambdaCostModel.Estimate estimate = costs.estimate(new LambdaCostModel.Job(rows, csv ? bytes : 0, outputBytes,
                    (int) Math.min(Integer.MAX_VALUE, chunks)), concurrency);
            ObjectNode s = sizes.addObject();
            s.put("size", size).put("bytes", bytes).put("rows", rows).put("chunks", chunks).put("outputBytes", outputBytes);
            s.set("estimate", JsonCodec.mapper().valueToTree(estimate));
            ArrayNode limits = s.putArray("limits");
            if (chunks > config.limits().maxChunksPerJob()) {
                limits.add(String.format(java.util.Locale.ROOT, "%,d chunks: more than MAX_CHUNKS_PER_JOB (%,d); raise it,"
                        + " or CHUNK_MAX_ROWS and CHUNK_MAX_BYTES", chunks, config.limits().maxChunksPerJob()));
            }
            double planSeconds = estimate.functions().get(0).seconds();
            long budget = config.planning().budget().toSeconds();
            if (planSeconds > budget) {
                limits.add(String.format(java.util.Locale.ROOT, "planning takes about %,.0f s: about %,d ingest"
                        + " invocations of PLANNING_BUDGET_SECONDS (%d s), each handing over to the next through the"
                        + " planning queue; the workers start when it ends", planSeconds,
                        (long) Math.ceil(planSeconds / budget), budget));
            }
            if (csv && chunks > config.limits().maxOutputParts() - 1) {
                limits.add(String.format(java.util.Locale.ROOT, "%,d chunks: the predictions are written as part objects"
                        + " with a manifest (one object holds up to %,d, MAX_OUTPUT_PARTS less one)", chunks,
                        config.limits().maxOutputParts() - 1));
            }
            double collateSeconds = outputBytes / costs.rates().collateBytesPerSecond();
            if (collateSeconds > LAMBDA_TIMEOUT_SECONDS) {
                limits.add(String.format(java.util.Locale.ROOT, "collation takes about %,.0f s: more than one writer"
                        + " invocation (%d s)", collateSeconds, LAMBDA_TIMEOUT_SECONDS));
            }
        }
        return sizes;
    }

    private static final int LAMBDA_TIMEOUT_SECONDS = 900;

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    /** The first rows' predictions as CSV lines (header first), and the model's speed on up to --measure-rows rows. */
    private record Sample(List<String> lines, ChunkResult result, double seconds, double outputBytesPerRow) {
    }

    private Sample sample(Path file, Formats.PlannedInput planned, ColumnMapping mapping, ModelManifest manifest,
                          OnnxModel onnx, PipelineConfig config) throws IOException {
        Path scratch = Files.createTempDirectory("pipeline-plan");
        try {
            Path out = scratch.resolve("sample.csv");
            var layout = planned.layout(mapping, OutputFormat.CSV, config.data().parquetCompression(), manifest.labels());
            ChunkResult result = null;
            double seconds = 0;
            // the first pass warms the code up (a fresh JVM interprets it at first); the second is timed
            for (int pass = 0; pass < 2; pass++) {
                try (RowReader rows = new FirstRows(Formats.openFile(file, planned, mapping), Math.max(measureRows, sampleRows));
                     PredictionWriter predictions = Formats.openOutputFile(layout, out, manifest.labels());
                     Writer rejected = Writer.nullWriter();
                     CSVPrinter rejects = new CSVPrinter(rejected, OutputCsv.FORMAT)) {
                    long started = System.nanoTime();
                    result = new ChunkPredictor(onnx, mapping.passThroughColumns().length, config.inferenceBatchRows())
                            .predict(0, rows, predictions, rejects);
                    seconds = (System.nanoTime() - started) / 1e9;
                }
            }
            List<String> lines;
            try (var all = Files.lines(out, StandardCharsets.UTF_8)) {
                lines = all.limit(sampleRows + 1L).toList();
            }
            double perRow = result.rowsOut() == 0 ? 0 : (double) Files.size(out) / result.rowsOut();
            return new Sample(lines, result, seconds, perRow);
        } finally {
            try (var paths = Files.walk(scratch)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private LambdaCostModel.Memory memory() {
        LambdaCostModel.Memory d = LambdaCostModel.Memory.templateDefaults();
        for (String name : memory.keySet()) {
            if (!List.of("ingest", "worker", "writer").contains(name) || memory.get(name) < 128 || memory.get(name) > 10240) {
                throw new PipelineCli.UsageException("--memory takes ingest, worker or writer = 128 to 10240 (MB), not "
                        + name + "=" + memory.get(name));
            }
        }
        return new LambdaCostModel.Memory(memory.getOrDefault("ingest", d.ingestMb()),
                memory.getOrDefault("worker", d.workerMb()), memory.getOrDefault("writer", d.writerMb()));
    }

    private LambdaCostModel.Prices prices() {
        LambdaCostModel.Prices p = LambdaCostModel.Prices.listed();
        List<String> names = List.of("arm64-gb-s", "x86-gb-s", "lambda-per-million", "sqs-per-million",
                "s3-writes-per-thousand", "s3-reads-per-thousand");
        for (Map.Entry<String, Double> e : price.entrySet()) {
            if (!names.contains(e.getKey()) || e.getValue() < 0) {
                throw new PipelineCli.UsageException("--price takes " + String.join(", ", names) + " = a price of 0 or"
                        + " more, not " + e.getKey() + "=" + e.getValue());
            }
        }
        return new LambdaCostModel.Prices(price.getOrDefault(names.get(0), p.arm64GbSecond()),
                price.getOrDefault(names.get(1), p.x86GbSecond()), price.getOrDefault(names.get(2), p.lambdaPerMillionRequests()),
                price.getOrDefault(names.get(3), p.sqsPerMillionRequests()), price.getOrDefault(names.get(4), p.s3WritesPerThousand()),
                price.getOrDefault(names.get(5), p.s3ReadsPerThousand()));
    }

    /** The first rows of a reader, then its end. */
    private static final class FirstRows implements RowReader {
        private final RowReader rows;
        private long left;

        FirstRows(RowReader rows, long limit) {
            this.rows = rows;
            this.left = limit;
        }

        @Override
        public boolean next() throws IOException {
            return left-- > 0 && rows.next();
        }

        @Override
        public Rejection readFeatures(java.nio.FloatBuffer tensor, int offset) {
            return rows.readFeatures(tensor, offset);
        }

        @Override
        public void readPassThrough(Object[] into) {
            rows.readPassThrough(into);
        }

        @Override
        public void close() throws IOException {
            rows.close();
        }
    }
}
