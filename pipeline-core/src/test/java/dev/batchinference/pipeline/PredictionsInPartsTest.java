package dev.batchinference.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchinference.config.PipelineConfig;
import dev.batchinference.config.PipelineConfig.DataSettings;
import dev.batchinference.config.PipelineConfig.Limits;
import dev.batchinference.faults.FaultPlan;
import dev.batchinference.faults.FaultyObjectStore;
import dev.batchinference.format.ChunkLimits;
import dev.batchinference.format.OutputFormat;
import dev.batchinference.inference.ChunkWorker;
import dev.batchinference.ingest.JobIngestor;
import dev.batchinference.job.JobKeys;
import dev.batchinference.job.JobState;
import dev.batchinference.job.JobStore;
import dev.batchinference.job.JobSummary;
import dev.batchinference.job.OutputManifest;
import dev.batchinference.json.JsonCodec;
import dev.batchinference.model.ModelCache;
import dev.batchinference.model.ModelStore;
import dev.batchinference.queue.InMemoryMessageSender;
import dev.batchinference.results.JobCollator;
import dev.batchinference.storage.InMemoryObjectStore;
import dev.batchinference.storage.ObjectStore;
import dev.batchinference.testing.InMemoryPipeline;
import dev.batchinference.testing.PredictionParts;
import dev.batchinference.testing.Samples;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Predictions one object cannot hold (a CSV output past MAX_OUTPUT_PARTS multipart parts, a Parquet output past
 * PARQUET_MERGE_MAX_BYTES) are written as part objects with a manifest, and reading the parts in manifest order gives
 * exactly the rows of the one-object output; a collation that fails half-way and is done over leaves a manifest that
 * lists each part once, and the job's end comes after it.
 */
class PredictionsInPartsTest {
    private static final String IRIS = "incoming/iris/many/iris.csv";
    private static final String TRANSACTIONS = "incoming/fraud/t.parquet";
    /** Three multipart parts per object: two chunks per part object; and any Parquet output is too large to merge. */
    private static final Limits TINY = Limits.defaults().withOutputLimits(3, 1);

    @TempDir
    Path dir;

