package dev.batchinference.lambda.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.amazonaws.services.lambda.runtime.events.S3Event;
import com.amazonaws.services.lambda.runtime.events.ScheduledEvent;
import com.amazonaws.services.lambda.runtime.tests.EventLoader;
import dev.batchinference.format.ChunkLimits;
import dev.batchinference.ingest.IngestEvent;
import dev.batchinference.ingest.IngestReport;
import dev.batchinference.ingest.JobIngestor;
import dev.batchinference.job.ChunkTask;
import dev.batchinference.job.JobKeys;
import dev.batchinference.job.JobStore;
import dev.batchinference.json.JsonCodec;
import dev.batchinference.testing.InMemoryPipeline;
import dev.batchinference.testing.Samples;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The ingest handler on event JSON as AWS sends it (samples/events), through its Lambda entry point:
 * S3 notifications for a PUT and a multipart upload (URL-encoded keys with spaces and unicode), EventBridge's
 * "Object Created", and EventBridge's "Scheduled Event".
 */
class IngestTriggerHandlerTest {
    private static final String EVENTS = "../samples/events/";
    private static final String PUT = EVENTS + "s3-object-created-put.json";
    private static final String COMPLETE_MULTIPART_UPLOAD = EVENTS + "s3-object-created-complete-multipart-upload.json";
    private static final String EVENTBRIDGE_OBJECT_CREATED = EVENTS + "eventbridge-object-created.json";
    private static final String SCHEDULED = EVENTS + "eventbridge-scheduled.json";
    private static final String PUT_KEY = "incoming/iris/field trials/résultats 2026.csv";
    private static final String MULTIPART_KEY = "incoming/iris/uploads/2026-11/mesures – serre n°3.csv";

    @TempDir
    Path cache;

    private InMemoryPipeline pipeline() throws Exception {
        InMemoryPipeline pipeline = new InMemoryPipeline(cache, new ChunkLimits(100, Long.MAX_VALUE));
        Samples.publish(pipeline.models, "iris");
        return pipeline;
    }

    private static IngestTriggerHandler handler(InMemoryPipeline pipeline) {
        return new IngestTriggerHandler(pipeline.ingestor, pipeline.sweeper(Clock.systemUTC(), Duration.ofHours(6)));
    }

