package dev.batchinference.local.cli;

import static dev.batchinference.testing.PredictionAssertions.assertSamePredictions;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.batchinference.local.emulator.EmbeddedS3;
import dev.batchinference.testing.Samples;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code ./pipeline serve} with the README's AWS CLI commands: a file copied in with {@code aws s3 cp} is
 * predicted, and the predictions are read back with {@code aws s3 cp}. Skipped, saying so, where the AWS CLI
 * is not installed.
 */
class ServeCommandTest {
    @TempDir
    Path dir;

    @Test
    void aFileCopiedInWithTheAwsCliIsPredictedAndReadBackWithIt() throws Exception {
        assumeTrue(onPath("aws"), "the AWS CLI (aws) is not installed: the serve test with its commands is skipped");
        int port = freePortPair();
        ServeCommand serve = new ServeCommand();
        CompletableFuture<Integer> running = CompletableFuture.supplyAsync(() -> new CommandLine(serve).execute(
                "--port", Integer.toString(port), "--data", dir.resolve("data").toString(),
                "--models", Samples.root().resolve("models").toString()));
        try {
            awaitListening(port + 1);
            String endpoint = "http://127.0.0.1:" + port;
            Path out = dir.resolve("iris.csv.predictions.csv");

            Result put = aws("--endpoint-url", endpoint, "s3", "cp", Samples.data("iris.csv").toString(),
                    "s3://batch-inference/incoming/iris/iris.csv");
            Result get = null;
            for (int attempt = 0; attempt < 60 && (get == null || get.code != 0); attempt++) {
                Thread.sleep(500);
                get = aws("--endpoint-url", endpoint, "s3", "cp", "s3://batch-inference/output/iris/iris.csv.predictions.csv",
                        out.toString());
            }

            assertThat(put.code).as(put.output).isZero();
            assertThat(get.code).as(get.output).isZero();
            assertSamePredictions(Samples.csv(out), Samples.csv(Samples.expected("iris.predictions.csv")));
            Result list = aws("--endpoint-url", endpoint, "s3", "ls", "--recursive", "s3://batch-inference/output/");
            assertThat(list.output).contains("output/iris/iris.csv.summary.json");
        } finally {
            serve.stop();
        }
        assertThat(running.get(30, TimeUnit.SECONDS)).isZero();
    }

    private record Result(int code, String output) {
    }

    private Result aws(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("aws"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        Map<String, String> env = builder.environment();
        env.put("AWS_ACCESS_KEY_ID", EmbeddedS3.ACCESS_KEY);
        env.put("AWS_SECRET_ACCESS_KEY", EmbeddedS3.SECRET_KEY);
        env.put("AWS_REGION", "us-east-1");
        env.put("AWS_CONFIG_FILE", dir.resolve("no-config").toString());
        env.put("AWS_SHARED_CREDENTIALS_FILE", dir.resolve("no-credentials").toString());
        env.remove("AWS_PROFILE");
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Result(process.waitFor(), output);
    }

    private static boolean onPath(String program) {
        String path = System.getenv("PATH");
        return path != null && java.util.Arrays.stream(path.split(java.io.File.pathSeparator))
                .anyMatch(d -> Files.isExecutable(Path.of(d, program)));
    }

    /** A port P with P + 1 free too, as serve takes both. */
    private static int freePortPair() throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            if (port < 65535 && free(port) && free(port + 1)) {
                return port;
            }
        }
        throw new IllegalStateException("no two adjacent free ports");
    }

    private static boolean free(int port) {
        try (ServerSocket s = new ServerSocket(port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void awaitListening(int port) throws InterruptedException {
        for (int attempt = 0; attempt < 300; attempt++) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                Thread.sleep(500); // the queues are made just after ElasticMQ listens
                return;
            } catch (IOException notYet) {
                Thread.sleep(100);
            }
        }
        throw new AssertionError("serve did not listen on " + port);
    }
}
