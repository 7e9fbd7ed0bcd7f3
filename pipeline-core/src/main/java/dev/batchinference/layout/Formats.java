package dev.batchinference.layout;

import dev.batchinference.config.PipelineConfig.Limits;
import dev.batchinference.failure.FailureReason;
import dev.batchinference.failure.PipelineException;
import dev.batchinference.format.ByteBlock;
import dev.batchinference.format.ChunkLimits;
import dev.batchinference.format.ChunkRange;
import dev.batchinference.format.ColumnMapping;
import dev.batchinference.format.ColumnSelection;
import dev.batchinference.format.BoundedGzipInputStream;
import dev.batchinference.format.InputFormat;
import dev.batchinference.format.OutputCsv;
import dev.batchinference.format.OutputFormat;
import dev.batchinference.format.PredictionWriter;
import dev.batchinference.format.RowBlocks;
import dev.batchinference.format.RowReader;
import dev.batchinference.format.ResumePoint;
import dev.batchinference.format.ScanBudget;
import dev.batchinference.format.csv.CsvChunkPlanner;
import dev.batchinference.format.csv.CsvPredictionWriter;
import dev.batchinference.format.csv.CsvRowReader;
import dev.batchinference.format.parquet.ObjectStoreInputFile;
import dev.batchinference.format.parquet.ObjectStoreOutputFile;
import dev.batchinference.format.parquet.ParquetMerge;
import dev.batchinference.format.parquet.ParquetPlanner;
import dev.batchinference.format.parquet.ParquetPredictionWriter;
import dev.batchinference.format.parquet.ParquetRowReader;
import dev.batchinference.format.parquet.ParquetSupport;
import dev.batchinference.format.parquet.PredictionSchema;
import dev.batchinference.job.InputObject;
import dev.batchinference.job.JobKeys;
import dev.batchinference.job.JobPlan;
import dev.batchinference.job.JobPlan.Layout;
import dev.batchinference.storage.ObjectChangedException;
import dev.batchinference.storage.ObjectStore;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.apache.commons.csv.CSVPrinter;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;

/**
 * The one place that picks the CSV or the Parquet implementation: it plans an input, opens a chunk's rows
 * and the writer of its predictions, and collates a job's parts into its output, each for the format the
 * job's layout names. Everything else speaks through the ports of {@code format} ({@code RowReader},
 * {@code PredictionWriter}); a new format is a package beside {@code format.csv} and a case in each method here.
 */
public final class Formats {
    private static final int GZIP_BUFFER = 64 * 1024;
    private static final int WRITE_BUFFER = 1 << 16;
    /** Local files (predict, bench) are read as one chunk. */
    private static final ChunkLimits ONE_CHUNK = new ChunkLimits(Long.MAX_VALUE, Long.MAX_VALUE);

    private Formats() {
    }

    /**
     * An input as planning found it: its columns, the CSV delimiter ({@code ','} for Parquet), where its data
     * starts (after a CSV header), its chunks and rows, and its schema where the format has one (Parquet). A
     * CSV planning pass whose budget ran out holds the chunks and rows up to where the next pass resumes
     * ({@link #resumePoint()}).
     */
    public record PlannedInput(InputFormat format, List<String> columns, char delimiter, long dataStart,
                               List<ChunkRange> chunks, long rows, MessageType schema, ResumePoint resumePoint) {

        /** Whether the input is planned to its end. */
        public boolean complete() {
            return resumePoint == null;
        }

        /** The columns that feed a model and those that pass through, checked against the input's column types. */
        public ColumnMapping map(List<String> features, ColumnSelection selection) {
            ColumnMapping mapping = ColumnMapping.plan(columns, features, selection);
            if (schema != null) {
                ParquetPlanner.checkFeatureTypes(schema, mapping.featureColumnNames());
            }
            return mapping;
        }

        /**
         * How workers read this input and write its predictions: the mapping, the output format and, for
         * Parquet output, its compression and schema (pass-through columns keep their Parquet types).
         */
        public Layout layout(ColumnMapping mapping, OutputFormat output, String compression, List<String> labels) {
            String outputSchema = null;
            if (output == OutputFormat.PARQUET) {
                List<Type> passThroughTypes = schema == null ? null : mapping.passThroughColumnNames().stream()
                        .map(c -> ParquetPlanner.columnType(schema, c)).toList();
                outputSchema = PredictionSchema.of(mapping.outputHeader(labels), passThroughTypes,
                        mapping.passThroughColumns().length).toString();
            }
            return new Layout(format, columns, delimiter, mapping.featureColumnNames(), mapping.passThroughColumnNames(),
                    output, compression, outputSchema);
        }
    }

