package dev.batchinference.local.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.batchinference.config.PipelineConfig;
import dev.batchinference.local.emulator.EmbeddedS3;
import dev.batchinference.local.emulator.EmbeddedSqs;
import dev.batchinference.testing.ParquetFiles;
import dev.batchinference.testing.PredictionAssertions;
import dev.batchinference.testing.Samples;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.parquet.example.data.Group;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * The three Lambda packages, installed as sam/Makefile installs them, run as Lambda runs them: one JVM
 * each with only the Lambda Java runtime's runtime interface client on its classpath, configured with
 * the environment sam/template.yaml gives each function, the worker with the ONNX Runtime layer of this
 * machine's architecture. Against the embedded S3 and SQS, an input dropped under incoming/ is handed
 * from function to function as Lambda's S3 trigger and SQS event sources would, until its job ends.
 * This is what proves that ingest-trigger and results-writer run without ONNX Runtime, that no class a
 * function needs was left out of its package, that the template's configuration is one the code accepts,
 * that each role in the template allows every request its function makes, and that none of those requests meets
 * a deny of the bucket's policy (every write of the state written once carries its conditional header, multipart
 * completions included). Skipped where Lambda's
 * Linux libraries cannot load (another operating system, musl).
 */
class LambdaPackagesEndToEndIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String REGION = "us-east-1";
    private static final String ACCOUNT = "123456789012";
    private static final String BUCKET = "pipeline-bucket";
    private static final Duration INVOCATION_TIMEOUT = Duration.ofMinutes(2);

    private static EmbeddedS3 s3Server;
    private static EmbeddedSqs sqsServer;
    private static S3Client s3;
    private static SqsClient sqs;
    private static final Map<String, String> QUEUES = new HashMap<>();
    private static LambdaJavaRuntime ingest;
    private static LambdaJavaRuntime worker;
    private static LambdaJavaRuntime writer;
    /** Per function: its role's policy, and what it asked of S3 and of SQS. */
    private static final Map<String, RolePolicy> ROLES = new LinkedHashMap<>();
    private static final Map<String, RecordingProxy> S3_TRAFFIC = new HashMap<>();
    private static final Map<String, RecordingProxy> SQS_TRAFFIC = new HashMap<>();
    private static BucketPolicy bucketPolicy;

    @BeforeAll
    static void deploy(@TempDir Path dir) throws Exception {
        // Lambda's Java runtime client and ONNX Runtime's layer hold Linux (glibc) libraries only
        String arch = System.getProperty("os.arch");
        Assumptions.assumeTrue(System.getProperty("os.name").equals("Linux") && (arch.equals("amd64") || arch.equals("aarch64"))
                        && !Files.exists(Path.of("/etc/alpine-release")),
                "the Lambda packages run only on Linux (glibc) on x86_64 or arm64, not on " + System.getProperty("os.name")
                        + " " + arch + ": LambdaPackagesEndToEndIT skipped");
        s3Server = EmbeddedS3.inMemory(0);
        sqsServer = EmbeddedSqs.start(0, REGION, ACCOUNT);
        var credentials = StaticCredentialsProvider.create(AwsBasicCredentials.create(s3Server.accessKey(), s3Server.secretKey()));
        s3 = S3Client.builder().httpClient(UrlConnectionHttpClient.create()).region(Region.of(REGION))
                .credentialsProvider(credentials).endpointOverride(s3Server.endpoint()).forcePathStyle(true)
                .serviceConfiguration(S3Configuration.builder().chunkedEncodingEnabled(false).build()).build();
        sqs = SqsClient.builder().httpClient(UrlConnectionHttpClient.create()).region(Region.of(REGION))
                .credentialsProvider(credentials).endpointOverride(sqsServer.endpoint()).build();
        s3.createBucket(b -> b.bucket(BUCKET));
        createQueue("WorkQueue", "WorkDeadLetterQueue", 3);
        createQueue("ResultsQueue", "ResultsDeadLetterQueue", 5);
        publishModel("iris", Samples.model("iris"));

        boolean arm = arch.equals("aarch64");
        Map<String, String> parameters = new HashMap<>(Repository.template().parameterDefaults());
        parameters.put("BucketName", BUCKET);
        parameters.put("Architecture", arm ? "arm64" : "x86_64");
        parameters.put("ChunkMaxRows", "40"); // several chunks, so results-writer collates several parts
        // and a CSV output of 4 chunks is written in parts (two part objects and a manifest), whose writes the role
        // must allow as well
        parameters.put("MaxOutputParts", "3");
        CloudFormationTemplate template = Repository.template();
        CloudFormationTemplate.Evaluation deployment = template.evaluate(parameters);
        LambdaPackages packages = LambdaPackages.fromMakefile();
        bucketPolicy = new BucketPolicy(deployment.resolve(template.resource("PipelineBucketPolicy").path("Properties")),
                "arn:aws:s3:::" + BUCKET);

        Path layer = packages.of(arm ? "OnnxRuntimeArm64Layer" : "OnnxRuntimeX8664Layer").install(dir.resolve("opt"));
        Map<String, LambdaJavaRuntime> started = new HashMap<>();
        for (String function : List.of("IngestTriggerFunction", "BatchWorkerFunction", "ResultsWriterFunction")) {
            JsonNode properties = deployment.resolve(template.functionProperties(function));
            Map<String, String> env = new LinkedHashMap<>();
            properties.path("Environment").path("Variables").fields().forEachRemaining(e -> env.put(e.getKey(),
                    e.getValue().asText()
                            .replace("<WorkQueue>", QUEUES.get("WorkQueue"))
                            .replace("<ResultsQueue>", QUEUES.get("ResultsQueue"))
                            // where Lambda unpacks layers, here: the layer installed for this machine
                            .replace("/opt/", layer + "/")));
            env.put(PipelineConfig.MODEL_CACHE_DIR, dir.resolve("tmp-" + function).toString());
            // what Lambda and the emulators add: the region, credentials, and the endpoints of this machine
            env.put(PipelineConfig.REGION, REGION);
            env.put(PipelineConfig.ACCESS_KEY_ID, s3Server.accessKey());
            env.put(PipelineConfig.SECRET_ACCESS_KEY, s3Server.secretKey());
            // through proxies that note each request, to check it against the function's role below
            RecordingProxy s3Traffic = new RecordingProxy(s3Server.endpoint());
            RecordingProxy sqsTraffic = new RecordingProxy(sqsServer.endpoint());
            S3_TRAFFIC.put(function, s3Traffic);
            SQS_TRAFFIC.put(function, sqsTraffic);
            env.put(PipelineConfig.S3_ENDPOINT, s3Traffic.endpoint().toString());
            env.put(PipelineConfig.SQS_ENDPOINT, sqsTraffic.endpoint().toString());
            String role = properties.path("Role").asText().replaceAll("^<(\\w+)\\.Arn>$", "$1");
            ROLES.put(function, new RolePolicy(deployment.resolve(template.resource(role).path("Properties"))));
            if (function.equals("BatchWorkerFunction")) {
                // through the runtime's SnapStart lifecycle (checkpoint and restore hooks after init), with
                // ONNX Runtime loaded during init
                env.put("AWS_LAMBDA_INITIALIZATION_TYPE", "snap-start");
            }
            Path taskRoot = packages.of(function).install(dir.resolve(function));
            started.put(function, LambdaJavaRuntime.start(function, taskRoot, properties.path("Handler").asText(), env, dir));
        }
        ingest = started.get("IngestTriggerFunction");
        worker = started.get("BatchWorkerFunction");
        writer = started.get("ResultsWriterFunction");
    }

    @AfterAll
    static void tearDown() {
        List<AutoCloseable> all = new java.util.ArrayList<>(List.of(ingest, worker, writer, sqs, s3));
        all.addAll(S3_TRAFFIC.values());
        all.addAll(SQS_TRAFFIC.values());
        all.add(sqsServer);
        all.add(s3Server);
        for (AutoCloseable c : all) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // keep closing the rest
            }
        }
    }

    private static void createQueue(String name, String deadLetters, int maxReceiveCount) {
        String dlq = sqs.createQueue(b -> b.queueName(deadLetters)).queueUrl();
        String dlqArn = sqs.getQueueAttributes(b -> b.queueUrl(dlq).attributeNames(QueueAttributeName.QUEUE_ARN))
                .attributes().get(QueueAttributeName.QUEUE_ARN);
        String url = sqs.createQueue(b -> b.queueName(name).attributes(Map.of(QueueAttributeName.REDRIVE_POLICY,
                "{\"deadLetterTargetArn\":\"" + dlqArn + "\",\"maxReceiveCount\":\"" + maxReceiveCount + "\"}"))).queueUrl();
        QUEUES.put(name, url);
        QUEUES.put(deadLetters, dlq);
    }

    /** The model store's layout, written as README.md tells users to with the aws CLI. */
    private static void publishModel(String name, Path modelDir) throws Exception {
        JsonNode manifest = JSON.readTree(modelDir.resolve("manifest.json").toFile());
        String version = manifest.path("version").asText();
        byte[] onnx = Files.readAllBytes(modelDir.resolve("model.onnx"));
        String prefix = "models/" + name + "/versions/" + version + "/";
        s3.putObject(b -> b.bucket(BUCKET).key(prefix + "model.onnx"), RequestBody.fromBytes(onnx));
        s3.putObject(b -> b.bucket(BUCKET).key(prefix + "manifest.json"), RequestBody.fromFile(modelDir.resolve("manifest.json")));
        String sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(onnx));
        s3.putObject(b -> b.bucket(BUCKET).key("models/" + name + "/current.json"),
                RequestBody.fromString("{\"version\":\"" + version + "\",\"sha256\":\"" + sha256 + "\"}"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"iris.csv", "iris.parquet", "iris.csv.gz"})
    void anInputDroppedUnderIncomingEndsWithItsPredictions(String file, @TempDir Path scratch) throws Exception {
        String folder = "incoming/iris/deployed " + file.substring(file.indexOf('.') + 1) + "/";
        String key = folder + file;
        s3.putObject(b -> b.bucket(BUCKET).key(key), RequestBody.fromBytes(sample(file)));
        HeadObjectResponse head = s3.headObject(b -> b.bucket(BUCKET).key(key));

        JsonNode outcomes = JSON.readTree(ingest.invoke(s3Notification(key, head), INVOCATION_TIMEOUT)).path("jobs");
        assertThat(outcomes).as("ingest-trigger's outcome").hasSize(1);

        String base = "output/" + folder.substring("incoming/".length()) + file;
        JsonNode summary = runUntilEnded(base + ".summary.json");
        assertThat(summary.path("state").asText()).as(summary.toString()).isEqualTo("SUCCEEDED");
        assertThat(summary.path("rowsIn").asLong()).isEqualTo(150);
        assertThat(summary.path("rowsOut").asLong()).isEqualTo(150);

        var expected = Samples.csv(Samples.expected("iris.predictions.csv"));
        if (!file.endsWith(".parquet")) {
            assertThat(summary.path("chunks").asInt()).as("chunks of 40 rows").isEqualTo(4);
            assertThat(summary.path("outputParts").asInt()).as("in parts, 2 chunks each").isEqualTo(2);
            assertThat(summary.path("output").asText()).isEqualTo(base + ".predictions/manifest.json");
            PredictionAssertions.assertSamePredictions(Samples.csv(csvInParts(summary.path("output").asText())), expected);
        } else {
            byte[] parquet = s3.getObjectAsBytes(b -> b.bucket(BUCKET).key(base + ".predictions.parquet")).asByteArray();
            List<String> header = List.of(expected.get(0).values());
            StringBuilder csv = new StringBuilder(String.join(",", header)).append('\n');
            for (Group r : ParquetFiles.read(scratch, parquet)) {
                csv.append(header.stream().map(c -> ParquetFiles.text(r, c)).collect(Collectors.joining(","))).append('\n');
            }
            PredictionAssertions.assertSamePredictions(Samples.csv(csv.toString()), expected);
        }
        everyRequestWasAllowedByTheFunctionsRole();
    }

    /** CSV predictions written in parts, read through their manifest: the header once, then each part's rows in order. */
    private static String csvInParts(String manifestKey) throws Exception {
        JsonNode manifest = JSON.readTree(s3.getObjectAsBytes(b -> b.bucket(BUCKET).key(manifestKey)).asByteArray());
        StringBuilder csv = new StringBuilder();
        for (JsonNode part : manifest.path("parts")) {
            String text = s3.getObjectAsBytes(b -> b.bucket(BUCKET).key(part.path("key").asText())).asUtf8String();
            csv.append(csv.length() == 0 ? text : text.substring(text.indexOf('\n') + 1));
        }
        return csv.toString();
    }

    @Test
    void aScheduledRunStartsAnInputWhoseNotificationNeverCame() throws Exception {
        String key = "incoming/iris/left for the window/iris.csv";
        s3.putObject(b -> b.bucket(BUCKET).key(key), RequestBody.fromBytes(sample("iris.csv")));

        JsonNode report = JSON.readTree(ingest.invoke(java.nio.file.Files.readString(
                Samples.root().resolve("events/eventbridge-scheduled.json")), INVOCATION_TIMEOUT)).path("sweep");

        assertThat(report.path("started")).as(report.toString()).anySatisfy(o ->
                assertThat(o.path("key").asText()).isEqualTo(key));
        JsonNode summary = runUntilEnded("output/iris/left for the window/iris.csv.summary.json");
        assertThat(summary.path("state").asText()).as(summary.toString()).isEqualTo("SUCCEEDED");
        JsonNode again = JSON.readTree(ingest.invoke(java.nio.file.Files.readString(
                Samples.root().resolve("events/eventbridge-scheduled.json")), INVOCATION_TIMEOUT)).path("sweep");
        assertThat(again.path("started")).as("a second run finds every input jobbed").isEmpty();
        everyRequestWasAllowedByTheFunctionsRole();
    }

    /**
     * Least privilege, seen from the other side: every request each function made to S3 and SQS is one
     * its role in the template allows, and none meets a deny of the bucket policy (S3Proxy and ElasticMQ do
     * not check IAM; this does). IamAuditTest shows that a request outside a role's grants is caught.
     */
    private static void everyRequestWasAllowedByTheFunctionsRole() {
        List<String> denied = new java.util.ArrayList<>();
        ROLES.forEach((function, role) -> {
            List<RolePolicy.Access> accesses = new java.util.ArrayList<>();
            S3_TRAFFIC.get(function).requests().forEach(r -> {
                accesses.addAll(RolePolicy.s3(r, "aws"));
                String sid = bucketPolicy.deniedBy(r, "aws");
                if (sid != null) {
                    denied.add(function + ": " + r.method() + " " + r.target() + " meets the bucket policy's " + sid);
                }
            });
            SQS_TRAFFIC.get(function).requests().forEach(r -> accesses.add(RolePolicy.sqs(r)));
            assertThat(accesses).as(function + " made requests").isNotEmpty();
            accesses.stream().filter(a -> !role.allows(a)).distinct().forEach(a -> denied.add(function + ": " + a));
        });
        assertThat(denied).as("requests the functions' roles or the bucket policy would deny").isEmpty();
    }

    /** A sample input; the gzip'd CSV is made from the plain one (ingest-trigger stages its chunks in S3). */
    private static byte[] sample(String file) throws java.io.IOException {
        if (!file.endsWith(".gz")) {
            return Files.readAllBytes(Samples.data(file));
        }
        var gzipped = new java.io.ByteArrayOutputStream();
        try (var out = new java.util.zip.GZIPOutputStream(gzipped)) {
            out.write(Files.readAllBytes(Samples.data(file.substring(0, file.length() - ".gz".length()))));
        }
        return gzipped.toByteArray();
    }

    /**
     * Delivers the queues' messages to the functions as Lambda's SQS event sources do (a batch per
     * invocation; only the messages not reported as failed are deleted) until the job's summary appears.
     */
    private static JsonNode runUntilEnded(String summaryKey) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (System.nanoTime() < deadline) {
            boolean delivered = deliver("WorkQueue", worker, 1)
                    | deliver("ResultsQueue", writer, 10)
                    | deliver("WorkDeadLetterQueue", writer, 10)
                    | deliver("ResultsDeadLetterQueue", writer, 10);
            try {
                return JSON.readTree(s3.getObjectAsBytes(b -> b.bucket(BUCKET).key(summaryKey)).asByteArray());
            } catch (NoSuchKeyException notYet) {
                if (!delivered) {
                    Thread.sleep(100);
                }
            }
        }
        throw new AssertionError("no " + summaryKey + " after 3 minutes\n" + ingest.log() + worker.log() + writer.log());
    }

    private static boolean deliver(String queue, LambdaJavaRuntime function, int batchSize) throws Exception {
        String url = QUEUES.get(queue);
        List<Message> messages = sqs.receiveMessage(b -> b.queueUrl(url).maxNumberOfMessages(batchSize)
                .messageSystemAttributeNames(MessageSystemAttributeName.ALL)).messages();
        if (messages.isEmpty()) {
            return false;
        }
        JsonNode response = JSON.readTree(function.invoke(sqsEvent(queue, messages), INVOCATION_TIMEOUT));
        Set<String> failed = new java.util.HashSet<>();
        response.path("batchItemFailures").forEach(f -> failed.add(f.path("itemIdentifier").asText()));
        for (Message m : messages) {
            if (failed.contains(m.messageId())) {
                sqs.changeMessageVisibility(b -> b.queueUrl(url).receiptHandle(m.receiptHandle()).visibilityTimeout(0));
            } else {
                sqs.deleteMessage(b -> b.queueUrl(url).receiptHandle(m.receiptHandle()));
            }
        }
        return true;
    }

    /** An S3 ObjectCreated notification as S3 sends it to Lambda (keys URL-encoded, '+' for a space). */
    private static String s3Notification(String key, HeadObjectResponse head) {
        ObjectNode record = JSON.createObjectNode();
        record.put("eventVersion", "2.1");
        record.put("eventSource", "aws:s3");
        record.put("awsRegion", REGION);
        record.put("eventTime", Instant.now().toString());
        record.put("eventName", "ObjectCreated:Put");
        record.putObject("userIdentity").put("principalId", "AWS:EXAMPLE");
        record.putObject("requestParameters").put("sourceIPAddress", "127.0.0.1");
        record.putObject("responseElements").put("x-amz-request-id", "EXAMPLE").put("x-amz-id-2", "EXAMPLE");
        ObjectNode s3Node = record.putObject("s3");
        s3Node.put("s3SchemaVersion", "1.0");
        s3Node.put("configurationId", "InputCreated");
        s3Node.putObject("bucket").put("name", BUCKET).put("arn", "arn:aws:s3:::" + BUCKET)
                .putObject("ownerIdentity").put("principalId", "EXAMPLE");
        s3Node.putObject("object").put("key", URLEncoder.encode(key, StandardCharsets.UTF_8))
                .put("size", head.contentLength()).put("eTag", head.eTag().replace("\"", ""))
                .put("sequencer", "0055AED6DCD90281E5");
        ObjectNode event = JSON.createObjectNode();
        event.putArray("Records").add(record);
        return event.toString();
    }

    /** An SQS event as Lambda's event source mapping sends it. */
    private static String sqsEvent(String queue, List<Message> messages) {
        ObjectNode event = JSON.createObjectNode();
        ArrayNode records = event.putArray("Records");
        for (Message m : messages) {
            ObjectNode r = records.addObject();
            r.put("messageId", m.messageId());
            r.put("receiptHandle", m.receiptHandle());
            r.put("body", m.body());
            ObjectNode attributes = r.putObject("attributes");
            m.attributesAsStrings().forEach(attributes::put);
            r.putObject("messageAttributes");
            r.put("md5OfBody", m.md5OfBody());
            r.put("eventSource", "aws:sqs");
            r.put("eventSourceARN", "arn:aws:sqs:" + REGION + ":" + ACCOUNT + ":" + queue);
            r.put("awsRegion", REGION);
        }
        return event.toString();
    }

}
