package dev.batchinference.format.csv;

import static org.assertj.core.api.Assertions.assertThat;

import de.siegmar.fastcsv.reader.CsvReader;
import de.siegmar.fastcsv.reader.CsvRecord;
import dev.batchinference.config.PipelineConfig.Limits;
import dev.batchinference.failure.FailureReason;
import dev.batchinference.failure.PipelineException;
import dev.batchinference.format.ByteBlock;
import dev.batchinference.format.ChunkLimits;
import dev.batchinference.format.ChunkRange;
import dev.batchinference.format.ColumnMapping;
import dev.batchinference.format.FeatureValues;
import dev.batchinference.format.RowBlocks;
import dev.batchinference.storage.ObjectStore;
import dev.batchinference.testing.Samples;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.junit.jupiter.api.Test;

/**
 * Our CSV parse (the planner's chunks and counts, then each chunk read by the reader, row by row or in
 * blocks, from byte ranges or staged copies) against an independent library's (FastCSV) on random dialect
 * mutations of real and generated files: delimiters, quoting, CR / LF / CR LF and mixed line endings,
 * embedded delimiters, line breaks and quotes, blank lines, a BOM, a missing last line break, stray quotes,
 * text after closing quotes, a quote never closed. Every record must be read once, with the oracle's
 * fields, in the chunk the planner counted it in; malformed quoting must be flagged exactly where it was
 * planted; a quote never closed must fail planning naming its record.
 *
 * <p>{@code -Dfuzz.csv.cases=N} runs more cases; {@code -Dfuzz.csv.seed=S} replays one. Each violation
 * prints its seed.
 */
class CsvDifferentialFuzzIT {
    private static final int CASES = Integer.getInteger("fuzz.csv.cases", 500);
    private static final Long ONLY_SEED = Long.getLong("fuzz.csv.seed");
    private static final char[] DELIMITERS = {',', ';', '\t', '|'};
    private static final String[] LINE_BREAKS = {"\n", "\r", "\r\n"};
    private static final String[] NASTY = {"", " ", "with, comma", "semi;colon", "tab\there", "pipe|d", "a \"quote\"",
            "\"", "\"\"", "two\nlines", "cr\ronly", "crlf\r\nend", "\n", "ünïcödé ✓", "  padded  ", "trailing\n\n",
            "x".repeat(300), "'single'", "=1+2", "\\back\\slash"};
    private static final List<List<String>> IRIS = table("iris.csv");
    private static final List<List<String>> TRANSACTIONS = table("transactions.csv");

    /**
     * What went into one case's file besides its records: records with malformed quoting (text after a
     * closing quote among them), the record whose quote is never closed (0: none), and whether a quoted field
     * holds a carriage return without a line feed.
     */
    private record Planted(Set<Integer> malformed, boolean textAfterQuote, int unclosedQuoteRecord, boolean loneCarriageReturn) {
    }

    private record Case(byte[] file, char delimiter, boolean detect, List<List<String>> records, Planted planted) {
    }

    @Test
    void ourRecordsAreTheOraclesInEveryDialectAndEveryChunking() {
        long rows = 0;
        int failedAsPlanted = 0;
        List<String> violations = new ArrayList<>();
        long first = ONLY_SEED != null ? ONLY_SEED : 1;
        long last = ONLY_SEED != null ? ONLY_SEED : CASES;
        for (long seed = first; seed <= last; seed++) {
            try {
                Outcome outcome = check(seed);
                rows += outcome.rows;
                failedAsPlanted += outcome.failedAsPlanted ? 1 : 0;
                outcome.violations.forEach(v -> violations.add(v.replace("\r", "\\r").replace("\n", "\\n")));
            } catch (RuntimeException | AssertionError e) {
                violations.add("seed " + seed + ": " + e);
            }
        }
        System.out.printf("CSV differential fuzz: %d cases, %d rows checked, %d failed planning as planted,"
                + " %d violations%n", last - first + 1, rows, failedAsPlanted, violations.size());
        violations.stream().limit(20).forEach(v -> System.out.println("  " + v
                + " (replay: -Dfuzz.csv.seed=<seed> -Dtest=CsvDifferentialFuzzIT)"));
        assertThat(violations).isEmpty();
    }