    @Test
    void aCsvOutputPastTheMultipartLimitIsWrittenInPartsThatReadBackAsTheOneObject() throws IOException {
        String oneObject = run(Limits.defaults(), IRIS, "iris.csv", "iris", new ChunkLimits(20, Long.MAX_VALUE))
                .predictionsOf(IRIS);
        InMemoryPipeline p = run(TINY, IRIS, "iris.csv", "iris", new ChunkLimits(20, Long.MAX_VALUE));

        JobSummary summary = summary(p, IRIS);
        assertThat(summary.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(summary.chunks()).isEqualTo(8);
        assertThat(summary.outputParts()).as("8 chunks, 2 per part object").isEqualTo(4);
        assertThat(summary.output()).isEqualTo("output/iris/many/iris.csv.predictions/manifest.json");
        OutputManifest manifest = PredictionParts.manifestOf(p.store, summary);
        assertThat(manifest.format()).isEqualTo("csv");
        assertThat(manifest.parts()).extracting(OutputManifest.Part::key).containsExactly(
                "output/iris/many/iris.csv.predictions/part-00000.csv",
                "output/iris/many/iris.csv.predictions/part-00001.csv",
                "output/iris/many/iris.csv.predictions/part-00002.csv",
                "output/iris/many/iris.csv.predictions/part-00003.csv");
        assertThat(PredictionParts.csv(p.store, manifest)).isEqualTo(oneObject);
        assertThat(p.store.head(JobKeys.predictions(IRIS))).as("no one-object output beside the parts").isEmpty();
    }

    @Test
    void aParquetOutputPastTheMergeLimitIsWrittenAsTheChunksPartsThatReadBackAsTheOneObject() {
        ChunkLimits rowGroups = new ChunkLimits(2_500, Long.MAX_VALUE);
        InMemoryPipeline merged = run(Limits.defaults(), TRANSACTIONS, "transactions.parquet", "fraud", rowGroups);
        JobSummary one = summary(merged, TRANSACTIONS);
        assertThat(one.outputParts()).as("within the merge limit: one object").isNull();
        List<String> oneObject = PredictionParts.parquetRows(dir, PredictionParts.bytes(merged.store, one.output()));

        InMemoryPipeline p = run(TINY, TRANSACTIONS, "transactions.parquet", "fraud", rowGroups);

        JobSummary summary = summary(p, TRANSACTIONS);
        assertThat(summary.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(summary.outputParts()).as("one part object per chunk").isEqualTo(4);
        OutputManifest manifest = PredictionParts.manifestOf(p.store, summary);
        assertThat(manifest.format()).isEqualTo("parquet");
        assertThat(manifest.schema()).contains("prob_fraud");
        assertThat(manifest.parts().get(3).key()).isEqualTo("output/fraud/t.parquet.predictions/part-00003.parquet");
        assertThat(PredictionParts.parquetRows(dir, p.store, manifest)).hasSize(10_000).isEqualTo(oneObject);
        assertThat(p.store.head(JobKeys.predictions(TRANSACTIONS, OutputFormat.PARQUET))).isEmpty();
    }

    @Test
    void outputLimitsAreSettingsWithS3sLimitAsTheDefault() {
        Limits defaults = PipelineConfig.from(Map.of(PipelineConfig.BUCKET, "b")).limits();
        assertThat(defaults.maxOutputParts()).isEqualTo(10_000);
        assertThat(defaults.parquetMergeMaxBytes()).isEqualTo(10L * 1024 * 1024 * 1024);
        Limits set = PipelineConfig.from(Map.of(PipelineConfig.BUCKET, "b", PipelineConfig.MAX_OUTPUT_PARTS, "3",
                PipelineConfig.PARQUET_MERGE_MAX_BYTES, "1")).limits();
        assertThat(set.maxOutputParts()).isEqualTo(3);
        assertThat(set.parquetMergeMaxBytes()).isEqualTo(1);
    }

    /**
     * A collation that fails after writing some parts (a part refused, the manifest refused) is done over: the
     * manifest lists each part once, in order, and the job's end is written after it.
     */
    @ParameterizedTest
    @ValueSource(strings = {"part-00002.csv", "manifest.json"})
    void aCollationDoneOverAfterAFailureHalfWayListsEachPartOnce(String failingOnce) throws IOException {
        InMemoryObjectStore raw = new InMemoryObjectStore();
        AtomicInteger refusals = new AtomicInteger();
        FaultyObjectStore store = new FaultyObjectStore(raw, FaultPlan.quiet(),
                key -> key.startsWith(JobKeys.OUTPUT) && key.endsWith(failingOnce) && refusals.getAndIncrement() == 0);
        Path cache = Files.createDirectories(dir.resolve("cache"));
        ModelStore models = new ModelStore(store, cache);
        Samples.publish(models, "iris");
        raw.write(IRIS, Files.readAllBytes(Samples.data("iris.csv")));
        InMemoryMessageSender work = new InMemoryMessageSender();
        InMemoryMessageSender results = new InMemoryMessageSender();
        new JobIngestor("bucket", store, models, work, results, new ChunkLimits(20, Long.MAX_VALUE),
                DataSettings.defaults(), TINY, Clock.systemUTC()).ingest(IRIS);
        ChunkWorker worker = new ChunkWorker(store, models, new ModelCache(), results, 64);
        JobCollator writer = new JobCollator(store, Duration.ofMinutes(15), TINY, Clock.systemUTC(), "writer");
        work.drain().forEach(worker::process);

        int failures = 0;
        Deque<String> pending = new ArrayDeque<>(results.drain());
        while (!pending.isEmpty()) {
            String body = pending.poll();
            try {
                writer.handle(body);
            } catch (RuntimeException e) {
                failures++;
                pending.add(body); // SQS delivers it again
                String jobId = new JobStore(raw).jobIds().get(0);
                assertThat(new JobStore(raw).terminal(jobId)).as("no end before the manifest").isEmpty();
            }
        }

        assertThat(failures).isEqualTo(1);
        JobSummary summary = summary(raw, IRIS);
        assertThat(summary.state()).isEqualTo(JobState.SUCCEEDED);
        OutputManifest manifest = PredictionParts.manifestOf(raw, summary);
        assertThat(manifest.parts()).extracting(OutputManifest.Part::key).doesNotHaveDuplicates().hasSize(4);
        assertThat(raw.list(JobKeys.outputBase(IRIS) + JobKeys.PREDICTIONS_PARTS)).hasSize(5);
        assertThat(Samples.csv(PredictionParts.csv(raw, manifest))).hasSize(151);
    }

    private InMemoryPipeline run(Limits limits, String key, String sample, String model, ChunkLimits chunks) {
        InMemoryPipeline p = new InMemoryPipeline(dir.resolve("cache-" + System.nanoTime()), chunks,
                DataSettings.defaults(), limits);
        Samples.publish(p.models, model);
        try {
            p.put(key, Files.readAllBytes(Samples.data(sample)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        p.runToEnd(key);
        return p;
    }

    private static JobSummary summary(InMemoryPipeline p, String key) {
        return summary(p.store, key);
    }

    /** The summary under output/, as a consumer reads it. */
    private static JobSummary summary(ObjectStore store, String inputKey) {
        return JsonCodec.read(PredictionParts.bytes(store, JobKeys.summary(inputKey)), JobSummary.class);
    }
}
