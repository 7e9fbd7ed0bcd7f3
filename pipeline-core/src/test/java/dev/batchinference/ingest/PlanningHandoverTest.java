package dev.batchinference.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.batchinference.config.PipelineConfig.DataSettings;
import dev.batchinference.config.PipelineConfig.Limits;
import dev.batchinference.config.PipelineConfig.Planning;
import dev.batchinference.failure.FailureReason;
import dev.batchinference.format.ChunkLimits;
import dev.batchinference.format.ChunkRange;
import dev.batchinference.job.ChunkTask;
import dev.batchinference.job.JobKeys;
import dev.batchinference.job.JobPlan;
import dev.batchinference.job.JobState;
import dev.batchinference.job.JobStore;
import dev.batchinference.job.JobSummary;
import dev.batchinference.job.PlanningHandover;
import dev.batchinference.json.JsonCodec;
import dev.batchinference.json.RecordJson;
import dev.batchinference.queue.InMemoryMessageSender;
import dev.batchinference.queue.MessageSender;
import dev.batchinference.testing.HandoverInputs;
import dev.batchinference.testing.InMemoryPipeline;
import dev.batchinference.testing.Samples;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Planning in steps: an input planned by many invocations, each with a budget of one chunk, makes the same chunks,
 * the same tasks (each sent once) and the same outputs as one invocation planning it whole, whatever is delivered
 * twice or dies after writing its checkpoint; a hand-over that keeps failing ends the job FAILED.
 */
class PlanningHandoverTest {
    /** Cuts by rows and by bytes, so that chunks end just past multi-line records as well as between plain ones. */
    private static final ChunkLimits LIMITS = new ChunkLimits(9, 400);
    /** One byte: spent at once, so every invocation plans one chunk and hands over. */
    private static final Planning ONE_CHUNK_A_STEP = new Planning(Duration.ofHours(1), 1);

    @TempDir
    Path cache;

    private record Run(InMemoryPipeline pipeline, String jobId, int invocations, List<String> tasks) {
        JobPlan plan() {
            return new JobStore(pipeline.store).plan(jobId).orElseThrow();
        }

        /** The plan's chunks, a staged chunk's key without its job's folder (job ids differ from run to run). */
        List<ChunkRange> chunks() {
            return plan().chunks().stream().map(c -> c.source() == null ? c : new ChunkRange(c.index(), c.startByte(),
                    c.endByte(), c.source().replace(JobKeys.JOBS + jobId, "<job>"), c.rows())).toList();
        }

        JobSummary summary(String key) {
            return JsonCodec.read(pipeline.text(JobKeys.summary(key)).getBytes(), JobSummary.class);
        }
    }

    private InMemoryPipeline pipeline(String name) {
        InMemoryPipeline pipeline = new InMemoryPipeline(cache.resolve(name), LIMITS, DataSettings.defaults(),
                Limits.defaults().toleratingAllRejections());
        Samples.publish(pipeline.models, "iris");
        return pipeline;
    }

    /** The input planned by one invocation, then run to its end. */
    private Run inOnePass(String key, byte[] content) {
        InMemoryPipeline pipeline = pipeline("one-pass");
        pipeline.put(key, content);
        JobIngestor.Outcome outcome = pipeline.ingestor.ingest(key);
        assertThat(outcome.status()).isEqualTo(JobIngestor.Outcome.Status.STARTED);
        List<String> tasks = pipeline.workQueue.sent();
        pipeline.drain();
        return new Run(pipeline, outcome.jobId(), 1, tasks);
    }

