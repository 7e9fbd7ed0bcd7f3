package dev.batchinference.local.runtime;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * The SQS event sources of the functions: one thread per execution environment, each polling its queue
 * and invoking its handler, and a count of the invocations running across all of them.
 */
final class EventSourcePollers {
    private final SqsClient sqs;
    private final Duration retryDelay;
    private final List<SqsEventSource> sources = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicInteger inFlight = new AtomicInteger();

    EventSourcePollers(SqsClient sqs, Duration retryDelay) {
        this.sqs = sqs;
        this.retryDelay = retryDelay;
    }

    /**
     * Starts an execution environment named {@code name} that polls the queue and invokes the handler, in batches
     * as the event source's settings say.
     */
    void poll(String name, String url, String arn, QueueSettings settings,
              RequestHandler<SQSEvent, SQSBatchResponse> handler) {
        SqsEventSource source = new SqsEventSource(name, sqs, url, arn, settings.batchSize(),
                SqsEventSource.localWindow(settings.batchingWindow()), handler, retryDelay, inFlight);
        Thread thread = DaemonThreads.named(name).newThread(source);
        sources.add(source);
        threads.add(thread);
        thread.start();
    }

    /** True while any handler runs. */
    boolean busy() {
        return inFlight.get() > 0;
    }

    /** Tells every poller to stop after what it is doing; none receives again. */
    void stop() {
        sources.forEach(SqsEventSource::stop);
    }

    /** After {@link #stop()}: waits (up to 5 s each) for the pollers still invoking their handler. */
    void awaitInvocations() {
        for (int i = 0; i < threads.size(); i++) {
            if (!sources.get(i).invoking()) {
                continue; // idle in a long poll of up to a second: not worth waiting for, it ends when SQS closes
            }
            try {
                threads.get(i).join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