    /**
     * Plans a job's input object in one streaming pass. A gzip'd CSV cannot be read from the middle: it is
     * decompressed once here, and each chunk staged as an object of its own under the job.
     *
     * @param delimiter the deployment's CSV delimiter; null: by extension, else detected from the header
     */
    public static PlannedInput plan(ObjectStore store, String jobId, InputObject input, ChunkLimits limits,
                                    Limits safety, Character delimiter) {
        return plan(store, jobId, input, limits, safety, delimiter, null, ScanBudget.UNLIMITED);
    }

    /**
     * Plans a job's input from its start ({@code from} null) or from where an earlier pass stopped, until the input
     * ends or {@code budget} is spent at a chunk cut. A plain CSV resumes with a ranged read from the resume point. A
     * gzip'd CSV cannot be entered in the middle: it is inflated again from its start and the text before the resume
     * point skipped (inflating costs a fraction of scanning and staging), then planned and staged on from there.
     * A Parquet input is planned from its footer, in one pass whatever the budget.
     */
    public static PlannedInput plan(ObjectStore store, String jobId, InputObject input, ChunkLimits limits,
                                    Limits safety, Character delimiter, ResumePoint from, ScanBudget budget) {
        InputFormat format = InputFormat.of(input.key());
        if (format == InputFormat.PARQUET) {
            return planned(new ParquetPlanner(limits, safety.maxRowGroupBytes())
                    .plan(new ObjectStoreInputFile(store, input.key(), input.etag(), input.size())));
        }
        Character chosen = delimiter != null ? delimiter : InputFormat.delimiterImpliedBy(input.key());
        CsvChunkPlanner planner = new CsvChunkPlanner(limits, chosen, safety.maxRecordBytes(),
                format == InputFormat.CSV_GZIP ? safety.maxUncompressedBytes() : Long.MAX_VALUE);
        long start = format == InputFormat.CSV && from != null ? from.offset() : 0;
        try (InputStream in = from != null && start >= input.size() ? InputStream.nullInputStream()
                : store.read(input.key(), input.etag(), start, input.size())) {
            if (format == InputFormat.CSV) {
                return planned(format, planner.plan(in, null, from, budget));
            }
            StagedChunks stager = new StagedChunks(store, jobId, safety);
            try (InputStream unzipped = BoundedGzipInputStream.of(in, safety.maxUncompressedBytes(),
                    safety.maxCompressionRatio())) {
                if (from != null) {
                    skipInflated(unzipped, from.offset());
                }
                return planned(format, planner.plan(unzipped, stager, from, budget));
            } catch (RuntimeException | IOException e) {
                stager.abortOpen();
                throw e;
            }
        } catch (ObjectChangedException e) {
            throw new PipelineException(FailureReason.INPUT_CHANGED, "the input was overwritten while it was planned");
        } catch (IOException | UncheckedIOException e) {
            Throwable cause = e instanceof UncheckedIOException ? e.getCause() : e;
            if (format == InputFormat.CSV_GZIP && (cause instanceof ZipException || cause instanceof EOFException)) {
                throw new PipelineException(FailureReason.UNREADABLE_INPUT, "not a complete gzip file: "
                        + cause.getMessage());
            }
            throw e instanceof UncheckedIOException u ? u : new UncheckedIOException((IOException) e);
        }
    }

