package dev.batchinference.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchinference.config.PipelineConfig.DataSettings;
import dev.batchinference.config.PipelineConfig.Limits;
import dev.batchinference.failure.FailureReason;
import dev.batchinference.format.ChunkLimits;
import dev.batchinference.job.JobKeys;
import dev.batchinference.job.JobState;
import dev.batchinference.job.JobSummary;
import dev.batchinference.json.JsonCodec;
import dev.batchinference.model.ModelKeys;
import dev.batchinference.model.ModelManifest;
import dev.batchinference.model.ModelPointer;
import dev.batchinference.model.ModelStore;
import dev.batchinference.testing.InMemoryPipeline;
import dev.batchinference.testing.ParquetFiles;
import dev.batchinference.testing.Samples;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.schema.MessageType;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The catalogue of bad inputs (the README's troubleshooting table): each ends in its terminal state with a
 * stable reason code and a message that names the problem, and the input is left as it was.
 */
class BadInputCatalogueTest {
    private static final String IRIS_HEADER = "id,sepal_length,sepal_width,petal_length,petal_width";
    private static final String IRIS_ROW = "1,5.1,3.5,1.4,0.2";

    @TempDir
    Path dir;

    /** One bad input: how to make it, and how its job must end (for a job that succeeds, its exact counts). */
    record Case(String name, Setup setup, JobState state, FailureReason reason, String message, Counts counts) {
        Case(String name, Setup setup, JobState state, FailureReason reason, String message) {
            this(name, setup, state, reason, message, null);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** Rows read, predicted and rejected, and chunks planned (null: any). */
    record Counts(long in, long out, long rejected, Integer chunks) {
    }

    @FunctionalInterface
    interface Setup {
        /** Puts the input (and anything it needs) in the store; returns the input's key. */
        String apply(InMemoryPipeline p, Path dir) throws IOException;
    }

    static Stream<Case> catalogue() {
        return Stream.concat(Stream.of(
                failed("empty file", csv("incoming/iris/empty.csv", ""), FailureReason.EMPTY_INPUT, "the file is empty"),
                succeeded("blank lines before the header", csv("incoming/iris/blank.csv", "\n\r\n" + IRIS_HEADER + "\n" + IRIS_ROW),
                        1, 1, 0),
                new Case("header only", csv("incoming/iris/header.csv", IRIS_HEADER + "\n"), JobState.SUCCEEDED, null, null),
                failed("binary garbage named .csv", (p, d) -> p.put("incoming/iris/garbage.csv", garbage()),
                        FailureReason.UNREADABLE_INPUT, "the header row is not valid UTF-8 text"),
                failed("quote never closed", csv("incoming/iris/quote.csv", IRIS_HEADER + "\n1,\"5.1,3.5,1.4,0.2\n"),
                        FailureReason.UNREADABLE_INPUT, "record 1 (from byte 53) opens a quoted field at byte 55 that is never closed"),
                failed("header names a column twice", csv("incoming/iris/twice.csv", IRIS_HEADER + ",id\n" + IRIS_ROW + ",1\n"),
                        FailureReason.SCHEMA_MISMATCH, "header columns 1 and 6 have the same name"),
                failed("feature column missing", csv("incoming/iris/partial.csv", "id,sepal_length\n1,5.1\n"),
                        FailureReason.SCHEMA_MISMATCH, "sepal_width, petal_length, petal_width"),
                failed("a line of megabytes without a newline",
                        csv("incoming/iris/longline.csv", IRIS_HEADER + "\n" + "9".repeat(2 * 1024 * 1024)),
                        FailureReason.LIMIT_EXCEEDED, "record 1 (from byte 53) is longer than 1048576 bytes (MAX_RECORD_BYTES)"),
                failed("a million columns", csv("incoming/iris/wide.csv", wideHeader(1_000_000)),
                        FailureReason.LIMIT_EXCEEDED, "the header row is longer than"),
                failed("gzip bomb", (p, d) -> p.put("incoming/iris/bomb.csv.gz", bomb(12 * 1024 * 1024)),
                        FailureReason.LIMIT_EXCEEDED, "the input expands"),
                failed("truncated .csv.gz", (p, d) -> p.put("incoming/fraud/cut.csv.gz",
                        half(Samples.data("transactions.csv.gz"))), FailureReason.UNREADABLE_INPUT, "not a complete gzip file"),
                failed("plain text named .csv.gz", csv("incoming/iris/plain.csv.gz", IRIS_HEADER + "\n"),
                        FailureReason.UNREADABLE_INPUT, "gzip"),
                failed("truncated Parquet", (p, d) -> p.put("incoming/iris/cut.parquet", half(Samples.data("iris.parquet"))),
                        FailureReason.UNREADABLE_INPUT, "cut.parquet is not a whole Parquet file"),
                failed("empty .parquet", csv("incoming/iris/empty.parquet", ""), FailureReason.UNREADABLE_INPUT,
                        "empty.parquet is not a Parquet file: it has 0 bytes"),
                failed("Parquet row group over the limit", (p, d) -> p.put("incoming/iris/big.parquet",
                        Files.readAllBytes(Samples.data("iris.parquet"))), FailureReason.LIMIT_EXCEEDED, "MAX_ROW_GROUP_BYTES"),
                failed("nested Parquet feature column", BadInputCatalogueTest::nestedParquet, FailureReason.SCHEMA_MISMATCH,
                        "not numbers: sepal_length (group)"),
                failed("unsupported extension", csv("incoming/iris/notes.txt", "hello"), FailureReason.UNSUPPORTED_FORMAT,
                        "name it .csv"),
                failed("unknown model prefix", csv("incoming/nosuchmodel/data.csv", IRIS_HEADER + "\n" + IRIS_ROW + "\n"),
                        FailureReason.UNKNOWN_MODEL, "no model named 'nosuchmodel'"),
                failed("model file with a wrong sha256", (p, d) -> {
                    p.store.write(ModelKeys.version("iris", "1") + "model.onnx", "tampered".getBytes(StandardCharsets.UTF_8));
                    return p.put("incoming/iris/x.csv", (IRIS_HEADER + "\n" + IRIS_ROW + "\n").getBytes(StandardCharsets.UTF_8));
                }, FailureReason.CHECKSUM_MISMATCH, "sha256"),
                failed("model version without its ONNX file", (p, d) -> {
                    publishVariant(p, "ghost", m -> m, false);
                    return p.put("incoming/ghost/x.csv", (IRIS_HEADER + "\n" + IRIS_ROW + "\n").getBytes(StandardCharsets.UTF_8));
                }, FailureReason.MODEL_FILE_MISSING, "has no file at models/ghost/versions/1/model.onnx"),
                failed("current.json names a version that is not there", (p, d) -> {
                    p.store.write(ModelKeys.pointer("iris"), JsonCodec.writeBytes(new ModelPointer("9", null)));
                    return p.put("incoming/iris/x.csv", (IRIS_HEADER + "\n" + IRIS_ROW + "\n").getBytes(StandardCharsets.UTF_8));
                }, FailureReason.MODEL_FILE_MISSING, "version '9' has no manifest"),
                failed("manifest that is not JSON", (p, d) -> {
                    p.store.write(ModelKeys.pointer("broken"), JsonCodec.writeBytes(new ModelPointer("1", null)));
                    p.store.write(ModelKeys.version("broken", "1") + "manifest.json", "{not json".getBytes(StandardCharsets.UTF_8));
                    return p.put("incoming/broken/x.csv", (IRIS_HEADER + "\n" + IRIS_ROW + "\n").getBytes(StandardCharsets.UTF_8));
                }, FailureReason.MODEL_INVALID, "is not a valid manifest: Unexpected character"),
                failed("model input width disagrees with the manifest", (p, d) -> {
                    publishVariant(p, "narrow", m -> new ModelManifest("narrow", "1", m.framework(), m.files(), m.input(),
                            m.features().subList(0, 3), m.outputs(), m.labels(), m.createdAt()), true);
                    return p.put("incoming/narrow/x.csv", (IRIS_HEADER + "\n" + IRIS_ROW + "\n").getBytes(StandardCharsets.UTF_8));
                }, FailureReason.MODEL_INVALID, "the graph takes 4 features but the manifest lists 3"),
                failed("model output shape disagrees with the manifest's labels", (p, d) -> {
                    publishVariant(p, "twoclass", m -> new ModelManifest("twoclass", "1", m.framework(), m.files(), m.input(),
                            m.features(), java.util.Map.of("probabilities", "probabilities"), List.of("a", "b"),
                            m.createdAt()), true);
                    return p.put("incoming/twoclass/x.csv", (IRIS_HEADER + "\n" + IRIS_ROW + "\n").getBytes(StandardCharsets.UTF_8));
                }, FailureReason.MODEL_INVALID, "gives 3 class probabilities but the manifest has 2 labels"),
                failed("every row non-numeric", csv("incoming/iris/text.csv", IRIS_HEADER + "\n1,a,b,c,d\n2,e,f,g,h\n"),
                        FailureReason.ERROR_THRESHOLD, "2 of 2 rows (100.00%) were rejected"),
                new Case("key with spaces and unicode", csv("incoming/iris/field trials/résultats été 2026.csv",
                        IRIS_HEADER + "\n" + IRIS_ROW + "\n"), JobState.SUCCEEDED, null, null)),
                csvCases());
    }

    /** Where records end, and what a hostile user might put in a CSV file. */
    static Stream<Case> csvCases() {
        String iris = irisText();
        return Stream.of(
                succeeded("CR-only line endings", csv("incoming/iris/cr.csv", iris.replace('\n', '\r')), 150, 150, 0),
                succeeded("CR-only line endings, gzip'd", (p, d) -> p.put("incoming/iris/cr.csv.gz",
                        gzip(iris.replace('\n', '\r'))), 150, 150, 0),
                succeeded("CRLF line endings", csv("incoming/iris/crlf.csv", iris.replace("\n", "\r\n")), 150, 150, 0),
                succeeded("LF, CRLF and CR mixed", csv("incoming/iris/mixed.csv", mixedLineEnds(iris)), 150, 150, 0),
                succeeded("stray quotes in two rows", csv("incoming/iris/stray.csv", strayQuotes()), 100, 98, 2),
                succeeded("text after a closing quote", csv("incoming/iris/after.csv", IRIS_HEADER + "\n\"1\"x,5.1,3.5,1.4,0.2\n"
                        + irisRows(2, 60)), 60, 59, 1),
                failed("a quote opened mid-file and never closed", csv("incoming/iris/open.csv", IRIS_HEADER + "\n"
                        + irisRows(1, 30) + "31,\"5.1,3.5,1.4,0.2\n" + irisRows(32, 40)), FailureReason.UNREADABLE_INPUT,
                        "record 31 (from byte"),
                failed("a quote never closed in the header", csv("incoming/iris/openheader.csv", "id,\"sepal_length,x\n1,2\n"),
                        FailureReason.UNREADABLE_INPUT, "the header row has a quote that is never closed"),
                succeeded("blank lines everywhere", csv("incoming/iris/blanks.csv", "\n\n" + IRIS_HEADER + "\r\n\r\n"
                        + irisRows(1, 50).replace("\n", "\n\n") + "\r\r\n\n"), 50, 50, 0),
                succeeded("a .csv of blank lines after the header", csv("incoming/iris/newlines.csv", IRIS_HEADER + "\n"
                        + "\n".repeat(100_000)), 0, 0, 0, 1),
                succeeded("a .csv.gz of blank lines after the header plans one chunk", (p, d) -> p.put(
                        "incoming/iris/newlines.csv.gz", gzip(IRIS_HEADER + "\n" + "\n".repeat(2_000_000))), 0, 0, 0, 1),
                failed("only blank lines", csv("incoming/iris/onlyblank.csv", "\n\r\n\r"), FailureReason.EMPTY_INPUT,
                        "only blank lines"),
                succeeded("header only, with CRLF", csv("incoming/iris/headercrlf.csv", IRIS_HEADER + "\r\n"), 0, 0, 0, 1),
                succeeded("header only, no line break", csv("incoming/iris/headeronly.csv", IRIS_HEADER), 0, 0, 0, 1),
                succeeded("no line break after the last row", csv("incoming/iris/nolast.csv", iris.strip()), 150, 150, 0),
                succeeded("a BOM and a quoted header", csv("incoming/iris/bom.csv", "\uFEFF\"id\",\"sepal_length\","
                        + "\"sepal_width\",\"petal_length\",\"petal_width\"\n" + irisRows(1, 10)), 10, 10, 0),
                succeeded("header names with spaces around them", csv("incoming/iris/spaces.csv",
                        " id , sepal_length ,sepal_width,petal_length , petal_width\n" + irisRows(1, 10)), 10, 10, 0),
                succeeded("extra columns pass through", csv("incoming/iris/extra.csv", IRIS_HEADER + ",a,b\n"
                        + irisRows(1, 10).replace("\n", ",x,\"y,z\"\n")), 10, 10, 0),
                failed("a file without a header", csv("incoming/iris/noheader.csv", irisRows(1, 10)),
                        FailureReason.SCHEMA_MISMATCH, "the first line has 5 fields, 5 of which look like numbers: the file"
                                + " seems to have no header row"),
                failed("a header named in another case", csv("incoming/iris/case.csv",
                        "id,Sepal_Length,sepal_width,petal_length,petal_width\n" + irisRows(1, 3)),
                        FailureReason.SCHEMA_MISMATCH, "column 2 is named like sepal_length but not exactly"),
                failed("an empty column name", csv("incoming/iris/noname.csv", "id,,sepal_length,sepal_width,petal_length,"
                        + "petal_width\n"), FailureReason.SCHEMA_MISMATCH, "header column 2 has no name"),
                succeeded("ragged rows", csv("incoming/iris/ragged.csv", IRIS_HEADER + "\n" + irisRows(1, 40)
                        + "41,5.1,3.5,1.4\n42,5.1,3.5,1.4,0.2,extra\n" + irisRows(43, 60)), 60, 58, 2),
                failed("a trailing delimiter on every data row", csv("incoming/iris/trailing.csv", IRIS_HEADER + "\n"
                        + irisRows(1, 10).replace("\n", ",\n")), FailureReason.ERROR_THRESHOLD, "10 of 10 rows"),
                failed("a trailing delimiter on every line", csv("incoming/iris/trailing2.csv", IRIS_HEADER + ",\n"
                        + irisRows(1, 10).replace("\n", ",\n")), FailureReason.SCHEMA_MISMATCH, "header column 6 has no name"),
                failed("a record of 100 MB in a .csv.gz", (p, d) -> p.put("incoming/iris/long.csv.gz",
                        gzip(IRIS_HEADER + "\n1," + "5".repeat(100 * 1024 * 1024) + "\n")), FailureReason.LIMIT_EXCEEDED,
                        "record 1 (from byte 53) is longer than 1048576 bytes (MAX_RECORD_BYTES)"),
                succeeded("NUL bytes in data rows", csv("incoming/iris/nul.csv", IRIS_HEADER + ",note\n"
                        + "1,5.1,3.5,1.4,0\u0000,a\n2,5.1,3.5,1.4,0.2,a\u0000b\n" + irisRows(3, 60).replace("\n", ",n\n")),
                        60, 59, 1),
                failed("NUL bytes in the header", csv("incoming/iris/nulheader.csv", "id\u0000,sepal_length\n1,2\n"),
                        FailureReason.UNREADABLE_INPUT, "the header row holds NUL bytes"),
                succeeded("invalid UTF-8 in a pass-through column", (p, d) -> p.put("incoming/iris/latin1.csv",
                        concat((IRIS_HEADER + "\n").getBytes(StandardCharsets.UTF_8), "café-1,5.1,3.5,1.4,0.2\n"
                                .getBytes(StandardCharsets.ISO_8859_1), irisRows(2, 60).getBytes(StandardCharsets.UTF_8))),
                        60, 59, 1),
                failed("a UTF-16 file with a BOM", (p, d) -> p.put("incoming/iris/utf16.csv",
                        (IRIS_HEADER + "\n" + IRIS_ROW + "\n").getBytes(StandardCharsets.UTF_16)), FailureReason.UNREADABLE_INPUT,
                        "UTF-16 byte order mark"),
                failed("a UTF-16 file without a BOM", (p, d) -> p.put("incoming/iris/utf16le.csv",
                        (IRIS_HEADER + "\n" + IRIS_ROW + "\n").getBytes(StandardCharsets.UTF_16LE)),
                        FailureReason.UNREADABLE_INPUT, "NUL bytes"),
                failed("a .csv that is gzip'd", (p, d) -> p.put("incoming/iris/zipped.csv", gzip(iris)),
                        FailureReason.UNREADABLE_INPUT, "name it .csv.gz"),
                failed("a .csv that is Parquet", (p, d) -> p.put("incoming/iris/parquet.csv",
                        Files.readAllBytes(Samples.data("iris.parquet"))), FailureReason.UNREADABLE_INPUT, "name it .parquet"),
                succeeded("rows exactly at chunk boundaries", csv("incoming/iris/boundaries.csv", IRIS_HEADER + "\n"
                        + irisRows(1, 100) + "\n" + irisRows(101, 150)), 150, 150, 0, 2),
                succeeded("a quoted field over many lines straddling a chunk boundary", csv("incoming/iris/straddle.csv",
                        straddling()), 100, 100, 0),
                succeeded("whitespace-only lines are rows, and rejected", csv("incoming/iris/spacelines.csv", IRIS_HEADER + "\n"
                        + irisRows(1, 40) + " \n\t\n" + irisRows(41, 98)), 100, 98, 2),
                succeeded("spaces and tabs around numbers", csv("incoming/iris/padded.csv", IRIS_HEADER + "\n"
                        + irisRows(1, 20).replace(",", " ,\t")), 20, 20, 0),
                succeeded("odd numerals are rejected rows", csv("incoming/iris/numerals.csv", IRIS_HEADER + "\n"
                        + irisRows(1, 150) + "151,0x1.8p1,3,1,1\n152,1_000,3,1,1\n153,NaN,3,1,1\n154,Infinity,3,1,1\n"
                        + "155,1e,3,1,1\n156,\u0661\u0662,3,1,1\n157,+.5,3,1,1e2\n"), 157, 151, 6),
                failed("decimal commas with a semicolon delimiter", csv("incoming/iris/comma.csv", IRIS_HEADER.replace(',', ';')
                        + "\n" + irisRows(1, 10).replace(",", ";").replace('.', ',')), FailureReason.ERROR_THRESHOLD,
                        "10 of 10 rows"),
                succeeded("tab-separated .tsv", csv("incoming/iris/tabs.tsv", iris.replace(',', '\t')), 150, 150, 0));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("catalogue")
    void endsInItsTerminalStateWithAReasonAndAMessage(Case c) throws IOException {
        Limits limits = new Limits(5.0, Long.MAX_VALUE, 1024 * 1024, 8 * 1024 * 1024,
                c.name().startsWith("Parquet row group") ? 1_000 : 512L * 1024 * 1024);
        InMemoryPipeline p = new InMemoryPipeline(dir.resolve("cache"), new ChunkLimits(100, 64 * 1024),
                DataSettings.defaults(), limits);
        Samples.publish(p.models, "iris");
        Samples.publish(p.models, "fraud");
        String key = c.setup().apply(p, dir);
        byte[] input = bytes(p, key);

        p.runToEnd(key);

        JobSummary summary = JsonCodec.read(p.text(JobKeys.summary(key)), JobSummary.class);
        assertThat(summary.state()).isEqualTo(c.state());
        assertThat(summary.reason()).isEqualTo(c.reason());
        if (c.message() != null) {
            assertThat(summary.message()).contains(c.message()).doesNotContain("Exception").doesNotContain("\tat ");
            assertThat(p.store.list("output/")).doesNotContain(JobKeys.predictions(key));
        }
        if (c.counts() != null) {
            assertThat(List.of(summary.rowsIn(), summary.rowsOut(), summary.rowsRejected()))
                    .as("rows in, predicted, rejected").containsExactly(c.counts().in(), c.counts().out(), c.counts().rejected());
            // both files have a header row
            assertThat(Samples.csv(p.predictionsOf(key))).as("predicted rows in the output").hasSize((int) c.counts().out() + 1);
            assertThat(c.counts().rejected() == 0 ? List.of() : Samples.csv(p.text(JobKeys.errors(key)))).as("rows in the"
                    + " errors file").hasSize(c.counts().rejected() == 0 ? 0 : (int) c.counts().rejected() + 1);
            if (c.counts().chunks() != null) {
                assertThat(summary.chunks()).as("chunks").isEqualTo(c.counts().chunks());
            }
        }
        assertThat(bytes(p, key)).as("input unchanged").isEqualTo(input);
    }

    @org.junit.jupiter.api.Test
    void anInputOverwrittenWhileItsJobRunsLeavesTheOutputsToTheNewVersionsJob() throws IOException {
        InMemoryPipeline p = new InMemoryPipeline(dir.resolve("cache"), new ChunkLimits(50, Long.MAX_VALUE));
        Samples.publish(p.models, "iris");
        String key = p.put("incoming/iris/moving.csv", Files.readAllBytes(Samples.data("iris.csv")));
        String oldJob = p.ingestor.ingest(key).jobId();
        p.store.write(key, (IRIS_HEADER + "\n" + IRIS_ROW + "\n").getBytes(StandardCharsets.UTF_8));
        String newJob = p.ingestor.ingest(key).jobId();

        p.drain();

        JobSummary old = new dev.batchinference.job.JobStore(p.store).terminal(oldJob).orElseThrow();
        assertThat(old.state()).isEqualTo(JobState.FAILED);
        assertThat(old.reason()).isEqualTo(FailureReason.INPUT_CHANGED);
        assertThat(old.message()).contains("replaced by a newer version");
        JobSummary current = JsonCodec.read(p.text(JobKeys.summary(key)), JobSummary.class);
        assertThat(current.jobId()).isEqualTo(newJob);
        assertThat(current.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(Samples.csv(p.predictionsOf(key))).hasSize(2);
    }

    private static Case succeeded(String name, Setup setup, long in, long out, long rejected) {
        return new Case(name, setup, JobState.SUCCEEDED, null, null, new Counts(in, out, rejected, null));
    }

    private static Case succeeded(String name, Setup setup, long in, long out, long rejected, int chunks) {
        return new Case(name, setup, JobState.SUCCEEDED, null, null, new Counts(in, out, rejected, chunks));
    }

    private static String irisText() {
        try {
            return Files.readString(Samples.data("iris.csv"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Iris rows {@code from..to} (1-based) without their species, as {@link #IRIS_HEADER} has it, each ending in a line feed. */
    private static String irisRows(int from, int to) {
        StringBuilder rows = new StringBuilder();
        for (String line : irisText().lines().toList().subList(from, to + 1)) {
            rows.append(line, 0, line.lastIndexOf(',')).append('\n');
        }
        return rows.toString();
    }

    private static String mixedLineEnds(String text) {
        String[] breaks = {"\n", "\r\n", "\r"};
        List<String> lines = text.lines().toList();
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < lines.size(); i++) {
            out.append(lines.get(i)).append(breaks[i % 3]);
        }
        return out.toString();
    }

    /** 100 iris rows; row 30 has a quote inside its species (passed through), row 70 inside a feature. */
    private static String strayQuotes() {
        return IRIS_HEADER + ",species\n" + irisRowsWithSpecies(1, 29) + "30,5.0,3.6,1.4,0.2,set\"osa\n"
                + irisRowsWithSpecies(31, 69) + "70,5\"9,3.2,4.8,1.8,versicolor\n" + irisRowsWithSpecies(71, 100);
    }

    private static String irisRowsWithSpecies(int from, int to) {
        List<String> lines = irisText().lines().toList();
        return String.join("\n", lines.subList(from, to + 1)) + "\n";
    }

    /** 100 rows, each with a quoted note of several lines, long enough that chunks are cut by bytes among them. */
    private static String straddling() {
        StringBuilder text = new StringBuilder(IRIS_HEADER + ",note\n");
        List<String> lines = irisText().lines().toList();
        for (int r = 1; r <= 100; r++) {
            String row = lines.get(r);
            text.append(row, 0, row.lastIndexOf(',')).append(",\"").append(("line of row " + r + ", \"\"quoted\"\"\r\n")
                    .repeat(40)).append("\"\n");
        }
        return text.toString();
    }

    private static byte[] gzip(String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(text.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    private static byte[] bytes(InMemoryPipeline p, String key) throws IOException {
        if (p.store.head(key).isEmpty()) {
            return null;
        }
        try (java.io.InputStream in = p.store.read(key)) {
            return in.readAllBytes();
        }
    }

    private static Case failed(String name, Setup setup, FailureReason reason, String message) {
        return new Case(name, setup, JobState.FAILED, reason, message);
    }

    private static Setup csv(String key, String text) {
        return (p, d) -> p.put(key, text.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] garbage() {
        byte[] bytes = new byte[4096];
        new Random(42).nextBytes(bytes);
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == '"') {
                bytes[i] = 'x'; // a random quote would make it an unclosed-quote case instead
            }
        }
        return bytes;
    }

    private static String wideHeader(int columns) {
        StringBuilder header = new StringBuilder();
        for (int c = 0; c < columns; c++) {
            header.append(c == 0 ? "" : ",").append("c").append(c);
        }
        return header.append('\n').toString();
    }

    /** A small .csv.gz that expands past the test's 8 MiB limit. */
    private static byte[] bomb(int expandedBytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write((IRIS_HEADER + "\n").getBytes(StandardCharsets.UTF_8));
            byte[] row = (IRIS_ROW + "\n").getBytes(StandardCharsets.UTF_8);
            for (int written = 0; written < expandedBytes; written += row.length) {
                gz.write(row);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static byte[] half(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        return Arrays.copyOf(bytes, bytes.length / 2);
    }

    private static String nestedParquet(InMemoryPipeline p, Path dir) {
        MessageType schema = ParquetFiles.schema("message R { required binary id (STRING); required group sepal_length"
                + " { required double x; } required double sepal_width; required double petal_length; required double petal_width; }");
        Group row = ParquetFiles.row(schema).append("id", "1").append("sepal_width", 1.0).append("petal_length", 1.0)
                .append("petal_width", 1.0);
        row.addGroup("sepal_length").append("x", 1.0);
        return p.put("incoming/iris/nested.parquet", ParquetFiles.write(dir, schema, List.of(row)));
    }

    /** Publishes the iris graph under another name with a changed manifest, with or without its ONNX file. */
    private static void publishVariant(InMemoryPipeline p, String name, java.util.function.UnaryOperator<ModelManifest> change,
                                       boolean withOnnx) throws IOException {
        ModelStore.LocalModel iris = ModelStore.readLocal(Samples.model("iris"));
        ModelManifest base = iris.manifest();
        ModelManifest renamed = change.apply(new ModelManifest(name, "1", base.framework(), base.files(), base.input(),
                base.features(), base.outputs(), base.labels(), base.createdAt()));
        String prefix = ModelKeys.version(name, "1");
        if (withOnnx) {
            p.store.write(prefix + "model.onnx", Files.readAllBytes(iris.onnxFile()));
        }
        p.store.write(prefix + "manifest.json", JsonCodec.writePretty(renamed));
        p.store.write(ModelKeys.pointer(name), JsonCodec.writeBytes(new ModelPointer("1", base.onnxFile().sha256())));
    }
}
