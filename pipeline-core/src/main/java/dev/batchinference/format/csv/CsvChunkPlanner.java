package dev.batchinference.format.csv;

import dev.batchinference.failure.FailureReason;
import dev.batchinference.failure.PipelineException;
import dev.batchinference.format.ChunkLimits;
import dev.batchinference.format.ChunkRange;
import dev.batchinference.format.ResumePoint;
import dev.batchinference.format.ScanBudget;
import dev.batchinference.storage.ObjectStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a CSV stream into chunks of whole records in one pass and constant memory: it reads the
 * header, then cuts at the first record boundary after a chunk reaches its row or byte limit, and counts
 * each chunk's records (the count the workers are held to). Chunks are byte ranges of the input, or, given
 * a {@link ChunkStager}, copies written out as they are cut (how a gzip'd file, which cannot be read by
 * range, is split). Records end where {@link CsvRecordScanner} says, the same rule the readers follow;
 * blank lines are neither counted nor cut at, and staged copies leave them out.
 *
 * <p>A pass may stop at a chunk cut once its {@link ScanBudget} is spent, and a later pass resume there from a
 * {@link ResumePoint}: the scanner's state at a record boundary is its state at the start of a file, so the
 * passes together cut exactly the chunks one pass would.
 */
public final class CsvChunkPlanner {
    private static final byte[] UTF8_BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
    private static final char[] CANDIDATE_DELIMITERS = {',', ';', '\t'};

    private final ChunkLimits limits;
    private final Character delimiter;
    private final long maxRecordBytes;
    private final long maxTotalBytes;

    /**
     * @param delimiter the delimiter, or null to detect it from the header row
     * @param maxRecordBytes the longest record (header included) accepted: a longer one ends the job
     * @param maxTotalBytes the most bytes read in all (what a gzip'd input may expand to)
     */
    public CsvChunkPlanner(ChunkLimits limits, Character delimiter, long maxRecordBytes, long maxTotalBytes) {
        this.limits = limits;
        this.delimiter = delimiter;
        this.maxRecordBytes = maxRecordBytes;
        this.maxTotalBytes = maxTotalBytes;
    }

    /** Where staged chunks go: a stream per chunk, which becomes the object when closed. */
    public interface ChunkStager {
        ObjectStore.AbortableOutputStream open(int chunk);

        String keyOf(int chunk);
    }

    /**
     * The header's column names, the delimiter, where the data starts, and the chunks after the header with
     * their record counts; always at least one chunk. {@code records} counts every data record. A pass that
     * stopped when its budget was spent says where to resume ({@code resumeAt}, a record boundary; -1 when the
     * input is planned to its end), and its chunks and records are those up to there.
     */
    public record CsvPlan(List<String> header, char delimiter, long dataStart, List<ChunkRange> chunks, long records,
                          long resumeAt) {

        public boolean complete() {
            return resumeAt < 0;
        }

        /** Where the next pass resumes this one. */
        public ResumePoint resumePoint() {
            if (complete()) {
                throw new IllegalStateException("the input is planned to its end");
            }
            return new ResumePoint(header, delimiter, dataStart, resumeAt, records, chunks);
        }
    }

    /** Plans chunks as byte ranges of the input. */
    public CsvPlan plan(InputStream input) {
        return plan(input, null);
    }

    /** Plans chunks; with a stager, each chunk's records are also copied out to its own object. */
    public CsvPlan plan(InputStream input, ChunkStager stager) {
        return plan(input, stager, null, ScanBudget.UNLIMITED);
    }

