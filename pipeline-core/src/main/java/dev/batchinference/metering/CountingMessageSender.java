package dev.batchinference.metering;

import dev.batchinference.metering.RequestCounts.Operation;
import dev.batchinference.queue.MessageSender;
import java.util.List;

/**
 * A {@link MessageSender} that counts its SQS requests into the tally open on the calling thread
 * ({@link RequestCounts}): one SendMessageBatch per ten messages, as the SQS sender sends them.
 */
public final class CountingMessageSender implements MessageSender {
    private static final int SQS_BATCH_LIMIT = 10;

    private final MessageSender sender;

    public CountingMessageSender(MessageSender sender) {
        this.sender = sender;
    }

    @Override
    public void send(List<String> bodies) {
        RequestCounts.count(Operation.SEND_MESSAGE_BATCH, (bodies.size() + SQS_BATCH_LIMIT - 1) / SQS_BATCH_LIMIT);
        sender.send(bodies);
    }
}