    /**
     * Reads past the first {@code bytes} of inflated text, in large reads (a gzip stream's own skip inflates 512 bytes
     * at a time); EOFException if the text is shorter, as a truncated file would be.
     */
    private static void skipInflated(InputStream unzipped, long bytes) throws IOException {
        byte[] buffer = new byte[GZIP_BUFFER];
        long left = bytes;
        while (left > 0) {
            int n = unzipped.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (n < 0) {
                throw new EOFException("the inflated text ends before byte " + bytes + ", where planning resumes");
            }
            left -= n;
        }
    }

    /** LIMIT_EXCEEDED if an input makes more chunks than a job may have ({@code Long.MAX_VALUE}: more, uncounted). */
    public static void checkChunkCount(long chunks, Limits safety) {
        if (chunks > safety.maxChunksPerJob()) {
            throw new PipelineException(FailureReason.LIMIT_EXCEEDED, "the input makes " + (chunks == Long.MAX_VALUE
                    ? "more than " + safety.maxChunksPerJob() : chunks) + " chunks, more than a job may have ("
                    + safety.maxChunksPerJob() + ", MAX_CHUNKS_PER_JOB); raise CHUNK_MAX_ROWS or CHUNK_MAX_BYTES, or split the input");
        }
    }

    /** Staged chunks of a gzip'd input; no more than a job may have, and none left half-written if planning fails. */
    private static final class StagedChunks implements CsvChunkPlanner.ChunkStager {
        private final ObjectStore store;
        private final String jobId;
        private final Limits safety;
        private ObjectStore.AbortableOutputStream open;

        StagedChunks(ObjectStore store, String jobId, Limits safety) {
            this.store = store;
            this.jobId = jobId;
            this.safety = safety;
        }

        @Override
        public ObjectStore.AbortableOutputStream open(int chunk) {
            open = null; // the one before was closed by the planner
            if (chunk >= safety.maxChunksPerJob()) {
                checkChunkCount(Long.MAX_VALUE, safety);
            }
            open = store.create(JobKeys.staged(jobId, chunk));
            return open;
        }

        @Override
        public String keyOf(int chunk) {
            return JobKeys.staged(jobId, chunk);
        }

        void abortOpen() {
            if (open != null) {
                open.abort();
            }
        }
    }

    /** Plans a local file as one chunk (offline prediction, benchmarks); {@code delimiter} as in {@link #plan}. */
    public static PlannedInput planFile(Path file, Character delimiter, long maxRecordBytes) throws IOException {
        InputFormat format = InputFormat.of(file.getFileName().toString());
        if (format == InputFormat.PARQUET) {
            return planned(new ParquetPlanner(ONE_CHUNK, Long.MAX_VALUE).plan(ParquetSupport.localFile(file)));
        }
        Character chosen = delimiter != null ? delimiter : InputFormat.delimiterImpliedBy(file.getFileName().toString());
        try (InputStream in = csvBytes(format, file)) {
            return planned(format, new CsvChunkPlanner(ONE_CHUNK, chosen, maxRecordBytes, Long.MAX_VALUE).plan(in));
        }
    }

    /**
     * Plans a local file into the chunks a job on it would make, with the deployment's limits (a dry run:
     * a gzip'd CSV's chunks are counted, not staged); LIMIT_EXCEEDED, SCHEMA_MISMATCH and the like as ingest.
     */
    public static PlannedInput planFile(Path file, ChunkLimits limits, Limits safety, Character delimiter) throws IOException {
        InputFormat format = InputFormat.of(file.getFileName().toString());
        PlannedInput planned;
        if (format == InputFormat.PARQUET) {
            planned = planned(new ParquetPlanner(limits, safety.maxRowGroupBytes()).plan(ParquetSupport.localFile(file)));
        } else {
            Character chosen = delimiter != null ? delimiter : InputFormat.delimiterImpliedBy(file.getFileName().toString());
            try (InputStream raw = Files.newInputStream(file);
                 InputStream in = format == InputFormat.CSV ? raw : BoundedGzipInputStream.of(raw,
                         safety.maxUncompressedBytes(), safety.maxCompressionRatio())) {
                planned = planned(format, new CsvChunkPlanner(limits, chosen, safety.maxRecordBytes(),
                        format == InputFormat.CSV_GZIP ? safety.maxUncompressedBytes() : Long.MAX_VALUE).plan(in));
            }
        }
        checkChunkCount(planned.chunks().size(), safety);
        return planned;
    }

