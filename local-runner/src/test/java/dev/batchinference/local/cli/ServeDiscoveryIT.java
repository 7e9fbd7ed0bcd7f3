package dev.batchinference.local.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.batchinference.json.JsonCodec;
import dev.batchinference.testing.Samples;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Control commands given only the S3 endpoint of a {@code serve} on a port of its own find its SQS endpoint
 * and queues in the bucket ({@code serve.json}); {@code submit} checks the file against the model first.
 */
class ServeDiscoveryIT {
    @TempDir
    Path dir;

    @Test
    void statusAndSubmitFindAServeOnAnotherPortFromItsS3EndpointAlone() throws Exception {
        int port = ServeCommandIT.freePortPair();
        ServeCommand serve = new ServeCommand();
        CompletableFuture<Integer> running = CompletableFuture.supplyAsync(() -> new CommandLine(serve).execute(
                "--port", Integer.toString(port), "--data", dir.resolve("data").toString(),
                "--models", Samples.root().resolve("models").toString()));
        try {
            ServeCommandIT.awaitListening(port + 1);
            String s3 = "http://127.0.0.1:" + port;
            Path wrong = Files.writeString(dir.resolve("wrong.csv"), "id,a,b\n1,2,3\n");

            Cli.Result first = Cli.run("status", "--endpoint", s3);
            for (int attempt = 0; attempt < 60 && first.exitCode() != 0; attempt++) {
                Thread.sleep(500); // serve writes serve.json once its pipeline has started
                first = Cli.run("status", "--endpoint", s3);
            }

            Cli.Result submitted = Cli.run("submit", Samples.data("iris.csv").toString(), "--model", "iris",
                    "--endpoint", s3, "--json");
            Cli.Result status = Cli.run("status", "--endpoint", s3);
            Cli.Result refused = Cli.run("submit", wrong.toString(), "--model", "iris", "--endpoint", s3);
            Cli.Result noSqs = Cli.run("status", "--endpoint", s3, "--sqs-endpoint", s3);

            assertThat(first.exitCode()).as(first.stderr()).isZero();
            assertThat(first.stderr() + first.stdout()).contains("SQS http://127.0.0.1:" + (port + 1));
            assertThat(submitted.exitCode()).as(submitted.stderr()).isZero();
            JsonNode job = JsonCodec.mapper().readTree(submitted.stdout()).path("jobs").get(0);
            assertThat(job.path("state").asText()).isEqualTo("SUCCEEDED");
            assertThat(job.path("rowsOut").asLong()).isEqualTo(150);
            assertThat(status.exitCode()).as(status.stderr()).isZero();
            assertThat(status.stdout() + status.stderr()).contains("SUCCEEDED").contains(job.path("jobId").asText())
                    .doesNotContain("501");
            assertThat(refused.exitCode()).isEqualTo(2);
            assertThat(refused.stderr()).contains(wrong + " does not fit model 'iris'").contains("--no-check");
            assertThat(noSqs.exitCode()).isEqualTo(2);
            assertThat(noSqs.stderr()).contains("no SQS answers at").contains("--sqs-endpoint").doesNotContain("Service: Sqs");
        } finally {
            serve.stop();
        }
        assertThat(running.get(30, TimeUnit.SECONDS)).isZero();
    }
}
