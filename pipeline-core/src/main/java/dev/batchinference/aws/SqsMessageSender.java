package dev.batchinference.aws;

import dev.batchinference.queue.MessageSender;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.BatchResultErrorEntry;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchResponse;

/** A {@link MessageSender} for one SQS queue: batches of ten, failed entries retried. */
public final class SqsMessageSender implements MessageSender {
    private static final int SQS_BATCH_LIMIT = 10;
    private static final int ATTEMPTS = 4;

    private final SqsClient sqs;
    private final String queueUrl;

    public SqsMessageSender(SqsClient sqs, String queueUrl) {
        this.sqs = sqs;
        this.queueUrl = queueUrl;
    }

    @Override
    public void send(List<String> bodies) {
        for (int from = 0; from < bodies.size(); from += SQS_BATCH_LIMIT) {
            sendBatch(bodies.subList(from, Math.min(bodies.size(), from + SQS_BATCH_LIMIT)));
        }
    }

    private void sendBatch(List<String> bodies) {
        List<SendMessageBatchRequestEntry> pending = new ArrayList<>();
        for (int i = 0; i < bodies.size(); i++) {
            pending.add(SendMessageBatchRequestEntry.builder().id(Integer.toString(i)).messageBody(bodies.get(i)).build());
        }
        for (int attempt = 1; !pending.isEmpty(); attempt++) {
            List<SendMessageBatchRequestEntry> batch = pending;
            SendMessageBatchResponse response = sqs.sendMessageBatch(b -> b.queueUrl(queueUrl).entries(batch));
            if (response.failed().isEmpty()) {
                return;
            }
            List<String> failedIds = response.failed().stream().map(BatchResultErrorEntry::id).toList();
            boolean permanent = response.failed().stream().anyMatch(BatchResultErrorEntry::senderFault);
            if (permanent || attempt == ATTEMPTS) {
                BatchResultErrorEntry first = response.failed().get(0);
                throw new IllegalStateException("SQS refused " + failedIds.size() + " message(s) for " + queueUrl
                        + ": " + first.code() + " " + first.message());
            }
            pending = batch.stream().filter(e -> failedIds.contains(e.id())).toList();
        }
    }
}