    /**
     * The input planned in steps: each hand-over delivered {@code deliveries} times, one after another, and the
     * planning queue failing its {@code failingSend}-th send (0: never), as an invocation that dies after writing its
     * checkpoint; the failed invocation's hand-over is delivered again, as SQS would.
     */
    private Run inSteps(String key, byte[] content, int deliveries, int failingSend) {
        InMemoryPipeline pipeline = pipeline("steps-" + deliveries + "-" + failingSend);
        pipeline.put(key, content);
        InMemoryMessageSender handovers = new InMemoryMessageSender();
        AtomicInteger sends = new AtomicInteger();
        MessageSender planningQueue = bodies -> {
            if (sends.incrementAndGet() == failingSend) {
                throw new IllegalStateException("SQS is unreachable (injected)");
            }
            handovers.send(bodies);
        };
        JobIngestor ingestor = pipeline.ingestor.handingOverTo(planningQueue, ONE_CHUNK_A_STEP);
        JobIngestor.Outcome first = ingestor.ingest(key, Duration.ofMinutes(15));
        assertThat(first.status()).isEqualTo(JobIngestor.Outcome.Status.PLANNING);
        int invocations = 1;
        List<String> pending = new ArrayList<>(handovers.drain());
        String failedOn = null;
        while (!pending.isEmpty()) {
            String body = pending.remove(0);
            PlanningHandover handover = RecordJson.read(body, PlanningHandover.class);
            for (int d = 0; d < deliveries; d++) {
                invocations++;
                try {
                    JobIngestor.Outcome outcome = ingestor.continuePlanning(handover, Duration.ofMinutes(15));
                    if (d > 0) {
                        assertThat(outcome.status()).as("a duplicate of hand-over %d", handover.step())
                                .isEqualTo(JobIngestor.Outcome.Status.DUPLICATE);
                    }
                } catch (IllegalStateException e) {
                    assertThat(failedOn).as("one injected failure").isNull();
                    failedOn = body;
                    pending.add(0, body); // not acknowledged: SQS delivers it again
                    break;
                }
            }
            pending.addAll(handovers.drain());
        }
        if (failingSend > 0) {
            assertThat(failedOn).as("the injected failure happened").isNotNull();
        }
        List<String> tasks = pipeline.workQueue.sent();
        pipeline.drain();
        return new Run(pipeline, first.jobId(), invocations, tasks);
    }

