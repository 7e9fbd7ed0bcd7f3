package dev.batchinference.local.runtime;

import static dev.batchinference.testing.PredictionAssertions.assertSamePredictions;
import static org.assertj.core.api.Assertions.assertThat;

import dev.batchinference.format.ChunkLimits;
import dev.batchinference.job.JobKeys;
import dev.batchinference.job.JobState;
import dev.batchinference.job.JobSummary;
import dev.batchinference.json.JsonCodec;
import dev.batchinference.results.JobCollator;
import dev.batchinference.storage.ObjectStore;
import dev.batchinference.testing.Samples;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Jobs on {@code serve}'s embedded S3 end, whatever stops them. A {@code serve} restarted after its writer stopped
 * in the middle of a collation (Ctrl-C, a crash, a kill) takes the job's collation lock over at once, although the
 * lock is well within its 900 s lease: the owner id names a process that has ended. The job ends with every row
 * once. A lock of a live writer, or of a writer that is not a local runtime's, is left to its lease. And an input
 * whose name the local store takes but its outputs' names would not (another client's upload; {@code run} and
 * {@code submit} refuse such a file) ends FAILED at once rather than retried for ever.
 */
class ServeJobsEndIT {
    private static final Duration TIMEOUT = Duration.ofMinutes(2);
    private static final ChunkLimits CHUNKS = new ChunkLimits(40, Long.MAX_VALUE);

    @TempDir
    Path data;

    @Test
    void aRestartTakesOverTheLockOfAWriterWhoseProcessEndedAndFinishesTheJobAtOnce() throws Exception {
        String key;
        String jobId;
        try (EmbeddedEmulators emulators = EmbeddedEmulators.start(data);
             LocalPipeline pipeline = LocalPipeline.start(LocalPipeline.Options.defaults().withChunkLimits(CHUNKS),
                     emulators)) {
            pipeline.publishModel(Samples.model("iris"));
            key = pipeline.submit(Samples.data("iris.csv"), "iris");
            jobId = pipeline.jobIdFor(key);
            assertThat(pipeline.awaitEnd(jobId, TIMEOUT).orElseThrow().state()).isEqualTo(JobState.SUCCEEDED);
            // the bucket as an earlier serve leaves it when it stops while collating: every chunk done, the job's
            // collation lock taken moments ago by a writer of that process, no outputs and no end yet
            ObjectStore store = pipeline.store();
            store.delete(JobKeys.terminal(jobId));
            store.delete(JobKeys.predictions(key));
            store.delete(JobKeys.summary(key));
            store.write(JobKeys.collateLock(jobId), JsonCodec.writeBytes(new JobCollator.CollateLock(
                    ownerInAnEndedProcess(), Instant.now())));
        }

        try (EmbeddedEmulators emulators = EmbeddedEmulators.start(data);
             LocalPipeline pipeline = LocalPipeline.start(LocalPipeline.Options.defaults().withChunkLimits(CHUNKS),
                     emulators)) {
            assertThat(pipeline.environment().get("COLLATE_LEASE_SECONDS")).as("the lease is the default 900 s").isNull();

            pipeline.resume();
            JobSummary summary = pipeline.awaitEnd(jobId, TIMEOUT).orElseThrow(() -> new AssertionError(
                    "the job did not end: its lock was left to its 900 s lease"));

            assertThat(summary.state()).isEqualTo(JobState.SUCCEEDED);
            assertThat(summary.rowsOut()).isEqualTo(150);
            String predictions;
            try (InputStream in = pipeline.store().read(summary.output())) {
                predictions = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            assertSamePredictions(Samples.csv(predictions), Samples.csv(Samples.expected("iris.predictions.csv")));
            JobCollator.CollateLock lock;
            try (InputStream in = pipeline.store().read(JobKeys.collateLock(jobId))) {
                lock = JsonCodec.read(in.readAllBytes(), JobCollator.CollateLock.class);
            }
            assertThat(lock.attempts()).as("the stopped writer's attempt, and the one that finished").isEqualTo(2);
            assertThat(lock.lastFailure()).contains("stopped with its process");
        }
    }

    @Test
    void theLockOfALiveWriterOrOfAWriterElsewhereIsLeftToItsLease() throws Exception {
        try (EmbeddedEmulators emulators = EmbeddedEmulators.start(data);
             LocalPipeline pipeline = LocalPipeline.start(LocalPipeline.Options.defaults(), emulators)) {
            ObjectStore store = pipeline.store();
            String live = "0123456789abcdef0123";
            String lambda = "abcdef0123456789abcd";
            String ended = "00000000000000000000";
            store.write(JobKeys.collateLock(live), JsonCodec.writeBytes(new JobCollator.CollateLock(
                    LocalWriterIds.prefixOfThisProcess() + "results-writer-1", Instant.now())));
            store.write(JobKeys.collateLock(lambda), JsonCodec.writeBytes(new JobCollator.CollateLock(
                    "results-writer-5f0e6c2a-9d4b-4c1e-8a7d-2b3c4d5e6f70", Instant.now())));
            store.write(JobKeys.collateLock(ended), JsonCodec.writeBytes(new JobCollator.CollateLock(
                    ownerInAnEndedProcess(), Instant.now())));

            assertThat(StoppedWriters.releaseLocks(store, emulators.s3())).containsExactly(ended);
            assertThat(StoppedWriters.releaseLocks(store, java.net.URI.create("https://s3.example.com")))
                    .as("an endpoint other machines may share: nothing is judged").isEmpty();
        }
    }

    @Test
    void anInputNamedTooLongForItsOutputsEndsFailedWithItsEndUnderJobs() throws Exception {
        try (EmbeddedEmulators emulators = EmbeddedEmulators.start(data);
             LocalPipeline pipeline = LocalPipeline.start(LocalPipeline.Options.defaults(), emulators)) {
            pipeline.publishModel(Samples.model("iris"));
            // 212 bytes: a file name the local store keeps (up to 218), but not with .predictions.csv after it
            String key = "incoming/iris/" + "n".repeat(208) + ".csv";
            pipeline.put(key, Samples.data("iris.csv"));

            JobSummary summary = pipeline.awaitEnd(pipeline.jobIdFor(key), TIMEOUT).orElseThrow();

            assertThat(summary.state()).isEqualTo(JobState.FAILED);
            assertThat(summary.reason()).isEqualTo(dev.batchinference.failure.FailureReason.LIMIT_EXCEEDED);
            assertThat(summary.message()).contains("more than the 218 a file name may have");
            assertThat(pipeline.store().list("output/")).as("no output could be named").isEmpty();
        }
    }

    /** The owner id a writer of a local runtime had, in a process that has exited since. */
    private static String ownerInAnEndedProcess() throws Exception {
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-version").redirectErrorStream(true).start();
        process.getInputStream().readAllBytes();
        long started = process.info().startInstant().map(Instant::toEpochMilli).orElse(1L);
        process.waitFor();
        return "local-" + process.pid() + "-" + started + "/results-writer-" + java.util.UUID.randomUUID();
    }
}
