package dev.batchinference.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.batchinference.failure.FailureReason;
import dev.batchinference.format.ChunkLimits;
import dev.batchinference.job.ChunkTask;
import dev.batchinference.job.JobKeys;
import dev.batchinference.job.JobState;
import dev.batchinference.job.JobStore;
import dev.batchinference.json.JsonCodec;
import dev.batchinference.testing.InMemoryPipeline;
import dev.batchinference.testing.Samples;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A user's view and control of jobs: status, and redrive of a job whose chunks failed. */
class JobControlTest {
    private static final String KEY = "incoming/iris/iris.csv";

    @TempDir
    Path cache;

    private InMemoryPipeline pipeline;

    @BeforeEach
    void setUp() throws Exception {
        pipeline = new InMemoryPipeline(cache, new ChunkLimits(40, Long.MAX_VALUE));
        Samples.publish(pipeline.models, "iris");
        pipeline.put(KEY, Files.readAllBytes(Samples.data("iris.csv")));
    }

    /** Ingests, runs every chunk but {@code failing}, and dead-letters that one: the job ends CHUNK_FAILED. */
    private String runWithChunkFailing(int failing) {
        String jobId = pipeline.ingestor.ingest(KEY).jobId();
        for (String task : pipeline.workQueue.drain()) {
            if (JsonCodec.read(task, ChunkTask.class).chunk().index() == failing) {
                pipeline.collator.handle(task); // what the writer does with a task from the work DLQ
            } else {
                pipeline.worker.process(task);
            }
        }
        pipeline.drain();
        return jobId;
    }

    @Test
    void aRunningJobShowsItsChunksAndRowsSoFar() {
        String jobId = pipeline.ingestor.ingest(KEY).jobId();
        List<String> tasks = pipeline.workQueue.drain();
        pipeline.worker.process(tasks.get(0));
        pipeline.worker.process(tasks.get(1));
        pipeline.drain();

        JobStatus status = JobStatus.read(pipeline.store, jobId.substring(0, 6), Clock.systemUTC()).orElseThrow();

        assertThat(status.jobId()).isEqualTo(jobId);
        assertThat(status.state()).isEqualTo(JobState.RUNNING);
        assertThat(status.chunks()).isEqualTo(4);
        assertThat(status.chunksDone()).isEqualTo(2);
        assertThat(status.rowsIn()).isEqualTo(80);
        assertThat(status.model()).isEqualTo("iris");
        assertThat(status.modelVersion()).isEqualTo("1");
        assertThat(status.output()).isNull();
    }

