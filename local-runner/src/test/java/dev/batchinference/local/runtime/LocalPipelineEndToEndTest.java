package dev.batchinference.local.runtime;

import static dev.batchinference.testing.PredictionAssertions.assertSamePredictions;
import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.batchinference.aws.AwsClients;
import dev.batchinference.config.PipelineConfig;
import dev.batchinference.config.PipelineConfig.ChunkLimits;
import dev.batchinference.config.PipelineServices;
import dev.batchinference.job.ChunkTask;
import dev.batchinference.job.FailureReason;
import dev.batchinference.job.JobKeys;
import dev.batchinference.job.JobState;
import dev.batchinference.job.JobSummary;
import dev.batchinference.json.JsonCodec;
import dev.batchinference.local.runtime.LocalPipeline.HandlerDecorator;
import dev.batchinference.results.ResultsWriterHandler;
import dev.batchinference.testing.Samples;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * The whole pipeline through the local runtime (S3Proxy, ElasticMQ, the real handlers wired as Lambda
 * wires them), clean and with the faults at-least-once systems bring: each faulty run must give output
 * byte-identical to the clean run.
 */
class LocalPipelineEndToEndTest {
    private static final ChunkLimits MANY_CHUNKS = new ChunkLimits(400, Long.MAX_VALUE);
    private static final int CHUNKS = 25;
    private static final Duration TIMEOUT = Duration.ofMinutes(2);
    private static String cleanOutput;

    private static LocalPipeline.Options options() {
        return LocalPipeline.Options.defaults().withChunkLimits(MANY_CHUNKS).withEnvironments(2, 1);
    }

    private static JobSummary awaitEnd(LocalPipeline pipeline, String key) {
        return pipeline.awaitEnd(pipeline.jobIdFor(key), TIMEOUT).orElseThrow(() -> new AssertionError("job did not end"));
    }

