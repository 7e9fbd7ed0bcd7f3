package dev.batchinference.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchinference.config.PipelineConfig.DataSettings;
import dev.batchinference.config.PipelineConfig.Limits;
import dev.batchinference.format.ChunkLimits;
import dev.batchinference.job.JobKeys;
import dev.batchinference.job.JobState;
import dev.batchinference.job.JobSummary;
import dev.batchinference.job.Requests;
import dev.batchinference.json.JsonCodec;
import dev.batchinference.testing.InMemoryPipeline;
import dev.batchinference.testing.Samples;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A job's S3 and SQS requests, as its summary counts them, grow linearly with its chunks: the requests per chunk of each
 * function and operation are the same at 200 and 2,000 chunks (one row each), and at 20,000 with
 * {@code -Dscale.chunks=20000} (a minute or two here: the in-memory pipeline still runs every chunk through ONNX).
 */
class RequestsPerChunkTest {
    private static final int LARGEST = Integer.getInteger("scale.chunks", 2_000);
    private static final List<Integer> SIZES = LARGEST > 2_000 ? List.of(200, 2_000, LARGEST) : List.of(200, 2_000);
    private static final Map<String, Function<Requests, Long>> OPERATIONS = operations();

    @TempDir
    Path dir;

    private static Map<String, Function<Requests, Long>> operations() {
        Map<String, Function<Requests, Long>> operations = new LinkedHashMap<>();
        operations.put("s3.HeadObject", Requests::s3HeadObject);
        operations.put("s3.GetObject", Requests::s3GetObject);
        operations.put("s3.PutObject", Requests::s3PutObject);
        operations.put("s3.ListObjectsV2", Requests::s3ListObjectsV2);
        operations.put("s3.DeleteObject", Requests::s3DeleteObject);
        operations.put("sqs.SendMessageBatch", Requests::sqsSendMessageBatch);
        return operations;
    }

    private JobSummary run(int chunks) throws IOException {
        InMemoryPipeline p = new InMemoryPipeline(Files.createDirectories(dir.resolve("cache-" + chunks)),
                new ChunkLimits(1, Long.MAX_VALUE), DataSettings.defaults(), Limits.defaults().withMaxChunksPerJob(chunks));
        Samples.publish(p.models, "iris");
        List<String> iris = Files.readAllLines(Samples.data("iris.csv"));
        StringBuilder csv = new StringBuilder(iris.get(0)).append('\n');
        for (int row = 0; row < chunks; row++) {
            csv.append(iris.get(1 + row % (iris.size() - 1))).append('\n');
        }
        String key = p.put("incoming/iris/scale/" + chunks + ".csv", csv.toString().getBytes(StandardCharsets.UTF_8));
        p.runToEnd(key);
        return JsonCodec.read(p.text(JobKeys.summary(key)), JobSummary.class);
    }

    @Test
    void requestsPerChunkOfEveryFunctionStayTheSameFrom200To20000Chunks() throws IOException {
        Map<Integer, JobSummary> summaries = new LinkedHashMap<>();
        for (int chunks : SIZES) {
            JobSummary summary = run(chunks);
            assertThat(summary.state()).isEqualTo(JobState.SUCCEEDED);
            assertThat(summary.chunks()).isEqualTo(chunks);
            assertThat(summary.rowsOut()).isEqualTo(chunks);
            summaries.put(chunks, summary);
        }
        Map<String, Function<JobSummary, Requests>> functions = new LinkedHashMap<>();
        functions.put("ingest-trigger", s -> s.requests().ingestTrigger());
        functions.put("batch-worker", s -> s.requests().batchWorker());
        functions.put("results-writer", s -> s.requests().resultsWriter());
        System.out.printf("%-16s %-22s%s%n", "function", "operation",
                SIZES.stream().map(n -> String.format("%,13d", n)).collect(java.util.stream.Collectors.joining()));
        double perChunkAtMost = 0;
        for (var function : functions.entrySet()) {
            for (var operation : OPERATIONS.entrySet()) {
                long[] counts = SIZES.stream().mapToLong(n -> operation.getValue().apply(
                        function.getValue().apply(summaries.get(n)))).toArray();
                System.out.printf("%-16s %-22s%s%n", function.getKey(), operation.getKey(), java.util.Arrays.stream(counts)
                        .mapToObj(n -> String.format("%,13d", n)).collect(java.util.stream.Collectors.joining()));
                double smallest = counts[0] / (double) SIZES.get(0);
                for (int i = 1; i < SIZES.size(); i++) {
                    double perChunk = counts[i] / (double) SIZES.get(i);
                    // fixed costs (the plan, the model) spread thinner; a group of 100 chunks adds one in 10,000
                    assertThat(perChunk).as("%s %s per chunk at %,d chunks, against %.4f at %,d", function.getKey(),
                            operation.getKey(), SIZES.get(i), smallest, SIZES.get(0)).isLessThanOrEqualTo(smallest * 1.001 + 0.001);
                }
                perChunkAtMost += smallest;
            }
        }
        JobSummary largest = summaries.get(SIZES.get(SIZES.size() - 1));
        long total = functions.values().stream().mapToLong(f -> f.apply(largest).total()).sum();
        System.out.printf("all functions: %.2f requests per chunk at %,d chunks%n", total / (double) largest.chunks(),
                largest.chunks());
        assertThat(perChunkAtMost).as("requests per chunk, all functions and operations").isLessThan(12);
        assertThat(largest.requests().resultsWriter().s3ListObjectsV2()).as("one listing per chunk, one per group")
                .isEqualTo(listings(largest.chunks()));
    }

    /** A listing per chunk of its group, and one per group completed of the group above, up to the root. */
    private static long listings(int chunks) {
        long listings = 0;
        for (int count = chunks; count > 1; count = (count + 99) / 100) {
            listings += count;
        }
        return listings;
    }
}
