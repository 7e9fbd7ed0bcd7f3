package dev.batchinference.local.endtoend;

import static dev.batchinference.testing.PredictionAssertions.assertSamePredictions;
import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.fasterxml.jackson.databind.JsonNode;
import dev.batchinference.aws.AwsClients;
import dev.batchinference.aws.PipelineServices;
import dev.batchinference.config.PipelineConfig;
import dev.batchinference.failure.FailureReason;
import dev.batchinference.format.ChunkLimits;
import dev.batchinference.ingest.JobIngestor;
import dev.batchinference.format.ChunkRange;
import dev.batchinference.job.ChunkTask;
import dev.batchinference.job.JobKeys;
import dev.batchinference.job.JobPlan;
import dev.batchinference.job.PlanningHandover;
import dev.batchinference.json.RecordJson;
import dev.batchinference.testing.HandoverInputs;
import dev.batchinference.job.JobState;
import dev.batchinference.job.JobSummary;
import dev.batchinference.job.OutputManifest;
import dev.batchinference.json.JsonCodec;
import dev.batchinference.lambda.results.ResultsWriterHandler;
import dev.batchinference.local.cli.Cli;
import dev.batchinference.local.runtime.LocalPipeline.HandlerDecorator;
import dev.batchinference.local.runtime.LocalPipeline;
import dev.batchinference.model.ModelRef;
import dev.batchinference.testing.PredictionParts;
import dev.batchinference.testing.Samples;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * The end-to-end scenarios, written once and run by every tier that can provide S3 and SQS (embedded
 * emulators, any endpoint, LocalStack): the whole pipeline through the local runtime, the real handlers
 * wired as Lambda wires them, clean and with the faults at-least-once systems bring. A tier says only how
 * to start the pipeline on its S3 and SQS; the runtime delivers S3 notifications the way that S3 can.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class EndToEndScenarios {
    private static final ChunkLimits MANY_CHUNKS = new ChunkLimits(400, Long.MAX_VALUE);
    private static final int TRANSACTION_CHUNKS = 25;
    private static final Duration TIMEOUT = Duration.ofMinutes(3);

    /** The clean run every faulty run of the same input must reproduce byte for byte; made once per tier. */
    private record CleanRun(JobSummary summary, String predictions) {
    }

    private CleanRun cleanRun;

    /** Starts the local runtime on this tier's S3 and SQS. */
    protected abstract LocalPipeline start(LocalPipeline.Options options);

    private static LocalPipeline.Options manyChunks() {
        return LocalPipeline.Options.defaults().withChunkLimits(MANY_CHUNKS).withEnvironments(2, 1);
    }

    private synchronized CleanRun cleanRun() {
        if (cleanRun == null) {
            try (LocalPipeline pipeline = start(manyChunks())) {
                pipeline.publishModel(Samples.model("fraud"));
                String key = pipeline.submit(Samples.data("transactions.csv"), "fraud");
                JobSummary summary = awaitEnd(pipeline, key);
                assertThat(summary.state()).as("the clean run's state (%s)", summary.message()).isEqualTo(JobState.SUCCEEDED);
                cleanRun = new CleanRun(summary, text(pipeline, summary.output()));
            }
        }
        return cleanRun;
    }

    @Test
    void aCsvJobOverManyChunksMatchesTheReferencePredictionsInOrder() {
        CleanRun run = cleanRun();

        assertThat(run.summary().chunks()).isEqualTo(TRANSACTION_CHUNKS);
        assertThat(run.summary().rowsIn()).isEqualTo(10_000);
        assertThat(run.summary().rowsOut()).isEqualTo(10_000);
        assertThat(run.summary().modelVersion()).isEqualTo("1");
        assertSamePredictions(Samples.csv(run.predictions()), Samples.csv(Samples.expected("transactions.predictions.csv")));
    }

    @Test
    void aParquetJobSplitByRowGroupsGivesParquetPredictionsMatchingTheReference(@TempDir Path dir) throws Exception {
        try (LocalPipeline pipeline = start(LocalPipeline.Options.defaults()
                .withChunkLimits(new ChunkLimits(2_500, Long.MAX_VALUE)))) {
            pipeline.publishModel(Samples.model("fraud"));
            String key = pipeline.submit(Samples.data("transactions.parquet"), "fraud");

            JobSummary summary = awaitEnd(pipeline, key);

            assertThat(summary.state()).isEqualTo(JobState.SUCCEEDED);
            assertThat(summary.chunks()).as("one chunk per row group").isEqualTo(4);
            assertThat(summary.output()).endsWith(".predictions.parquet");
            byte[] parquet;
            try (java.io.InputStream in = pipeline.store().read(summary.output())) {
                parquet = in.readAllBytes();
            }
            List<org.apache.parquet.example.data.Group> rows = dev.batchinference.testing.ParquetFiles.read(dir, parquet);
            List<org.apache.commons.csv.CSVRecord> expected = Samples.csv(Samples.expected("transactions.predictions.csv"));
            assertThat(rows).hasSize(expected.size() - 1);
            for (int r = 0; r < rows.size(); r++) {
                org.apache.commons.csv.CSVRecord e = expected.get(r + 1);
                assertThat(rows.get(r).getString("id", 0)).isEqualTo(e.get(0));
                assertThat(rows.get(r).getString("label", 0)).isEqualTo(e.get(2));
                assertThat((double) rows.get(r).getFloat("prob_fraud", 0))
                        .isCloseTo(Double.parseDouble(e.get(4)), org.assertj.core.api.Assertions.within(1e-6));
            }
        }
    }

    @Test
    void duplicatedEventsTasksAndResultsAndAWorkerCrashingOnceGiveTheCleanRunsOutput() {
        String clean = cleanRun().predictions();
        AtomicInteger crashes = new AtomicInteger();
        Queue<JobIngestor.Outcome> ingested = new ConcurrentLinkedQueue<>();
        Set<String> seenTasks = ConcurrentHashMap.newKeySet();
        Set<String> seenResults = ConcurrentHashMap.newKeySet();
        Queue<SqsClient> clients = new ConcurrentLinkedQueue<>();
        LocalPipeline.Options faulty = manyChunks().withEnvironments(2, 2)
                .withIngestDecorator(Faults.deliveringEachEventTwice(ingested))
                .withDecorators(
                        Faults.crashingOnceOn(3, crashes, Faults.duplicatingTo(PipelineConfig.WORK_QUEUE_URL, seenTasks, clients)),
                        Faults.duplicatingTo(PipelineConfig.RESULTS_QUEUE_URL, seenResults, clients));
        try (LocalPipeline pipeline = start(faulty)) {
            pipeline.publishModel(Samples.model("fraud"));
            String key = pipeline.submit(Samples.data("transactions.csv"), "fraud");

            JobSummary summary = awaitEnd(pipeline, key);

            assertThat(ingested).as("ingest outcomes for the one upload").hasSizeGreaterThanOrEqualTo(2)
                    .extracting(JobIngestor.Outcome::jobId).containsOnly(pipeline.jobIdFor(key));
            assertThat(crashes.get()).as("crashes injected").isEqualTo(1);
            assertThat(seenTasks).as("distinct tasks, each delivered twice").hasSize(TRANSACTION_CHUNKS);
            assertThat(summary.state()).isEqualTo(JobState.SUCCEEDED);
            assertThat(summary.rowsIn()).isEqualTo(10_000);
            assertThat(summary.rowsOut()).isEqualTo(10_000);
            assertThat(text(pipeline, summary.output())).isEqualTo(clean);
            assertThat(pipeline.jobs().jobIds()).as("one job for the object").hasSize(1);
        } finally {
            clients.forEach(SqsClient::close);
        }
    }

    @Test
    void twoWritersRacingToCollateLeaveOneOutputIdenticalToTheCleanRuns() throws Exception {
        String clean = cleanRun().predictions();
        // no writer environments: the test delivers the results itself, the last one to two writers at once
        try (LocalPipeline pipeline = start(manyChunks().withEnvironments(2, 0));
             SqsClient sqs = AwsClients.sqs(PipelineConfig.from(pipeline.environment()))) {
            pipeline.publishModel(Samples.model("fraud"));
            String key = pipeline.submit(Samples.data("transactions.csv"), "fraud");
            List<Message> results = receive(sqs, pipeline.environment().get(PipelineConfig.RESULTS_QUEUE_URL), TRANSACTION_CHUNKS);
            ResultsWriterHandler first = new ResultsWriterHandler(new PipelineServices(PipelineConfig.from(pipeline.environment())));
            ResultsWriterHandler second = new ResultsWriterHandler(new PipelineServices(PipelineConfig.from(pipeline.environment())));
            for (Message m : results.subList(0, TRANSACTION_CHUNKS - 1)) {
                assertThat(first.handleRequest(event(m), null).getBatchItemFailures()).isEmpty();
            }

            CountDownLatch start = new CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(2);
            SQSEvent last = event(results.get(TRANSACTION_CHUNKS - 1));
            List<Future<SQSBatchResponse>> racing = new ArrayList<>();
            for (ResultsWriterHandler writer : List.of(first, second)) {
                racing.add(pool.submit(() -> {
                    start.await();
                    return writer.handleRequest(last, null);
                }));
            }
            start.countDown();
            int retried = 0;
            for (Future<SQSBatchResponse> f : racing) {
                retried += f.get().getBatchItemFailures().size();
            }
            pool.shutdown();
            // a writer that lost the race asks for redelivery; redelivered, it finds the job ended
            for (int i = 0; i < retried; i++) {
                assertThat(second.handleRequest(last, null).getBatchItemFailures()).isEmpty();
            }

            Optional<JobSummary> end = pipeline.jobs().terminal(pipeline.jobIdFor(key));
            assertThat(end).get().extracting(JobSummary::state).isEqualTo(JobState.SUCCEEDED);
            assertThat(text(pipeline, end.get().output())).isEqualTo(clean);
            assertThat(pipeline.store().list(JobKeys.OUTPUT)).containsExactlyInAnyOrder(
                    end.get().output(), JobKeys.summary(key));
        }
    }

    @Test
    void aRejectedRowGoesToTheErrorsFileAndEveryOtherRowIsPredicted(@TempDir Path dir) {
        Path input = ScenarioFiles.irisWithField(dir, 7, "sepal_width", "abc");
        try (LocalPipeline pipeline = start(LocalPipeline.Options.defaults().withChunkLimits(new ChunkLimits(40, Long.MAX_VALUE)))) {
            pipeline.publishModel(Samples.model("iris"));
            String key = pipeline.submit(input, "iris");

            JobSummary summary = awaitEnd(pipeline, key);

            assertThat(summary.state()).isEqualTo(JobState.SUCCEEDED);
            assertThat(summary.chunks()).isEqualTo(4);
            assertThat(summary.rowsIn()).isEqualTo(150);
            assertThat(summary.rowsOut()).isEqualTo(149);
            assertThat(summary.rowsRejected()).isEqualTo(1);
            assertThat(summary.errors()).isEqualTo(JobKeys.errors(key));
            assertThat(Samples.csv(text(pipeline, summary.errors()))).extracting(r -> List.of(r.values())).containsExactly(
                    List.of("row", "column", "reason"),
                    List.of("7", "sepal_width", "not a number (text of 3 characters)"));
            assertSamePredictions(Samples.csv(text(pipeline, summary.output())), ScenarioFiles.irisReferenceWithout(7));
        }
    }

    @Test
    void aChunkThatKeepsFailingEndsItsJobFailedAndARedriveFromTheCliRerunsOnlyThatChunk() throws Exception {
        AtomicBoolean failing = new AtomicBoolean(true);
        LocalPipeline.Options fourChunks = LocalPipeline.Options.defaults().withEnvironments(2, 1)
                .withChunkLimits(new ChunkLimits(40, Long.MAX_VALUE))
                .withDecorators(Faults.failingOnWhile(2, failing), HandlerDecorator.NONE);
        try (LocalPipeline pipeline = start(fourChunks)) {
            pipeline.publishModel(Samples.model("iris"));
            String key = pipeline.submit(Samples.data("iris.csv"), "iris");

            JobSummary summary = awaitEnd(pipeline, key);

            assertThat(summary.chunks()).isEqualTo(4);
            assertThat(summary.state()).isEqualTo(JobState.FAILED);
            assertThat(summary.reason()).isEqualTo(FailureReason.CHUNK_FAILED);
            assertThat(summary.message()).contains("chunk 2");
            assertThat(pipeline.store().list(JobKeys.OUTPUT)).as("no predictions, only the summary")
                    .containsExactly(JobKeys.summary(key));
            assertThat(JsonCodec.read(text(pipeline, JobKeys.summary(key)), JobSummary.class).state())
                    .isEqualTo(JobState.FAILED);

            // the fault is fixed; a user re-drives the job by the first characters of its id
            failing.set(false);
            String jobId = summary.jobId();
            Cli.Result redrive = Cli.run(cliTarget(pipeline, "redrive", jobId.substring(0, 8)));
            assertThat(redrive.exitCode()).as(redrive.stderr()).isZero();
            assertThat(redrive.stdout()).contains("1 of 4 chunk(s) sent to the work queue [2]");
            JobSummary again = awaitState(pipeline, jobId, JobState.SUCCEEDED);

            assertThat(again.rowsOut()).isEqualTo(150);
            assertSamePredictions(Samples.csv(text(pipeline, again.output())), Samples.csv(Samples.expected("iris.predictions.csv")));
            Cli.Result status = Cli.run(cliTarget(pipeline, "status", jobId, "--json"));
            assertThat(status.exitCode()).as(status.stderr()).isZero();
            JsonNode shown = JsonCodec.mapper().readTree(status.stdout());
            assertThat(shown.path("state").asText()).isEqualTo("SUCCEEDED");
            assertThat(shown.path("redrives").asInt()).isEqualTo(1);
            assertThat(shown.path("chunksDone").asInt()).isEqualTo(4);
        }
    }

    @Test
    void anInputPutWhileTheUploadTriggerIsOffIsStartedByASweepFromTheCli() throws Exception {
        try (LocalPipeline pipeline = start(LocalPipeline.Options.defaults().withUploadTrigger(false))) {
            pipeline.publishModel(Samples.model("iris"));
            String key = pipeline.submit(Samples.data("iris.csv"), "iris");
            sleep(1_500);
            assertThat(pipeline.jobs().jobIds()).as("no job before the sweep").isEmpty();

            Cli.Result sweep = Cli.run(cliTarget(pipeline, "sweep"));
            Cli.Result again = Cli.run(cliTarget(pipeline, "sweep", "--json"));

            assertThat(sweep.exitCode()).as(sweep.stderr()).isZero();
            assertThat(sweep.stdout()).contains("started", key);
            assertThat(JsonCodec.mapper().readTree(again.stdout()).path("started").size()).as("found once").isZero();
            assertThat(awaitEnd(pipeline, key).state()).isEqualTo(JobState.SUCCEEDED);
            assertThat(pipeline.jobs().jobIds()).hasSize(1);
        }
    }

    @Test
    void aModelPublishedAndPromotedFromTheCliPredictsAFileSubmittedFromTheCli(@TempDir Path dir) throws Exception {
        try (LocalPipeline pipeline = start(LocalPipeline.Options.defaults())) {
            Path onnx = Samples.model("iris").resolve("model.onnx");
            Cli.Result publish = Cli.run(cliTarget(pipeline, "models", "publish", "flowers", onnx.toString(),
                    "--features", "sepal_length,sepal_width,petal_length,petal_width",
                    "--labels", "setosa,versicolor,virginica"));
            Cli.Result promote = Cli.run(cliTarget(pipeline, "models", "promote", "flowers", "1"));
            Cli.Result list = Cli.run(cliTarget(pipeline, "models", "list"));
            Cli.Result submit = Cli.run(cliTarget(pipeline, "submit", Samples.data("iris.csv").toString(), "--model", "flowers",
                    "--prefix", "field trials", "--out", dir.toString(), "--json"));
            Cli.Result table = Cli.run(cliTarget(pipeline, "status"));

            assertThat(publish.exitCode()).as(publish.stderr()).isZero();
            assertThat(publish.stdout()).contains("published flowers v1");
            assertThat(promote.exitCode()).as(promote.stderr()).isZero();
            assertThat(list.stdout()).containsPattern("flowers\\s+1\\s+\\*\\s+4\\s+3");
            assertThat(submit.exitCode()).as(submit.stderr()).isZero();
            JsonNode job = JsonCodec.mapper().readTree(submit.stdout()).path("jobs").get(0);
            assertThat(job.path("state").asText()).isEqualTo("SUCCEEDED");
            assertThat(job.path("modelVersion").asText()).isEqualTo("1");
            assertSamePredictions(Samples.csv(Path.of(job.path("output").asText())),
                    Samples.csv(Samples.expected("iris.predictions.csv")));
            assertThat(table.stdout()).contains(job.path("jobId").asText(), "SUCCEEDED", "incoming/flowers/field trials/iris.csv");
            assertThat(Cli.run(cliTarget(pipeline, "models", "promote", "flowers", "7")).exitCode()).isNotZero();
        }
    }

    /** The CLI's arguments for a command against this pipeline's bucket and queues, as remote mode takes them. */
    private static String[] cliTarget(LocalPipeline pipeline, String... command) {
        Map<String, String> env = pipeline.environment();
        List<String> args = new ArrayList<>(List.of(command));
        args.addAll(List.of("--endpoint", env.get(PipelineConfig.S3_ENDPOINT),
                "--sqs-endpoint", env.get(PipelineConfig.SQS_ENDPOINT),
                "--bucket", pipeline.bucket(),
                "--work-queue", env.get(PipelineConfig.WORK_QUEUE_URL),
                "--results-queue", env.get(PipelineConfig.RESULTS_QUEUE_URL),
                "--access-key-id", env.get(PipelineConfig.ACCESS_KEY_ID),
                "--secret-access-key", env.get(PipelineConfig.SECRET_ACCESS_KEY),
                "--region", env.get(PipelineConfig.REGION)));
        return args.toArray(String[]::new);
    }

    /** Waits until the job has ended in {@code state} (a re-driven job ends a second time). */
    private static JobSummary awaitState(LocalPipeline pipeline, String jobId, JobState state) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<JobSummary> end = pipeline.jobs().terminal(jobId);
            if (end.isPresent() && end.get().state() == state) {
                return end.get();
            }
            sleep(100);
        }
        throw new AssertionError("job " + jobId + " did not end " + state + " within " + TIMEOUT);
    }

    @Test
    void aModelPromotedMidJobLeavesTheJobOnTheVersionItPinnedAtIngest(@TempDir Path dir) {
        CountDownLatch release = new CountDownLatch(1);
        LocalPipeline.Options held = LocalPipeline.Options.defaults().withEnvironments(2, 1)
                .withChunkLimits(new ChunkLimits(40, Long.MAX_VALUE))
                .withDecorators(Faults.heldUntil(release, TIMEOUT), HandlerDecorator.NONE);
        try (LocalPipeline pipeline = start(held)) {
            ModelRef v1 = pipeline.publishModel(Samples.model("iris"));
            String key = pipeline.submit(Samples.data("iris.csv"), "iris");
            String jobId = pipeline.jobIdFor(key);
            JobPlan plan = awaitPlan(pipeline, jobId);
            assertThat(plan.model().version()).as("version pinned at ingest").isEqualTo(v1.version());

            ModelRef v2 = pipeline.publishModel(ScenarioFiles.irisAsVersion(dir, "2"));
            release.countDown();
            JobSummary summary = awaitEnd(pipeline, key);

            assertThat(v2.version()).isNotEqualTo(v1.version());
            assertThat(summary.state()).isEqualTo(JobState.SUCCEEDED);
            assertThat(summary.modelVersion()).isEqualTo(v1.version());
            assertSamePredictions(Samples.csv(text(pipeline, summary.output())),
                    Samples.csv(Samples.expected("iris.predictions.csv")));

            // the promotion did happen: the next job takes version 2
            String next = "incoming/iris/after-promotion.csv";
            pipeline.put(next, Samples.data("iris.csv"));
            JobSummary after = awaitEnd(pipeline, next);
            assertThat(after.modelVersion()).isEqualTo(v2.version());
            assertThat(Samples.csv(text(pipeline, after.output())).get(0).values()).contains("prob_SETOSA");
        } finally {
            release.countDown();
        }
    }

    @Test
    void aMultipartUploadUnderAKeyWithSpacesAndUnicodeMakesOneJob() {
        Queue<String> events = new ConcurrentLinkedQueue<>();
        Queue<JobIngestor.Outcome> ingested = new ConcurrentLinkedQueue<>();
        LocalPipeline.Options recording = LocalPipeline.Options.defaults()
                .withIngestDecorator(Faults.recordingEvents(events, ingested));
        try (LocalPipeline pipeline = start(recording)) {
            pipeline.publishModel(Samples.model("iris"));
            String key = "incoming/iris/field trials/résultats 2026.csv";
            pipeline.putMultipart(key, Samples.data("iris.csv"));

            JobSummary summary = awaitEnd(pipeline, key);

            assertThat(events).contains("ObjectCreated:CompleteMultipartUpload");
            assertThat(ingested).extracting(JobIngestor.Outcome::key).containsOnly(key);
            assertThat(pipeline.jobs().jobIds()).as("one job for the object").hasSize(1);
            assertThat(summary.state()).isEqualTo(JobState.SUCCEEDED);
            assertThat(summary.output()).isEqualTo("output/iris/field trials/résultats 2026.csv.predictions.csv");
            assertSamePredictions(Samples.csv(text(pipeline, summary.output())),
                    Samples.csv(Samples.expected("iris.predictions.csv")));
        }
    }

    @Test
    void filesPlannedOneChunkPerInvocationWithTheirHandOversDeliveredTwiceGiveTheOutputsOfOnePass(@TempDir Path dir)
            throws Exception {
        Path csv = Files.write(dir.resolve("notes.csv"), HandoverInputs.csv());
        Path gzip = Files.write(dir.resolve("notes.csv.gz"), HandoverInputs.csvGzip());
        LocalPipeline.Options chunked = LocalPipeline.Options.defaults().withChunkLimits(new ChunkLimits(9, 400));
        Map<Path, String> predictions = new java.util.HashMap<>();
        Map<Path, String> errors = new java.util.HashMap<>();
        Map<Path, Integer> chunks = new java.util.HashMap<>();
        try (LocalPipeline onePass = start(chunked)) {
            onePass.publishModel(Samples.model("iris"));
            for (Path file : List.of(csv, gzip)) {
                JobSummary summary = awaitEnd(onePass, onePass.submit(file, "iris"));
                assertThat(onePass.store().list(JobKeys.JOBS + summary.jobId() + "/steps/")).as("planned in one pass")
                        .isEmpty();
                predictions.put(file, text(onePass, summary.output()));
                errors.put(file, text(onePass, summary.errors()));
                chunks.put(file, summary.chunks());
            }
        }

        Queue<String> tasks = new ConcurrentLinkedQueue<>();
        HandlerDecorator recordingTasks = (environment, handler) -> (event, context) -> {
            event.getRecords().forEach(m -> tasks.add(m.getBody()));
            return handler.handleRequest(event, context);
        };
        LocalPipeline.Options inSteps = chunked.withSettings(Map.of(PipelineConfig.PLANNING_BUDGET_BYTES, "1"))
                .withDecorators(recordingTasks, HandlerDecorator.NONE);
        try (LocalPipeline pipeline = start(inSteps);
             SqsClient sqs = AwsClients.sqs(PipelineConfig.from(pipeline.environment()))) {
            pipeline.publishModel(Samples.model("iris"));
            String planningQueue = pipeline.environment().get(PipelineConfig.PLANNING_QUEUE_URL);
            Map<Path, String> jobs = new java.util.HashMap<>();
            for (Path file : List.of(csv, gzip)) {
                jobs.put(file, pipeline.jobIdFor(pipeline.submit(file, "iris")));
            }
            // every hand-over delivered a second time, as soon as the first has been sent
            Set<String> duplicated = new java.util.HashSet<>();
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (jobs.values().stream().anyMatch(id -> pipeline.jobs().terminal(id).isEmpty())
                    && System.nanoTime() < deadline) {
                for (String jobId : jobs.values()) {
                    for (String handover : pipeline.store().list(JobKeys.JOBS + jobId + "/handovers/")) {
                        // (S3Proxy lists an object being written under a temporary name too: not a marker yet)
                        if (JobKeys.markerIndex(handover) >= 0 && duplicated.add(handover)) {
                            sqs.sendMessage(b -> b.queueUrl(planningQueue).messageBody(RecordJson.write(
                                    PlanningHandover.of(jobId, JobKeys.markerIndex(handover)))));
                        }
                    }
                }
                sleep(20);
            }
            awaitQuiet(pipeline, sqs, planningQueue);

            for (Path file : List.of(csv, gzip)) {
                String jobId = jobs.get(file);
                JobSummary summary = pipeline.awaitEnd(jobId, TIMEOUT).orElseThrow();
                int steps = pipeline.store().list(JobKeys.JOBS + jobId + "/steps/").size();
                assertThat(summary.state()).as("%s: %s", file.getFileName(), summary.message()).isEqualTo(JobState.SUCCEEDED);
                assertThat(summary.chunks()).isEqualTo(chunks.get(file)).isGreaterThan(15);
                assertThat(steps).as("one invocation per chunk: a checkpoint before every chunk but the first")
                        .isEqualTo(summary.chunks() - 1);
                assertThat(summary.rowsIn()).isEqualTo(HandoverInputs.rows());
                assertThat(summary.rowsOut() + summary.rowsRejected()).isEqualTo(HandoverInputs.rows());
                assertThat(text(pipeline, summary.output())).isEqualTo(predictions.get(file));
                assertThat(text(pipeline, summary.errors())).isEqualTo(errors.get(file));
                List<Integer> sent = tasks.stream().map(t -> RecordJson.read(t, ChunkTask.class))
                        .filter(t -> t.jobId().equals(jobId)).map(t -> t.chunk().index()).sorted().toList();
                assertThat(sent).as("each chunk's task sent once")
                        .isEqualTo(java.util.stream.IntStream.range(0, summary.chunks()).boxed().toList());
                assertThat(pipeline.jobs().plan(jobId).orElseThrow().chunks().stream().mapToLong(ChunkRange::rows).sum())
                        .isEqualTo(HandoverInputs.rows());
            }
            assertThat(duplicated).as("hand-overs delivered twice").hasSizeGreaterThanOrEqualTo(30);
        }
    }

    /** Until the planning queue is empty and no function runs. */
    private static void awaitQuiet(LocalPipeline pipeline, SqsClient sqs, String queue) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        int quiet = 0;
        while (quiet < 5 && System.nanoTime() < deadline) {
            Map<software.amazon.awssdk.services.sqs.model.QueueAttributeName, String> attributes = sqs.getQueueAttributes(
                    b -> b.queueUrl(queue).attributeNames(
                            software.amazon.awssdk.services.sqs.model.QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES,
                            software.amazon.awssdk.services.sqs.model.QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE))
                    .attributes();
            boolean empty = attributes.values().stream().allMatch("0"::equals);
            quiet = empty && !pipeline.busy() ? quiet + 1 : 0;
            sleep(100);
        }
    }

    @Test
    void aCsvOutputPastTheMultipartLimitIsWrittenInPartsThatReadBackAsTheCleanRunsOneObject() {
        String oneObject = cleanRun().predictions();
        try (LocalPipeline pipeline = start(manyChunks().withSettings(Map.of(PipelineConfig.MAX_OUTPUT_PARTS, "3")))) {
            pipeline.publishModel(Samples.model("fraud"));
            String key = pipeline.submit(Samples.data("transactions.csv"), "fraud");

            JobSummary summary = awaitEnd(pipeline, key);

            assertThat(summary.state()).as("the state (%s)", summary.message()).isEqualTo(JobState.SUCCEEDED);
            assertThat(summary.chunks()).isEqualTo(TRANSACTION_CHUNKS);
            assertThat(summary.outputParts()).as("25 chunks, at most 2 per part object").isEqualTo(13);
            OutputManifest manifest = PredictionParts.manifestOf(pipeline.store(), summary);
            assertThat(PredictionParts.csv(pipeline.store(), manifest)).isEqualTo(oneObject);
            assertThat(pipeline.store().head(JobKeys.predictions(key))).isEmpty();
        }
    }

    @Test
    void aParquetOutputPastTheMergeLimitIsWrittenInPartsThatReadBackAsTheOneObject(@TempDir Path dir) {
        ChunkLimits rowGroups = new ChunkLimits(2_500, Long.MAX_VALUE);
        List<String> oneObject;
        try (LocalPipeline pipeline = start(LocalPipeline.Options.defaults().withChunkLimits(rowGroups))) {
            pipeline.publishModel(Samples.model("fraud"));
            JobSummary summary = awaitEnd(pipeline, pipeline.submit(Samples.data("transactions.parquet"), "fraud"));
            assertThat(summary.outputParts()).as("within the merge limit: one object").isNull();
            oneObject = PredictionParts.parquetRows(dir, PredictionParts.bytes(pipeline.store(), summary.output()));
        }
        try (LocalPipeline pipeline = start(LocalPipeline.Options.defaults().withChunkLimits(rowGroups)
                .withSettings(Map.of(PipelineConfig.PARQUET_MERGE_MAX_BYTES, "1")))) {
            pipeline.publishModel(Samples.model("fraud"));
            String key = pipeline.submit(Samples.data("transactions.parquet"), "fraud");

            JobSummary summary = awaitEnd(pipeline, key);

            assertThat(summary.state()).as("the state (%s)", summary.message()).isEqualTo(JobState.SUCCEEDED);
            assertThat(summary.outputParts()).as("one part object per chunk").isEqualTo(4);
            OutputManifest manifest = PredictionParts.manifestOf(pipeline.store(), summary);
            assertThat(PredictionParts.parquetRows(dir, pipeline.store(), manifest)).hasSize(10_000).isEqualTo(oneObject);
        }
    }

    private static JobSummary awaitEnd(LocalPipeline pipeline, String key) {
        return pipeline.awaitEnd(pipeline.jobIdFor(key), TIMEOUT)
                .orElseThrow(() -> new AssertionError("the job for " + key + " did not end within " + TIMEOUT));
    }

    private static JobPlan awaitPlan(LocalPipeline pipeline, String jobId) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<JobPlan> plan = pipeline.jobs().plan(jobId);
            if (plan.isPresent()) {
                return plan.get();
            }
            sleep(50);
        }
        throw new AssertionError("job " + jobId + " was not planned within " + TIMEOUT);
    }

    private static String text(LocalPipeline pipeline, String key) {
        assertThat(key).as("output key").isNotNull();
        try (InputStream in = pipeline.store().read(key)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<Message> receive(SqsClient sqs, String url, int count) {
        List<Message> messages = new ArrayList<>();
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (messages.size() < count && System.nanoTime() < deadline) {
            messages.addAll(sqs.receiveMessage(b -> b.queueUrl(url).maxNumberOfMessages(10).waitTimeSeconds(1)
                    .visibilityTimeout(600)).messages());
        }
        assertThat(messages).as("results received").hasSize(count);
        return messages;
    }

    private static SQSEvent event(Message m) {
        SQSEvent.SQSMessage record = new SQSEvent.SQSMessage();
        record.setMessageId(m.messageId());
        record.setReceiptHandle(m.receiptHandle());
        record.setBody(m.body());
        SQSEvent event = new SQSEvent();
        event.setRecords(List.of(record));
        return event;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
