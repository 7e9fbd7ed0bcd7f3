package dev.batchinference.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchinference.failure.FailureReason;
import dev.batchinference.format.ChunkLimits;
import dev.batchinference.format.ChunkRange;
import dev.batchinference.job.ChunkTask;
import dev.batchinference.job.JobKeys;
import dev.batchinference.job.JobPlan;
import dev.batchinference.job.JobState;
import dev.batchinference.job.JobStore;
import dev.batchinference.job.JobSummary;
import dev.batchinference.json.JsonCodec;
import dev.batchinference.testing.InMemoryPipeline;
import dev.batchinference.testing.Samples;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every job is held to its row counts: a worker that reads other rows than the planner counted (as when
 * the two disagreed on where records end) makes the job FAILED with ROWS_UNACCOUNTED, naming the chunk and
 * its bytes, and no outputs are written.
 */
class RowReconciliationTest {
    private static final String KEY = "incoming/iris/reconcile/iris.csv";

    @TempDir
    Path dir;

    @Test
    void aWorkerThatReadsFewerRowsThanPlannedFailsTheJobNamingTheChunk() throws IOException {
        InMemoryPipeline p = pipeline();
        String jobId = p.ingestor.ingest(KEY).jobId();
        // the worker of chunk 1 gets a range one record shorter than the plan's: what a planner and a reader
        // that disagree about record ends amount to
        deliverTasks(p, chunk -> chunk.index() != 1 ? chunk
                : new ChunkRange(chunk.index(), chunk.startByte(), endOfPreviousRecord(p, chunk), chunk.source(), chunk.rows()));

        p.drain();

        JobSummary summary = summary(p);
        assertThat(summary.state()).isEqualTo(JobState.FAILED);
        assertThat(summary.reason()).isEqualTo(FailureReason.ROWS_UNACCOUNTED);
        ChunkRange planned = new JobStore(p.store).plan(jobId).orElseThrow().chunks().get(1);
        assertThat(summary.message()).contains("chunk 1 (bytes " + planned.startByte() + "-" + planned.endByte() + ")")
                .contains("planned 40, read 39, predicted 39 + rejected 0")
                .contains("In all: planned 150, read 149");
        assertThat(summary.unaccountedChunks()).singleElement().satisfies(c -> {
            assertThat(c.chunk()).isEqualTo(1);
            assertThat(c.startByte()).isEqualTo(planned.startByte());
            assertThat(c.endByte()).isEqualTo(planned.endByte());
            assertThat(c.rowsPlanned()).isEqualTo(40L);
            assertThat(c.rowsRead()).isEqualTo(39);
        });
        assertThat(p.store.list("output/")).doesNotContain(JobKeys.predictions(KEY));
    }

    @Test
    void aChunkWhosePredictedAndRejectedRowsDoNotAddUpToItsReadRowsFailsTheJob() throws IOException {
        InMemoryPipeline p = pipeline();
        String jobId = p.ingestor.ingest(KEY).jobId();
        p.drain();
        // a done record that lost a row between reading and writing; the job is collated again from it
        JobSummary first = summary(p);
        assertThat(first.state()).isEqualTo(JobState.SUCCEEDED);
        var done = new JobStore(p.store).allDoneChunks(jobId, 4);
        var c = done.get(2);
        p.store.write(JobKeys.done(jobId, 2), JsonCodec.writeBytes(new dev.batchinference.job.ChunkResult(c.chunk(),
                c.rowsIn(), c.rowsOut() - 1, c.rowsRejected(), 0, 0, 0)));
        p.store.delete(JobKeys.terminal(jobId));
        p.store.delete(JobKeys.summary(KEY));
        p.store.delete(JobKeys.collateLock(jobId));

        p.collator.handle(JsonCodec.write(dev.batchinference.job.ResultMessage.chunkDone(jobId, done.get(3))));

        JobSummary summary = summary(p);
        assertThat(summary.reason()).isEqualTo(FailureReason.ROWS_UNACCOUNTED);
        assertThat(summary.message()).contains("chunk 2").contains("read 40, predicted 39 + rejected 0");
    }

    @Test
    void aPlanWrittenBeforePlannersCountedIsStillCheckedForReadEqualsPredictedPlusRejected() throws IOException {
        InMemoryPipeline p = pipeline();
        String jobId = p.ingestor.ingest(KEY).jobId();
        JobPlan plan = new JobStore(p.store).plan(jobId).orElseThrow();
        List<ChunkRange> uncounted = plan.chunks().stream()
                .map(c -> new ChunkRange(c.index(), c.startByte(), c.endByte(), c.source(), null)).toList();
        p.store.write(JobKeys.plan(jobId), JsonCodec.writeBytes(new JobPlan(plan.jobId(), plan.input(), plan.model(),
                plan.manifest(), plan.layout(), uncounted, plan.createdAt(), plan.failure())));
        deliverTasks(p, chunk -> new ChunkRange(chunk.index(), chunk.startByte(), chunk.endByte(), chunk.source(), null));

        p.drain();

        JobSummary summary = summary(p);
        assertThat(summary.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(summary.rowsIn()).isEqualTo(150);
        assertThat(summary.unaccountedChunks()).isNull();
    }

    private InMemoryPipeline pipeline() throws IOException {
        InMemoryPipeline p = new InMemoryPipeline(dir.resolve("cache"), new ChunkLimits(40, Long.MAX_VALUE));
        Samples.publish(p.models, "iris");
        p.put(KEY, Files.readAllBytes(Samples.data("iris.csv")));
        return p;
    }

    /** Takes the queued tasks, changes their chunks, and runs them. */
    private static void deliverTasks(InMemoryPipeline p, UnaryOperator<ChunkRange> change) {
        for (String body : p.workQueue.drain()) {
            ChunkTask task = JsonCodec.read(body, ChunkTask.class);
            p.worker.process(JsonCodec.write(ChunkTask.of(task.jobId(), change.apply(task.chunk()))));
        }
    }

    /** Where the chunk's last record starts: the chunk without it. */
    private static long endOfPreviousRecord(InMemoryPipeline p, ChunkRange chunk) {
        String text = p.text(KEY);
        int lastBreak = text.lastIndexOf('\n', (int) chunk.endByte() - 2);
        return lastBreak + 1;
    }

    private static JobSummary summary(InMemoryPipeline p) {
        return JsonCodec.read(p.text(JobKeys.summary(KEY)), JobSummary.class);
    }
}
