package dev.batchinference.local.cli;

import dev.batchinference.config.PipelineConfig;
import dev.batchinference.format.ColumnMapping;
import dev.batchinference.format.CsvChunkPlanner;
import dev.batchinference.inference.ChunkPredictor;
import dev.batchinference.job.ChunkResult;
import dev.batchinference.model.ModelStore;
import dev.batchinference.model.OnnxModel;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.apache.commons.csv.CSVPrinter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The worker's path in one process, no queues: a local CSV file in, predictions out. */
@Command(name = "predict", mixinStandardHelpOptions = true,
        description = "Predict a local CSV file with a model, in this process (no S3, no queues).")
final class PredictCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "FILE", description = "CSV file with a header row")
    Path file;

    @Option(names = "--model", required = true, paramLabel = "NAME_OR_DIR",
            description = "a folder with manifest.json and the ONNX file, or a model name in --models")
    String model;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "where to write the predictions CSV")
    Path out;

    @Option(names = "--models", paramLabel = "DIR", description = "folder of model folders (default: samples/models)")
    Path modelsDir;

    @Option(names = "--batch-rows", paramLabel = "N", description = "rows per ONNX Runtime call (default: ${DEFAULT-VALUE})")
    int batchRows = PipelineConfig.DEFAULT_INFERENCE_BATCH_ROWS;

    @Override
    public Integer call() throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new PipelineCli.UsageException("no such file: " + file);
        }
        Path dir = PipelineCli.modelDir(model, modelsDir != null ? modelsDir : PipelineCli.home().resolve("samples/models"));
        ModelStore.LocalModel local = ModelStore.readLocal(dir);
        local.verifiedRef();
        long started = System.nanoTime();

        CsvChunkPlanner.CsvPlan plan;
        try (InputStream in = Files.newInputStream(file)) {
            plan = new CsvChunkPlanner(new PipelineConfig.ChunkLimits(Long.MAX_VALUE, Long.MAX_VALUE), ',').plan(in);
        }
        ColumnMapping mapping = ColumnMapping.of(plan.header(), local.manifest().features());
        Path errors = errorsFileFor(out);
        Path outDir = out.toAbsolutePath().getParent();
        Files.createDirectories(outDir);
        ChunkResult result;
        try (OnnxModel onnx = OnnxModel.load(local.onnxFile(), local.manifest());
             InputStream in = Files.newInputStream(file);
             Writer predictions = new BufferedWriter(Files.newBufferedWriter(out, StandardCharsets.UTF_8), 1 << 16);
             Writer rejected = Files.newBufferedWriter(errors, StandardCharsets.UTF_8)) {
            in.skipNBytes(plan.dataStart());
            new CSVPrinter(predictions, ChunkPredictor.outputFormat()).printRecord(mapping.outputHeader(local.manifest().labels()));
            new CSVPrinter(rejected, ChunkPredictor.outputFormat()).printRecord(ChunkPredictor.ERROR_COLUMNS);
            result = new ChunkPredictor(onnx, mapping, ',', batchRows).predict(0, in, predictions, rejected);
        }
        if (result.rowsRejected() == 0) {
            Files.delete(errors);
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        System.err.printf("%s: %,d rows in, %,d predicted, %,d rejected%s; %.2f s, %,.0f rows/s%n",
                file.getFileName(), result.rowsIn(), result.rowsOut(), result.rowsRejected(),
                result.rowsRejected() > 0 ? " (see " + errors + ")" : "", seconds, result.rowsIn() / Math.max(seconds, 1e-9));
        System.err.println("predictions: " + out);
        return 0;
    }

    static Path errorsFileFor(Path predictions) {
        String name = predictions.getFileName().toString();
        String stem = name.toLowerCase(java.util.Locale.ROOT).endsWith(".csv") ? name.substring(0, name.length() - 4) : name;
        return predictions.resolveSibling(stem + ".errors.csv");
    }
}
