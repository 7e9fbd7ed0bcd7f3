package dev.batchinference.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchinference.failure.FailureReason;
import dev.batchinference.format.ChunkLimits;
import dev.batchinference.job.ChunkTask;
import dev.batchinference.job.JobKeys;
import dev.batchinference.job.JobState;
import dev.batchinference.job.JobStore;
import dev.batchinference.job.JobSummary;
import dev.batchinference.json.JsonCodec;
import dev.batchinference.testing.InMemoryPipeline;
import dev.batchinference.testing.Samples;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The scheduled run: inputs without a job are started, and no job stays RUNNING forever. */
class JobSweeperTest {
    private static final Duration STALLED_AFTER = Duration.ofHours(6);
    private static final String KEY = "incoming/iris/batch/iris.csv";

    @TempDir
    Path cache;

    private InMemoryPipeline pipeline;
    private JobStore jobs;
    private String expected;

    @BeforeEach
    void setUp() throws Exception {
        pipeline = new InMemoryPipeline(cache, new ChunkLimits(40, Long.MAX_VALUE));
        Samples.publish(pipeline.models, "iris");
        jobs = new JobStore(pipeline.store);
        // what a clean run writes, to compare every recovered run with
        InMemoryPipeline clean = new InMemoryPipeline(cache.resolve("clean"), new ChunkLimits(40, Long.MAX_VALUE));
        Samples.publish(clean.models, "iris");
        clean.put(KEY, Files.readAllBytes(Samples.data("iris.csv")));
        clean.runToEnd(KEY);
        expected = clean.predictionsOf(KEY);
    }

    private JobSweeper sweeperAt(Duration fromNow) {
        return pipeline.sweeper(Clock.offset(Clock.systemUTC(), fromNow), STALLED_AFTER);
    }

    private JobSummary end(String jobId) {
        return jobs.terminal(jobId).orElseThrow(() -> new AssertionError("job " + jobId + " has not ended"));
    }

    @Test
    void anInputPutWhileTheTriggerWasOffIsStartedOnceAndOnlyOnce() throws Exception {
        pipeline.put(KEY, Files.readAllBytes(Samples.data("iris.csv")));
        pipeline.put("incoming/iris/batch/notes.txt", "not an input".getBytes());

        JobSweeper.SweepReport first = sweeperAt(Duration.ZERO).sweep();
        int tasks = pipeline.workQueue.sent().size();
        JobSweeper.SweepReport second = sweeperAt(Duration.ZERO).sweep();

        assertThat(first.inputs()).isEqualTo(1);
        assertThat(first.started()).singleElement().satisfies(o -> {
            assertThat(o.key()).isEqualTo(KEY);
            assertThat(o.status()).isEqualTo(JobIngestor.Outcome.Status.STARTED);
        });
        assertThat(tasks).isEqualTo(4);
        assertThat(second.started()).isEmpty();
        assertThat(second.running()).isEqualTo(1);
        assertThat(pipeline.workQueue.sent()).hasSize(tasks);
        pipeline.drain();
        assertThat(pipeline.predictionsOf(KEY)).isEqualTo(expected);
    }

    @Test
    void anInputWhoseJobStateExpiredIsNotRunAgainButANewVersionOfItIs() throws Exception {
        pipeline.put(KEY, Files.readAllBytes(Samples.data("iris.csv")));
        pipeline.runToEnd(KEY);
        // the bucket's lifecycle rule expires jobs/; the outputs stay
        pipeline.store.list(JobKeys.JOBS).forEach(pipeline.store::delete);

        JobSweeper.SweepReport afterExpiry = sweeperAt(Duration.ZERO).sweep();
        pipeline.put(KEY, Files.readString(Samples.data("iris.csv")).replace("setosa", "Setosa").getBytes());
        JobSweeper.SweepReport afterOverwrite = sweeperAt(Duration.ZERO).sweep();

        assertThat(afterExpiry.started()).isEmpty();
        assertThat(afterOverwrite.started()).singleElement().extracting(JobIngestor.Outcome::key).isEqualTo(KEY);
    }

