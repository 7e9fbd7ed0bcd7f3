package dev.batchinference.local.runtime;

import static dev.batchinference.testing.PredictionAssertions.assertSamePredictions;
import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.batchinference.format.ChunkLimits;
import dev.batchinference.ingest.JobSweeper;
import dev.batchinference.job.JobKeys;
import dev.batchinference.job.JobState;
import dev.batchinference.job.JobSummary;
import dev.batchinference.testing.Samples;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;

/**
 * What {@code ./pipeline serve} is made of, on the embedded emulators: uploads by any S3 client start jobs,
 * and a bucket kept on disk lets a restart finish the work the last run left, each row once.
 */
class ServeModeIT {
    private static final Duration TIMEOUT = Duration.ofMinutes(2);

    @TempDir
    Path data;

    @Test
    void anObjectAnotherS3ClientPutsUnderIncomingIsPredictedAndOtherPrefixesAreNot() throws Exception {
        try (EmbeddedEmulators emulators = EmbeddedEmulators.start(data);
             LocalPipeline pipeline = LocalPipeline.start(LocalPipeline.Options.defaults(), emulators);
             S3Client client = clientOf(emulators)) {
            pipeline.publishModel(Samples.model("iris"));
            String key = "incoming/iris/from another client.csv";

            client.putObject(b -> b.bucket(pipeline.bucket()).key(key), RequestBody.fromFile(Samples.data("iris.csv")));
            client.putObject(b -> b.bucket(pipeline.bucket()).key("elsewhere/iris/x.csv"),
                    RequestBody.fromFile(Samples.data("iris.csv")));
            JobSummary summary = pipeline.awaitEnd(pipeline.jobIdFor(key), TIMEOUT).orElseThrow();

            assertThat(pipeline.notifications()).isEqualTo(LocalPipeline.Notifications.EMULATED);
            assertThat(summary.state()).isEqualTo(JobState.SUCCEEDED);
            String predictions;
            try (InputStream in = client.getObject(b -> b.bucket(pipeline.bucket()).key(JobKeys.predictions(key)))) {
                predictions = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            assertSamePredictions(Samples.csv(predictions), Samples.csv(Samples.expected("iris.predictions.csv")));
            assertThat(pipeline.jobs().jobIds()).as("one job: nothing outside incoming/ triggers").hasSize(1);
        }
    }

    @Test
    void aRestartMidJobFinishesTheJobWithEveryRowOnce() throws Exception {
        AtomicInteger chunksDone = new AtomicInteger();
        AtomicBoolean stopping = new AtomicBoolean();
        LocalPipeline.Options firstRun = LocalPipeline.Options.defaults()
                .withChunkLimits(new ChunkLimits(500, Long.MAX_VALUE))
                .withEnvironments(1, 1)
                .withDecorators((env, worker) -> stopsAfter(5, chunksDone, stopping, worker),
                        LocalPipeline.HandlerDecorator.NONE);
        String key;
        String jobId;
        try (EmbeddedEmulators emulators = EmbeddedEmulators.start(data);
             LocalPipeline pipeline = LocalPipeline.start(firstRun, emulators)) {
            pipeline.publishModel(Samples.model("fraud"));
            key = pipeline.submit(Samples.data("transactions.csv"), "fraud");
            jobId = pipeline.jobIdFor(key);
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (pipeline.jobs().doneKeys(jobId).size() < 5 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            stopping.set(true); // the process is stopped here: queues and in-flight work are gone
        }

        try (EmbeddedEmulators emulators = EmbeddedEmulators.start(data);
             LocalPipeline pipeline = LocalPipeline.start(LocalPipeline.Options.defaults()
                     .withChunkLimits(new ChunkLimits(500, Long.MAX_VALUE)), emulators)) {
            int doneBefore = pipeline.jobs().doneKeys(jobId).size();
            assertThat(pipeline.jobs().terminal(jobId)).as("unfinished at the restart").isEmpty();

            JobSweeper.SweepReport resumed = pipeline.resume();
            JobSummary summary = pipeline.awaitEnd(jobId, TIMEOUT).orElseThrow();

            assertThat(doneBefore).isBetween(5, 19);
            assertThat(resumed.redriven()).singleElement().satisfies(r -> assertThat(r.chunks()).hasSize(20 - doneBefore));
            assertThat(summary.state()).isEqualTo(JobState.SUCCEEDED);
            assertThat(summary.chunks()).isEqualTo(20);
            assertThat(summary.rowsOut()).isEqualTo(10_000);
            String predictions;
            try (InputStream in = pipeline.store().read(summary.output())) {
                predictions = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            assertSamePredictions(Samples.csv(predictions), Samples.csv(Samples.expected("transactions.predictions.csv")));
        }
    }

    /** Lets {@code chunks} chunks through, then fails every delivery: the worker of a process being stopped. */
    private static RequestHandler<SQSEvent, SQSBatchResponse> stopsAfter(int chunks, AtomicInteger done, AtomicBoolean stopping,
                                                                          RequestHandler<SQSEvent, SQSBatchResponse> worker) {
        return (event, context) -> {
            if (stopping.get() || done.get() >= chunks) {
                throw new IllegalStateException("the process is stopping");
            }
            SQSBatchResponse response = worker.handleRequest(event, context);
            done.incrementAndGet();
            return response;
        };
    }

    private static S3Client clientOf(EmbeddedEmulators emulators) {
        return S3Client.builder()
                .endpointOverride(URI.create(emulators.s3().toString()))
                .forcePathStyle(true)
                .region(Region.of(emulators.region()))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(
                        emulators.accessKeyId(), emulators.secretAccessKey())))
                .httpClient(software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient.create())
                // plain bodies: S3Proxy over http loses responses to aws-chunked uploads (docs/emulator-differences.md)
                .serviceConfiguration(S3Configuration.builder().chunkedEncodingEnabled(false).build())
                .build();
    }
}