    /** The rows of a whole local file that {@link #planFile} planned; may be opened again and again. */
    public static RowReader openFile(Path file, PlannedInput planned, ColumnMapping mapping) throws IOException {
        if (planned.format() == InputFormat.PARQUET) {
            return new ParquetRowReader(ParquetSupport.localFile(file), 0, Files.size(file), mapping);
        }
        InputStream in = csvBytes(planned.format(), file);
        in.skipNBytes(planned.dataStart());
        return new CsvRowReader(in, planned.delimiter(), mapping);
    }

    /** Only the chunk's rows: its byte range of the pinned input version, or the object ingest staged for it. */
    public static RowReader openChunk(ObjectStore store, JobPlan plan, ChunkRange chunk) throws IOException {
        Layout layout = plan.layout();
        InputObject input = plan.input();
        if (layout.format() == InputFormat.PARQUET) {
            return new ParquetRowReader(new ObjectStoreInputFile(store, input.key(), input.etag(), input.size()),
                    chunk.startByte(), chunk.endByte(), layout.mapping());
        }
        if (chunk.source() != null) {
            return new CsvRowReader(store.read(chunk.source()), layout.delimiter(), layout.mapping());
        }
        InputStream in = store.read(input.key(), input.etag(), chunk.startByte(), chunk.endByte());
        return new CsvRowReader(in, layout.delimiter(), layout.mapping(), chunk.endByte() - chunk.startByte());
    }

    /** A chunk's predictions part in the layout's output format; a CSV part has no header (collation writes it). */
    public static PredictionWriter openPart(Layout layout, Path file, List<String> labels) throws IOException {
        if (layout.output() == OutputFormat.PARQUET) {
            return new ParquetPredictionWriter(new LocalOutputFile(file), PredictionSchema.parse(layout.outputSchema()),
                    ParquetSupport.codec(layout.compression()));
        }
        return new CsvPredictionWriter(new BufferedOutputStream(Files.newOutputStream(file), WRITE_BUFFER), labels);
    }

    /** A whole predictions file in the layout's output format: a part, with its header for CSV. */
    public static PredictionWriter openOutputFile(Layout layout, Path file, List<String> labels) throws IOException {
        PredictionWriter writer = openPart(layout, file, labels);
        if (writer instanceof CsvPredictionWriter csv) {
            csv.writeHeader(layout.mapping().outputHeader(labels));
        }
        return writer;
    }