    @Test
    void aJobWhoseTasksWereLostIsReDrivenAfterStallingAndEndsWithEveryRowOnce() throws Exception {
        pipeline.put(KEY, Files.readAllBytes(Samples.data("iris.csv")));
        String jobId = pipeline.ingestor.ingest(KEY).jobId();
        List<String> tasks = pipeline.workQueue.drain();
        pipeline.worker.process(tasks.get(0)); // one chunk ran; the other three tasks were lost (a purged queue)
        pipeline.drain();

        JobSweeper.SweepReport early = sweeperAt(Duration.ofHours(1)).sweep();
        JobSweeper.SweepReport late = sweeperAt(Duration.ofHours(7)).sweep();

        assertThat(early.redriven()).isEmpty();
        assertThat(late.redriven()).singleElement().satisfies(r -> {
            assertThat(r.jobId()).isEqualTo(jobId);
            assertThat(r.chunks()).containsExactly(1, 2, 3);
        });
        assertThat(pipeline.workQueue.sent()).extracting(body -> JsonCodec.read(body, ChunkTask.class).chunk().index())
                .containsExactly(1, 2, 3);
        pipeline.drain();
        assertThat(end(jobId).state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(end(jobId).rowsOut()).isEqualTo(150);
        assertThat(pipeline.predictionsOf(KEY)).isEqualTo(expected);
    }

    @Test
    void aJobThatStaysStuckAfterItsRedriveEndsFailedAsStalled() throws Exception {
        pipeline.put(KEY, Files.readAllBytes(Samples.data("iris.csv")));
        String jobId = pipeline.ingestor.ingest(KEY).jobId();
        pipeline.workQueue.drain(); // every task lost

        sweeperAt(Duration.ofHours(7)).sweep();
        pipeline.workQueue.drain(); // and lost again: the worker never gets to them
        JobSweeper.SweepReport soon = sweeperAt(Duration.ofHours(7)).sweep();
        assertThat(soon.endedStalled()).isEmpty(); // the redrive was moments ago
        JobSweeper.SweepReport later = sweeperAt(Duration.ofHours(13)).sweep();
        pipeline.drain();

        assertThat(later.endedStalled()).containsExactly(jobId);
        JobSummary summary = end(jobId);
        assertThat(summary.state()).isEqualTo(JobState.FAILED);
        assertThat(summary.reason()).isEqualTo(FailureReason.STALLED);
        assertThat(summary.message()).contains("re-driven", "pipeline redrive " + jobId);
        assertThat(pipeline.text(JobKeys.summary(KEY))).contains("\"STALLED\"");
    }

    @Test
    void aJobWhoseChunksAreAllDoneButThatNeverEndedIsCollatedByTheSweep() throws Exception {
        pipeline.put(KEY, Files.readAllBytes(Samples.data("iris.csv")));
        String jobId = pipeline.runToEnd(KEY).jobId();
        // as if the writer died after recording the last chunk, before collating
        pipeline.store.delete(JobKeys.terminal(jobId));
        pipeline.store.delete(JobKeys.collateLock(jobId));
        pipeline.store.delete(JobKeys.predictions(KEY));

        JobSweeper.SweepReport report = sweeperAt(Duration.ofHours(7)).sweep();
        pipeline.drain();

        assertThat(report.redriven()).singleElement().satisfies(r -> {
            assertThat(r.chunks()).isEmpty();
            assertThat(r.collationRequested()).isTrue();
        });
        assertThat(end(jobId).state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(pipeline.predictionsOf(KEY)).isEqualTo(expected);
    }

    @Test
    void aPlannedJobWhoseTasksNeverWentOutAndARejectionThatWasLostAreBothFinished() throws Exception {
        pipeline.put(KEY, Files.readAllBytes(Samples.data("iris.csv")));
        String planned = pipeline.ingestor.ingest(KEY).jobId();
        pipeline.store.delete(JobKeys.dispatched(planned)); // ingest died between the plan and the tasks
        pipeline.workQueue.drain();
        pipeline.put("incoming/no-such-model/a.csv", "x\n1\n".getBytes());
        String rejected = pipeline.ingestor.ingest("incoming/no-such-model/a.csv").jobId();
        pipeline.resultsQueue.drain(); // the rejection never reached the writer

        sweeperAt(Duration.ofHours(7)).sweep();
        pipeline.drain();

        assertThat(end(planned).state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(jobs.isDispatched(planned)).isTrue();
        assertThat(end(rejected).reason()).isEqualTo(FailureReason.UNKNOWN_MODEL);
    }

    @Test
    void resumingAfterARestartReDrivesEveryUnfinishedJobAtOnce() throws Exception {
        pipeline.put(KEY, Files.readAllBytes(Samples.data("iris.csv")));
        String jobId = pipeline.ingestor.ingest(KEY).jobId();
        pipeline.workQueue.drain(); // the queues did not survive the restart

        JobSweeper.SweepReport report = sweeperAt(Duration.ZERO).resume();
        pipeline.drain();

        assertThat(report.redriven()).singleElement().extracting(r -> r.chunks().size()).isEqualTo(4);
        assertThat(end(jobId).state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(pipeline.predictionsOf(KEY)).isEqualTo(expected);
    }
}
