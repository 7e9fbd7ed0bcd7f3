package dev.batchinference.local.runtime;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;

/**
 * What Lambda's SQS event source mapping does, for one execution environment: receive up to the batch
 * size, invoke the handler, delete the messages it did not report as failed. Failed messages stay on
 * the queue, come back, and after {@code maxReceiveCount} receives the queue moves them to its DLQ.
 *
 * <p>A batch not yet full when its first messages arrive is gathered for the event source's batching window
 * ({@code MaximumBatchingWindowInSeconds}), so that a busy queue is taken in full batches: fewer receives, deletes
 * and invocations per message, as on AWS.
 *
 * <p>Two differences, for speed on one machine: a failed message is made visible again after {@code retryDelay}
 * rather than after the queue's whole visibility timeout, and a batching window is at most {@link #LOCAL_WINDOW}
 * (the last results of a job wait for it).
 */
final class SqsEventSource implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(SqsEventSource.class);
    /** The longest batching window of a local event source: enough for a busy queue to fill a batch of 10. */
    static final Duration LOCAL_WINDOW = Duration.ofMillis(200);

    private final String functionName;
    private final SqsClient sqs;
    private final String queueUrl;
    private final String queueArn;
    private final int batchSize;
    private final Duration batchingWindow;
    private final RequestHandler<SQSEvent, SQSBatchResponse> handler;
    private final Duration retryDelay;
    private final AtomicInteger inFlight;
    private volatile boolean running = true;
    private volatile boolean invoking;

    SqsEventSource(String functionName, SqsClient sqs, String queueUrl, String queueArn, int batchSize,
                   Duration batchingWindow, RequestHandler<SQSEvent, SQSBatchResponse> handler, Duration retryDelay,
                   AtomicInteger inFlight) {
        this.functionName = functionName;
        this.sqs = sqs;
        this.queueUrl = queueUrl;
        this.queueArn = queueArn;
        this.batchSize = batchSize;
        this.batchingWindow = batchingWindow;
        this.handler = handler;
        this.retryDelay = retryDelay;
        this.inFlight = inFlight;
    }

    /** The window a local event source gathers a batch for, given the template's. */
    static Duration localWindow(Duration templateWindow) {
        return templateWindow.compareTo(LOCAL_WINDOW) < 0 ? templateWindow : LOCAL_WINDOW;
    }

    void stop() {
        running = false;
    }

    /** True while the handler runs; otherwise the poller is at most waiting in a long poll, which may be abandoned. */
    boolean invoking() {
        return invoking;
    }

    @Override
    public void run() {
        while (running) {
            try {
                List<Message> batch = receiveBatch();
                // set before running is read again: stop() then either sees it and waits, or this sees the
                // stop and leaves the batch to come back visible (both fields are volatile)
                invoking = !batch.isEmpty();
                if (invoking && running) {
                    inFlight.incrementAndGet();
                    try {
                        invoke(batch);
                    } finally {
                        inFlight.decrementAndGet();
                    }
                }
                invoking = false;
            } catch (RuntimeException e) {
                if (running) {
                    LOG.warn("{}: polling {} failed, trying again: {}", functionName, queueUrl, e.toString());
                    sleep(Duration.ofMillis(200));
                }
            }
        }
    }

    /**
     * Waits (a long poll of a second) for a first message, then gathers more, with receives that do not wait, until
     * the batch is full or, where it has one, the batching window has passed since the first came.
     */
    private List<Message> receiveBatch() {
        List<Message> batch = new ArrayList<>(receive(1, batchSize));
        if (batch.isEmpty() || batch.size() >= batchSize) {
            return batch;
        }
        if (!batchingWindow.isZero()) {
            sleep(batchingWindow);
        }
        while (running && batch.size() < batchSize) {
            List<Message> received = receive(0, batchSize - batch.size());
            if (received.isEmpty()) {
                break;
            }
            batch.addAll(received);
        }
        return batch;
    }

    private List<Message> receive(int waitSeconds, int upTo) {
        int wanted = Math.min(10, upTo);
        return sqs.receiveMessage(b -> b.queueUrl(queueUrl).maxNumberOfMessages(wanted)
                .waitTimeSeconds(waitSeconds).messageSystemAttributeNames(MessageSystemAttributeName.ALL)).messages();
    }

    private void invoke(List<Message> batch) {
        Set<String> failed;
        try {
            SQSBatchResponse response = handler.handleRequest(event(batch), new LocalContext(functionName, 900_000));
            failed = response == null || response.getBatchItemFailures() == null ? Set.of()
                    : response.getBatchItemFailures().stream()
                    .map(SQSBatchResponse.BatchItemFailure::getItemIdentifier).collect(Collectors.toSet());
        } catch (RuntimeException | Error e) {
            // an invocation that throws fails its whole batch, as in Lambda
            LOG.warn("{}: invocation failed, its {} message(s) will be retried: {}", functionName, batch.size(), e.toString());
            failed = batch.stream().map(Message::messageId).collect(Collectors.toSet());
        }
        List<Message> succeeded = new ArrayList<>();
        List<Message> retried = new ArrayList<>();
        for (Message m : batch) {
            (failed.contains(m.messageId()) ? retried : succeeded).add(m);
        }
        for (int i = 0; i < succeeded.size(); i += 10) {
            List<Message> slice = succeeded.subList(i, Math.min(succeeded.size(), i + 10));
            sqs.deleteMessageBatch(b -> b.queueUrl(queueUrl).entries(slice.stream()
                    .map(m -> software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequestEntry.builder()
                            .id(m.messageId()).receiptHandle(m.receiptHandle()).build()).toList()));
        }
        for (Message m : retried) {
            sqs.changeMessageVisibility(b -> b.queueUrl(queueUrl).receiptHandle(m.receiptHandle())
                    .visibilityTimeout((int) retryDelay.toSeconds()));
        }
    }

    private SQSEvent event(List<Message> batch) {
        List<SQSEvent.SQSMessage> records = new ArrayList<>();
        for (Message m : batch) {
            SQSEvent.SQSMessage record = new SQSEvent.SQSMessage();
            record.setMessageId(m.messageId());
            record.setReceiptHandle(m.receiptHandle());
            record.setBody(m.body());
            record.setMd5OfBody(m.md5OfBody());
            Map<String, String> attributes = new HashMap<>();
            m.attributes().forEach((k, v) -> attributes.put(k.toString(), v));
            record.setAttributes(attributes);
            record.setEventSource("aws:sqs");
            record.setEventSourceArn(queueArn);
            record.setAwsRegion(queueArn.split(":")[3]);
            records.add(record);
        }
        SQSEvent event = new SQSEvent();
        event.setRecords(records);
        return event;
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
