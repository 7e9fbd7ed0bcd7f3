package dev.batchinference.local.emulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * The local S3 on disk refuses, through the S3 API, every request for a key its file store would read as another
 * path, with a 400 InvalidArgument naming the key, and writes nothing: not over another key, not outside the
 * bucket's folder.
 */
class UnsafeKeysIT {
    private static final String BUCKET = "bucket";

    @TempDir
    Path dir;

    private EmbeddedS3 s3;
    private S3Client client;
    private Path data;

    @BeforeEach
    void start() {
        data = dir.resolve("data");
        s3 = EmbeddedS3.onDisk(data, 0);
        client = EmbeddedEmulatorsTest.s3ClientFor(s3);
        client.createBucket(b -> b.bucket(BUCKET));
        client.createBucket(b -> b.bucket("other"));
        put("output/iris/victim.csv.predictions.csv", "the victim's predictions");
        put("models/iris/current.json", "{\"version\":\"1\"}");
        put("other/secret", "another bucket's");
    }

    @AfterEach
    void stop() {
        client.close();
        s3.close();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"incoming/iris/../../output/iris/victim.csv.predictions.csv",
            "incoming/iris/../../models/iris/current.json", "incoming/../../other/secret", "incoming/iris/./x.csv",
            "incoming/iris//x.csv"})
    void everyKindOfRequestForAnUnsafeKeyIsRefusedAndWritesNothing(String key) throws IOException {
        Map<String, String> before = files();
        Map<String, ThrowingCallable> requests = new LinkedHashMap<>();
        requests.put("PUT", () -> client.putObject(b -> b.bucket(BUCKET).key(key), RequestBody.fromString("attack")));
        requests.put("GET", () -> client.getObjectAsBytes(b -> b.bucket(BUCKET).key(key)));
        requests.put("DELETE", () -> client.deleteObject(b -> b.bucket(BUCKET).key(key)));
        requests.put("copy to it", () -> client.copyObject(b -> b.sourceBucket(BUCKET).sourceKey("models/iris/current.json")
                .destinationBucket(BUCKET).destinationKey(key)));
        requests.put("copy from it", () -> client.copyObject(b -> b.sourceBucket(BUCKET).sourceKey(key)
                .destinationBucket(BUCKET).destinationKey("incoming/iris/copied.csv")));
        requests.put("multipart upload", () -> client.createMultipartUpload(b -> b.bucket(BUCKET).key(key)));

        requests.forEach((name, request) -> assertThatThrownBy(request).as(name)
                .isInstanceOfSatisfying(S3Exception.class, e -> {
                    assertThat(e.statusCode()).as(name).isEqualTo(400);
                    assertThat(e.awsErrorDetails().errorCode()).as(name).isEqualTo("InvalidArgument");
                    assertThat(e.awsErrorDetails().errorMessage()).as(name).contains("'" + key + "'");
                }));
        // a HEAD's answer has no body, so only its status tells
        assertThatThrownBy(() -> client.headObject(b -> b.bucket(BUCKET).key(key)))
                .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.statusCode()).isEqualTo(400));
        assertThat(files()).as("every file under the store's folder, as it was").isEqualTo(before);
        assertThat(client.getObjectAsBytes(b -> b.bucket(BUCKET).key("models/iris/current.json")).asUtf8String())
                .isEqualTo("{\"version\":\"1\"}");
    }

    @Test
    void aListingCannotClimbOutOfTheBucket() {
        assertThatThrownBy(() -> client.listObjectsV2(b -> b.bucket(BUCKET).prefix("../")))
                .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.statusCode()).isEqualTo(400));
        assertThat(client.listObjectsV2(b -> b.bucket(BUCKET).prefix("output/")).contents())
                .extracting(o -> o.key()).containsExactly("output/iris/victim.csv.predictions.csv");
    }

    @Test
    void keysWithDotsInsideNamesAreOrdinaryKeys() {
        put("incoming/iris/..x/a...csv", "fine");

        assertThat(client.getObjectAsBytes(b -> b.bucket(BUCKET).key("incoming/iris/..x/a...csv")).asUtf8String())
                .isEqualTo("fine");
    }

    private void put(String key, String text) {
        String bucket = key.startsWith("other/") ? "other" : BUCKET;
        String name = key.startsWith("other/") ? key.substring("other/".length()) : key;
        client.putObject(b -> b.bucket(bucket).key(name), RequestBody.fromString(text));
    }

    /** Every regular file under the store's folder, with its content. */
    private Map<String, String> files() throws IOException {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> all = Files.walk(data)) {
            for (Path file : (Iterable<Path>) all.filter(Files::isRegularFile)::iterator) {
                files.put(data.relativize(file).toString(), new String(Files.readAllBytes(file), StandardCharsets.UTF_8));
            }
        }
        return files;
    }
}
