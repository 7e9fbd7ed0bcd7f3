package dev.batchinference.local.runtime;

import dev.batchinference.ingest.IngestReport;
import dev.batchinference.storage.ObjectStore;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Invokes the ingest function as S3 and EventBridge do where no queue carries S3's notifications:
 * asynchronously on an ObjectCreated, with S3's retries, and on the schedule.
 */
final class IngestInvocations {
    private static final Logger LOG = LoggerFactory.getLogger(IngestInvocations.class);
    /** S3 retries a failed asynchronous Lambda invocation twice. */
    static final int S3_INVOKE_ATTEMPTS = 3;
    /** Execution environments of the ingest function, in either way of delivering notifications. */
    static final int ENVIRONMENTS = 2;

    private final IngestFunction ingest;
    private final ObjectStore store;
    private final String bucket;
    private final String region;
    private final ExecutorService s3Invocations = Executors.newFixedThreadPool(ENVIRONMENTS,
            DaemonThreads.named("ingest-trigger"));
    private final AtomicInteger pending = new AtomicInteger();
    private ScheduledExecutorService schedule;

    IngestInvocations(IngestFunction ingest, ObjectStore store, String bucket, String region) {
        this.ingest = ingest;
        this.store = store;
        this.bucket = bucket;
        this.region = region;
    }

    /** Raises the S3 ObjectCreated notification for an existing object; asynchronous, like S3 → Lambda. */
    void objectCreated(String key) {
        pending.incrementAndGet();
        s3Invocations.submit(() -> {
            try {
                Optional<ObjectStore.StoredObject> object = store.head(key);
                if (object.isEmpty()) {
                    return; // gone again before S3 would have notified
                }
                String event = S3Notifications.objectCreatedJson(bucket, object.get(), region);
                for (int attempt = 1; attempt <= S3_INVOKE_ATTEMPTS; attempt++) {
                    try {
                        ingest.invoke(event, new LocalContext("ingest-trigger", 900_000));
                        return;
                    } catch (RuntimeException e) {
                        if (s3Invocations.isShutdown()) {
                            return; // stopped under it (close, Ctrl-C): not a failure to report or retry
                        }
                        LOG.warn("ingest-trigger failed on {} (attempt {} of {}): {}", key, attempt, S3_INVOKE_ATTEMPTS,
                                e.toString());
                    }
                }
            } finally {
                pending.decrementAndGet();
            }
        });
    }

    /** True while a raised notification has not been handled yet. */
    boolean pending() {
        return pending.get() > 0;
    }

    /** Fires the schedule once: ingest gets EventBridge's "Scheduled Event" and sweeps. */
    IngestReport sweep() {
        String event = "{\"version\":\"0\",\"id\":\"" + UUID.randomUUID() + "\",\"detail-type\":\"Scheduled Event\","
                + "\"source\":\"aws.events\",\"account\":\"" + EmbeddedEmulators.ACCOUNT + "\",\"time\":\""
                + Instant.now().truncatedTo(ChronoUnit.SECONDS) + "\",\"region\":\""
                + region + "\",\"resources\":[\"arn:aws:events:" + region + ":"
                + EmbeddedEmulators.ACCOUNT + ":rule/local-schedule\"],\"detail\":{}}";
        return ingest.invoke(event, new LocalContext("ingest-trigger", 900_000));
    }

    /** Fires the schedule every {@code interval} from now until stopped; errors are logged, not fatal. */
    synchronized void schedule(Duration interval) {
        if (schedule != null) {
            throw new IllegalStateException("a schedule is running already");
        }
        schedule = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("schedule"));
        schedule.scheduleWithFixedDelay(() -> {
            try {
                sweep();
            } catch (RuntimeException e) {
                LOG.warn("the scheduled run failed: {}", e.toString());
            }
        }, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Stops the schedule and interrupts raised notifications; none is started after this. */
    synchronized void stop() {
        if (schedule != null) {
            schedule.shutdownNow();
        }
        s3Invocations.shutdownNow();
    }

    /** After {@link #stop()}: waits up to 5 s for the invocations still running. */
    void awaitStopped() {
        try {
            s3Invocations.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