    @Test
    void anEndedJobShowsItsSummaryAndTheRecentListPutsTheNewestFirst() throws Exception {
        String first = pipeline.runToEnd(KEY).jobId();
        Thread.sleep(5); // listings order by the plan's time
        pipeline.put("incoming/iris/again.csv", Files.readAllBytes(Samples.data("iris.csv")));
        String second = pipeline.ingestor.ingest("incoming/iris/again.csv").jobId();

        JobStatus ended = JobStatus.read(pipeline.store, first, Clock.systemUTC()).orElseThrow();
        List<JobStatus> recent = JobStatus.recent(pipeline.store, 10, Clock.systemUTC());

        assertThat(ended.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(ended.rowsOut()).isEqualTo(150);
        assertThat(ended.chunksDone()).isEqualTo(4);
        assertThat(ended.output()).isEqualTo(JobKeys.predictions(KEY));
        assertThat(ended.summary()).isEqualTo(JobKeys.summary(KEY));
        assertThat(recent).extracting(JobStatus::jobId).containsExactly(second, first);
        assertThat(recent).extracting(JobStatus::state).containsExactly(JobState.RUNNING, JobState.SUCCEEDED);
        assertThat(JobStatus.read(pipeline.store, "ffffffffffff", Clock.systemUTC())).isEmpty();
    }

    @Test
    void anAmbiguousIdPrefixIsAnErrorThatListsTheCandidates() throws Exception {
        for (int i = 0; i < 40; i++) {
            String key = "incoming/iris/copy-" + i + ".csv";
            pipeline.put(key, Files.readAllBytes(Samples.data("iris.csv")));
            pipeline.ingestor.ingest(key);
        }
        // forty ids over sixteen first characters: some character begins two of them
        String shared = JobStatus.recent(pipeline.store, 100, Clock.systemUTC()).stream()
                .map(s -> s.jobId().substring(0, 1))
                .filter(c -> JobStatus.recent(pipeline.store, 100, Clock.systemUTC()).stream()
                        .filter(s -> s.jobId().startsWith(c)).count() > 1)
                .findFirst().orElseThrow();

        assertThatThrownBy(() -> JobStatus.read(pipeline.store, shared, Clock.systemUTC()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("names").hasMessageContaining("give more of the id");
    }

    @Test
    void aRedriveReRunsOnlyTheChunkThatFailedAndTheJobSucceedsWithEveryRowOnce() throws Exception {
        InMemoryPipeline clean = new InMemoryPipeline(cache.resolve("clean"), new ChunkLimits(40, Long.MAX_VALUE));
        Samples.publish(clean.models, "iris");
        clean.put(KEY, Files.readAllBytes(Samples.data("iris.csv")));
        clean.runToEnd(KEY);
        String jobId = runWithChunkFailing(2);
        assertThat(new JobStore(pipeline.store).terminal(jobId).orElseThrow().reason()).isEqualTo(FailureReason.CHUNK_FAILED);

        JobRedriver.Redrive redrive = pipeline.redriver(Clock.systemUTC()).redriveFailed(jobId);
        List<String> resent = List.copyOf(pipeline.workQueue.sent());
        pipeline.drain();

        assertThat(redrive.chunks()).containsExactly(2);
        assertThat(resent).singleElement().extracting(t -> JsonCodec.read(t, ChunkTask.class).chunk().index()).isEqualTo(2);
        JobStatus status = JobStatus.read(pipeline.store, jobId, Clock.systemUTC()).orElseThrow();
        assertThat(status.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(status.rowsOut()).isEqualTo(150);
        assertThat(status.redrives()).isEqualTo(1);
        assertThat(pipeline.predictionsOf(KEY)).isEqualTo(clean.predictionsOf(KEY));
        assertThat(pipeline.text(JobKeys.summary(KEY))).contains("SUCCEEDED");
    }

    @Test
    void aRedriveIsRefusedWhereItCannotHelpAndSaysWhy() throws Exception {
        JobRedriver redriver = pipeline.redriver(Clock.systemUTC());
        String running = pipeline.ingestor.ingest(KEY).jobId();
        pipeline.put("incoming/iris/no-features.csv", "id,colour\n1,red\n".getBytes());
        String badInput = pipeline.runToEnd("incoming/iris/no-features.csv").jobId();
        String succeeded = pipeline.runToEnd(KEY).jobId();

        assertThat(succeeded).isEqualTo(running);
        assertThatThrownBy(() -> redriver.redriveFailed(succeeded)).hasMessageContaining("SUCCEEDED");
        assertThatThrownBy(() -> redriver.redriveFailed(badInput))
                .hasMessageContaining("SCHEMA_MISMATCH").hasMessageContaining("upload the input again");
        assertThatThrownBy(() -> redriver.redriveFailed("0123456789abcdef0123"))
                .hasMessageContaining("no job 0123456789abcdef0123");
        pipeline.put("incoming/iris/later.csv", Files.readAllBytes(Samples.data("iris.csv")));
        String stillRunning = pipeline.ingestor.ingest("incoming/iris/later.csv").jobId();
        assertThatThrownBy(() -> redriver.redriveFailed(stillRunning)).hasMessageContaining("still running");
        assertThat(pipeline.store.list(JobKeys.redrives(succeeded))).isEmpty();
    }
}
