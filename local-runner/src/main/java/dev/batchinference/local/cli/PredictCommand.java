package dev.batchinference.local.cli;

import dev.batchinference.config.PipelineConfig;
import dev.batchinference.format.ChunkLimits;
import dev.batchinference.format.ColumnMapping;
import dev.batchinference.format.ColumnSelection;
import dev.batchinference.format.InputFormat;
import dev.batchinference.format.PredictionWriter;
import dev.batchinference.format.RowReader;
import dev.batchinference.format.csv.CsvChunkPlanner;
import dev.batchinference.format.csv.CsvPredictionWriter;
import dev.batchinference.format.csv.CsvRowReader;
import dev.batchinference.format.parquet.ParquetPlanner;
import dev.batchinference.format.parquet.ParquetPredictionWriter;
import dev.batchinference.format.parquet.ParquetRowReader;
import dev.batchinference.format.parquet.ParquetSupport;
import dev.batchinference.format.parquet.PredictionSchema;
import dev.batchinference.inference.ChunkPredictor;
import dev.batchinference.job.ChunkResult;
import dev.batchinference.model.ModelStore;
import dev.batchinference.model.OnnxModel;
import java.io.IOException;
import java.io.InputStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.zip.GZIPInputStream;
import org.apache.commons.csv.CSVPrinter;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;
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

    private static final ChunkLimits ONE_CHUNK = new ChunkLimits(Long.MAX_VALUE, Long.MAX_VALUE);

    @Override
    public Integer call() throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new PipelineCli.UsageException("no such file: " + file);
        }
        InputFormat format = InputFormat.of(file.getFileName().toString());
        Path dir = PipelineCli.modelDir(model, modelsDir != null ? modelsDir : PipelineCli.home().resolve("samples/models"));
        ModelStore.LocalModel local = ModelStore.readLocal(dir);
        local.verifiedRef();
        List<String> labels = local.manifest().labels();
        long started = System.nanoTime();
        Path errors = errorsFileFor(out);
        Path outDir = out.toAbsolutePath().getParent();
        Files.createDirectories(outDir);

        ChunkResult result;
        try (OnnxModel onnx = OnnxModel.load(local.onnxFile(), local.manifest());
             Input input = open(format, local.manifest().features());
             PredictionWriter predictions = writer(input, labels);
             Writer rejected = Files.newBufferedWriter(errors, StandardCharsets.UTF_8);
             CSVPrinter rejects = new CSVPrinter(rejected, CsvPredictionWriter.FORMAT)) {
            rejects.printRecord(ChunkPredictor.ERROR_COLUMNS);
            result = new ChunkPredictor(onnx, input.mapping.passThroughColumns().length, batchRows)
                    .predict(0, input.rows, predictions, rejects);
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
        return 0;
    }

    /** The rows to predict and how their columns map to the model. */
    private record Input(RowReader rows, ColumnMapping mapping, List<Type> passThroughTypes) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            rows.close();
        }
    }

    private Input open(InputFormat format, List<String> features) throws IOException {
        if (format == InputFormat.PARQUET) {
            LocalInputFile parquet = new LocalInputFile(file);
            ParquetPlanner.ParquetPlan plan = new ParquetPlanner(ONE_CHUNK, Long.MAX_VALUE).plan(parquet);
            ColumnMapping mapping = ColumnMapping.plan(plan.columns(), features, ColumnSelection.defaults());
            ParquetPlanner.checkFeatureTypes(plan.schema(), mapping.featureColumnNames());
            List<Type> types = mapping.passThroughColumnNames().stream()
                    .map(c -> ParquetPlanner.columnType(plan.schema(), c)).toList();
            return new Input(new ParquetRowReader(parquet, 0, Files.size(file), mapping), mapping, types);
        }
        Character chosen = delimiter != null ? delimiter : InputFormat.delimiterImpliedBy(file.getFileName().toString());
        CsvChunkPlanner.CsvPlan plan;
        try (InputStream in = csvBytes(format)) {
            plan = new CsvChunkPlanner(ONE_CHUNK, chosen, PipelineConfig.Limits.DEFAULT_MAX_RECORD_BYTES, Long.MAX_VALUE)
                    .plan(in);
        }
        ColumnMapping mapping = ColumnMapping.plan(plan.header(), features, ColumnSelection.defaults());
        InputStream in = csvBytes(format);
        in.skipNBytes(plan.dataStart());
        return new Input(new CsvRowReader(in, plan.delimiter(), mapping), mapping, null);
    }

    private InputStream csvBytes(InputFormat format) throws IOException {
        InputStream in = Files.newInputStream(file);
        return format == InputFormat.CSV_GZIP ? new GZIPInputStream(in, 64 * 1024) : in;
    }

    private PredictionWriter writer(Input input, List<String> labels) throws IOException {
        List<String> header = input.mapping.outputHeader(labels);
        if (out.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".parquet")) {
            MessageType schema = PredictionSchema.of(header, input.passThroughTypes, input.mapping.passThroughColumns().length);
            return new ParquetPredictionWriter(new LocalOutputFile(out), schema, ParquetSupport.codec(compression));
        }
        CsvPredictionWriter writer = new CsvPredictionWriter(
                new java.io.BufferedOutputStream(Files.newOutputStream(out), 1 << 16), labels);
        writer.writeHeader(header);
        return writer;
    }

    static Path errorsFileFor(Path predictions) {
        String name = predictions.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String stem = dot > 0 ? name.substring(0, dot) : name;
        return predictions.resolveSibling(stem + ".errors.csv");
    }
}