    /**
     * Plans chunks from the start of the input ({@code from} null) or from where an earlier pass stopped
     * ({@code input} then begins at {@code from.offset()}), stopping at the first chunk cut after {@code budget}
     * is spent.
     */
    public CsvPlan plan(InputStream input, ChunkStager stager, ResumePoint from, ScanBudget budget) {
        char[] delimiters = from != null ? new char[] {from.delimiter()}
                : delimiter != null ? new char[] {delimiter} : CANDIDATE_DELIMITERS;
        try (Input in = new Input(input, new CsvRecordScanner(delimiters))) {
            Header header;
            long dataStart;
            List<ChunkRange> chunks = new ArrayList<>();
            Chunking chunking;
            if (from == null) {
                header = readHeader(in);
                dataStart = in.position();
                chunking = new Chunking(in, stager, chunks, dataStart, 0, budget);
            } else {
                in.resumeAt(from.offset(), from.records());
                header = new Header(from.columns(), from.delimiter(), false);
                dataStart = from.dataStart();
                chunks.addAll(from.chunks());
                chunking = new Chunking(in, stager, chunks, from.offset(), from.records(), budget);
            }
            chunking.begin();
            if (!header.endsInput()) {
                readRecords(in, chunking);
            }
            if (chunking.stoppedAt >= 0) {
                return new CsvPlan(header.columns(), header.delimiter(), dataStart, chunks, chunking.records,
                        chunking.stoppedAt);
            }
            chunking.finish();
            return new CsvPlan(header.columns(), header.delimiter(), dataStart, chunks, chunking.records, -1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The header's columns and delimiter, and whether the header (without a line break) is all the input holds. */
    private record Header(List<String> columns, char delimiter, boolean endsInput) {
    }

    /** Reads the first record that is not a blank line: the header. */
    private Header readHeader(Input in) throws IOException {
        CsvRecordScanner records = in.scanner;
        ByteArrayOutputStream headerBytes = new ByteArrayOutputStream();
        in.copyTo(headerBytes);
        long headerEnd;
        while ((headerEnd = in.nextRecordEnd()) >= 0 && records.lastRecordLength() == 0) {
            // blank lines before the header are not records either
        }
        if (headerEnd < 0 && records.currentRecordLength() == 0) {
            throw new PipelineException(FailureReason.EMPTY_INPUT, records.position() == 0
                    ? "the file is empty: expected a header row" : "the file holds only blank lines: expected a header row");
        }
        if (records.inQuotedField()) {
            throw new PipelineException(FailureReason.UNREADABLE_INPUT, "the header row has a quote that is never closed");
        }
        in.copyTo(null);
        in.readingHeader = false;
        byte[] header = headerBytes.toByteArray();
        int length = header.length > 0 && CsvRecordScanner.isLineBreak(header[header.length - 1])
                ? header.length - 1 : header.length;
        String text = CsvHeader.text(header, length); // refuses a header that is not UTF-8 text
        char chosen = delimiter != null ? delimiter : detectDelimiter(text);
        List<String> columns = CsvHeader.parse(header, length, chosen);
        records.useDelimiter(chosen);
        return new Header(columns, chosen, headerEnd < 0);
    }

    /** Counts and cuts the data records; blank lines are neither. */
    private static void readRecords(Input in, Chunking chunking) throws IOException {
        CsvRecordScanner records = in.scanner;
        long end;
        while ((end = in.nextRecordEnd()) >= 0) {
            if (records.lastRecordLength() > 0) {
                chunking.recordEndedAt(end);
                if (chunking.stoppedAt >= 0) {
                    return; // the budget is spent: the next pass resumes at this cut
                }
            }
        }
        if (records.inQuotedField()) {
            throw new PipelineException(FailureReason.UNREADABLE_INPUT, "record " + (chunking.records + 1)
                    + " (from byte " + in.offset(records.currentRecordStart()) + ") opens a quoted field at byte "
                    + in.offset(records.quoteOpenedAt()) + " that is never closed: the rest of the file would be one field");
        }
        if (records.currentRecordLength() > 0) {
            chunking.recordEndedAt(in.position()); // a last record without a line break still counts
        }
    }

    /** Cuts chunks at record ends, counts their records, and writes staged copies when there is a stager. */
    private final class Chunking {
        private final Input in;
        private final ChunkStager stager;
        private final List<ChunkRange> chunks;
        private final ScanBudget budget;
        private final long passStart;
        private long chunkStart;
        private long rowsInChunk;
        private long records;
        private CountingOutput staged;
        /** Where the pass stopped because its budget was spent; -1 while it goes on. */
        long stoppedAt = -1;

        Chunking(Input in, ChunkStager stager, List<ChunkRange> chunks, long start, long records, ScanBudget budget) {
            this.in = in;
            this.stager = stager;
            this.chunks = chunks;
            this.chunkStart = start;
            this.passStart = start;
            this.records = records;
            this.budget = budget;
        }

        void begin() {
            if (stager != null) {
                staged = new CountingOutput(stager.open(chunks.size()));
                in.copyTo(staged);
            }
        }

        void recordEndedAt(long end) throws IOException {
            records++;
            rowsInChunk++;
            if (rowsInChunk >= limits.maxRows() || end - chunkStart >= limits.maxBytes()) {
                cut(end);
                if (budget.spent(end - passStart)) {
                    stoppedAt = end; // every chunk so far is whole (and staged): nothing is open to carry over
                } else {
                    begin();
                }
            }
        }

        void finish() throws IOException {
            if (rowsInChunk > 0 || chunks.isEmpty()) {
                cut(in.position());
            } else if (staged != null) {
                // only blank lines (or nothing) since the last cut: no chunk of their own
                in.copyTo(null);
                staged.target.abort();
            } else {
                ChunkRange last = chunks.remove(chunks.size() - 1);
                chunks.add(new ChunkRange(last.index(), last.startByte(), in.position(), last.rows()));
            }
        }

        private void cut(long end) throws IOException {
            if (stager != null) {
                in.copyTo(null);
                staged.close();
                chunks.add(new ChunkRange(chunks.size(), 0, staged.count, stager.keyOf(chunks.size()), rowsInChunk));
            } else {
                chunks.add(new ChunkRange(chunks.size(), chunkStart, end, rowsInChunk));
            }
            chunkStart = end;
            rowsInChunk = 0;
        }
    }

    /** A staged chunk's stream, counting what is written to it. */
    private static final class CountingOutput extends OutputStream {
        final ObjectStore.AbortableOutputStream target;
        long count;

        CountingOutput(ObjectStore.AbortableOutputStream target) {
            this.target = target;
        }

        @Override
        public void write(int b) throws IOException {
            target.write(b);
            count++;
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            target.write(bytes, offset, length);
            count += length;
        }

        @Override
        public void close() throws IOException {
            target.close();
        }
    }

    /** The candidate that occurs most often outside quotes in the header; a comma when none does. */
    static char detectDelimiter(String headerText) {
        int[] counts = new int[CANDIDATE_DELIMITERS.length];
        boolean quoted = false;
        for (int i = 0; i < headerText.length(); i++) {
            char c = headerText.charAt(i);
            if (c == '"') {
                quoted = !quoted;
            } else if (!quoted) {
                for (int d = 0; d < CANDIDATE_DELIMITERS.length; d++) {
                    if (c == CANDIDATE_DELIMITERS[d]) {
                        counts[d]++;
                    }
                }
            }
        }
        int best = 0;
        for (int d = 1; d < counts.length; d++) {
            if (counts[d] > counts[best]) {
                best = d;
            }
        }
        return CANDIDATE_DELIMITERS[best];
    }

    /**
     * The input read in blocks and handed to the record scanner, with the limits checked as it goes; can copy
     * what it reads. Blank lines are never copied, so staged chunks hold records only.
     */
    private final class Input implements AutoCloseable {
        private final InputStream in;
        private final byte[] buffer = new byte[64 * 1024];
        private int length;
        private int index;
        private long skipped;
        private boolean started;
        private OutputStream copy;
        final CsvRecordScanner scanner;
        boolean readingHeader = true;
        /** Data records ended so far, for messages. */
        private long records;

        Input(InputStream in, CsvRecordScanner scanner) {
            this.in = in;
            this.scanner = scanner;
        }

        /**
         * The stream begins at {@code offset} of the input, a record boundary past the header, where an earlier pass
         * counted {@code recordsBefore} data records: there is no byte order mark or header to read.
         */
        void resumeAt(long offset, long recordsBefore) {
            started = true;
            readingHeader = false;
            skipped = offset;
            records = recordsBefore;
        }

        /** From now on, copies every byte of a record read to {@code target} (null: stop copying). */
        void copyTo(OutputStream target) {
            copy = target;
        }

        /** Bytes read so far, counted from the start of the input. */
        long position() {
            return skipped + scanner.position();
        }

        /** A scanner position as an offset in the input. */
        long offset(long scannerPosition) {
            return skipped + scannerPosition;
        }

        /** The offset just past the next record's line break, or -1 at the end of the input. */
        long nextRecordEnd() throws IOException {
            if (!started) {
                start();
            }
            while (true) {
                if (index == length) {
                    length = Math.max(in.read(buffer), 0);
                    index = 0;
                    if (length == 0) {
                        return -1;
                    }
                }
                int from = index;
                int end = scanner.nextRecordEnd(buffer, from, length);
                index = end >= 0 ? end : length;
                // checked before copying: a pathological record never reaches memory or a staged object
                checkLimits();
                boolean blankLine = end >= 0 && scanner.lastRecordLength() == 0; // its line break alone
                if (copy != null && !blankLine) {
                    copy.write(buffer, from, index - from);
                }
                if (end >= 0) {
                    records += readingHeader || blankLine ? 0 : 1;
                    return position();
                }
            }
        }

        /** Reads the first bytes: a UTF-8 byte order mark is skipped, a UTF-16 or UTF-32 one refused. */
        private void start() throws IOException {
            started = true;
            length = in.readNBytes(buffer, 0, 4);
            CsvHeader.refuseOtherEncodings(buffer, length);
            if (length >= 3 && buffer[0] == UTF8_BOM[0] && buffer[1] == UTF8_BOM[1] && buffer[2] == UTF8_BOM[2]) {
                index = UTF8_BOM.length;
                skipped = UTF8_BOM.length;
            }
        }

        private void checkLimits() {
            if (scanner.currentRecordLength() > maxRecordBytes) {
                String which = readingHeader ? "the header row" : "record " + (records + 1) + " (from byte "
                        + offset(scanner.currentRecordStart()) + ")";
                throw new PipelineException(FailureReason.LIMIT_EXCEEDED, which + " is longer than " + maxRecordBytes
                        + " bytes (MAX_RECORD_BYTES); a line break may be missing, or a quote never closed");
            }
            if (position() > maxTotalBytes) {
                throw new PipelineException(FailureReason.LIMIT_EXCEEDED, "the input expands to more than "
                        + maxTotalBytes + " bytes (MAX_UNCOMPRESSED_BYTES)");
            }
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
