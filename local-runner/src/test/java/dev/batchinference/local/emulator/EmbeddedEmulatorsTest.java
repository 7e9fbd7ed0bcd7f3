package dev.batchinference.local.emulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;

class EmbeddedEmulatorsTest {

    private static final String REGION = "eu-west-3";
    private static final String ACCOUNT = "123456789012";

    private static EmbeddedS3 s3;
    private static EmbeddedSqs sqs;
    private static S3Client s3Client;
    private static SqsClient sqsClient;

    @BeforeAll
    static void start() {
        s3 = EmbeddedS3.inMemory(0);
        sqs = EmbeddedSqs.start(0, REGION, ACCOUNT);
        s3Client = s3ClientFor(s3);
        sqsClient = sqsClientFor(sqs);
        s3Client.createBucket(b -> b.bucket("data"));
    }

    @AfterAll
    static void stop() {
        s3Client.close();
        sqsClient.close();
        s3.close();
        sqs.close();
    }

    static S3Client s3ClientFor(EmbeddedS3 store) {
        return S3Client.builder()
                .httpClient(UrlConnectionHttpClient.create())
                .endpointOverride(store.endpoint())
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(store.accessKey(), store.secretKey())))
                // as the pipeline's own clients (AwsClients): S3Proxy loses the response to some aws-chunked
                // PUTs over http, and a retried conditional PUT then meets its own first attempt
                .serviceConfiguration(S3Configuration.builder().chunkedEncodingEnabled(false).build())
                .build();
    }

    static SqsClient sqsClientFor(EmbeddedSqs queues) {
        return sqsClientFor(queues, queues.accessKey(), queues.secretKey());
    }

    static SqsClient sqsClientFor(EmbeddedSqs queues, String accessKey, String secretKey) {
        return SqsClient.builder()
                .httpClient(UrlConnectionHttpClient.create())
                .endpointOverride(queues.endpoint())
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey)))
                .build();
    }

    private static void put(S3Client client, String bucket, String key, String body) {
        client.putObject(p -> p.bucket(bucket).key(key), RequestBody.fromString(body));
    }

    private static String get(S3Client client, String bucket, String key) {
        return client.getObjectAsBytes(g -> g.bucket(bucket).key(key)).asUtf8String();
    }

    @Test
    void endpointsAreOnLoopback() {
        assertThat(s3.endpoint().getHost()).isEqualTo("127.0.0.1");
        assertThat(s3.endpoint().getPort()).isPositive();
        assertThat(sqs.endpoint().getHost()).isEqualTo("127.0.0.1");
        assertThat(sqs.endpoint().getPort()).isPositive();
    }

    @Test
    void requestsSignedWithTheWrongSecretAreRefused() {
        try (S3Client intruder = S3Client.builder()
                .httpClient(UrlConnectionHttpClient.create())
                .endpointOverride(s3.endpoint())
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(s3.accessKey(), "not-the-secret")))
                .build()) {
            assertThatThrownBy(intruder::listBuckets)
                    .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.statusCode()).isEqualTo(403));
        }
    }

    @Test
    void putGetRangeAndHead() {
        put(s3Client, "data", "a/hello.txt", "0123456789abcdef");

        assertThat(get(s3Client, "data", "a/hello.txt")).isEqualTo("0123456789abcdef");
        assertThat(s3Client.getObjectAsBytes(g -> g.bucket("data").key("a/hello.txt").range("bytes=5-9"))
                .asUtf8String()).isEqualTo("56789");

        HeadObjectResponse head = s3Client.headObject(h -> h.bucket("data").key("a/hello.txt"));
        assertThat(head.contentLength()).isEqualTo(16L);
        assertThat(head.eTag()).isNotBlank();
    }

    @Test
    void listObjectsV2PagesThroughAPrefixOnce() {
        List<String> expected = IntStream.range(0, 7).mapToObj(i -> "list/part-" + i + ".csv").toList();
        expected.forEach(k -> put(s3Client, "data", k, k));
        put(s3Client, "data", "listing-elsewhere.csv", "not under the prefix");

        List<String> seen = new ArrayList<>();
        String token = null;
        int pages = 0;
        do {
            String continuation = token;
            ListObjectsV2Response page = s3Client.listObjectsV2(l -> l.bucket("data").prefix("list/")
                    .maxKeys(3).continuationToken(continuation));
            page.contents().stream().map(S3Object::key).forEach(seen::add);
            token = page.isTruncated() ? page.nextContinuationToken() : null;
            pages++;
        } while (token != null);

        assertThat(seen).containsExactlyElementsOf(expected);
        assertThat(pages).isEqualTo(3);
    }

    @Test
    void ifNoneMatchStarRefusesToOverwrite() {
        put(s3Client, "data", "once/existing", "first");

        assertThatThrownBy(() -> s3Client.putObject(p -> p.bucket("data").key("once/existing").ifNoneMatch("*"),
                RequestBody.fromString("second")))
                .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.statusCode()).isEqualTo(412));
        assertThat(get(s3Client, "data", "once/existing")).isEqualTo("first");

        s3Client.putObject(p -> p.bucket("data").key("once/new").ifNoneMatch("*"), RequestBody.fromString("fresh"));
        assertThat(get(s3Client, "data", "once/new")).isEqualTo("fresh");
    }

    @Test
    void multipartUploadConcatenatesParts() {
        byte[] first = new byte[5 * 1024 * 1024];
        Arrays.fill(first, (byte) 'a');
        byte[] second = "tail".getBytes(StandardCharsets.UTF_8);

        String uploadId = s3Client.createMultipartUpload(c -> c.bucket("data").key("mpu/big.bin")).uploadId();
        String etag1 = s3Client.uploadPart(u -> u.bucket("data").key("mpu/big.bin").uploadId(uploadId).partNumber(1),
                RequestBody.fromBytes(first)).eTag();
        String etag2 = s3Client.uploadPart(u -> u.bucket("data").key("mpu/big.bin").uploadId(uploadId).partNumber(2),
                RequestBody.fromBytes(second)).eTag();
        s3Client.completeMultipartUpload(c -> c.bucket("data").key("mpu/big.bin").uploadId(uploadId)
                .multipartUpload(m -> m.parts(
                        CompletedPart.builder().partNumber(1).eTag(etag1).build(),
                        CompletedPart.builder().partNumber(2).eTag(etag2).build())));

        byte[] expected = new byte[first.length + second.length];
        System.arraycopy(first, 0, expected, 0, first.length);
        System.arraycopy(second, 0, expected, first.length, second.length);
        assertThat(s3Client.getObjectAsBytes(g -> g.bucket("data").key("mpu/big.bin")).asByteArray())
                .isEqualTo(expected);
    }

    @Test
    void keysWithSpacesAndUnicodeRoundTrip() {
        String key = "incoming/iris/my file é.csv";
        put(s3Client, "data", key, "sepal,petal\n");

        assertThat(get(s3Client, "data", key)).isEqualTo("sepal,petal\n");
        assertThat(s3Client.listObjectsV2(l -> l.bucket("data").prefix("incoming/iris/")).contents())
                .extracting(S3Object::key).containsExactly(key);
    }

    @Test
    void onDiskStoreSurvivesRestart(@TempDir Path dir) {
        int port;
        try (EmbeddedS3 first = EmbeddedS3.onDisk(dir, 0); S3Client client = s3ClientFor(first)) {
            port = first.endpoint().getPort();
            client.createBucket(b -> b.bucket("kept"));
            put(client, "kept", "dir/file é.txt", "still here");
        }
        // same directory and same port: the port must have been released by close()
        try (EmbeddedS3 again = EmbeddedS3.onDisk(dir, port); S3Client client = s3ClientFor(again)) {
            assertThat(get(client, "kept", "dir/file é.txt")).isEqualTo("still here");
        }
    }

    @Test
    void emulatorsRestartInTheSameJvm() {
        for (int i = 0; i < 2; i++) {
            try (EmbeddedS3 store = EmbeddedS3.inMemory(0);
                    S3Client client = s3ClientFor(store);
                    EmbeddedSqs queues = EmbeddedSqs.start(0, REGION, ACCOUNT);
                    SqsClient sqsAgain = sqsClientFor(queues)) {
                // in-memory state starts empty every time
                assertThat(client.listBuckets().buckets()).isEmpty();
                client.createBucket(b -> b.bucket("again"));
                assertThat(sqsAgain.listQueues().queueUrls()).isEmpty();
                sqsAgain.createQueue(c -> c.queueName("again"));
            }
        }
    }

    @Test
    void queueArnsCarryRegionAndAccount() {
        String url = sqsClient.createQueue(c -> c.queueName("arn-check")).queueUrl();
        assertThat(url).isEqualTo(sqs.endpoint() + "/" + ACCOUNT + "/arn-check");
        assertThat(queueArn(url)).isEqualTo("arn:aws:sqs:" + REGION + ":" + ACCOUNT + ":arn-check");
    }

    @Test
    void sendBatchOfTenAndReceiveThem() {
        String url = sqsClient.createQueue(c -> c.queueName("batch-work")).queueUrl();
        List<SendMessageBatchRequestEntry> entries = IntStream.range(0, 10)
                .mapToObj(i -> SendMessageBatchRequestEntry.builder().id("m" + i).messageBody("task-" + i).build())
                .toList();
        assertThat(sqsClient.sendMessageBatch(s -> s.queueUrl(url).entries(entries)).successful()).hasSize(10);

        List<Message> received = new ArrayList<>();
        // SQS may return fewer than asked for in one call; ask again until all ten are in
        for (int attempt = 0; attempt < 10 && received.size() < 10; attempt++) {
            received.addAll(sqsClient.receiveMessage(r -> r.queueUrl(url).maxNumberOfMessages(10).waitTimeSeconds(1)
                    .messageSystemAttributeNames(MessageSystemAttributeName.APPROXIMATE_RECEIVE_COUNT)).messages());
        }
        assertThat(received).extracting(Message::body)
                .containsExactlyInAnyOrderElementsOf(IntStream.range(0, 10).mapToObj(i -> "task-" + i).toList());
        assertThat(received).allSatisfy(m -> assertThat(
                m.attributes().get(MessageSystemAttributeName.APPROXIMATE_RECEIVE_COUNT)).isEqualTo("1"));
    }

    @Test
    void unacknowledgedMessageReappearsThenMovesToDeadLetterQueue() {
        String dlq = sqsClient.createQueue(c -> c.queueName("work-dlq")).queueUrl();
        String redrive = "{\"maxReceiveCount\":\"2\",\"deadLetterTargetArn\":\"" + queueArn(dlq) + "\"}";
        String work = sqsClient.createQueue(c -> c.queueName("work").attributes(Map.of(
                QueueAttributeName.VISIBILITY_TIMEOUT, "30",
                QueueAttributeName.REDRIVE_POLICY, redrive))).queueUrl();
        assertThat(sqsClient.getQueueAttributes(g -> g.queueUrl(work).attributeNames(QueueAttributeName.ALL))
                .attributes()).containsEntry(QueueAttributeName.VISIBILITY_TIMEOUT, "30")
                .containsKey(QueueAttributeName.REDRIVE_POLICY);

        sqsClient.sendMessage(s -> s.queueUrl(work).messageBody("poison"));
        for (int receive = 1; receive <= 2; receive++) {
            Message m = receiveOne(work);
            assertThat(m.body()).isEqualTo("poison");
            assertThat(m.attributes().get(MessageSystemAttributeName.APPROXIMATE_RECEIVE_COUNT))
                    .isEqualTo(String.valueOf(receive));
            // a worker that fails hands the message back at once instead of waiting out the 30 s timeout
            sqsClient.changeMessageVisibility(c -> c.queueUrl(work).receiptHandle(m.receiptHandle())
                    .visibilityTimeout(0));
        }

        // the third delivery attempt exceeds maxReceiveCount: the message goes to the DLQ instead
        assertThat(sqsClient.receiveMessage(r -> r.queueUrl(work).maxNumberOfMessages(10)).messages()).isEmpty();
        assertThat(receiveOne(dlq).body()).isEqualTo("poison");
    }

    private static Message receiveOne(String url) {
        List<Message> messages = sqsClient.receiveMessage(r -> r.queueUrl(url).maxNumberOfMessages(1)
                .waitTimeSeconds(1)
                .messageSystemAttributeNames(MessageSystemAttributeName.APPROXIMATE_RECEIVE_COUNT)).messages();
        assertThat(messages).hasSize(1);
        return messages.get(0);
    }

    private static String queueArn(String url) {
        return sqsClient.getQueueAttributes(g -> g.queueUrl(url).attributeNames(QueueAttributeName.QUEUE_ARN))
                .attributes().get(QueueAttributeName.QUEUE_ARN);
    }
}
