package dev.batchinference.results;

import dev.batchinference.format.OutputFormat;
import dev.batchinference.format.csv.CsvPredictionWriter;
import dev.batchinference.format.parquet.ObjectStoreOutputFile;
import dev.batchinference.format.parquet.ParquetMerge;
import dev.batchinference.inference.ChunkPredictor;
import dev.batchinference.job.ChunkResult;
import dev.batchinference.job.JobKeys;
import dev.batchinference.job.JobPlan;
import dev.batchinference.storage.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVPrinter;
import org.apache.commons.csv.CSVRecord;

/**
 * Writes a finished job's outputs from its chunk parts, in chunk order and bounded memory: the
 * predictions (CSV concatenated, Parquet merged by row groups) and the errors file. Writing them again
 * gives the same bytes, so a collation that died part-way is simply done over.
 */
final class JobOutputs {
    private final ObjectStore store;

    JobOutputs(ObjectStore store) {
        this.store = store;
    }

    /** Writes the predictions; returns their key. */
    String writePredictions(JobPlan plan, List<ChunkResult> chunks) {
        OutputFormat format = plan.layout().output();
        String outputKey = JobKeys.predictions(plan.input().key(), format);
        try {
            if (format == OutputFormat.PARQUET) {
                mergeParquet(plan, chunks, outputKey);
            } else {
                concatenateCsv(plan, chunks, outputKey);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return outputKey;
    }

    /**
     * CSV parts have no header: the output is the header, then the parts' bytes in chunk order. On S3 the
     * parts are copied server-side, so collation does not stream the predictions through the writer.
     */
    private void concatenateCsv(JobPlan plan, List<ChunkResult> chunks, String outputKey) throws IOException {
        List<String> header = plan.layout().mapping().outputHeader(plan.manifest().labels());
        store.concatenate(outputKey, line(header), chunks.stream()
                .map(chunk -> JobKeys.part(plan.jobId(), chunk.chunk(), OutputFormat.CSV)).toList());
    }

    /** Parquet parts are whole files: their row groups are copied, in chunk order, into one file. */
    private void mergeParquet(JobPlan plan, List<ChunkResult> chunks, String outputKey) throws IOException {
        try (ParquetMerge merge = new ParquetMerge(new ObjectStoreOutputFile(store, outputKey))) {
            for (ChunkResult chunk : chunks) {
                Path local = Files.createTempFile("part-" + chunk.chunk(), ".parquet");
                try {
                    try (InputStream part = store.read(JobKeys.part(plan.jobId(), chunk.chunk(), OutputFormat.PARQUET))) {
                        Files.copy(part, local, StandardCopyOption.REPLACE_EXISTING);
                    }
                    merge.append(local);
                } finally {
                    Files.deleteIfExists(local);
                }
            }
        }
    }

    /** Rejected rows of every chunk, renumbered from chunk-local to file-wide row numbers. */
    String writeErrors(JobPlan plan, List<ChunkResult> chunks) {
        String errorsKey = JobKeys.errors(plan.input().key());
        try (ObjectStore.AbortableOutputStream out = store.create(errorsKey);
             Writer writer = new OutputStreamWriter(out, StandardCharsets.UTF_8);
             CSVPrinter printer = new CSVPrinter(writer, CsvPredictionWriter.FORMAT)) {
            printer.printRecord(ChunkPredictor.ERROR_COLUMNS);
            long rowsBefore = 0;
            for (ChunkResult chunk : chunks) {
                if (chunk.rowsRejected() > 0) {
                    try (InputStream part = store.read(JobKeys.errorsPart(plan.jobId(), chunk.chunk()));
                         CSVParser parser = CSVParser.parse(new InputStreamReader(part, StandardCharsets.UTF_8),
                                 CsvPredictionWriter.FORMAT)) {
                        for (CSVRecord record : parser) {
                            printer.printRecord(rowsBefore + Long.parseLong(record.get(0)), record.get(1), record.get(2));
                        }
                    }
                }
                rowsBefore += chunk.rowsIn();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return errorsKey;
    }

    private static byte[] line(List<String> columns) throws IOException {
        StringBuilder line = new StringBuilder();
        try (CSVPrinter printer = new CSVPrinter(line, CsvPredictionWriter.FORMAT)) {
            printer.printRecord(columns);
        }
        return line.toString().getBytes(StandardCharsets.UTF_8);
    }
}
