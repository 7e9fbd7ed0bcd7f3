package dev.batchinference.results;

import dev.batchinference.config.PipelineConfig.Limits;
import dev.batchinference.format.OutputCsv;
import dev.batchinference.format.OutputFormat;
import dev.batchinference.job.ChunkResult;
import dev.batchinference.job.JobKeys;
import dev.batchinference.job.JobPlan;
import dev.batchinference.job.OutputManifest;
import dev.batchinference.json.JsonCodec;
import dev.batchinference.layout.Formats;
import dev.batchinference.storage.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVPrinter;
import org.apache.commons.csv.CSVRecord;

/**
 * Writes a finished job's outputs from its chunk parts, in chunk order and bounded memory: the
 * predictions (CSV concatenated, Parquet merged by row groups) and the errors file. Writing them again
 * gives the same bytes, so a collation that died part-way is simply done over. A write that fails says which
 * output it was ({@link OutputWriteException}).
 *
 * <p>Predictions that one object cannot hold are written as part objects of consecutive chunks, then a manifest
 * listing them in order ({@link OutputManifest}): CSV past {@code MAX_OUTPUT_PARTS} multipart parts (S3 takes
 * 10,000), Parquet past {@code PARQUET_MERGE_MAX_BYTES} (what one writer merges within an invocation). Which parts
 * there are follows from the chunks and the limits alone, so a collation done over after a crash writes the same
 * keys again, and the manifest, written after all of them, lists exactly the parts it wrote.
 */
final class JobOutputs {
    private final ObjectStore store;
    private final Limits limits;

    JobOutputs(ObjectStore store, Limits limits) {
        this.store = store;
        this.limits = limits;
    }

    /** Where the predictions went: one object's key ({@code parts} null), or the manifest's and how many parts it lists. */
    record Predictions(String key, Integer parts) {
    }

    /** Writes the predictions: one object, or part objects and their manifest. */
    Predictions writePredictions(JobPlan plan, List<ChunkResult> chunks) {
        OutputFormat format = plan.layout().output();
        List<List<ChunkResult>> split = split(format, chunks, format == OutputFormat.PARQUET ? partBytes(plan) : 0,
                limits);
        if (split == null) {
            String outputKey = JobKeys.predictions(plan.input().key(), format);
            try {
                Formats.collate(store, plan, indexes(chunks), outputKey);
            } catch (RuntimeException e) {
                throw new OutputWriteException(outputKey, e);
            }
            return new Predictions(outputKey, null);
        }
        List<OutputManifest.Part> parts = new ArrayList<>();
        for (List<ChunkResult> group : split) {
            String partKey = JobKeys.predictionsPart(plan.input().key(), parts.size(), format);
            try {
                ObjectStore.StoredObject written = Formats.collatePart(store, plan, indexes(group), partKey);
                parts.add(new OutputManifest.Part(partKey, group.get(0).chunk(), group.get(group.size() - 1).chunk(),
                        group.stream().mapToLong(ChunkResult::rowsOut).sum(), written.size(), written.etag()));
            } catch (RuntimeException e) {
                throw new OutputWriteException(partKey, e);
            }
        }
        String manifestKey = JobKeys.predictionsManifest(plan.input().key());
        OutputManifest manifest = new OutputManifest(plan.jobId(), format.name().toLowerCase(Locale.ROOT),
                plan.layout().mapping().outputHeader(plan.manifest().labels()),
                format == OutputFormat.PARQUET ? plan.layout().outputSchema() : null,
                parts.stream().mapToLong(OutputManifest.Part::rows).sum(),
                parts.stream().mapToLong(OutputManifest.Part::bytes).sum(), parts);
        try {
            store.write(manifestKey, JsonCodec.writePretty(manifest));
        } catch (RuntimeException e) {
            throw new OutputWriteException(manifestKey, e);
        }
        return new Predictions(manifestKey, parts.size());
    }

    /**
     * How the predictions are split: null for one object, else the chunks of each part object, in order. A CSV
     * output is one multipart upload with at most one part per chunk and one more (the header, with the bytes
     * that top it up to S3's 5 MiB minimum), so one object holds up to {@code maxOutputParts - 1} chunks; past that,
     * the chunks are spread evenly over as few part objects as hold them. A Parquet output goes through one writer:
     * past {@code parquetMergeMaxBytes} of parts, each chunk's part becomes a part object as it is, copied by the
     * store without a merge.
     */
    static List<List<ChunkResult>> split(OutputFormat format, List<ChunkResult> chunks, long partBytes, Limits limits) {
        if (format == OutputFormat.PARQUET) {
            return partBytes <= limits.parquetMergeMaxBytes() ? null : chunks.stream().map(List::of).toList();
        }
        int perObject = limits.maxOutputParts() - 1;
        if (chunks.size() <= perObject) {
            return null;
        }
        int objects = (chunks.size() + perObject - 1) / perObject;
        List<List<ChunkResult>> split = new ArrayList<>();
        for (int i = 0; i < objects; i++) {
            split.add(chunks.subList((int) ((long) chunks.size() * i / objects),
                    (int) ((long) chunks.size() * (i + 1) / objects)));
        }
        return split;
    }

    /** The sizes of the job's Parquet parts, summed, from one listing of its parts (a page per 1,000). */
    private long partBytes(JobPlan plan) {
        String prefix = JobKeys.part(plan.jobId(), 0, OutputFormat.PARQUET);
        prefix = prefix.substring(0, prefix.lastIndexOf('/') + 1);
        String extension = OutputFormat.PARQUET.extension();
        return store.listObjects(prefix).stream().filter(o -> o.key().endsWith(extension))
                .mapToLong(ObjectStore.StoredObject::size).sum();
    }

    private static List<Integer> indexes(List<ChunkResult> chunks) {
        return chunks.stream().map(ChunkResult::chunk).toList();
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
