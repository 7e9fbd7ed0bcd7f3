package dev.batchinference.local.endtoend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.batchinference.aws.AwsClients;
import dev.batchinference.aws.S3ObjectStore;
import dev.batchinference.config.PipelineConfig;
import dev.batchinference.local.emulator.EmbeddedS3;
import dev.batchinference.storage.NoSuchKeyException;
import dev.batchinference.storage.ObjectStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * {@link S3ObjectStore#concatenate}, which collation uses for CSV outputs, against real S3 APIs: the
 * embedded S3Proxy always, and the external endpoint of tier 3 (moto in {@code .ci/run}) when one is
 * configured. The object must be the exact concatenation whatever mix of uploaded and server-side copied
 * parts S3's part rules lead to; the ETag's part count shows the copies were made.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class S3ConcatenationTest {
    private static final int MIB = 1024 * 1024;
    private static final byte[] HEADER = "id,label,prob_fraud\n".getBytes(StandardCharsets.UTF_8);

    private EmbeddedS3 embedded;
    private final List<Target> targets = new ArrayList<>();

    record Target(String name, S3Client s3, ObjectStore store) {
        @Override
        public String toString() {
            return name;
        }
    }

    @BeforeAll
    void start() {
        embedded = EmbeddedS3.inMemory(0);
        targets.add(target("S3Proxy", embedded.endpoint(), embedded.accessKey(), embedded.secretKey()));
        ExternalEndpointEndToEndIT.configured().ifPresent(e ->
                targets.add(target("external " + e.s3(), e.s3(), e.accessKeyId(), e.secretAccessKey())));
    }

    private static Target target(String name, URI endpoint, String accessKey, String secretKey) {
        String bucket = "concat-" + UUID.randomUUID().toString().substring(0, 8);
        PipelineConfig config = PipelineConfig.from(Map.of(PipelineConfig.BUCKET, bucket,
                PipelineConfig.S3_ENDPOINT, endpoint.toString(), PipelineConfig.REGION, "us-east-1",
                PipelineConfig.ACCESS_KEY_ID, accessKey, PipelineConfig.SECRET_ACCESS_KEY, secretKey));
        S3Client s3 = AwsClients.s3(config);
        s3.createBucket(b -> b.bucket(bucket));
        return new Target(name, s3, new S3ObjectStore(s3, bucket));
    }

    @AfterAll
    void stop() {
        for (Target t : targets) {
            String bucket = ((S3ObjectStore) t.store()).bucket();
            t.store().list("").forEach(t.store()::delete);
            t.s3().deleteBucket(b -> b.bucket(bucket));
            t.s3().close();
        }
        embedded.close();
    }

    Stream<Target> targets() {
        return targets.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void largeSourcesAreCopiedAfterTheFirstPartIsToppedUpToFiveMib(Target target) throws IOException {
        ObjectStore store = target.store();
        List<byte[]> contents = List.of(bytes(1, 20 * MIB), bytes(2, 20 * MIB), bytes(3, 1000));
        List<String> keys = put(store, "big", contents);

        ObjectStore.StoredObject written = store.concatenate("output/big.csv", HEADER, keys);

        assertThat(read(store, "output/big.csv")).isEqualTo(concatenation(contents));
        assertWrittenAsStored(store, written);
        // the header topped up from the first source to 5 MiB, uploaded as part 1; the rest of that source (a
        // range), the second and the small last one copied as parts 2 to 4. Streamed through this process
        // in 8 MiB parts, the 40 MiB would have made 6 parts.
        assertThat(store.head("output/big.csv").orElseThrow().etag()).endsWith("-4\"");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void smallSourcesPassThroughAndTheResultIsStillExact(Target target) throws IOException {
        ObjectStore store = target.store();
        List<byte[]> contents = List.of(bytes(5, 3 * MIB), bytes(6, 0), bytes(7, 4 * MIB), bytes(8, 7 * MIB),
                bytes(9, 1 * MIB), bytes(10, 2 * MIB));
        List<String> keys = put(store, "small", contents);

        ObjectStore.StoredObject written = store.concatenate("output/small.csv", HEADER, keys);

        assertThat(read(store, "output/small.csv")).isEqualTo(concatenation(contents));
        assertWrittenAsStored(store, written);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void aSmallResultIsOneObjectWithoutMultipart(Target target) throws IOException {
        ObjectStore store = target.store();
        List<byte[]> contents = List.of(bytes(11, 100), bytes(12, 200));
        List<String> keys = put(store, "tiny", contents);

        ObjectStore.StoredObject written = store.concatenate("output/tiny.csv", HEADER, keys);

        assertThat(read(store, "output/tiny.csv")).isEqualTo(concatenation(contents));
        assertWrittenAsStored(store, written);
        assertThat(store.head("output/tiny.csv").orElseThrow().etag()).doesNotContain("-");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void aMissingSourceLeavesNoObject(Target target) {
        ObjectStore store = target.store();
        List<String> keys = new ArrayList<>(put(store, "missing", List.of(bytes(13, 6 * MIB))));
        keys.add("jobs/missing/parts/none.csv");

        assertThatThrownBy(() -> store.concatenate("output/missing.csv", HEADER, keys))
                .isInstanceOf(NoSuchKeyException.class);
        assertThat(store.head("output/missing.csv")).isEmpty();
    }

    /** The copy that writes a Parquet part object: one request, the bytes exact, what it says it wrote as S3 keeps it. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void aCopyIsExactAndTellsTheSizeAndEtagS3Keeps(Target target) throws IOException {
        ObjectStore store = target.store();
        List<String> keys = put(store, "copied", List.of(bytes(13, 6 * MIB)));

        ObjectStore.StoredObject written = store.copy(keys.get(0), "output/copied.parquet");

        assertThat(read(store, "output/copied.parquet")).isEqualTo(bytes(13, 6 * MIB));
        assertWrittenAsStored(store, written);
    }

    /** What a write returned is what a HEAD of the object finds, for the manifest of predictions in parts. */
    private static void assertWrittenAsStored(ObjectStore store, ObjectStore.StoredObject written) {
        ObjectStore.StoredObject stored = store.head(written.key()).orElseThrow();
        assertThat(written.size()).isEqualTo(stored.size());
        assertThat(written.etag()).isEqualTo(stored.etag());
    }

    private static List<String> put(ObjectStore store, String name, List<byte[]> contents) {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < contents.size(); i++) {
            String key = "jobs/" + name + "/parts/" + String.format("%05d", i) + ".csv";
            store.write(key, contents.get(i));
            keys.add(key);
        }
        return keys;
    }

    private static byte[] bytes(long seed, int size) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] concatenation(List<byte[]> contents) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.write(HEADER);
        for (byte[] c : contents) {
            all.write(c);
        }
        return all.toByteArray();
    }

    private static byte[] read(ObjectStore store, String key) throws IOException {
        try (InputStream in = store.read(key)) {
            return in.readAllBytes();
        }
    }
}