    /**
     * Writes a job's predictions from its chunks' parts, in chunk order and bounded memory. CSV parts have no
     * header: the output is the header, then the parts' bytes (on S3 copied server-side, so they do not pass
     * through this process). Parquet parts are whole files: their row groups are copied into one file.
     */
    public static void collate(ObjectStore store, JobPlan plan, List<Integer> chunks, String outputKey) {
        OutputFormat format = plan.layout().output();
        List<String> parts = chunks.stream().map(chunk -> JobKeys.part(plan.jobId(), chunk, format)).toList();
        try {
            if (format == OutputFormat.PARQUET) {
                mergeParquet(store, parts, outputKey);
            } else {
                List<String> header = plan.layout().mapping().outputHeader(plan.manifest().labels());
                store.concatenate(outputKey, OutputCsv.line(header), parts);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Writes one part object of predictions written in parts: a whole file of the output format holding the given
     * chunks. A CSV part is written as {@link #collate} writes one output, header first; a Parquet part holds one
     * chunk, whose part is copied by the store as it is, with no merge through this process.
     *
     * @return the part object written, its size and ETag as the store answered (no read of it: the writer may not)
     */
    public static ObjectStore.StoredObject collatePart(ObjectStore store, JobPlan plan, List<Integer> chunks,
                                                       String partKey) {
        OutputFormat format = plan.layout().output();
        List<String> parts = chunks.stream().map(chunk -> JobKeys.part(plan.jobId(), chunk, format)).toList();
        if (format == OutputFormat.PARQUET) {
            if (parts.size() != 1) {
                throw new IllegalArgumentException("a Parquet part object holds one chunk, not " + parts.size());
            }
            return store.copy(parts.get(0), partKey);
        }
        return store.concatenate(partKey, OutputCsv.line(plan.layout().mapping().outputHeader(plan.manifest().labels())),
                parts);
    }

    private static void mergeParquet(ObjectStore store, List<String> parts, String outputKey) throws IOException {
        try (ParquetMerge merge = new ParquetMerge(new ObjectStoreOutputFile(store, outputKey))) {
            for (String part : parts) {
                Path local = Files.createTempFile("part-", ".parquet");
                try {
                    try (InputStream in = store.read(part)) {
                        Files.copy(in, local, StandardCopyOption.REPLACE_EXISTING);
                    }
                    merge.append(local);
                } finally {
                    Files.deleteIfExists(local);
                }
            }
        }
    }

    /**
     * Loads the classes of the CSV path (the most common one) by reading a block of two records and encoding
     * an output row, to nowhere: for a worker's warm-up, off its first chunk's critical path.
     */
    public static void warmUp() {
        ColumnMapping mapping = ColumnMapping.of(List.of("id", "x"), List.of("x"), List.of("id"));
        byte[] csv = "a,1.5\nb,\"2\"\n".getBytes(StandardCharsets.UTF_8);
        FloatBuffer tensor = ByteBuffer.allocateDirect(Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
        Object[] passThrough = new Object[1];
        try (CsvRowReader csvRows = new CsvRowReader(new ByteArrayInputStream(csv), ',', mapping);
             PredictionWriter out = new CsvPredictionWriter(OutputStream.nullOutputStream(), List.of("no", "yes"));
             CSVPrinter rejects = new CSVPrinter(new StringBuilder(), OutputCsv.FORMAT)) {
            RowBlocks blocks = csvRows.blocks().orElseThrow();
            ByteBlock block = new ByteBlock(64);
            PredictionWriter encoder = out.encoderInto(OutputStream.nullOutputStream()).orElseThrow();
            while (blocks.fill(block)) {
                RowReader rows = blocks.rows(block);
                while (rows.next()) {
                    rows.readFeatures(tensor, 0);
                    rows.readPassThrough(passThrough);
                    encoder.write(passThrough, "yes", new float[] {0.25f, 0.75f}, 0);
                }
            }
            rejects.printRecord(OutputCsv.ERROR_COLUMNS);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static PlannedInput planned(ParquetPlanner.ParquetPlan parquet) {
        return new PlannedInput(InputFormat.PARQUET, parquet.columns(), ',', 0, parquet.chunks(), parquet.rows(),
                parquet.schema(), null);
    }

    private static PlannedInput planned(InputFormat format, CsvChunkPlanner.CsvPlan csv) {
        return new PlannedInput(format, csv.header(), csv.delimiter(), csv.dataStart(), csv.chunks(), csv.records(), null,
                csv.complete() ? null : csv.resumePoint());
    }

    private static InputStream csvBytes(InputFormat format, Path file) throws IOException {
        InputStream in = Files.newInputStream(file);
        return format == InputFormat.CSV_GZIP ? new GZIPInputStream(in, GZIP_BUFFER) : in;
    }
}
