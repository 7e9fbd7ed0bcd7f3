package dev.batchinference.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchinference.format.ChunkLimits;
import dev.batchinference.config.PipelineConfig.DataSettings;
import dev.batchinference.config.PipelineConfig.Limits;
import dev.batchinference.ingest.JobIngestor;
import dev.batchinference.failure.FailureReason;
import dev.batchinference.job.JobKeys;
import dev.batchinference.job.JobState;
import dev.batchinference.job.JobStore;
import dev.batchinference.job.JobSummary;
import dev.batchinference.json.JsonCodec;
import dev.batchinference.model.ModelKeys;
import dev.batchinference.model.ModelManifest;
import dev.batchinference.model.ModelPointer;
import dev.batchinference.model.ModelStore;
import dev.batchinference.testing.InMemoryPipeline;
import dev.batchinference.testing.Samples;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The catalogue of bad models, model names and inputs past the safety limits: each job ends in its terminal
 * state with a stable reason code and a message naming the problem. Those refused at ingest are refused
 * before any chunk is sent, and nothing they name outside the model store is loaded.
 */
class BadModelCatalogueTest {
    private static final String IRIS_HEADER = "id,sepal_length,sepal_width,petal_length,petal_width";
    private static final byte[] IRIS_ROWS = (IRIS_HEADER + "\n1,5.1,3.5,1.4,0.2\n2,6.7,3.0,5.2,2.3\n")
            .getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    /** One case: how to make it, the limits it runs under, and how its job must end. */
    record Case(String name, Setup setup, Limits limits, ChunkLimits chunks, JobState state, FailureReason reason,
                String message) {
        @Override
        public String toString() {
            return name;
        }
    }

    @FunctionalInterface
    interface Setup {
        /** Puts the input (and the model it needs) in the store; returns the input's key. */
        String apply(InMemoryPipeline p, Path dir) throws IOException;
    }

