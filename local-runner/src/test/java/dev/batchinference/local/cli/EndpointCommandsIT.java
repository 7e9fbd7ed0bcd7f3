package dev.batchinference.local.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.batchinference.json.JsonCodec;
import dev.batchinference.testing.Samples;
import java.net.URI;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.Bucket;

/**
 * {@code run --endpoint} and {@code serve --endpoint} against S3 and SQS someone else runs: moto_server where
 * {@code -Dpipeline.test.endpoint} or PIPELINE_TEST_ENDPOINT names one ({@code .ci/run} starts one), skipped elsewhere.
 */
class EndpointCommandsIT {
    @TempDir
    Path dir;

    private static String endpoint() {
        String property = System.getProperty("pipeline.test.endpoint");
        String endpoint = property != null && !property.isBlank() ? property : System.getenv("PIPELINE_TEST_ENDPOINT");
        assumeTrue(endpoint != null && !endpoint.isBlank(), "no S3/SQS endpoint configured (-Dpipeline.test.endpoint,"
                + " PIPELINE_TEST_ENDPOINT; .ci/run starts moto_server): the --endpoint commands are skipped");
        return endpoint;
    }

    private static S3Client s3(String endpoint) {
        return S3Client.builder().endpointOverride(URI.create(endpoint)).region(Region.US_EAST_1).forcePathStyle(true)
                .httpClient(UrlConnectionHttpClient.create())
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test"))).build();
    }

    @Test
    void runOnAnEndpointPredictsTheSampleAndRemovesItsBucketAndQueues() throws Exception {
        String endpoint = endpoint();

        Cli.Result run = Cli.run("run", Samples.data("iris.csv").toString(), "--model", "iris", "--models",
                Samples.root().resolve("models").toString(), "--out", dir.resolve("out").toString(), "--endpoint", endpoint,
                "--json");

        assertThat(run.exitCode()).as(run.stderr()).isZero();
        JsonNode job = JsonCodec.mapper().readTree(run.stdout()).path("jobs").get(0);
        assertThat(job.path("state").asText()).isEqualTo("SUCCEEDED");
        assertThat(job.path("rowsOut").asLong()).isEqualTo(150);
        assertThat(Path.of(job.path("output").asText())).isRegularFile();
        String bucket = run.stderr().replaceAll("(?s).*bucket (batch-inference-[0-9a-f]+).*", "$1");
        assertThat(bucket).startsWith("batch-inference-");
        try (S3Client s3 = s3(endpoint)) {
            assertThat(s3.listBuckets().buckets()).extracting(Bucket::name).doesNotContain(bucket);
        }
    }

    @Test
    void serveOnAnEndpointRunsWhatSubmitUploadsThereAndStatusFindsIt() throws Exception {
        String endpoint = endpoint();
        String bucket = "serve-" + Long.toHexString(System.nanoTime());
        ServeCommand serve = new ServeCommand();
        CompletableFuture<Integer> running = CompletableFuture.supplyAsync(() -> new CommandLine(serve).execute(
                "--endpoint", endpoint, "--bucket", bucket, "--data", dir.resolve("data").toString(),
                "--models", Samples.root().resolve("models").toString()));
        try {
            Cli.Result submitted = null;
            for (int attempt = 0; attempt < 120 && (submitted == null || submitted.exitCode() == 2); attempt++) {
                Thread.sleep(500); // until serve has published the models and made its queues
                submitted = Cli.run("submit", Samples.data("iris.csv").toString(), "--model", "iris", "--endpoint",
                        endpoint, "--bucket", bucket, "--json", "--timeout", "PT2M");
            }
            Cli.Result status = Cli.run("status", "--endpoint", endpoint, "--bucket", bucket);

            assertThat(submitted.exitCode()).as(submitted.stderr()).isZero();
            assertThat(JsonCodec.mapper().readTree(submitted.stdout()).path("jobs").get(0).path("rowsOut").asLong())
                    .isEqualTo(150);
            assertThat(status.exitCode()).as(status.stderr()).isZero();
            assertThat(status.stdout()).contains("SUCCEEDED");
        } finally {
            serve.stop();
        }
        assertThat(running.get(30, TimeUnit.SECONDS)).isZero();
    }
}