    private record Outcome(long rows, boolean failedAsPlanted, List<String> violations) {
    }

    private Outcome check(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        Case c = generate(random);
        if (ONLY_SEED != null) {
            System.out.println("seed " + seed + ", delimiter '" + c.delimiter() + "'" + (c.detect() ? " (detected)" : "")
                    + ", planted " + c.planted() + ":\n" + new String(c.file(), StandardCharsets.UTF_8)
                    .replace("\r", "\\r\r").replace("\n", "\\n\n") + "<EOF>");
        }
        List<String> violations = new ArrayList<>();
        Map<String, List<List<String>>> oracles = oracles(c);
        ChunkLimits limits = new ChunkLimits(1 + random.nextInt(8), 1 + random.nextInt(400));
        boolean staged = random.nextInt(4) == 0;
        Map<Integer, byte[]> stagedChunks = new HashMap<>();
        CsvChunkPlanner planner = new CsvChunkPlanner(limits, c.detect() ? null : c.delimiter(),
                Limits.DEFAULT_MAX_RECORD_BYTES, Long.MAX_VALUE);
        CsvChunkPlanner.CsvPlan plan;
        try {
            plan = staged ? planner.plan(new ByteArrayInputStream(c.file()), stager(stagedChunks))
                    : planner.plan(new ByteArrayInputStream(c.file()));
        } catch (PipelineException e) {
            int expected = c.planted().unclosedQuoteRecord();
            boolean asPlanted = expected > 0 && e.reason() == FailureReason.UNREADABLE_INPUT
                    && e.getMessage().startsWith("record " + expected + " ") && e.getMessage().contains("never closed");
            if (!asPlanted) {
                violations.add("seed " + seed + ": planning failed: " + e.reason() + " " + e.getMessage());
            }
            return new Outcome(0, asPlanted, violations);
        }
        if (c.planted().unclosedQuoteRecord() > 0) {
            violations.add("seed " + seed + ": a quote never closed in record " + c.planted().unclosedQuoteRecord()
                    + " was planned without failing");
        }
        List<String> header = c.records().get(0).stream().map(String::trim).toList();
        if (!plan.header().equals(header)) {
            violations.add("seed " + seed + ": header " + plan.header() + " but it was written as " + header);
            return new Outcome(0, false, violations);
        }
        if (plan.delimiter() != c.delimiter()) {
            violations.add("seed " + seed + ": delimiter '" + plan.delimiter() + "' instead of '" + c.delimiter() + "'");
        }
        ColumnMapping mapping = ColumnMapping.of(plan.header(), List.of(), plan.header());
        List<Row> ours = new ArrayList<>();
        long next = plan.dataStart();
        for (ChunkRange chunk : plan.chunks()) {
            if (!staged && chunk.startByte() != next) {
                violations.add("seed " + seed + ": " + chunk.describe() + " does not start where the last one ended, " + next);
            }
            next = chunk.endByte();
            byte[] bytes = staged ? stagedChunks.get(chunk.index())
                    : java.util.Arrays.copyOfRange(c.file(), (int) chunk.startByte(), (int) chunk.endByte());
            List<Row> read = read(bytes, plan.delimiter(), mapping, random);
            if (chunk.rows() != read.size()) {
                violations.add("seed " + seed + ": " + chunk.describe() + " planned " + chunk.rows() + " rows, read " + read.size());
            }
            ours.addAll(read);
        }
        if (!staged && next != c.file().length) {
            violations.add("seed " + seed + ": the chunks end at " + next + ", the file at " + c.file().length);
        }
        if (plan.records() != c.records().size() - 1 || ours.size() != c.records().size() - 1) {
            violations.add("seed " + seed + ": planned " + plan.records() + " and read " + ours.size()
                    + " records; " + (c.records().size() - 1) + " were written");
        }
        for (Map.Entry<String, List<List<String>>> oracle : oracles.entrySet()) {
            List<List<String>> theirs = oracle.getValue();
            if (theirs.size() != ours.size() + 1) {
                violations.add("seed " + seed + ": " + ours.size() + " records, " + oracle.getKey() + " read "
                        + (theirs.size() - 1));
                continue;
            }
            for (int r = 0; r < ours.size(); r++) {
                if (!ours.get(r).fields().equals(theirs.get(r + 1))) {
                    violations.add("seed " + seed + ": record " + (r + 1) + " is " + ours.get(r).fields() + ", "
                            + oracle.getKey() + " read " + theirs.get(r + 1));
                }
            }
        }
        for (int r = 0; r < Math.min(ours.size(), c.records().size() - 1); r++) {
            boolean planted = c.planted().malformed().contains(r + 1);
            if (!planted && !ours.get(r).fields().equals(c.records().get(r + 1))) {
                violations.add("seed " + seed + ": record " + (r + 1) + " is " + ours.get(r).fields()
                        + " but was written as " + c.records().get(r + 1));
            }
            boolean flagged = ours.get(r).problem() != null;
            if (flagged != planted) {
                violations.add("seed " + seed + ": record " + (r + 1) + (flagged ? " flagged " + ours.get(r).problem()
                        + " though its quoting is fine" : " not flagged though its quoting is malformed"));
            }
        }
        return new Outcome(ours.size(), false, violations);
    }