    static Stream<Case> catalogue() {
        return Stream.of(
                // names and versions
                failed("a model name with uppercase", input("incoming/Iris/x.csv"), FailureReason.UNKNOWN_MODEL,
                        "'Iris' cannot name a model"),
                failed("a model name with unicode", input("incoming/irís/x.csv"), FailureReason.UNKNOWN_MODEL,
                        "'irís' cannot name a model"),
                // a '..' segment anywhere in the key, the model's included, makes the key unusable as a name
                failed("a model name of '..'", input("incoming/../x.csv"), FailureReason.INVALID_KEY,
                        "has a '..' path segment"),
                failed("current.json naming a version outside the model", (p, d) -> {
                    p.store.write(ModelKeys.pointer("iris"), pointer("{\"version\": \"../../fraud/versions/1\"}"));
                    return input("incoming/iris/x.csv").apply(p, d);
                }, FailureReason.MODEL_INVALID, "version '../../fraud/versions/1' is not valid"),
                failed("current.json with fields it does not hold", (p, d) -> {
                    p.store.write(ModelKeys.pointer("iris"), pointer("{\"version\": \"1\", \"path\": \"/etc\"}"));
                    return input("incoming/iris/x.csv").apply(p, d);
                }, FailureReason.MODEL_INVALID, "fields the pipeline does not know [path]"),
                failed("current.json with a sha256 that is not hex", (p, d) -> {
                    p.store.write(ModelKeys.pointer("iris"), pointer("{\"version\": \"1\", \"sha256\": \"../../x\"}"));
                    return input("incoming/iris/x.csv").apply(p, d);
                }, FailureReason.MODEL_INVALID, "sha256 '../../x' is not 64 hex digits"),
                failed("current.json naming a version that does not exist", (p, d) -> {
                    p.store.write(ModelKeys.pointer("iris"), pointer("{\"version\": \"7\"}"));
                    return input("incoming/iris/x.csv").apply(p, d);
                }, FailureReason.MODEL_FILE_MISSING, "version '7' has no manifest"),
                // manifests
                failed("a manifest sha256 that is a relative path", BadModelCatalogueTest::sha256PointingOutOfTheCache,
                        FailureReason.MODEL_INVALID, "is not 64 hex digits: '../../decoy'"),
                failed("a manifest file path with '/'", variant("slash", m -> withFile(m,
                        new ModelManifest.ModelFile("../../iris/versions/1/model.onnx", m.onnxFile().sha256(), 384))),
                        FailureReason.MODEL_INVALID, "is not a plain file name"),
                failed("a manifest missing fields", (p, d) -> {
                    p.store.write(ModelKeys.pointer("bare"), pointer("{\"version\": \"1\"}"));
                    p.store.write(ModelKeys.version("bare", "1") + "manifest.json",
                            "{\"name\": \"bare\", \"version\": \"1\"}".getBytes(StandardCharsets.UTF_8));
                    return input("incoming/bare/x.csv").apply(p, d);
                }, FailureReason.MODEL_INVALID, "files lists no .onnx file; no input tensor name; no features"),
                failed("a manifest stored under another model's name", variant("alias", m -> new ModelManifest("iris",
                        m.version(), m.framework(), m.files(), m.input(), m.features(), m.outputs(), m.labels(), m.createdAt())),
                        FailureReason.MODEL_INVALID, "describes model 'iris' version '1', not the model"),
                failed("a manifest input dtype the pipeline does not feed", variant("ints", m -> new ModelManifest(m.name(),
                        m.version(), m.framework(), m.files(), new ModelManifest.TensorSpec("features", m.input().shape(), "int32"),
                        m.features(), m.outputs(), m.labels(), m.createdAt())),
                        FailureReason.MODEL_INVALID, "input dtype is 'int32'"),
                failed("labels fewer than the graph's classes", variant("twolabels", m -> new ModelManifest(m.name(),
                        m.version(), m.framework(), m.files(), m.input(), m.features(), m.outputs(), List.of("a", "b"),
                        m.createdAt())), FailureReason.MODEL_INVALID, "gives 3 class probabilities but the manifest has 2 labels"),
                // the ONNX file
                failed("an ONNX file that is not ONNX", (p, d) -> {
                    byte[] text = "this is not a model\n".repeat(20).getBytes(StandardCharsets.UTF_8);
                    publishRaw(p, "notonnx", text, "iris");
                    return input("incoming/notonnx/x.csv").apply(p, d);
                }, FailureReason.MODEL_INVALID, "is not an ONNX model"),
                failed("a regression model (no probabilities)", testModel("regression"), FailureReason.MODEL_INVALID,
                        "one value per row: a regression model's"),
                failed("a model with an int64 input", testModel("int64-input"), FailureReason.MODEL_INVALID,
                        "input 'features' is int64; the pipeline feeds float or double"),
                failed("a model with two inputs", testModel("two-inputs"), FailureReason.MODEL_INVALID,
                        "the graph has 2 inputs [features, more_features]"),
                failed("a model with a rank-3 input", testModel("rank3-input"), FailureReason.MODEL_INVALID,
                        "has shape [?, 1, 4], not [batch, features]"),
                failed("a double input the manifest calls float32", (p, d) -> {
                    ModelStore.LocalModel local = ModelStore.readLocal(Samples.root().resolve("test-models/float64-input"));
                    ModelManifest m = local.manifest();
                    publishRaw(p, "float64-input", Files.readAllBytes(local.onnxFile()), new ModelManifest(m.name(), m.version(),
                            m.framework(), m.files(), new ModelManifest.TensorSpec("features", m.input().shape(), "float32"),
                            m.features(), m.outputs(), m.labels(), m.createdAt()));
                    return input("incoming/float64-input/x.csv").apply(p, d);
                }, FailureReason.MODEL_INVALID, "input 'features' is double but the manifest says float32"),
                new Case("a model with double probabilities", testModel("float64-probabilities"), Limits.defaults(),
                        new ChunkLimits(100, Long.MAX_VALUE), JobState.SUCCEEDED, null, null),
                new Case("a model with a double input", testModel("float64-input"), Limits.defaults(),
                        new ChunkLimits(100, Long.MAX_VALUE), JobState.SUCCEEDED, null, null),
                new Case("a model file over MAX_MODEL_BYTES", input("incoming/iris/x.csv"), Limits.defaults().withMaxModelBytes(100),
                        new ChunkLimits(100, Long.MAX_VALUE), JobState.FAILED, FailureReason.LIMIT_EXCEEDED,
                        "an ONNX file of 384 bytes, more than 100 (MAX_MODEL_BYTES)"),
                // bounded work
                new Case("a gzip bomb of newlines", (p, d) -> p.put("incoming/iris/bomb.csv.gz", newlineBomb(256 << 20)),
                        Limits.defaults(), ChunkLimits.defaults(), JobState.FAILED, FailureReason.LIMIT_EXCEEDED,
                        "times its compressed size"),
                new Case("a .csv.gz expanding past MAX_UNCOMPRESSED_BYTES", (p, d) -> p.put("incoming/iris/big.csv.gz",
                        randomRowsGzip(4 << 20)), Limits.defaults().withMaxUncompressedBytes(1 << 20),
                        new ChunkLimits(100_000, Long.MAX_VALUE), JobState.FAILED, FailureReason.LIMIT_EXCEEDED,
                        "expands to more than 1048576 bytes (MAX_UNCOMPRESSED_BYTES)"),
                new Case("more chunks than MAX_CHUNKS_PER_JOB", (p, d) -> p.put("incoming/iris/many.csv", rows(50)),
                        Limits.defaults().withMaxChunksPerJob(10), new ChunkLimits(1, Long.MAX_VALUE), JobState.FAILED,
                        FailureReason.LIMIT_EXCEEDED, "makes 50 chunks, more than a job may have (10, MAX_CHUNKS_PER_JOB)"),
                new Case("a .csv.gz staging more chunks than MAX_CHUNKS_PER_JOB", (p, d) -> p.put("incoming/iris/many.csv.gz",
                        gzip(rows(50))), Limits.defaults().withMaxChunksPerJob(10), new ChunkLimits(1, Long.MAX_VALUE),
                        JobState.FAILED, FailureReason.LIMIT_EXCEEDED, "MAX_CHUNKS_PER_JOB"),
                new Case("Parquet with more row groups than MAX_CHUNKS_PER_JOB", (p, d) -> p.put("incoming/fraud/t.parquet",
                        Files.readAllBytes(Samples.data("transactions.parquet"))), Limits.defaults().withMaxChunksPerJob(2),
                        new ChunkLimits(1, Long.MAX_VALUE), JobState.FAILED, FailureReason.LIMIT_EXCEEDED,
                        "makes 4 chunks, more than a job may have (2, MAX_CHUNKS_PER_JOB)"),
                failed("a file name too long for its outputs", input("incoming/iris/" + "n".repeat(208) + ".csv"),
                        FailureReason.LIMIT_EXCEEDED, "more than the 218 a file name may have"),
                failed("a key too long for S3 once suffixes are added",
                        input("incoming/iris/" + (("d".repeat(99) + "/").repeat(10)) + "x.csv"),
                        FailureReason.LIMIT_EXCEEDED, "more than the 1024 S3 allows"),
                new Case("a file name of 200 bytes", input("incoming/iris/" + "n".repeat(196) + ".csv"), Limits.defaults(),
                        new ChunkLimits(100, Long.MAX_VALUE), JobState.SUCCEEDED, null, null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("catalogue")
    void endsInItsTerminalStateWithAReasonAndAMessage(Case c) throws IOException {
        InMemoryPipeline p = new InMemoryPipeline(dir.resolve("cache"), c.chunks(), DataSettings.defaults(), c.limits());
        // published under the default limits: a case may lower one that publishing would enforce too
        ModelStore publisher = new ModelStore(p.store, dir.resolve("publisher-cache"));
        Samples.publish(publisher, "iris");
        Samples.publish(publisher, "fraud");
        String key = c.setup().apply(p, dir);
        byte[] input = p.text(key).getBytes(StandardCharsets.UTF_8);

        JobIngestor.Outcome outcome = p.runToEnd(key);

        JobSummary summary = new JobStore(p.store).terminal(outcome.jobId()).orElseThrow();
        assertThat(summary.state()).isEqualTo(c.state());
        assertThat(summary.reason()).isEqualTo(c.reason());
        if (c.state() == JobState.FAILED) {
            assertThat(outcome.status()).as("refused at ingest, before any chunk").isEqualTo(JobIngestor.Outcome.Status.REJECTED);
            assertThat(summary.message()).contains(c.message()).doesNotContain("Exception").doesNotContain("\tat ");
            assertThat(p.store.list("output/")).doesNotContain(JobKeys.predictions(key));
        } else {
            String reference = p.put("incoming/iris/reference.csv", IRIS_ROWS);
            p.runToEnd(reference);
            assertThat(p.predictionsOf(key)).as("what the iris model predicts").isEqualTo(p.predictionsOf(reference))
                    .contains("setosa").contains("virginica");
        }
        if (dev.batchinference.job.KeyLimits.problem(JobKeys.summary(key)).isEmpty()) {
            assertThat(p.text(JobKeys.summary(key))).contains(c.state().name());
        }
        assertThat(p.text(key).getBytes(StandardCharsets.UTF_8)).as("input unchanged").isEqualTo(input);
    }

    private static Case failed(String name, Setup setup, FailureReason reason, String message) {
        return new Case(name, setup, Limits.defaults(), new ChunkLimits(100, Long.MAX_VALUE), JobState.FAILED, reason, message);
    }

    private static Setup input(String key) {
        return (p, d) -> p.put(key, IRIS_ROWS);
    }

    private static Setup testModel(String name) {
        return (p, d) -> {
            ModelStore.LocalModel local = ModelStore.readLocal(Samples.root().resolve("test-models").resolve(name));
            publishRaw(p, name, Files.readAllBytes(local.onnxFile()), local.manifest());
            return input("incoming/" + name + "/x.csv").apply(p, d);
        };
    }

    /** The iris model under another name, its manifest changed, stored as is (publishing would refuse most). */
    private static Setup variant(String name, UnaryOperator<ModelManifest> change) {
        return (p, d) -> {
            ModelStore.LocalModel iris = ModelStore.readLocal(Samples.model("iris"));
            ModelManifest m = iris.manifest();
            publishRaw(p, name, Files.readAllBytes(iris.onnxFile()), change.apply(new ModelManifest(name, "1", m.framework(),
                    m.files(), m.input(), m.features(), m.outputs(), m.labels(), m.createdAt())));
            return input("incoming/" + name + "/x.csv").apply(p, d);
        };
    }

    private static ModelManifest withFile(ModelManifest m, ModelManifest.ModelFile file) {
        return new ModelManifest(m.name(), m.version(), m.framework(), List.of(file), m.input(), m.features(), m.outputs(),
                m.labels(), m.createdAt());
    }

    /** Bytes as a model's ONNX file, with a manifest like another model's but for these bytes. */
    private static void publishRaw(InMemoryPipeline p, String name, byte[] onnx, String manifestOf) {
        ModelManifest m = ModelStore.readLocal(Samples.model(manifestOf)).manifest();
        publishRaw(p, name, onnx, new ModelManifest(name, "1", m.framework(),
                List.of(new ModelManifest.ModelFile("model.onnx", sha256(onnx), onnx.length)), m.input(), m.features(),
                m.outputs(), m.labels(), m.createdAt()));
    }

    private static void publishRaw(InMemoryPipeline p, String name, byte[] onnx, ModelManifest manifest) {
        String prefix = ModelKeys.version(name, "1");
        p.store.write(prefix + "model.onnx", onnx);
        p.store.write(prefix + "manifest.json", JsonCodec.writePretty(manifest));
        p.store.write(ModelKeys.pointer(name), JsonCodec.writeBytes(new ModelPointer("1", null)));
    }

    /**
     * A manifest whose sha256 is a relative path to an ONNX file planted beside the cache: the file a worker would
     * have loaded, unchecked, before sha256 values were validated.
     */
    private static String sha256PointingOutOfTheCache(InMemoryPipeline p, Path dir) throws IOException {
        Files.copy(Samples.model("iris").resolve("model.onnx"), dir.resolve("decoy.onnx"));
        ModelStore.LocalModel iris = ModelStore.readLocal(Samples.model("iris"));
        ModelManifest m = iris.manifest();
        publishRaw(p, "escape", Files.readAllBytes(iris.onnxFile()), new ModelManifest("escape", "1", m.framework(),
                List.of(new ModelManifest.ModelFile("model.onnx", "../../decoy", 384)), m.input(), m.features(), m.outputs(),
                m.labels(), m.createdAt()));
        return input("incoming/escape/x.csv").apply(p, dir);
    }

    private static byte[] pointer(String json) {
        return json.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] rows(int n) {
        StringBuilder csv = new StringBuilder(IRIS_HEADER).append('\n');
        for (int i = 1; i <= n; i++) {
            csv.append(i).append(",5.1,3.5,1.4,0.2\n");
        }
        return csv.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] gzip(byte[] bytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** A header, then {@code newlines} newlines, compressed as tightly as deflate can (about 1,030 to 1). */
    static byte[] newlineBomb(int newlines) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out, 1 << 16) {
            {
                def.setLevel(Deflater.BEST_COMPRESSION);
            }
        }) {
            gz.write((IRIS_HEADER + "\n").getBytes(StandardCharsets.UTF_8));
            byte[] block = new byte[1 << 20];
            java.util.Arrays.fill(block, (byte) '\n');
            for (int written = 0; written < newlines; written += block.length) {
                gz.write(block);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Rows of random numbers, which compress only a few times over. */
    private static byte[] randomRowsGzip(int bytes) {
        Random random = new Random(7);
        StringBuilder csv = new StringBuilder(IRIS_HEADER).append('\n');
        for (int i = 1; csv.length() < bytes; i++) {
            csv.append(i).append(',').append(random.nextFloat()).append(',').append(random.nextFloat()).append(',')
                    .append(random.nextFloat()).append(',').append(random.nextFloat()).append('\n');
        }
        return gzip(csv.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
