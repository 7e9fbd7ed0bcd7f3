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

    /** One bad input: how to make it, and how its job must end. */
    record Case(String name, Setup setup, JobState state, FailureReason reason, String message) {
        @Override
        public String toString() {
            return name;
        }
    }

    @FunctionalInterface
    interface Setup {
        /** Puts the input (and anything it needs) in the store; returns the input's key. */
        String apply(InMemoryPipeline p, Path dir) throws IOException;
    }

    static Stream<Case> catalogue() {
        return Stream.of(
                failed("empty file", csv("incoming/iris/empty.csv", ""), FailureReason.EMPTY_INPUT, "the file is empty"),
                failed("first line blank", csv("incoming/iris/blank.csv", "\n" + IRIS_HEADER + "\n"),
                        FailureReason.EMPTY_INPUT, "first line is blank"),
                new Case("header only", csv("incoming/iris/header.csv", IRIS_HEADER + "\n"), JobState.SUCCEEDED, null, null),
                failed("binary garbage named .csv", (p, d) -> p.put("incoming/iris/garbage.csv", garbage()),
                        FailureReason.SCHEMA_MISMATCH, "lacks the model's feature column(s)"),
                failed("quote never closed", csv("incoming/iris/quote.csv", IRIS_HEADER + "\n1,\"5.1,3.5,1.4,0.2\n"),
                        FailureReason.UNREADABLE_INPUT, "never closed"),
                failed("header names a column twice", csv("incoming/iris/twice.csv", IRIS_HEADER + ",id\n" + IRIS_ROW + ",1\n"),
                        FailureReason.SCHEMA_MISMATCH, "'id' appears twice"),
                failed("feature column missing", csv("incoming/iris/partial.csv", "id,sepal_length\n1,5.1\n"),
                        FailureReason.SCHEMA_MISMATCH, "sepal_width, petal_length, petal_width"),
                failed("a line of megabytes without a newline",
                        csv("incoming/iris/longline.csv", IRIS_HEADER + "\n" + "9".repeat(2 * 1024 * 1024)),
                        FailureReason.LIMIT_EXCEEDED, "record 1"),
                failed("a million columns", csv("incoming/iris/wide.csv", wideHeader(1_000_000)),
                        FailureReason.LIMIT_EXCEEDED, "the header row is longer than"),
                failed("gzip bomb", (p, d) -> p.put("incoming/iris/bomb.csv.gz", bomb(12 * 1024 * 1024)),
                        FailureReason.LIMIT_EXCEEDED, "the input expands"),
                failed("truncated .csv.gz", (p, d) -> p.put("incoming/fraud/cut.csv.gz",
                        half(Samples.data("transactions.csv.gz"))), FailureReason.UNREADABLE_INPUT, "not a complete gzip file"),
                failed("plain text named .csv.gz", csv("incoming/iris/plain.csv.gz", IRIS_HEADER + "\n"),
                        FailureReason.UNREADABLE_INPUT, "gzip"),
                failed("truncated Parquet", (p, d) -> p.put("incoming/iris/cut.parquet", half(Samples.data("iris.parquet"))),
                        FailureReason.UNREADABLE_INPUT, "not a readable Parquet file"),
                failed("empty .parquet", csv("incoming/iris/empty.parquet", ""), FailureReason.UNREADABLE_INPUT,
                        "not a readable Parquet file"),
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
                        IRIS_HEADER + "\n" + IRIS_ROW + "\n"), JobState.SUCCEEDED, null, null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("catalogue")
    void endsInItsTerminalStateWithAReasonAndAMessage(Case c) throws IOException {
        Limits limits = new Limits(5.0, Long.MAX_VALUE, 1024 * 1024, 8 * 1024 * 1024,
                c.name().startsWith("Parquet row group") ? 1_000 : 512L * 1024 * 1024);
        InMemoryPipeline p = new InMemoryPipeline(dir.resolve("cache"), new ChunkLimits(100, Long.MAX_VALUE),
                DataSettings.defaults(), limits);
        Samples.publish(p.models, "iris");
        Samples.publish(p.models, "fraud");
        String key = c.setup().apply(p, dir);
        byte[] input = p.store.head(key).isPresent() ? p.text(key).getBytes(StandardCharsets.UTF_8) : null;

        p.runToEnd(key);

        JobSummary summary = JsonCodec.read(p.text(JobKeys.summary(key)), JobSummary.class);
        assertThat(summary.state()).isEqualTo(c.state());
        assertThat(summary.reason()).isEqualTo(c.reason());
        if (c.message() != null) {
            assertThat(summary.message()).contains(c.message()).doesNotContain("Exception").doesNotContain("\tat ");
            assertThat(p.store.list("output/")).doesNotContain(JobKeys.predictions(key));
        }
        assertThat(p.text(key).getBytes(StandardCharsets.UTF_8)).as("input unchanged").isEqualTo(input);
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