    /** Invokes the handler as Lambda does: the event's bytes in, the response's bytes out. */
    private static IngestReport invoke(IngestTriggerHandler handler, String eventFile) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        handler.handleRequest(new ByteArrayInputStream(Files.readAllBytes(Path.of(eventFile))), out, null);
        return JsonCodec.read(out.toByteArray(), IngestReport.class);
    }

    @Test
    void theFixturesAreTheShapesTheLambdaEventTypesRead() {
        S3Event put = EventLoader.loadS3Event(PUT);
        S3Event multipart = EventLoader.loadS3Event(COMPLETE_MULTIPART_UPLOAD);
        ScheduledEvent objectCreated = EventLoader.loadScheduledEvent(EVENTBRIDGE_OBJECT_CREATED);
        ScheduledEvent scheduled = EventLoader.loadScheduledEvent(SCHEDULED);

        assertThat(put.getRecords().get(0).getEventName()).isEqualTo("ObjectCreated:Put");
        assertThat(multipart.getRecords().get(0).getEventName()).isEqualTo("ObjectCreated:CompleteMultipartUpload");
        assertThat(objectCreated.getDetailType()).isEqualTo("Object Created");
        assertThat(objectCreated.getSource()).isEqualTo("aws.s3");
        assertThat(scheduled.getDetailType()).isEqualTo("Scheduled Event");
    }

    @ParameterizedTest
    @ValueSource(strings = {PUT, EVENTBRIDGE_OBJECT_CREATED})
    void anObjectCreatedEventStartsOneJobUnderTheDecodedKeyAndItsRedeliveryIsADuplicate(String eventFile) throws Exception {
        InMemoryPipeline pipeline = pipeline();
        pipeline.put(PUT_KEY, Files.readAllBytes(Samples.data("iris.csv")));
        IngestTriggerHandler handler = handler(pipeline);

        IngestReport first = invoke(handler, eventFile);
        IngestReport again = invoke(handler, eventFile);

        assertThat(first.jobs()).singleElement().satisfies(o -> {
            assertThat(o.key()).isEqualTo(PUT_KEY);
            assertThat(o.status()).isEqualTo(JobIngestor.Outcome.Status.STARTED);
            assertThat(o.chunks()).isEqualTo(2);
        });
        assertThat(again.jobs()).singleElement().satisfies(o -> {
            assertThat(o.status()).isEqualTo(JobIngestor.Outcome.Status.DUPLICATE);
            assertThat(o.jobId()).isEqualTo(first.jobs().get(0).jobId());
        });
        assertThat(pipeline.workQueue.sent()).hasSize(2)
                .allSatisfy(body -> assertThat(JsonCodec.read(body, ChunkTask.class).jobId()).isEqualTo(first.jobs().get(0).jobId()));
    }

    /** An SQS event as Lambda's event source hands it to the function, holding one message. */
    private static String sqsEvent(String queueArn, String body) {
        return "{\"Records\":[{\"messageId\":\"m-1\",\"receiptHandle\":\"r\",\"body\":"
                + JsonCodec.write(body) + ",\"attributes\":{\"ApproximateReceiveCount\":\"1\"},"
                + "\"messageAttributes\":{},\"eventSource\":\"aws:sqs\",\"eventSourceARN\":\"" + queueArn
                + "\",\"awsRegion\":\"eu-west-1\"}]}";
    }

    @Test
    void handOversFromThePlanningQueueContinueAJobAndFromItsDeadLettersEndIt() throws Exception {
        String planningUrl = "https://sqs.eu-west-1.amazonaws.com/123456789012/stack-PlanningQueue-AB12";
        String live = "arn:aws:sqs:eu-west-1:123456789012:stack-PlanningQueue-AB12";
        String dead = "arn:aws:sqs:eu-west-1:123456789012:stack-PlanningDeadLetterQueue-CD34";
        InMemoryPipeline pipeline = new InMemoryPipeline(cache, new ChunkLimits(40, Long.MAX_VALUE)); // 4 chunks
        Samples.publish(pipeline.models, "iris");
        pipeline.put(PUT_KEY, Files.readAllBytes(Samples.data("iris.csv")));
        dev.batchinference.queue.InMemoryMessageSender handovers = new dev.batchinference.queue.InMemoryMessageSender();
        JobIngestor planner = pipeline.ingestor.handingOverTo(handovers,
                new dev.batchinference.config.PipelineConfig.Planning(Duration.ofHours(1), 1));
        IngestTriggerHandler handler = new IngestTriggerHandler(planner, pipeline.sweeper(Clock.systemUTC(),
                Duration.ofHours(6)), dev.batchinference.observability.InvocationLog.fromEnvironment("ingest-trigger",
                java.util.Map.of()), planningUrl);
        assertThat(planner.ingest(PUT_KEY).status()).isEqualTo(JobIngestor.Outcome.Status.PLANNING);

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        handler.handleRequest(new ByteArrayInputStream(sqsEvent(live, handovers.drain().get(0)).getBytes()), out, null);
        assertThat(JsonCodec.mapper().readTree(out.toByteArray()).path("batchItemFailures").size()).isZero();
        String second = handovers.drain().get(0);
        assertThat(second).as("the next step handed over").contains("\"step\":2");

        out.reset();
        handler.handleRequest(new ByteArrayInputStream(sqsEvent(dead, second).getBytes()), out, null);
        assertThat(JsonCodec.mapper().readTree(out.toByteArray()).path("batchItemFailures").size()).isZero();
        pipeline.drain();
        assertThat(pipeline.workQueue.sent()).as("no task of a job whose planning was abandoned").isEmpty();
        com.fasterxml.jackson.databind.JsonNode summary = JsonCodec.mapper().readTree(pipeline.text(JobKeys.summary(PUT_KEY)));
        assertThat(summary.path("state").asText()).isEqualTo("FAILED");
        assertThat(summary.path("reason").asText()).isEqualTo("STALLED");

        out.reset();
        handler.handleRequest(new ByteArrayInputStream(sqsEvent(live, "{\"type\":\"PLANNING_HANDOVER\",\"jobId\":\"0123\","
                + "\"step\":1}").getBytes()), out, null);
        assertThat(JsonCodec.mapper().readTree(out.toByteArray()).path("batchItemFailures").size())
                .as("a hand-over whose job state is gone is dropped, not retried").isZero();
    }

    @Test
    void aCompletedMultipartUploadIsIngestedLikeAPut() throws Exception {
        InMemoryPipeline pipeline = pipeline();
        pipeline.put(MULTIPART_KEY, Files.readAllBytes(Samples.data("iris.csv")));

        IngestReport report = invoke(handler(pipeline), COMPLETE_MULTIPART_UPLOAD);

        assertThat(report.jobs()).singleElement().satisfies(o -> {
            assertThat(o.key()).isEqualTo(MULTIPART_KEY);
            assertThat(o.status()).isEqualTo(JobIngestor.Outcome.Status.STARTED);
        });
    }

    @Test
    void theScheduledEventSweepsInputsWithoutAJobAndLeavesJobbedOnesAlone() throws Exception {
        InMemoryPipeline pipeline = pipeline();
        pipeline.put(PUT_KEY, Files.readAllBytes(Samples.data("iris.csv")));      // notified: has its job
        IngestTriggerHandler handler = handler(pipeline);
        invoke(handler, PUT);
        pipeline.put(MULTIPART_KEY, Files.readAllBytes(Samples.data("iris.csv"))); // its notification was lost

        IngestReport report = invoke(handler, SCHEDULED);
        pipeline.drain();

        assertThat(report.jobs()).isEmpty();
        assertThat(report.sweep().inputs()).isEqualTo(2);
        assertThat(report.sweep().started()).singleElement().extracting(JobIngestor.Outcome::key).isEqualTo(MULTIPART_KEY);
        assertThat(pipeline.text(JobKeys.summary(MULTIPART_KEY))).contains("SUCCEEDED");
        assertThat(pipeline.text(JobKeys.summary(PUT_KEY))).contains("SUCCEEDED");
    }

    @Test
    void eachInvocationWritesOneLineThatIsAlsoAnEmfDocument() throws Exception {
        InMemoryPipeline pipeline = pipeline();
        pipeline.put(PUT_KEY, Files.readAllBytes(Samples.data("iris.csv")));
        java.util.List<String> lines = new java.util.ArrayList<>();
        IngestTriggerHandler handler = new IngestTriggerHandler(pipeline.ingestor,
                pipeline.sweeper(Clock.systemUTC(), Duration.ofHours(6)),
                dev.batchinference.observability.InvocationLog.to(IngestTriggerHandler.FUNCTION, "TestNamespace", lines::add));

        String jobId = invoke(handler, PUT).jobs().get(0).jobId();
        invoke(handler, SCHEDULED);

        assertThat(lines).hasSize(2);
        com.fasterxml.jackson.databind.JsonNode put = JsonCodec.mapper().readTree(lines.get(0));
        assertThat(put.path("function").asText()).isEqualTo("ingest-trigger");
        assertThat(put.path("coldStart").asBoolean()).isTrue();
        assertThat(put.path("event").asText()).isEqualTo("ObjectsCreated");
        assertThat(put.path("jobsStarted").asDouble()).isEqualTo(1);
        assertThat(put.path("chunks").asDouble()).isEqualTo(2);
        assertThat(put.path("jobs").toString()).isEqualTo("[\"" + jobId + " STARTED\"]");
        assertThat(put.toString()).as("no key, no row content").doesNotContain("résultats", "setosa");
        assertThat(put.path("_aws").path("CloudWatchMetrics").get(0).path("Namespace").asText()).isEqualTo("TestNamespace");
        com.fasterxml.jackson.databind.JsonNode sweep = JsonCodec.mapper().readTree(lines.get(1));
        assertThat(sweep.path("coldStart").asBoolean()).isFalse();
        assertThat(sweep.path("event").asText()).isEqualTo("Scheduled");
        assertThat(sweep.path("inputsSwept").asDouble()).isEqualTo(1);
        assertThat(sweep.path("jobsRunning").asDouble()).isEqualTo(1);
    }

    @Test
    void anEventOfAnotherShapeIsAnErrorThatNamesIt() throws Exception {
        InMemoryPipeline pipeline = pipeline();
        IngestTriggerHandler handler = handler(pipeline);
        byte[] sqs = Files.readAllBytes(Path.of(EVENTS + "sqs-chunk-tasks.json"));

        assertThatThrownBy(() -> handler.handleRequest(new ByteArrayInputStream(sqs), new ByteArrayOutputStream(), null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("S3 notifications and EventBridge");
        assertThatThrownBy(() -> handler.handleRequest(new ByteArrayInputStream("not json".getBytes()),
                new ByteArrayOutputStream(), null)).hasMessageContaining("not JSON");
        assertThat(pipeline.workQueue.sent()).isEmpty();
    }

    @Test
    void s3sTestEventAndKeysOutsideIncomingStartNothing() throws Exception {
        InMemoryPipeline pipeline = pipeline();
        IngestTriggerHandler handler = handler(pipeline);
        String testEvent = "{\"Service\":\"Amazon S3\",\"Event\":\"s3:TestEvent\",\"Time\":\"2026-11-24T09:00:00.000Z\","
                + "\"Bucket\":\"batch-inference\",\"RequestId\":\"5582815E1AEA5ADF\",\"HostId\":\"8cLeGAmw098X5cv4Zkwcmo8vvZa3\"}";
        ByteArrayOutputStream out = new ByteArrayOutputStream();

        handler.handleRequest(new ByteArrayInputStream(testEvent.getBytes()), out, null);

        assertThat(JsonCodec.read(out.toByteArray(), IngestReport.class).ignored()).isEqualTo("s3:TestEvent");
        assertThat(IngestEvent.decodeKey("output/iris/a+b%2Bc.csv")).isEqualTo("output/iris/a b+c.csv");
        assertThat(pipeline.ingestor.ingest("output/iris/a.predictions.csv").status())
                .isEqualTo(JobIngestor.Outcome.Status.IGNORED);
        assertThat(pipeline.ingestor.ingest("incoming/no-model-segment.csv").status())
                .isEqualTo(JobIngestor.Outcome.Status.IGNORED);
        assertThat(pipeline.workQueue.sent()).isEmpty();
        assertThat(new JobStore(pipeline.store).jobIds()).isEmpty();
    }
}