    private record Row(List<String> fields, CsvFields.Problem problem) {
    }

    /** A chunk's rows through the reader: one by one, or in blocks of a random small size as the worker reads them. */
    private static List<Row> read(byte[] chunk, char delimiter, ColumnMapping mapping, SplittableRandom random) {
        List<Row> rows = new ArrayList<>();
        try (CsvRowReader reader = new CsvRowReader(new TrickleInputStream(chunk, random.split()), delimiter, mapping)) {
            if (random.nextBoolean()) {
                while (reader.next()) {
                    rows.add(new Row(reader.fields(), reader.quotingProblem()));
                }
                return rows;
            }
            RowBlocks blocks = reader.blocks(1 + random.nextInt(64));
            ByteBlock block = new ByteBlock(0);
            while (blocks.fill(block)) {
                CsvRowReader inBlock = (CsvRowReader) blocks.rows(block);
                while (inBlock.next()) {
                    rows.add(new Row(inBlock.fields(), inBlock.quotingProblem()));
                }
            }
            return rows;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The records (header first) as independent parsers read them: FastCSV, except where a quoted field holds a
     * lone carriage return (FastCSV 4.1.0 then loses the record: {@code a;"c\rd"\n} reads as nothing); and
     * commons-csv, except where text follows a closing quote or a quote is never closed (it stops with an error).
     */
    private static Map<String, List<List<String>>> oracles(Case c) {
        Map<String, List<List<String>>> oracles = new java.util.LinkedHashMap<>();
        if (!c.planted().loneCarriageReturn()) {
            List<List<String>> records = new ArrayList<>();
            try (CsvReader<CsvRecord> reader = CsvReader.builder().fieldSeparator(c.delimiter()).skipEmptyLines(true)
                    .detectBomHeader(true).allowExtraFields(true).allowMissingFields(true)
                    .allowExtraCharsAfterClosingQuote(true).ofCsvRecord(new ByteArrayInputStream(c.file()))) {
                reader.forEach(r -> records.add(r.getFields()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            oracles.put("FastCSV", records);
        }
        if (!c.planted().textAfterQuote() && c.planted().unclosedQuoteRecord() == 0) {
            byte[] file = c.file();
            int bom = file.length >= 3 && (file[0] & 0xFF) == 0xEF && (file[1] & 0xFF) == 0xBB && (file[2] & 0xFF) == 0xBF ? 3 : 0;
            List<List<String>> records = new ArrayList<>();
            CSVFormat format = CSVFormat.DEFAULT.builder().setDelimiter(c.delimiter()).setIgnoreEmptyLines(true).get();
            try (CSVParser parser = CSVParser.parse(new java.io.InputStreamReader(new ByteArrayInputStream(file, bom,
                    file.length - bom), StandardCharsets.UTF_8), format)) {
                parser.forEach(r -> records.add(r.toList()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            oracles.put("commons-csv", records);
        }
        return oracles;
    }

    // ---- the generator ----

    private static Case generate(SplittableRandom random) {
        List<List<String>> records = source(random);
        int columns = records.get(0).size();
        char delimiter = DELIMITERS[random.nextInt(DELIMITERS.length)];
        boolean detect = delimiter != '|' && columns > 1 && random.nextBoolean();
        // text columns get nasty values; numbers stay as they are
        int nastiness = random.nextInt(4);
        for (int r = 1; r < records.size(); r++) {
            for (int f = 0; f < columns; f++) {
                if (nastiness > 0 && random.nextInt(10) < nastiness && !isNumber(records.get(r).get(f))) {
                    records.get(r).set(f, NASTY[random.nextInt(NASTY.length)]);
                }
            }
        }
        int quoting = random.nextInt(3); // 0 where needed, 1 everywhere, 2 at random
        String lineBreak = LINE_BREAKS[random.nextInt(LINE_BREAKS.length)];
        boolean mixed = random.nextInt(3) == 0;
        int blankLines = random.nextInt(3) == 0 ? random.nextInt(5) : 0;
        int malformations = random.nextInt(3) == 0 ? 1 + random.nextInt(3) : 0;
        boolean unclosed = random.nextInt(12) == 0 && records.size() > 1;
        Set<Integer> malformed = new HashSet<>();
        boolean junk = false;
        boolean loneCarriageReturn = false;
        for (int m = 0; m < malformations && records.size() > 1; m++) {
            malformed.add(1 + random.nextInt(records.size() - 1));
        }
        if (unclosed) {
            malformed.remove(records.size() - 1);
        }

        StringBuilder text = new StringBuilder();
        if (random.nextInt(5) == 0) {
            text.append('\uFEFF');
        }
        for (int b = random.nextInt(3) == 0 ? random.nextInt(3) : 0; b > 0; b--) {
            text.append(lineBreak); // blank lines before the header
        }
        for (int r = 0; r < records.size(); r++) {
            List<String> record = records.get(r);
            boolean last = r == records.size() - 1;
            int spoiled = malformed.contains(r) ? random.nextInt(record.size()) : -1;
            boolean stray = random.nextBoolean();
            for (int f = 0; f < record.size(); f++) {
                if (f > 0) {
                    text.append(delimiter);
                }
                String value = record.get(f);
                if (last && unclosed && f == record.size() - 1) {
                    // a quote that opens the last field and is never closed: nothing after it may close it
                    text.append('"').append(value.replace("\"", ""));
                    continue;
                }
                if (f == spoiled) {
                    if (stray) {
                        // a quote inside a field that does not start with one
                        String plain = unquotable(value, delimiter);
                        text.append(plain.isEmpty() ? "x" : plain.substring(0, 1)).append('"')
                                .append(plain.length() > 1 ? plain.substring(1) : "");
                    } else {
                        text.append('"').append(value.replace("\"", "\"\"")).append('"').append("junk");
                        junk = true;
                        loneCarriageReturn |= value.replace("\r\n", "").indexOf('\r') >= 0;
                    }
                    continue;
                }
                boolean needs = value.indexOf(delimiter) >= 0 || value.indexOf('"') >= 0 || value.indexOf('\n') >= 0
                        || value.indexOf('\r') >= 0 || (record.size() == 1 && value.isEmpty());
                boolean quote = needs || quoting == 1 || (quoting == 2 && random.nextBoolean());
                loneCarriageReturn |= quote && value.replace("\r\n", "").indexOf('\r') >= 0;
                text.append(quote ? '"' + value.replace("\"", "\"\"") + '"' : value);
            }
            if (!last || random.nextBoolean()) {
                text.append(mixed ? LINE_BREAKS[random.nextInt(LINE_BREAKS.length)] : lineBreak);
            }
            if (!last || !unclosed) {
                for (int b = blankLines > 0 && random.nextInt(4) == 0 ? blankLines : 0; b > 0; b--) {
                    text.append(mixed ? LINE_BREAKS[random.nextInt(LINE_BREAKS.length)] : lineBreak);
                }
            }
        }
        if (unclosed) {
            // the stray quotes and junk above hold no quote that could close it, but a nasty value might have
            malformed.clear();
        }
        List<List<String>> expected = new ArrayList<>();
        for (List<String> record : records) {
            expected.add(List.copyOf(record));
        }
        return new Case(text.toString().getBytes(StandardCharsets.UTF_8), delimiter, detect, expected,
                new Planted(malformed, junk, unclosed ? records.size() - 1 : 0, loneCarriageReturn || unclosed));
    }

    /** The value with nothing that would need quoting, so that a stray quote is the only thing wrong. */
    private static String unquotable(String value, char delimiter) {
        StringBuilder plain = new StringBuilder();
        for (char ch : value.toCharArray()) {
            if (ch != delimiter && ch != '"' && ch != '\n' && ch != '\r') {
                plain.append(ch);
            }
        }
        return plain.toString();
    }

    /** A header and some rows: a slice of a real file, or a generated table. */
    private static List<List<String>> source(SplittableRandom random) {
        int kind = random.nextInt(3);
        if (kind < 2) {
            List<List<String>> file = kind == 0 ? IRIS : TRANSACTIONS;
            int rows = random.nextInt(Math.min(60, file.size() - 1));
            int from = 1 + random.nextInt(file.size() - rows);
            List<List<String>> slice = new ArrayList<>();
            slice.add(new ArrayList<>(file.get(0)));
            for (int r = from; r < from + rows; r++) {
                slice.add(new ArrayList<>(file.get(r)));
            }
            return slice;
        }
        int columns = 1 + random.nextInt(7);
        List<List<String>> table = new ArrayList<>();
        List<String> header = new ArrayList<>();
        for (int f = 0; f < columns; f++) {
            header.add((random.nextInt(4) == 0 ? "col umn" : "c") + f + (random.nextInt(5) == 0 ? "_é" : ""));
        }
        table.add(header);
        int rows = random.nextInt(40);
        for (int r = 0; r < rows; r++) {
            List<String> row = new ArrayList<>();
            for (int f = 0; f < columns; f++) {
                row.add(random.nextBoolean() ? Float.toString((float) random.nextGaussian()) : "t" + random.nextInt(1000));
            }
            table.add(row);
        }
        return table;
    }

    private static boolean isNumber(String value) {
        return !Float.isNaN(FeatureValues.parseFinite(value));
    }

    private static List<List<String>> table(String sample) {
        try (CsvReader<CsvRecord> reader = CsvReader.builder().ofCsvRecord(Files.newInputStream(Samples.data(sample)))) {
            List<List<String>> rows = new ArrayList<>();
            reader.forEach(r -> rows.add(r.getFields()));
            return rows;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static CsvChunkPlanner.ChunkStager stager(Map<Integer, byte[]> chunks) {
        return new CsvChunkPlanner.ChunkStager() {
            @Override
            public ObjectStore.AbortableOutputStream open(int chunk) {
                return new ObjectStore.AbortableOutputStream() {
                    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

                    @Override
                    public void write(int b) {
                        bytes.write(b);
                    }

                    @Override
                    public void write(byte[] b, int off, int len) {
                        bytes.write(b, off, len);
                    }

                    @Override
                    public void close() {
                        chunks.put(chunk, bytes.toByteArray());
                    }

                    @Override
                    public void abort() {
                    }
                };
            }

            @Override
            public String keyOf(int chunk) {
                return "staged/" + chunk;
            }
        };
    }

    /** Hands out its bytes a few at a time, as a network stream may. */
    private static final class TrickleInputStream extends InputStream {
        private final byte[] bytes;
        private final SplittableRandom random;
        private int position;

        TrickleInputStream(byte[] bytes, SplittableRandom random) {
            this.bytes = bytes;
            this.random = random;
        }

        @Override
        public int read() {
            return position < bytes.length ? bytes[position++] & 0xFF : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (position == bytes.length) {
                return -1;
            }
            int n = Math.min(Math.min(len, bytes.length - position), 1 + random.nextInt(random.nextBoolean() ? 7 : 5000));
            System.arraycopy(bytes, position, b, off, n);
            position += n;
            return n;
        }
    }
}
