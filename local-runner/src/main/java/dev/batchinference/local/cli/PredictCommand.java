package dev.batchinference.local.cli;

import dev.batchinference.config.PipelineConfig;
import dev.batchinference.failure.FailureReason;
import dev.batchinference.failure.PipelineException;
import dev.batchinference.format.ColumnMapping;
import dev.batchinference.format.ColumnSelection;
import dev.batchinference.format.InputFormat;
import dev.batchinference.format.OutputCsv;
import dev.batchinference.format.OutputFormat;
import dev.batchinference.format.PredictionWriter;
import dev.batchinference.format.RowReader;
import dev.batchinference.inference.ChunkPredictor;
import dev.batchinference.job.ChunkResult;
import dev.batchinference.job.JobPlan;
import dev.batchinference.layout.Formats;
import dev.batchinference.model.ModelStore;
import dev.batchinference.model.OnnxModel;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import org.apache.commons.csv.CSVPrinter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The worker's path in one process, no queues: a local CSV, gzip'd CSV or Parquet file in, predictions out. */
@Command(name = "predict", mixinStandardHelpOptions = true,
        description = "Predict a local file (.csv, .tsv, .csv.gz, .parquet) with a model, in this process "
                + "(no S3, no queues). --out ending in .parquet writes Parquet, anything else CSV.")
final class PredictCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "FILE", description = "input file with a header row (CSV) or a schema (Parquet)")
    Path file;

    @Option(names = "--model", required = true, paramLabel = "NAME_OR_DIR",
            description = "a folder with manifest.json and the ONNX file, or a model name in --models")
    String model;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "where to write the predictions")
    Path out;

    @Option(names = "--models", paramLabel = "DIR", description = "folder of model folders (default: samples/models)")
    Path modelsDir;

    @Option(names = "--batch-rows", paramLabel = "N", description = "rows per ONNX Runtime call (default: ${DEFAULT-VALUE})")
    int batchRows = PipelineConfig.DEFAULT_INFERENCE_BATCH_ROWS;

    @Option(names = "--delimiter", paramLabel = "CHAR", description = "CSV delimiter (default: by extension, else detected)")
    Character delimiter;

    @Option(names = "--compression", paramLabel = "CODEC", description = "Parquet output: snappy, zstd, gzip, none")
    String compression = "snappy";

    @Override
    public Integer call() throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new PipelineCli.UsageException("no such file: " + file);
        }
        InputFormat.of(file.getFileName().toString()); // an unreadable kind of file fails before the model loads
        Path dir = PipelineCli.modelDir(model, modelsDir != null ? modelsDir : PipelineCli.home().resolve("samples/models"));
        ModelStore.LocalModel local = ModelStore.readLocal(dir);
        local.verifiedRef();
        List<String> labels = local.manifest().labels();
        long started = System.nanoTime();
        Path errors = errorsFileFor(out);
        Path outDir = out.toAbsolutePath().getParent();
        Files.createDirectories(outDir);

        // ONNX Runtime's start (its native libraries, the environment, the session: a few hundred ms in a fresh
        // process) overlaps planning the file, which reads it once through; nothing depends on the other
        ChunkResult result;
        Formats.PlannedInput planned;
        try (ModelLoad loading = ModelLoad.start(local)) {
            planned = Formats.planFile(file, delimiter, PipelineConfig.Limits.DEFAULT_MAX_RECORD_BYTES);
            ColumnMapping mapping = planned.map(local.manifest().features(), ColumnSelection.defaults());
            OutputFormat output = out.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".parquet")
                    ? OutputFormat.PARQUET : OutputFormat.CSV;
            JobPlan.Layout layout = planned.layout(mapping, output, compression, labels);
            result = predict(loading.model(), planned, mapping, layout, labels, errors);
        }
        report(planned, result, errors, started);
        return 0;
    }

    private ChunkResult predict(OnnxModel onnx, Formats.PlannedInput planned, ColumnMapping mapping,
            JobPlan.Layout layout, List<String> labels, Path errors) throws IOException {
        ChunkResult result;
        try (RowReader rows = Formats.openFile(file, planned, mapping);
             PredictionWriter predictions = Formats.openOutputFile(layout, out, labels);
             Writer rejected = Files.newBufferedWriter(errors, StandardCharsets.UTF_8);
             CSVPrinter rejects = new CSVPrinter(rejected, OutputCsv.FORMAT)) {
            rejects.printRecord(OutputCsv.ERROR_COLUMNS);
            result = new ChunkPredictor(onnx, mapping.passThroughColumns().length, batchRows)
                    .predict(0, rows, predictions, rejects);
        }
        return result;
    }

    private void report(Formats.PlannedInput planned, ChunkResult result, Path errors, long started) throws IOException {
        if (result.rowsIn() != planned.rows() || result.rowsIn() != result.rowsOut() + result.rowsRejected()) {
            // the same check a job makes before writing its outputs
            throw new PipelineException(FailureReason.ROWS_UNACCOUNTED, "the rows do not add up: counted " + planned.rows()
                    + ", read " + result.rowsIn() + ", predicted " + result.rowsOut() + " + rejected " + result.rowsRejected()
                    + "; the predictions in " + out + " are incomplete");
        }
        if (result.rowsRejected() == 0) {
            Files.delete(errors);
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        System.err.printf("%s: %,d rows in, %,d predicted, %,d rejected%s; %.2f s, %,.0f rows/s%n",
                file.getFileName(), result.rowsIn(), result.rowsOut(), result.rowsRejected(),
                result.rowsRejected() > 0 ? " (see " + errors + ")" : "", seconds, result.rowsIn() / Math.max(seconds, 1e-9));
        System.err.printf("time: parse %,d ms, inference %,d ms, write %,d ms%n", result.parseMs(), result.inferMs(),
                result.writeMs());
        System.err.println("predictions: " + out);
    }

    /** The model's ONNX Runtime session, created on a thread of its own; closed with this, whenever it is ready. */
    private static final class ModelLoad implements AutoCloseable {
        private final FutureTask<OnnxModel> task;

        private ModelLoad(FutureTask<OnnxModel> task) {
            this.task = task;
        }

        static ModelLoad start(ModelStore.LocalModel local) {
            FutureTask<OnnxModel> task = new FutureTask<>(() -> OnnxModel.load(local.onnxFile(), local.manifest()));
            Thread thread = new Thread(task, "model-load");
            thread.setDaemon(true);
            thread.start();
            return new ModelLoad(task);
        }

        /** The session; what went wrong creating it (an invalid model: MODEL_INVALID) is thrown here as it was there. */
        OnnxModel model() {
            boolean interrupted = false;
            try {
                while (true) {
                    try {
                        return task.get();
                    } catch (InterruptedException e) {
                        interrupted = true; // the session is being created either way: wait, then keep the interrupt
                    }
                }
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RuntimeException runtime) {
                    throw runtime;
                }
                if (e.getCause() instanceof Error error) {
                    throw error;
                }
                throw new IllegalStateException("the model could not be loaded", e.getCause());
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        @Override
        public void close() {
            try {
                model().close();
            } catch (RuntimeException | Error e) {
                // no session was created, so there is none to close; the failure, if it matters, was thrown by model()
            }
        }
    }

    static Path errorsFileFor(Path predictions) {
        String name = predictions.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String stem = dot > 0 ? name.substring(0, dot) : name;
        return predictions.resolveSibling(stem + ".errors.csv");
    }
}
