package dev.batchinference.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.batchinference.failure.FailureReason;
import dev.batchinference.failure.PipelineException;
import dev.batchinference.storage.InMemoryObjectStore;
import dev.batchinference.testing.Samples;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Publishing checks names and the graph's signature; the worker's cache holds only what was verified. */
class ModelStoreTest {
    @TempDir
    Path dir;

    private final InMemoryObjectStore store = new InMemoryObjectStore();

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "regression | one value per row: a regression model's",
            "int64-input | input 'features' is int64; the pipeline feeds float or double",
            "two-inputs | the graph has 2 inputs [features, more_features]",
            "rank3-input | input 'features' has shape [?, 1, 4], not [batch, features]"})
    void publishRefusesAGraphThePipelineCannotFeedOrRead(String model, String message) {
        ModelStore.LocalModel local = ModelStore.readLocal(Samples.root().resolve("test-models").resolve(model));

        assertRefused(() -> new ModelStore(store, dir).publish(local.onnxFile(), local.manifest()),
                FailureReason.MODEL_INVALID, message);
        assertThat(store.list("models/")).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"float64-probabilities", "float64-input"})
    void publishAcceptsDoubleInputsAndProbabilities(String model) {
        ModelStore.LocalModel local = ModelStore.readLocal(Samples.root().resolve("test-models").resolve(model));

        ModelRef ref = new ModelStore(store, dir).publish(local.onnxFile(), local.manifest());

        assertThat(ref.name()).isEqualTo(model);
        assertThat(store.list("models/")).contains("models/" + model + "/versions/1/model.onnx");
    }

    @Test
    void aBareRegressionModelIsRefusedWhenItsManifestIsWrittenFromTheGraph() {
        Path onnx = Samples.root().resolve("test-models/regression/model.onnx");

        assertRefused(() -> OnnxGraph.read(onnx), FailureReason.MODEL_INVALID, "a regression model's");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"../evil", "a/b", "Iris", "irís", "x..y", "a b"})
    void publishRefusesNamesThatAreNotPlainModelNames(String name) {
        ModelStore.LocalModel iris = ModelStore.readLocal(Samples.model("iris"));
        ModelManifest m = iris.manifest();

        assertRefused(() -> new ModelStore(store, dir).publish(iris.onnxFile(), new ModelManifest(name, "1", m.framework(),
                m.files(), m.input(), m.features(), m.outputs(), m.labels(), m.createdAt())), FailureReason.MODEL_INVALID,
                "is not valid: a name is 1 to 64 characters");
        assertThat(store.list("")).isEmpty();
    }

    @Test
    void aPinnedSha256ThatIsAPathCannotReachOutsideTheCache() throws IOException {
        ModelStore models = new ModelStore(store, dir.resolve("cache"));
        Samples.publish(models, "iris");
        Files.copy(Samples.model("iris").resolve("model.onnx"), dir.resolve("decoy.onnx"));
        ModelManifest manifest = ModelStore.readLocal(Samples.model("iris")).manifest();

        assertRefused(() -> models.loadVerified(new ModelRef("iris", "1", "../../decoy"), manifest),
                FailureReason.MODEL_INVALID, "not a valid name, version and sha256");
        assertRefused(() -> models.loadVerified(new ModelRef("../iris", "1", manifest.onnxFile().sha256()), manifest),
                FailureReason.MODEL_INVALID, "not a valid name, version and sha256");
    }

    @Test
    void whatIsLoadedIsWhatWasVerifiedEvenWhenTheCachedCopyChanges() throws Exception {
        ModelStore models = new ModelStore(store, dir.resolve("cache"));
        ModelRef ref = Samples.publish(models, "iris");
        ModelManifest manifest = ModelStore.readLocal(Samples.model("iris")).manifest();
        Path cached = models.fetch(ref, manifest);
        Files.write(cached, "tampered".getBytes());

        byte[] loaded = models.loadVerified(ref, manifest);

        assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(loaded))).isEqualTo(ref.sha256());
        assertThat(loaded).isEqualTo(Files.readAllBytes(Samples.model("iris").resolve("model.onnx")));
    }

    @Test
    void theSignatureIsReadFromTheProtobufWithoutOnnxRuntime() throws IOException {
        OnnxSignature iris = OnnxSignature.of(Samples.model("iris").resolve("model.onnx"));
        OnnxSignature doubles = OnnxSignature.of(Samples.root().resolve("test-models/float64-probabilities/model.onnx"));

        assertThat(iris.inputs()).containsExactly(new OnnxSignature.Tensor("features", OnnxSignature.FLOAT, new long[] {-1, 4}));
        assertThat(iris.outputs()).containsExactly(
                new OnnxSignature.Tensor("label", OnnxSignature.INT64, new long[] {-1}),
                new OnnxSignature.Tensor("probabilities", OnnxSignature.FLOAT, new long[] {-1, 3}));
        assertThat(doubles.output("probabilities").elementType()).isEqualTo(OnnxSignature.DOUBLE);
        assertThat(iris.problemsWith(ModelStore.readLocal(Samples.model("iris")).manifest())).isEmpty();
        assertRefused(() -> OnnxSignature.of(Samples.data("iris.csv")), FailureReason.MODEL_INVALID,
                "is not an ONNX model");
        assertThat(List.of(iris.inputs().get(0).shapeText())).containsExactly("[?, 4]");
    }

    @Test
    void ingestsCheckReadsPastLargeFieldsAndVerifiesEveryByte() throws Exception {
        // the iris graph followed by an unknown 1 MiB field (number 99), as a model with large weights has
        byte[] iris = Files.readAllBytes(Samples.model("iris").resolve("model.onnx"));
        byte[] padding = new byte[1 << 20];
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        bytes.write(iris);
        bytes.write(new byte[] {(byte) 0x9a, 0x06}); // field 99, length-delimited
        bytes.write(new byte[] {(byte) 0x80, (byte) 0x80, 0x40}); // 1 MiB as a varint
        bytes.write(padding);
        byte[] model = bytes.toByteArray();
        String sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(model));
        ModelManifest iris1 = ModelStore.readLocal(Samples.model("iris")).manifest();
        ModelManifest manifest = new ModelManifest("big", "1", iris1.framework(),
                List.of(new ModelManifest.ModelFile("model.onnx", sha256, model.length)), iris1.input(), iris1.features(),
                iris1.outputs(), iris1.labels(), iris1.createdAt());
        store.write("models/big/versions/1/model.onnx", model);
        ModelStore models = new ModelStore(store, dir);

        models.checkGraph(new ModelStore.ResolvedModel(new ModelRef("big", "1", sha256), manifest));

        model[model.length - 1] = 1;
        store.write("models/big/versions/1/model.onnx", model);
        assertRefused(() -> new ModelStore(store, dir).checkGraph(new ModelStore.ResolvedModel(
                new ModelRef("big", "1", sha256), manifest)), FailureReason.CHECKSUM_MISMATCH, "has sha256");
    }

    private static void assertRefused(ThrowingCallable call, FailureReason reason, String message) {
        assertThatThrownBy(call).isInstanceOfSatisfying(PipelineException.class, e -> {
            assertThat(e.reason()).isEqualTo(reason);
            assertThat(e.getMessage()).contains(message);
        });
    }
}
