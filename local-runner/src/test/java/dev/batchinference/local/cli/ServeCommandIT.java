package dev.batchinference.local.cli;

import static dev.batchinference.testing.PredictionAssertions.assertSamePredictions;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.batchinference.local.emulator.EmbeddedS3;
import dev.batchinference.testing.Samples;
import java.io.IOException;
import java.net.URI;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * {@code ./pipeline serve} with the README's AWS CLI commands: a file copied in with {@code aws s3 cp} is
 * predicted, and the predictions are read back with {@code aws s3 cp}. Skipped, saying so, where the AWS CLI
 * is not installed. And serve refuses keys that would climb out of {@code incoming/}, whatever the client.
 */
class ServeCommandIT {
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

    /**
     * Uploads whose keys climb out of {@code incoming/} with '..' (onto a job's output, the model pointer, out of
     * the bucket's folder) are refused with 400 InvalidArgument, and nothing is written anywhere: every file under
     * serve's folder outside {@code jobs/} is as it was, and the bucket lists no new key.
     */
    @Test
    void uploadsWhoseKeysClimbOutOfIncomingAreRefusedAndWriteNothing() throws Exception {
        int port = freePortPair();
        Path data = dir.resolve("data");
        ServeCommand serve = new ServeCommand();
        CompletableFuture<Integer> running = CompletableFuture.supplyAsync(() -> new CommandLine(serve).execute(
                "--port", Integer.toString(port), "--data", data.toString(),
                "--models", Samples.root().resolve("models").toString()));
        String endpoint = "http://127.0.0.1:" + port;
        List<String> attacks = List.of("incoming/iris/../../output/iris/iris.csv.predictions.csv",
                "incoming/iris/../../models/iris/current.json", "incoming/iris/../../../escaped.csv",
                "incoming/iris/./iris.csv", "incoming/iris//iris.csv");
        try (S3Client s3 = S3Client.builder().endpointOverride(URI.create(endpoint)).region(Region.US_EAST_1)
                .httpClient(UrlConnectionHttpClient.create())
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(EmbeddedS3.ACCESS_KEY,
                        EmbeddedS3.SECRET_KEY)))
                .serviceConfiguration(S3Configuration.builder().chunkedEncodingEnabled(false).build()).build()) {
            awaitListening(port + 1);
            for (int attempt = 0; attempt < 120 && !exists(s3, "models/iris/current.json"); attempt++) {
                Thread.sleep(500); // serve creates the bucket and publishes the models once both emulators listen
            }
            s3.putObject(b -> b.bucket("batch-inference").key("incoming/iris/iris.csv"),
                    RequestBody.fromFile(Samples.data("iris.csv")));
            for (int attempt = 0; attempt < 120 && !exists(s3, "output/iris/iris.csv.summary.json"); attempt++) {
                Thread.sleep(500);
            }
            assertThat(exists(s3, "output/iris/iris.csv.summary.json")).as("the victim's job ended").isTrue();
            Map<String, String> before = filesOutsideJobs(data);
            List<String> keysBefore = keysOutsideJobs(s3);

            for (String key : attacks) {
                assertThatThrownBy(() -> s3.putObject(b -> b.bucket("batch-inference").key(key),
                        RequestBody.fromString("id,sepal_length\n1,666\n")))
                        .as(key).isInstanceOfSatisfying(S3Exception.class, e -> {
                            assertThat(e.statusCode()).as(key).isEqualTo(400);
                            assertThat(e.awsErrorDetails().errorCode()).as(key + ": " + e.awsErrorDetails().errorMessage())
                                    .isEqualTo("InvalidArgument");
                            assertThat(e.awsErrorDetails().errorMessage()).as(key).contains("'" + key + "'");
                        });
            }
            // a key that climbs above the URL's root is refused by S3Proxy's own parsing of the request, before the
            // store sees it: 400 too, in S3's words for a URI it cannot parse
            assertThatThrownBy(() -> s3.putObject(b -> b.bucket("batch-inference").key("incoming/iris/../../../../up.csv"),
                    RequestBody.fromString("x"))).isInstanceOfSatisfying(S3Exception.class, e -> {
                        assertThat(e.statusCode()).isEqualTo(400);
                        assertThat(e.awsErrorDetails().errorCode()).isEqualTo("InvalidURI");
                    });
            if (onPath("aws")) {
                Path body = Files.writeString(dir.resolve("attack.json"), "{\"version\": \"666\"}");
                Result put = aws("--endpoint-url", endpoint, "s3api", "put-object", "--bucket", "batch-inference",
                        "--key", "incoming/iris/../../models/iris/current.json", "--body", body.toString());
                assertThat(put.code).as(put.output).isNotZero();
                assertThat(put.output).contains("InvalidArgument");
            }

            assertThat(filesOutsideJobs(data)).as("every file under serve's folder outside jobs/").isEqualTo(before);
            assertThat(keysOutsideJobs(s3)).isEqualTo(keysBefore);
            try (Stream<Path> all = Files.walk(dir)) {
                assertThat(all.map(p -> p.getFileName().toString())).doesNotContain("escaped.csv", "up.csv");
            }
        } finally {
            serve.stop();
        }
        assertThat(running.get(30, TimeUnit.SECONDS)).isZero();
    }

    private static boolean exists(S3Client s3, String key) {
        try {
            return s3.listObjectsV2(b -> b.bucket("batch-inference").prefix(key)).keyCount() > 0;
        } catch (S3Exception noBucketYet) {
            return false;
        }
    }

    private static List<String> keysOutsideJobs(S3Client s3) {
        return s3.listObjectsV2Paginator(b -> b.bucket("batch-inference")).contents().stream().map(S3Object::key)
                .filter(k -> !k.startsWith("jobs/")).sorted().toList();
    }

    /** Every file under serve's folder but the jobs' state (which the finished job may still be tidying), read. */
    private static Map<String, String> filesOutsideJobs(Path data) throws IOException {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> all = Files.walk(data)) {
            for (Path file : (Iterable<Path>) all.filter(Files::isRegularFile)::iterator) {
                String name = data.relativize(file).toString().replace('\\', '/');
                if (!name.contains("/jobs/")) {
                    files.put(name, new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1));
                }
            }
        }
        return files;
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
    static int freePortPair() throws IOException {
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

    static void awaitListening(int port) throws InterruptedException {
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
