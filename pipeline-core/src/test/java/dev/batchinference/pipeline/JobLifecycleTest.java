package dev.batchinference.pipeline;

import static dev.batchinference.testing.PredictionAssertions.assertSamePredictions;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.batchinference.config.PipelineConfig.DataSettings;
import dev.batchinference.config.PipelineConfig.Limits;
import dev.batchinference.failure.FailureReason;
import dev.batchinference.format.ChunkLimits;
import dev.batchinference.format.OutputFormat;
import dev.batchinference.ingest.JobIngestor.Outcome;
import dev.batchinference.job.JobKeys;
import dev.batchinference.job.JobState;
import dev.batchinference.job.JobSummary;
import dev.batchinference.json.JsonCodec;
import dev.batchinference.model.ModelKeys;
import dev.batchinference.results.JobCollator;
import dev.batchinference.testing.InMemoryPipeline;
import dev.batchinference.testing.Samples;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Ingest, work and collation cores together on an in-memory bucket, with deliveries under the test's control. */
class JobLifecycleTest {
    @TempDir
    Path cache;

    private InMemoryPipeline pipeline(long chunkRows) {
        return pipeline(chunkRows, Limits.defaults());
    }

    private InMemoryPipeline pipeline(long chunkRows, Limits limits) {
        InMemoryPipeline p = new InMemoryPipeline(cache, new ChunkLimits(chunkRows, Long.MAX_VALUE), DataSettings.defaults(),
                limits);
        Samples.publish(p.models, "iris");
        Samples.publish(p.models, "fraud");
        return p;
    }

    private JobSummary summaryOf(InMemoryPipeline p, String key) {
        return JsonCodec.read(p.text(JobKeys.summary(key)), JobSummary.class);
    }

