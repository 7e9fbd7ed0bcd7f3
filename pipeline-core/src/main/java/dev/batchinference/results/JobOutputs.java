package dev.batchinference.results;

import dev.batchinference.format.OutputCsv;
import dev.batchinference.job.ChunkResult;
import dev.batchinference.job.JobKeys;
import dev.batchinference.job.JobPlan;
import dev.batchinference.layout.Formats;
import dev.batchinference.storage.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVPrinter;
import org.apache.commons.csv.CSVRecord;

/**
 * Writes a finished job's outputs from its chunk parts, in chunk order and bounded memory: the
 * predictions (CSV concatenated, Parquet merged by row groups) and the errors file. Writing them again
 * gives the same bytes, so a collation that died part-way is simply done over. A write that fails says which
 * output it was ({@link OutputWriteException}).
 */
final class JobOutputs {
    private final ObjectStore store;

    JobOutputs(ObjectStore store) {
        this.store = store;
    }

    /** Writes the predictions; returns their key. */
    String writePredictions(JobPlan plan, List<ChunkResult> chunks) {
        String outputKey = JobKeys.predictions(plan.input().key(), plan.layout().output());
        try {
            Formats.collate(store, plan, chunks.stream().map(ChunkResult::chunk).toList(), outputKey);
        } catch (RuntimeException e) {
            throw new OutputWriteException(outputKey, e);
        }
        return outputKey;
    }

    /** Rejected rows of every chunk, renumbered from chunk-local to file-wide row numbers. */
    String writeErrors(JobPlan plan, List<ChunkResult> chunks) {
        String errorsKey = JobKeys.errors(plan.input().key());
        try (ObjectStore.AbortableOutputStream out = store.create(errorsKey);
             Writer writer = new OutputStreamWriter(out, StandardCharsets.UTF_8);
             CSVPrinter printer = new CSVPrinter(writer, OutputCsv.FORMAT)) {
            printer.printRecord(OutputCsv.ERROR_COLUMNS);
            long rowsBefore = 0;
            for (ChunkResult chunk : chunks) {
                if (chunk.rowsRejected() > 0) {
                    try (InputStream part = store.read(JobKeys.errorsPart(plan.jobId(), chunk.chunk()));
                         CSVParser parser = CSVParser.parse(new InputStreamReader(part, StandardCharsets.UTF_8),
                                 OutputCsv.FORMAT)) {
                        for (CSVRecord record : parser) {
                            printer.printRecord(rowsBefore + Long.parseLong(record.get(0)), record.get(1), record.get(2));
                        }
                    }
                }
                rowsBefore += chunk.rowsIn();
            }
        } catch (IOException e) {
            throw new OutputWriteException(errorsKey, new UncheckedIOException(e));
        } catch (RuntimeException e) {
            throw new OutputWriteException(errorsKey, e);
        }
        return errorsKey;
    }
}
