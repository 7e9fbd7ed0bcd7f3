package dev.batchinference.faults;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchinference.config.PipelineConfig.DataSettings;
import dev.batchinference.config.PipelineConfig.Limits;
import dev.batchinference.control.JobRedriver;
import dev.batchinference.failure.FailureReason;
import dev.batchinference.format.ChunkLimits;
import dev.batchinference.inference.ChunkWorker;
import dev.batchinference.ingest.JobIngestor;
import dev.batchinference.job.JobKeys;
import dev.batchinference.job.JobState;
import dev.batchinference.job.JobStore;
import dev.batchinference.job.JobSummary;
import dev.batchinference.json.JsonCodec;
import dev.batchinference.model.ModelCache;
import dev.batchinference.model.ModelStore;
import dev.batchinference.queue.InMemoryMessageSender;
import dev.batchinference.results.JobCollator;
import dev.batchinference.storage.InMemoryObjectStore;
import dev.batchinference.storage.ObjectStore;
import dev.batchinference.testing.Samples;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A job whose outputs the store refuses every time (403 AccessDenied, as for a role without the grant or a bucket
 * policy's deny) ends FAILED with OUTPUT_WRITE_FAILED after COLLATE_MAX_ATTEMPTS collations, naming the key and the
 * error, delivered as Lambda's SQS event sources deliver: a failed message comes back until the queue's receive
 * limit moves it to the dead-letter queue, which the writer drains too. Nothing is left stranded.
 */
class OutputWriteFailureTest {
    private static final String KEY = "incoming/iris/refused/iris.csv";
    /** The SAM template's results queue and results DLQ (QueueSettings in local-runner agrees). */
    private static final int RESULTS_MAX_RECEIVES = 5;
    private static final int DLQ_MAX_RECEIVES = 5;

    @TempDir
    Path dir;

    /** The three cores over a store that refuses some writes, and the results queues as SQS keeps them. */
    private final class Run {
        final InMemoryObjectStore raw = new InMemoryObjectStore();
        final AtomicBoolean refusing = new AtomicBoolean(true);
        final InMemoryMessageSender work = new InMemoryMessageSender();
        final InMemoryMessageSender results = new InMemoryMessageSender();
        final ObjectStore store;
        final JobIngestor ingestor;
        final ChunkWorker worker;
        final JobCollator writer;
        final List<String> stranded = new ArrayList<>();
        int collationFailures;
        boolean endedFromTheDeadLetterQueue;

        Run(Predicate<String> refused, Limits limits) throws IOException {
            Path cache = Files.createDirectories(dir.resolve("cache"));
            Samples.publish(new ModelStore(raw, cache), "iris");
            raw.write(KEY, Files.readAllBytes(Samples.data("iris.csv")));
            store = new FaultyObjectStore(raw, FaultPlan.quiet(), key -> refusing.get() && refused.test(key));
            ModelStore models = new ModelStore(store, cache);
            ingestor = new JobIngestor("bucket", store, models, work, results, new ChunkLimits(40, Long.MAX_VALUE),
                    DataSettings.defaults(), limits, Clock.systemUTC());
            worker = new ChunkWorker(store, models, new ModelCache(), results, 64);
            writer = new JobCollator(store, Duration.ofMinutes(15), limits, Clock.systemUTC(), "writer");
        }

        /** Every task to the worker, then each result to the writer as SQS redelivers it, until all queues are empty. */
        void deliver() {
            Deque<String> resultsDlq = new ArrayDeque<>();
            while (true) {
                work.drain().forEach(worker::process);
                List<String> sent = results.drain();
                if (sent.isEmpty() && resultsDlq.isEmpty()) {
                    return;
                }
                for (String body : sent) {
                    if (!handled(body, RESULTS_MAX_RECEIVES)) {
                        resultsDlq.add(body); // maxReceiveCount receives, then the results DLQ
                    }
                }
                while (!resultsDlq.isEmpty()) {
                    String body = resultsDlq.poll();
                    boolean ended = new JobStore(raw).terminal(jobId()).isPresent();
                    if (!handled(body, DLQ_MAX_RECEIVES)) {
                        stranded.add(body);
                    } else if (!ended && new JobStore(raw).terminal(jobId()).isPresent()) {
                        endedFromTheDeadLetterQueue = true;
                    }
                }
            }
        }

        /** Delivers one message until the writer handles it or it has had {@code receives} receives. */
        private boolean handled(String body, int receives) {
            for (int receive = 1; receive <= receives; receive++) {
                try {
                    writer.handle(body);
                    return true;
                } catch (RuntimeException failed) {
                    collationFailures++;
                }
            }
            return false;
        }

        String jobId() {
            return new JobStore(raw).jobIds().get(0);
        }

        JobSummary end() {
            return new JobStore(raw).terminal(jobId()).orElseThrow(() -> new AssertionError("the job has not ended"));
        }

        JobCollator.CollateLock lock() throws IOException {
            try (InputStream in = raw.read(JobKeys.collateLock(jobId()))) {
                return JsonCodec.read(in.readAllBytes(), JobCollator.CollateLock.class);
            }
        }
    }

    @Test
    void outputsThatAreAlwaysRefusedEndTheJobFailedAfterTheAttemptsAllowed() throws IOException {
        Run run = new Run(key -> key.startsWith("output/"), Limits.defaults());

        run.ingestor.ingest(KEY);
        run.deliver();

        JobSummary end = run.end();
        assertThat(end.state()).isEqualTo(JobState.FAILED);
        assertThat(end.reason()).isEqualTo(FailureReason.OUTPUT_WRITE_FAILED);
        assertThat(end.message())
                .contains("collating the job failed 3 times (COLLATE_MAX_ATTEMPTS=3)")
                .contains("writing " + JobKeys.predictions(KEY) + " failed: S3Exception: Access Denied")
                .contains("Status Code: 403")
                .contains("pipeline redrive " + run.jobId())
                .doesNotContain("5.1,3.5").doesNotContain("Exception:\n").doesNotContain("\tat ");
        assertThat(run.collationFailures).as("collations that failed before the one that ended the job").isEqualTo(3);
        assertThat(run.lock().attempts()).isEqualTo(4);
        assertThat(run.stranded).as("messages left in the last dead-letter queue").isEmpty();
        assertThat(run.raw.list("output/")).as("nothing under output/: every write there was refused").isEmpty();
        assertThat(end.rowsIn()).as("the chunks' counts, all done").isEqualTo(150);
    }

    @Test
    void theResultsDeadLetterQueueEndsTheJobWhenItOutlastsTheQueuesReceives() throws IOException {
        Run run = new Run(key -> key.startsWith("output/"), Limits.defaults().withMaxCollateAttempts(7));

        run.ingestor.ingest(KEY);
        run.deliver();

        assertThat(run.end().reason()).isEqualTo(FailureReason.OUTPUT_WRITE_FAILED);
        assertThat(run.end().message()).contains("failed 7 times (COLLATE_MAX_ATTEMPTS=7)");
        assertThat(run.endedFromTheDeadLetterQueue).as("ended by the writer draining its own dead letters").isTrue();
        assertThat(run.stranded).isEmpty();
    }

    @Test
    void aRefusedSummaryIsAnOutputThatCannotBeWrittenToo() throws IOException {
        Run run = new Run(key -> key.endsWith(JobKeys.SUMMARY), Limits.defaults());

        run.ingestor.ingest(KEY);
        run.deliver();

        JobSummary end = run.end();
        assertThat(end.reason()).isEqualTo(FailureReason.OUTPUT_WRITE_FAILED);
        assertThat(end.message()).contains("writing " + JobKeys.summary(KEY) + " failed: S3Exception: Access Denied");
        assertThat(run.raw.head(JobKeys.summary(KEY))).isEmpty();
    }

    @Test
    void onceTheCauseIsFixedARedriveEndsTheJobWithItsOutputs() throws IOException {
        Run run = new Run(key -> key.startsWith("output/"), Limits.defaults());
        run.ingestor.ingest(KEY);
        run.deliver();
        assertThat(run.end().reason()).isEqualTo(FailureReason.OUTPUT_WRITE_FAILED);

        run.refusing.set(false);
        JobRedriver.Redrive redrive = new JobRedriver(run.store, run.work, run.results, Clock.systemUTC())
                .redriveFailed(run.jobId());
        run.deliver();

        assertThat(redrive.collationRequested()).as("every chunk was done: only the collation runs again").isTrue();
        assertThat(run.end().state()).isEqualTo(JobState.SUCCEEDED);
        String predictions = new String(run.raw.read(JobKeys.predictions(KEY)).readAllBytes(), StandardCharsets.UTF_8);
        assertThat(predictions.lines().count()).as("header and every row once").isEqualTo(151);
    }
}