    @Test
    void irisPredictionsMatchTheReferenceOnnxRuntimeGave() throws IOException {
        InMemoryPipeline p = pipeline(1_000_000);
        String key = p.put("incoming/iris/iris.csv", Files.readAllBytes(Samples.data("iris.csv")));

        Outcome outcome = p.runToEnd(key);

        assertThat(outcome.status()).isEqualTo(Outcome.Status.STARTED);
        assertSamePredictions(Samples.csv(p.predictionsOf(key)), Samples.csv(Samples.expected("iris.predictions.csv")));
        JobSummary summary = summaryOf(p, key);
        assertThat(summary.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(summary.rowsIn()).isEqualTo(150);
        assertThat(summary.rowsOut()).isEqualTo(150);
        assertThat(summary.modelVersion()).isEqualTo("1");
        assertThat(summary.output()).isEqualTo("output/iris/iris.csv.predictions.csv");
    }

    @Test
    void theSummaryCarriesPerPhaseTimingsAndThroughput() throws IOException {
        InMemoryPipeline p = pipeline(2_500);
        String key = p.put("incoming/fraud/transactions.csv", Files.readAllBytes(Samples.data("transactions.csv")));

        p.runToEnd(key);

        JobSummary summary = summaryOf(p, key);
        JobSummary.Timings t = summary.timings();
        assertThat(summary.chunks()).isEqualTo(4);
        assertThat(t.modelLoadMs()).as("the first chunk fetched, checked and loaded the model").isPositive();
        assertThat(t.chunkMs()).isPositive();
        assertThat(t.parseMs() + t.inferMs() + t.writeMs()).isPositive();
        assertThat(summary.throughput().perChunk()).isEqualTo(Math.round(10_000 * 1000.0 / t.chunkMs()));
        assertThat(summary.throughput().job()).isEqualTo(Math.round(10_000 * 1000.0 / Math.max(1, summary.durationMs())));
        assertThat(JsonCodec.mapper().readTree(p.text(JobKeys.summary(key))).path("timings").fieldNames())
                .toIterable().containsExactly("parseMs", "inferMs", "writeMs", "collateMs", "modelLoadMs", "chunkMs");
    }

    @Test
    void manyChunksKeepInputOrderAndMatchTheReference() throws IOException {
        InMemoryPipeline p = pipeline(333);
        String key = p.put("incoming/fraud/2026/11/transactions.csv",
                Files.readAllBytes(Samples.data("transactions.csv")));

        Outcome outcome = p.runToEnd(key);

        assertThat(outcome.chunks()).isEqualTo(31);
        assertSamePredictions(Samples.csv(p.predictionsOf(key)),
                Samples.csv(Samples.expected("transactions.predictions.csv")));
        assertThat(summaryOf(p, key).chunks()).isEqualTo(31);
    }

    @Test
    void quotedFieldsWithCommasAndNewlinesArePredictedOnceEach() {
        InMemoryPipeline p = pipeline(2);
        String csv = "id,sepal_length,sepal_width,petal_length,petal_width,note\n"
                + "a,5.1,3.5,1.4,0.2,\"plain, with comma\"\n"
                + "b,6.7,3.0,5.2,2.3,\"two\nlines\"\n"
                + "\"c\nc\",5.9,3.0,4.2,1.5,\"quote \"\"inside\"\", and\nnewline\"\n"
                + "d,\"6.3\",2.5,5.0,1.9,\n"
                + "e,4.9,3.1,1.5,0.1,last";
        String key = p.put("incoming/iris/quoted.csv", csv.getBytes(StandardCharsets.UTF_8));

        Outcome outcome = p.runToEnd(key);

        assertThat(outcome.chunks()).isEqualTo(3);
        List<CSVRecord> rows = Samples.csv(p.predictionsOf(key));
        assertThat(rows).hasSize(6);
        assertThat(rows.stream().skip(1).map(r -> r.get(0)))
                .containsExactly("a", "b", "c\nc", "d", "e");
        assertThat(rows.get(3).get(1)).isEqualTo("quote \"inside\", and\nnewline");
        assertThat(rows.stream().skip(1).map(r -> r.get(2)))
                .containsExactly("setosa", "virginica", "versicolor", "virginica", "setosa");
    }

    @Test
    void rowsThatCannotBePredictedGoToTheErrorsFileWithFileWideRowNumbers() {
        InMemoryPipeline p = pipeline(2, Limits.defaults().toleratingAllRejections());
        String csv = "id,sepal_length,sepal_width,petal_length,petal_width\n"
                + "1,5.1,3.5,1.4,0.2\n"
                + "2,5.1,,1.4,0.2\n"
                + "3,5.1,3.5,1.4,0.2\n"
                + "4,5.1,3.5,abc,0.2\n"
                + "5,5.1,3.5,1.4\n"
                + "6,NaN,3.5,1.4,0.2\n"
                + "7,5.1,3.5,1.4,0.2\n";
        String key = p.put("incoming/iris/dirty.csv", csv.getBytes(StandardCharsets.UTF_8));

        p.runToEnd(key);

        List<CSVRecord> predicted = Samples.csv(p.predictionsOf(key));
        assertThat(predicted.stream().skip(1).map(r -> r.get(0))).containsExactly("1", "3", "7");
        List<CSVRecord> errors = Samples.csv(p.text(JobKeys.errors(key)));
        assertThat(errors.get(0).values()).containsExactly("row", "column", "reason");
        assertThat(errors.stream().skip(1).map(r -> r.get(0) + "|" + r.get(1) + "|" + r.get(2))).containsExactly(
                "2|sepal_width|empty value",
                "4|petal_length|not a number (text of 3 characters)",
                "5||expected 5 columns, found 4",
                "6|sepal_length|not a finite number (NaN)");
        JobSummary summary = summaryOf(p, key);
        assertThat(summary.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(summary.rowsIn()).isEqualTo(7);
        assertThat(summary.rowsOut()).isEqualTo(3);
        assertThat(summary.rowsRejected()).isEqualTo(4);
        assertThat(summary.errors()).isEqualTo("output/iris/dirty.csv.errors.csv");
    }

    @Test
    void theSameObjectNotifiedTwiceMakesOneJob() throws IOException {
        InMemoryPipeline p = pipeline(50);
        String key = p.put("incoming/iris/iris.csv", Files.readAllBytes(Samples.data("iris.csv")));

        Outcome first = p.ingestor.ingest(key);
        Outcome second = p.ingestor.ingest(key);

        assertThat(second.jobId()).isEqualTo(first.jobId());
        assertThat(second.status()).isEqualTo(Outcome.Status.DUPLICATE);
        assertThat(p.workQueue.sent()).hasSize(3);
    }

    @Test
    void duplicateTasksAndResultsGiveTheSameOutputAsACleanRun() throws IOException {
        InMemoryPipeline clean = pipeline(40);
        String key = clean.put("incoming/iris/iris.csv", Files.readAllBytes(Samples.data("iris.csv")));
        clean.runToEnd(key);

        InMemoryPipeline p = pipeline(40);
        p.put(key, Files.readAllBytes(Samples.data("iris.csv")));
        p.ingestor.ingest(key);
        List<String> tasks = p.workQueue.drain();
        for (String task : tasks) {
            p.worker.process(task);
            p.worker.process(task);
        }
        List<String> results = p.resultsQueue.drain();
        results.forEach(p.collator::handle);
        results.forEach(p.collator::handle);

        assertThat(p.predictionsOf(key)).isEqualTo(clean.predictionsOf(key));
        assertThat(summaryOf(p, key).rowsIn()).isEqualTo(150);
    }

    @Test
    void aSecondWriterWaitsWhileTheFirstHoldsTheCollationLock() throws IOException {
        InMemoryPipeline p = pipeline(1_000);
        String key = p.put("incoming/iris/iris.csv", Files.readAllBytes(Samples.data("iris.csv")));
        Outcome outcome = p.ingestor.ingest(key);
        p.workQueue.drain().forEach(p.worker::process);
        String done = p.resultsQueue.drain().get(0);
        p.store.write(JobKeys.collateLock(outcome.jobId()),
                JsonCodec.writeBytes(new JobCollator.CollateLock("other-writer", java.time.Instant.now())));

        assertThatThrownBy(() -> p.collator.handle(done)).isInstanceOf(JobCollator.JobBusyException.class);
        assertThat(p.store.head(JobKeys.predictions(key))).isEmpty();
    }

    @Test
    void aStaleCollationLockIsTakenOver() throws IOException {
        InMemoryPipeline p = pipeline(1_000);
        String key = p.put("incoming/iris/iris.csv", Files.readAllBytes(Samples.data("iris.csv")));
        Outcome outcome = p.ingestor.ingest(key);
        p.workQueue.drain().forEach(p.worker::process);
        p.store.write(JobKeys.collateLock(outcome.jobId()), JsonCodec.writeBytes(
                new JobCollator.CollateLock("crashed-writer", java.time.Instant.now().minusSeconds(3600))));

        p.drain();

        assertThat(summaryOf(p, key).state()).isEqualTo(JobState.SUCCEEDED);
    }

    @Test
    void anUnknownModelEndsTheJobFailed() {
        InMemoryPipeline p = pipeline(1_000);
        String key = p.put("incoming/nosuchmodel/data.csv", "a,b\n1,2\n".getBytes(StandardCharsets.UTF_8));

        Outcome outcome = p.runToEnd(key);

        assertThat(outcome.status()).isEqualTo(Outcome.Status.REJECTED);
        JobSummary summary = summaryOf(p, key);
        assertThat(summary.state()).isEqualTo(JobState.FAILED);
        assertThat(summary.reason()).isEqualTo(FailureReason.UNKNOWN_MODEL);
        assertThat(summary.message()).contains("no model named 'nosuchmodel'");
        assertThat(p.store.head(JobKeys.predictions(key))).isEmpty();
    }

    @Test
    void aModelFileThatDoesNotMatchItsChecksumEndsTheJobFailed() throws IOException {
        InMemoryPipeline p = pipeline(1_000);
        p.store.write(ModelKeys.version("iris", "1") + "model.onnx", "not the model".getBytes(StandardCharsets.UTF_8));
        String key = p.put("incoming/iris/iris.csv", Files.readAllBytes(Samples.data("iris.csv")));

        p.runToEnd(key);

        JobSummary summary = summaryOf(p, key);
        assertThat(summary.state()).isEqualTo(JobState.FAILED);
        assertThat(summary.reason()).isEqualTo(FailureReason.CHECKSUM_MISMATCH);
        assertThat(summary.message()).contains("sha256");
    }

    @Test
    void aMissingFeatureColumnFailsTheJobAtPlanningWithTheMissingNames() {
        InMemoryPipeline p = pipeline(1_000);
        String key = p.put("incoming/iris/partial.csv",
                "id,sepal_length,petal_length\n1,5.1,1.4\n".getBytes(StandardCharsets.UTF_8));

        p.runToEnd(key);

        JobSummary summary = summaryOf(p, key);
        assertThat(summary.reason()).isEqualTo(FailureReason.SCHEMA_MISMATCH);
        assertThat(summary.message()).contains("sepal_width, petal_width");
    }

    @Test
    void anEmptyFileAndAHeaderOnlyFileEndClearly() {
        InMemoryPipeline p = pipeline(1_000);
        String empty = p.put("incoming/iris/empty.csv", new byte[0]);
        String headerOnly = p.put("incoming/iris/header.csv",
                "id,sepal_length,sepal_width,petal_length,petal_width\n".getBytes(StandardCharsets.UTF_8));

        p.runToEnd(empty);
        p.runToEnd(headerOnly);

        assertThat(summaryOf(p, empty).reason()).isEqualTo(FailureReason.EMPTY_INPUT);
        JobSummary header = summaryOf(p, headerOnly);
        assertThat(header.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(header.rowsIn()).isZero();
        assertThat(p.predictionsOf(headerOnly)).isEqualTo("id,label,prob_setosa,prob_versicolor,prob_virginica\n");
    }

    @Test
    void theInputIsNeverModified() throws IOException {
        InMemoryPipeline p = pipeline(20);
        byte[] original = Files.readAllBytes(Samples.data("iris.csv"));
        String key = p.put("incoming/iris/iris.csv", original);
        String etag = p.store.head(key).orElseThrow().etag();

        p.runToEnd(key);

        assertThat(p.store.head(key).orElseThrow().etag()).isEqualTo(etag);
        assertThat(p.text(key).getBytes(StandardCharsets.UTF_8)).isEqualTo(original);
    }

    @Test
    void aDeadLetteredChunkTaskEndsItsJobFailedUnlessTheChunkSucceededAfterAll() throws IOException {
        InMemoryPipeline p = pipeline(50);
        String key = p.put("incoming/iris/iris.csv", Files.readAllBytes(Samples.data("iris.csv")));
        p.ingestor.ingest(key);
        List<String> tasks = p.workQueue.drain();
        p.worker.process(tasks.get(0));
        p.resultsQueue.drain().forEach(p.collator::handle);

        assertThat(p.collator.handle(tasks.get(0))).as("dead letter of a chunk that did succeed")
                .isEqualTo(JobCollator.Outcome.IGNORED);
        assertThat(p.collator.handle(tasks.get(1))).isEqualTo(JobCollator.Outcome.FAILED);
        JobSummary summary = summaryOf(p, key);
        assertThat(summary.reason()).isEqualTo(FailureReason.CHUNK_FAILED);
        assertThat(summary.message()).contains("chunk 1");
    }

    @Test
    void aMessageThatIsNotJsonIsDroppedRatherThanRetriedForever() {
        InMemoryPipeline p = pipeline(50);

        assertThat(p.collator.handle("this is not json")).isEqualTo(JobCollator.Outcome.IGNORED);
    }

    @Test
    void aWriterTakesALockItAlreadyHoldsAsItsOwn() throws IOException {
        // what an SDK retry of the lock's conditional write leaves behind: our lock, and a 412 for us
        InMemoryPipeline p = pipeline(1_000);
        String key = p.put("incoming/iris/iris.csv", Files.readAllBytes(Samples.data("iris.csv")));
        Outcome outcome = p.ingestor.ingest(key);
        p.workQueue.drain().forEach(p.worker::process);
        p.store.write(JobKeys.collateLock(outcome.jobId()),
                JsonCodec.writeBytes(new JobCollator.CollateLock("test-writer", java.time.Instant.now())));

        p.drain();

        assertThat(summaryOf(p, key).state()).isEqualTo(JobState.SUCCEEDED);
    }

    @Test
    void aWriterWhoseCollationFailsReleasesTheLockForTheNextDelivery() throws IOException {
        InMemoryPipeline p = pipeline(50);
        String key = p.put("incoming/iris/iris.csv", Files.readAllBytes(Samples.data("iris.csv")));
        Outcome outcome = p.ingestor.ingest(key);
        p.workQueue.drain().forEach(p.worker::process);
        List<String> results = p.resultsQueue.drain();
        byte[] part = p.text(JobKeys.part(outcome.jobId(), 1, OutputFormat.CSV)).getBytes(StandardCharsets.UTF_8);
        p.store.delete(JobKeys.part(outcome.jobId(), 1, OutputFormat.CSV));
        results.subList(0, results.size() - 1).forEach(p.collator::handle);
        String last = results.get(results.size() - 1);

        assertThatThrownBy(() -> p.collator.handle(last)).hasMessageContaining("writing " + JobKeys.predictions(key))
                .hasRootCauseInstanceOf(dev.batchinference.storage.NoSuchKeyException.class);
        p.store.write(JobKeys.part(outcome.jobId(), 1, OutputFormat.CSV), part);
        JobCollator another = new JobCollator(p.store, java.time.Duration.ofMinutes(15),
                dev.batchinference.config.PipelineConfig.Limits.defaults(), java.time.Clock.systemUTC(), "w2");

        assertThat(another.handle(last)).isEqualTo(JobCollator.Outcome.SUCCEEDED);
        assertThat(Samples.csv(p.predictionsOf(key))).hasSize(151);
    }
}