    private static List<Integer> chunkIndexes(List<String> tasks) {
        return tasks.stream().map(t -> RecordJson.read(t, ChunkTask.class).chunk().index()).toList();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"incoming/iris/notes.csv", "incoming/iris/notes.csv.gz"})
    void anInputPlannedOneChunkPerInvocationMakesTheChunksAndOutputsOfOnePass(String key) {
        byte[] content = key.endsWith(".gz") ? HandoverInputs.csvGzip() : HandoverInputs.csv();
        Run one = inOnePass(key, content);
        Run steps = inSteps(key, content, 1, 0);

        int chunks = one.plan().chunks().size();
        assertThat(chunks).as("enough chunks for many steps").isGreaterThan(15);
        assertThat(steps.invocations()).as("one invocation per chunk").isEqualTo(chunks);
        assertThat(steps.chunks()).as("the same cuts, numbering and row counts").isEqualTo(one.chunks());
        assertThat(steps.plan().chunks().stream().mapToLong(ChunkRange::rows).sum()).isEqualTo(HandoverInputs.rows());
        assertThat(chunkIndexes(steps.tasks())).as("each chunk's task sent once")
                .containsExactlyElementsOf(chunkIndexes(one.tasks()));

        JobSummary summary = steps.summary(key);
        assertThat(summary.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(summary.rowsIn()).isEqualTo(HandoverInputs.rows());
        assertThat(summary.rowsOut() + summary.rowsRejected()).isEqualTo(summary.rowsIn());
        assertThat(summary.rowsRejected()).isEqualTo(1);
        assertThat(summary.createdAt()).as("the job starts with its first step").isEqualTo(steps.plan().createdAt());
        assertThat(steps.pipeline().predictionsOf(key)).isEqualTo(one.pipeline().predictionsOf(key));
        assertThat(steps.pipeline().text(JobKeys.errors(key))).isEqualTo(one.pipeline().text(JobKeys.errors(key)));
        assertThat(summary.requests().ingestTrigger().s3PutObject())
                .as("every step's checkpoint and hand-over counted, with the plan and the dispatch marker")
                .isGreaterThanOrEqualTo(2L * (chunks - 1) + 2);
    }

    @Test
    void everyHandOverDeliveredTwiceChangesNothing() {
        String key = "incoming/iris/notes.csv.gz";
        Run one = inOnePass(key, HandoverInputs.csvGzip());
        Run twice = inSteps(key, HandoverInputs.csvGzip(), 2, 0);

        assertThat(chunkIndexes(twice.tasks())).containsExactlyElementsOf(chunkIndexes(one.tasks()));
        assertThat(twice.chunks()).isEqualTo(one.chunks());
        assertThat(twice.pipeline().predictionsOf(key)).isEqualTo(one.pipeline().predictionsOf(key));
    }

    @Test
    void anInvocationThatDiesAfterWritingItsCheckpointIsTakenOverByTheNextDelivery() {
        String key = "incoming/iris/notes.csv";
        Run one = inOnePass(key, HandoverInputs.csv());
        Run crashed = inSteps(key, HandoverInputs.csv(), 1, 4);

        JobStore jobs = new JobStore(crashed.pipeline().store);
        assertThat(jobs.step(crashed.jobId(), 4)).as("the checkpoint the dead invocation wrote").isPresent();
        assertThat(chunkIndexes(crashed.tasks())).containsExactlyElementsOf(chunkIndexes(one.tasks()));
        assertThat(crashed.chunks()).isEqualTo(one.chunks());
        assertThat(crashed.pipeline().predictionsOf(key)).isEqualTo(one.pipeline().predictionsOf(key));
    }

    @Test
    void aHandOverThatKeepsFailingEndsTheJobFailedWithItsReasonAndNoTaskGoesOut() {
        String key = "incoming/iris/notes.csv";
        InMemoryPipeline pipeline = pipeline("dead");
        pipeline.put(key, HandoverInputs.csv());
        InMemoryMessageSender handovers = new InMemoryMessageSender();
        JobIngestor ingestor = pipeline.ingestor.handingOverTo(handovers, ONE_CHUNK_A_STEP);
        ingestor.ingest(key, null);
        PlanningHandover second = RecordJson.read(handovers.drain().get(0), PlanningHandover.class);
        ingestor.continuePlanning(second, null);
        PlanningHandover dead = RecordJson.read(handovers.drain().get(0), PlanningHandover.class);

        JobIngestor.Outcome ended = ingestor.abandonPlanning(dead);
        JobIngestor.Outcome again = ingestor.abandonPlanning(dead);
        pipeline.drain();

        assertThat(ended.status()).isEqualTo(JobIngestor.Outcome.Status.REJECTED);
        assertThat(again.status()).isEqualTo(JobIngestor.Outcome.Status.DUPLICATE);
        assertThat(pipeline.workQueue.sent()).isEmpty();
        JobSummary summary = JsonCodec.read(pipeline.text(JobKeys.summary(key)).getBytes(), JobSummary.class);
        assertThat(summary.state()).isEqualTo(JobState.FAILED);
        assertThat(summary.reason()).isEqualTo(FailureReason.STALLED);
        assertThat(summary.message()).contains("planning the input stopped at byte").contains("Upload the input again");
        assertThat(ingestor.continuePlanning(dead, null).status()).as("a late delivery of the dead hand-over")
                .isEqualTo(JobIngestor.Outcome.Status.DUPLICATE);
    }

    @Test
    void aBadRecordFarIntoTheInputEndsTheJobFromTheStepThatMeetsIt() {
        String key = "incoming/iris/unclosed.csv";
        byte[] good = HandoverInputs.csv();
        byte[] content = new byte[good.length + 20];
        System.arraycopy(good, 0, content, 0, good.length);
        System.arraycopy("9,\"never closed,1,2\n".getBytes(), 0, content, good.length, 20);
        InMemoryPipeline pipeline = pipeline("unclosed");
        pipeline.put(key, content);
        InMemoryMessageSender handovers = new InMemoryMessageSender();
        JobIngestor ingestor = pipeline.ingestor.handingOverTo(handovers, ONE_CHUNK_A_STEP);
        ingestor.ingest(key, null);
        JobIngestor.Outcome last = null;
        List<String> pending;
        while (!(pending = handovers.drain()).isEmpty()) {
            last = ingestor.continuePlanning(RecordJson.read(pending.get(0), PlanningHandover.class), null);
        }
        pipeline.drain();

        assertThat(last.status()).isEqualTo(JobIngestor.Outcome.Status.REJECTED);
        assertThat(pipeline.workQueue.sent()).isEmpty();
        JobSummary summary = JsonCodec.read(pipeline.text(JobKeys.summary(key)).getBytes(), JobSummary.class);
        assertThat(summary.reason()).isEqualTo(FailureReason.UNREADABLE_INPUT);
        assertThat(summary.message()).contains("record 151");
    }

    @Test
    void aPlanningBudgetIsTwoThirdsOfTheRemainingTimeWhenThatIsLess() {
        Planning planning = new Planning(Duration.ofMinutes(10), Long.MAX_VALUE);
        java.time.Clock start = java.time.Clock.fixed(java.time.Instant.parse("2026-01-01T00:00:00Z"),
                java.time.ZoneOffset.UTC);
        assertThat(planning.start(start, Duration.ofMinutes(15)).spent(0)).isFalse();
        assertThat(planning.start(start, Duration.ZERO).spent(0)).as("no time left").isTrue();
        assertThat(new Planning(Duration.ofMinutes(10), 100).start(start, null).spent(100)).isTrue();
        assertThatThrownBy(() -> dev.batchinference.config.PipelineConfig.from(java.util.Map.of(
                dev.batchinference.config.PipelineConfig.BUCKET, "b",
                dev.batchinference.config.PipelineConfig.PLANNING_BUDGET_SECONDS, "0")))
                .hasMessageContaining("PLANNING_BUDGET_SECONDS");
    }
}
