package dev.batchinference.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchinference.failure.FailureReason;
import dev.batchinference.format.ChunkLimits;
import dev.batchinference.job.JobKeys;
import dev.batchinference.job.JobState;
import dev.batchinference.job.JobSummary;
import dev.batchinference.json.JsonCodec;
import dev.batchinference.testing.InMemoryPipeline;
import dev.batchinference.testing.Samples;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A file of one kind named as another ends with a message that names the file and what is wrong with it, and
 * never with an object's identity ({@code ObjectStoreInputFile@63d8e45f}), which tells a user nothing.
 */
class FailureMessagesTest {
    /** What {@code Object.toString} prints: a class name, '@' and a hash code in hex. */
    static final String OBJECT_IDENTITY = ".*@[0-9a-f]{6,}.*";

    @TempDir
    Path dir;

    static Stream<Arguments> filesOfTheWrongKind() throws IOException {
        byte[] iris = Files.readAllBytes(Samples.data("iris.csv"));
        byte[] parquet = Files.readAllBytes(Samples.data("iris.parquet"));
        byte[] gzip = Files.readAllBytes(Samples.data("transactions.csv.gz"));
        return Stream.of(
                Arguments.of("renamed.parquet", iris, FailureReason.UNREADABLE_INPUT,
                        "renamed.parquet is not a Parquet file: it does not start or end with Parquet's magic number"),
                Arguments.of("cut.parquet", Arrays.copyOf(parquet, parquet.length / 2), FailureReason.UNREADABLE_INPUT,
                        "cut.parquet is not a whole Parquet file"),
                Arguments.of("tiny.parquet", "PAR1".getBytes(StandardCharsets.US_ASCII), FailureReason.UNREADABLE_INPUT,
                        "tiny.parquet is not a Parquet file: it has 4 bytes"),
                Arguments.of("empty.parquet", new byte[0], FailureReason.UNREADABLE_INPUT,
                        "empty.parquet is not a Parquet file: it has 0 bytes"),
                Arguments.of("parquet.csv", parquet, FailureReason.UNREADABLE_INPUT,
                        "the file is Parquet, not CSV text: name it .parquet"),
                Arguments.of("plain.csv.gz", iris, FailureReason.UNREADABLE_INPUT, "not a complete gzip file"),
                Arguments.of("cut.csv.gz", Arrays.copyOf(gzip, gzip.length / 2), FailureReason.UNREADABLE_INPUT,
                        "not a complete gzip file"),
                Arguments.of("notes.txt", iris, FailureReason.UNSUPPORTED_FORMAT, "'notes.txt' is not a file the pipeline reads"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("filesOfTheWrongKind")
    void aFileOfTheWrongKindEndsWithAMessageNamingItAndNoObjectIdentity(String name, byte[] content, FailureReason reason,
                                                                         String message) {
        InMemoryPipeline p = new InMemoryPipeline(dir.resolve("cache"), new ChunkLimits(100, Long.MAX_VALUE));
        Samples.publish(p.models, "iris");
        String key = p.put("incoming/iris/" + name, content);

        p.runToEnd(key);

        JobSummary summary = JsonCodec.read(p.text(JobKeys.summary(key)), JobSummary.class);
        assertThat(summary.state()).isEqualTo(JobState.FAILED);
        assertThat(summary.reason()).isEqualTo(reason);
        assertThat(summary.message()).contains(message).doesNotMatch(OBJECT_IDENTITY);
    }
}
