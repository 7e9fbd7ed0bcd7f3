package dev.batchinference.queue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The loop of a function fed by a queue, written once (the shape of Powertools' batch handler): each message
 * is handled on its own by a per-message method that returns the failure to report, if any. A message whose
 * handling throws is reported as failed too, and logged with its id and the exception. Only the failed
 * messages come back (a partial batch response), so one bad message never makes the batch run again.
 */
public final class QueueBatch {
    private static final Logger LOG = LoggerFactory.getLogger(QueueBatch.class);

    private QueueBatch() {
    }

    /** A message to deliver again. */
    public record ItemFailure(String messageId) {
    }

    /**
     * What a batch came to: its size, the messages to deliver again (in batch order), and the types of the
     * exceptions among them, for the invocation line (types only: an exception's message could quote the input).
     */
    public record Result(int messages, List<ItemFailure> failures, List<String> errors) {
    }

    /** Handles every message in order with {@code perMessage}. */
    public static Result process(List<QueueMessage> messages, Function<QueueMessage, Optional<ItemFailure>> perMessage) {
        List<ItemFailure> failures = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        for (QueueMessage message : messages) {
            try {
                perMessage.apply(message).ifPresent(failures::add);
            } catch (RuntimeException e) {
                LOG.warn("message {} will be retried: {}", message.id(), e.toString());
                failures.add(new ItemFailure(message.id()));
                errors.add(e.getClass().getSimpleName());
            }
        }
        return new Result(messages.size(), List.copyOf(failures), List.copyOf(errors));
    }
}
