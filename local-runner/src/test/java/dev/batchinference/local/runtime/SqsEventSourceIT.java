package dev.batchinference.local.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.batchinference.local.emulator.EmbeddedSqs;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsClient;

/** The local event source on ElasticMQ: batches as the template's batch size and batching window make them. */
class SqsEventSourceIT {
    private EmbeddedSqs sqs;
    private SqsClient client;
    private String queueUrl;

    @BeforeEach
    void start() {
        sqs = EmbeddedSqs.start(0, "us-east-1", "000000000000");
        client = SqsClient.builder().httpClient(UrlConnectionHttpClient.create()).region(Region.US_EAST_1)
                .endpointOverride(sqs.endpoint())
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(sqs.accessKey(), sqs.secretKey())))
                .build();
        queueUrl = client.createQueue(b -> b.queueName("results")).queueUrl();
    }

    @AfterEach
    void stop() {
        client.close();
        sqs.close();
    }

    @Test
    void messagesArrivingWithinTheWindowAreOneInvocationAndAreDeleted() throws Exception {
        List<List<String>> invocations = new CopyOnWriteArrayList<>();
        // a window long enough for this test to send more after the first message was received, on a busy machine
        SqsEventSource source = source(10, Duration.ofSeconds(3), invocations);
        Thread poller = DaemonThreads.named("results-writer-test").newThread(source);
        poller.start();
        try {
            client.sendMessage(b -> b.queueUrl(queueUrl).messageBody("result 0"));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (inFlight() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(invocations).as("invoked before the window passed").isEmpty();
            client.sendMessageBatch(b -> b.queueUrl(queueUrl).entries(java.util.stream.IntStream.rangeClosed(1, 5)
                    .mapToObj(n -> software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry.builder()
                            .id("m" + n).messageBody("result " + n).build()).toList()));
            awaitMessages(invocations, 6);
        } finally {
            source.stop();
        }
        assertThat(invocations).hasSize(1);
        assertThat(invocations.get(0)).containsExactlyInAnyOrder("result 0", "result 1", "result 2", "result 3",
                "result 4", "result 5");
        assertThat(visibleAndInFlight()).as("messages left on the queue").isZero();
    }

    @Test
    void withoutAWindowABatchIsWhatOneReceiveFinds() throws Exception {
        List<List<String>> invocations = new CopyOnWriteArrayList<>();
        SqsEventSource source = source(1, Duration.ZERO, invocations);
        Thread poller = DaemonThreads.named("batch-worker-test").newThread(source);
        poller.start();
        try {
            for (int i = 0; i < 3; i++) {
                int n = i;
                client.sendMessage(b -> b.queueUrl(queueUrl).messageBody("task " + n));
            }
            awaitMessages(invocations, 3);
        } finally {
            source.stop();
        }
        assertThat(invocations).hasSize(3).allSatisfy(batch -> assertThat(batch).hasSize(1));
    }

    @Test
    void aLocalWindowIsTheTemplatesUpToTwoHundredMilliseconds() {
        assertThat(SqsEventSource.localWindow(Duration.ofSeconds(1))).isEqualTo(Duration.ofMillis(200));
        assertThat(SqsEventSource.localWindow(Duration.ZERO)).isEqualTo(Duration.ZERO);
    }

    private SqsEventSource source(int batchSize, Duration window, List<List<String>> invocations) {
        return new SqsEventSource("test", client, queueUrl, "arn:aws:sqs:us-east-1:000000000000:results", batchSize,
                window, (event, context) -> {
                    invocations.add(event.getRecords().stream().map(SQSEvent.SQSMessage::getBody).toList());
                    return new SQSBatchResponse(List.of());
                }, Duration.ofSeconds(1), new AtomicInteger());
    }

    private static void awaitMessages(List<List<String>> invocations, int count) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (invocations.stream().mapToInt(List::size).sum() < count && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        Thread.sleep(300); // a later invocation, if there were to be one, has had time to come
    }

    private int inFlight() {
        return Integer.parseInt(client.getQueueAttributes(b -> b.queueUrl(queueUrl)
                .attributeNamesWithStrings("ApproximateNumberOfMessagesNotVisible")).attributesAsStrings()
                .get("ApproximateNumberOfMessagesNotVisible"));
    }

    private int visibleAndInFlight() {
        var attributes = client.getQueueAttributes(b -> b.queueUrl(queueUrl).attributeNamesWithStrings(
                "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible")).attributesAsStrings();
        return Integer.parseInt(attributes.get("ApproximateNumberOfMessages"))
                + Integer.parseInt(attributes.get("ApproximateNumberOfMessagesNotVisible"));
    }
}