    private static String text(LocalPipeline pipeline, String key) {
        try (InputStream in = pipeline.store().read(key)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @BeforeAll
    static void cleanRun() {
        try (LocalPipeline pipeline = LocalPipeline.start(options())) {
            pipeline.publishModel(Samples.model("fraud"));
            String key = pipeline.submit(Samples.data("transactions.csv"), "fraud");
            JobSummary summary = awaitEnd(pipeline, key);
            assertThat(summary.state()).isEqualTo(JobState.SUCCEEDED);
            assertThat(summary.chunks()).isEqualTo(CHUNKS);
            cleanOutput = text(pipeline, JobKeys.predictions(key));
        }
    }

    @Test
    void aCleanRunOverManyChunksMatchesTheReferenceInOrder() {
        assertSamePredictions(Samples.csv(cleanOutput), Samples.csv(Samples.expected("transactions.predictions.csv")));
    }

    /** Sends every message body it sees once more to the named queue, as SQS's at-least-once delivery may. */
    private static HandlerDecorator duplicatingTo(String queueVariable, Set<String> seen, List<SqsClient> clients) {
        return (environment, handler) -> {
            SqsClient sqs = AwsClients.sqs(PipelineConfig.from(environment));
            clients.add(sqs);
            String url = environment.get(queueVariable);
            return (event, context) -> {
                for (SQSEvent.SQSMessage m : event.getRecords()) {
                    if (seen.add(m.getBody())) {
                        sqs.sendMessage(b -> b.queueUrl(url).messageBody(m.getBody()));
                    }
                }
                return handler.handleRequest(event, context);
            };
        };
    }

    /** Throws on the first delivery of one chunk: the invocation fails and SQS delivers the chunk again. */
    private static HandlerDecorator crashingOnceOn(int chunk, AtomicInteger crashes, HandlerDecorator inner) {
        return (environment, handler) -> {
            RequestHandler<SQSEvent, SQSBatchResponse> next = inner.decorate(environment, handler);
            return (event, context) -> {
                for (SQSEvent.SQSMessage m : event.getRecords()) {
                    if (JsonCodec.read(m.getBody(), ChunkTask.class).chunk().index() == chunk
                            && crashes.compareAndSet(0, 1)) {
                        throw new IllegalStateException("injected crash on chunk " + chunk);
                    }
                }
                return next.handleRequest(event, context);
            };
        };
    }

    @Test
    void duplicatedEventsTasksAndResultsAndACrashedWorkerGiveTheCleanOutput() {
        AtomicInteger crashes = new AtomicInteger();
        Set<String> seenTasks = ConcurrentHashMap.newKeySet();
        Set<String> seenResults = ConcurrentHashMap.newKeySet();
        List<SqsClient> clients = new ArrayList<>();
        LocalPipeline.Options faulty = options().withEnvironments(2, 2).withDecorators(
                crashingOnceOn(3, crashes, duplicatingTo(PipelineConfig.WORK_QUEUE_URL, seenTasks, clients)),
                duplicatingTo(PipelineConfig.RESULTS_QUEUE_URL, seenResults, clients));
        try (LocalPipeline pipeline = LocalPipeline.start(faulty)) {
            pipeline.publishModel(Samples.model("fraud"));
            String key = pipeline.submit(Samples.data("transactions.csv"), "fraud");
            pipeline.notifyCreated(key); // the same object version notified twice

            JobSummary summary = awaitEnd(pipeline, key);

            assertThat(crashes.get()).as("crashes injected").isEqualTo(1);
            assertThat(seenTasks).as("distinct tasks, each delivered twice").hasSize(CHUNKS);
            assertThat(summary.state()).isEqualTo(JobState.SUCCEEDED);
            assertThat(summary.rowsIn()).isEqualTo(10_000);
            assertThat(summary.rowsOut()).isEqualTo(10_000);
            assertThat(text(pipeline, JobKeys.predictions(key))).isEqualTo(cleanOutput);
            assertThat(pipeline.jobs().jobIds()).as("one job for the object").hasSize(1);
        } finally {
            clients.forEach(SqsClient::close);
        }
    }

    @Test
    void twoWritersRacingToCollateLeaveOneOutputIdenticalToTheCleanRun() throws Exception {
        // no writer environments: the test delivers the results itself, the last one to two writers at once
        try (LocalPipeline pipeline = LocalPipeline.start(options().withEnvironments(2, 0));
             SqsClient sqs = AwsClients.sqs(PipelineConfig.from(pipeline.environment()))) {
            pipeline.publishModel(Samples.model("fraud"));
            String key = pipeline.submit(Samples.data("transactions.csv"), "fraud");
            String resultsUrl = pipeline.environment().get(PipelineConfig.RESULTS_QUEUE_URL);
            List<Message> results = receive(sqs, resultsUrl, CHUNKS);
            ResultsWriterHandler first = new ResultsWriterHandler(new PipelineServices(PipelineConfig.from(pipeline.environment())));
            ResultsWriterHandler second = new ResultsWriterHandler(new PipelineServices(PipelineConfig.from(pipeline.environment())));
            for (Message m : results.subList(0, CHUNKS - 1)) {
                assertThat(first.handleRequest(event(m), null).getBatchItemFailures()).isEmpty();
            }

            CountDownLatch start = new CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(2);
            SQSEvent last = event(results.get(CHUNKS - 1));
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

            assertThat(pipeline.jobs().terminal(pipeline.jobIdFor(key))).get()
                    .extracting(JobSummary::state).isEqualTo(JobState.SUCCEEDED);
            assertThat(text(pipeline, JobKeys.predictions(key))).isEqualTo(cleanOutput);
            assertThat(pipeline.store().list(JobKeys.OUTPUT)).containsExactly(
                    JobKeys.predictions(key), JobKeys.summary(key));
        }
    }

    @Test
    void aChunkThatKeepsFailingReachesTheDlqAndEndsItsJobFailed() {
        HandlerDecorator alwaysFailsOnChunk2 = (environment, handler) -> (event, context) -> {
            List<SQSBatchResponse.BatchItemFailure> failures = new ArrayList<>();
            List<SQSEvent.SQSMessage> healthy = new ArrayList<>();
            for (SQSEvent.SQSMessage m : event.getRecords()) {
                if (JsonCodec.read(m.getBody(), ChunkTask.class).chunk().index() == 2) {
                    failures.add(new SQSBatchResponse.BatchItemFailure(m.getMessageId()));
                } else {
                    healthy.add(m);
                }
            }
            SQSEvent rest = new SQSEvent();
            rest.setRecords(healthy);
            failures.addAll(handler.handleRequest(rest, context).getBatchItemFailures());
            return new SQSBatchResponse(failures);
        };
        LocalPipeline.Options fourChunks = options().withChunkLimits(new ChunkLimits(40, Long.MAX_VALUE))
                .withDecorators(alwaysFailsOnChunk2, HandlerDecorator.NONE);
        try (LocalPipeline pipeline = LocalPipeline.start(fourChunks)) {
            pipeline.publishModel(Samples.model("iris"));
            String key = "incoming/iris/iris.csv";
            pipeline.store().write(key, Samples.data("iris.csv"));
            pipeline.notifyCreated(key);

            JobSummary summary = awaitEnd(pipeline, key);

            assertThat(summary.chunks()).isEqualTo(4);
            assertThat(summary.state()).isEqualTo(JobState.FAILED);
            assertThat(summary.reason()).isEqualTo(FailureReason.CHUNK_FAILED);
            assertThat(summary.message()).contains("chunk 2");
            assertThat(pipeline.store().head(JobKeys.predictions(key))).isEmpty();
            assertThat(JsonCodec.read(text(pipeline, JobKeys.summary(key)), JobSummary.class).state())
                    .isEqualTo(JobState.FAILED);
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
}
