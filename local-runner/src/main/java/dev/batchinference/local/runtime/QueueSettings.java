package dev.batchinference.local.runtime;

import java.time.Duration;

/**
 * One queue and the event source that feeds its function: what SAM's template declares for the
 * queue (visibility timeout, redrive to a DLQ after {@code maxReceiveCount}) and for the event source
 * (batch size, and the batching window: how long the event source gathers messages for a batch that is not
 * full yet). The local runtime creates its queues from these.
 */
public record QueueSettings(String name, Duration visibilityTimeout, int maxReceiveCount, int batchSize,
                            Duration batchingWindow) {

    /** Worker timeout 900 s; AWS advises a visibility timeout of at least six times the function's timeout. */
    public static final QueueSettings WORK = new QueueSettings("work", Duration.ofSeconds(5400), 3, 1, Duration.ZERO);
    public static final QueueSettings RESULTS = new QueueSettings("results", Duration.ofSeconds(900), 5, 10,
            Duration.ofSeconds(1));
    /** Planning handed over from one ingest invocation to the next; a hand-over that fails comes back after 900 s. */
    public static final QueueSettings PLANNING = new QueueSettings("planning", Duration.ofSeconds(900), 3, 1,
            Duration.ZERO);

    public String dlqName() {
        return name + "-dlq";
    }
}
