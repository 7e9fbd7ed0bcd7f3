package dev.batchinference.local.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchinference.config.PipelineConfig;
import dev.batchinference.job.JobState;
import dev.batchinference.local.emulator.EmbeddedS3;
import dev.batchinference.local.emulator.EmbeddedSqs;
import dev.batchinference.testing.Samples;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.Bucket;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * The runtime on S3 and SQS it did not start, as on moto or a LocalStack run by hand: here S3Proxy and
 * ElasticMQ posing as such an endpoint, which also shows the fallback for an S3 without notifications.
 */
class LocalPipelineOnASharedEndpointIT {
    private EmbeddedS3 s3;
    private EmbeddedSqs sqs;
    private ExternalEndpoint endpoint;
    private S3Client s3Client;
    private SqsClient sqsClient;

    @BeforeEach
    void startAnEndpointThatOutlivesThePipeline() {
        s3 = EmbeddedS3.inMemory(0);
        sqs = EmbeddedSqs.start(0, "us-east-1", "000000000000");
        endpoint = new ExternalEndpoint(s3.endpoint(), sqs.endpoint(), "us-east-1", s3.accessKey(), s3.secretKey());
        var credentials = StaticCredentialsProvider.create(AwsBasicCredentials.create(s3.accessKey(), s3.secretKey()));
        s3Client = S3Client.builder().httpClient(UrlConnectionHttpClient.create()).region(Region.US_EAST_1)
                .endpointOverride(s3.endpoint()).forcePathStyle(true).credentialsProvider(credentials)
                .serviceConfiguration(S3Configuration.builder().chunkedEncodingEnabled(false).build()).build();
        sqsClient = SqsClient.builder().httpClient(UrlConnectionHttpClient.create()).region(Region.US_EAST_1)
                .endpointOverride(sqs.endpoint()).credentialsProvider(credentials).build();
        s3Client.createBucket(b -> b.bucket("someone-elses"));
        sqsClient.createQueue(b -> b.queueName("someone-elses"));
    }

    @AfterEach
    void stopIt() {
        s3Client.close();
        sqsClient.close();
        sqs.close();
        s3.close();
    }

    @Test
    void theRuntimeRaisesNotificationsWhereS3HasNoneAndLeavesOnlyWhatWasThereBefore() {
        String bucket;
        try (LocalPipeline pipeline = LocalPipeline.start(LocalPipeline.Options.defaults().withEnvironments(1, 1), endpoint)) {
            bucket = pipeline.bucket();
            pipeline.publishModel(Samples.model("iris"));
            String key = pipeline.submit(Samples.data("iris.csv"), "iris");

            assertThat(pipeline.notifications()).isEqualTo(LocalPipeline.Notifications.RAISED);
            assertThat(pipeline.awaitEnd(pipeline.jobIdFor(key), Duration.ofMinutes(1))).get()
                    .extracting(s -> s.state()).isEqualTo(JobState.SUCCEEDED);
            assertThat(bucket).matches("batch-inference-[0-9a-f]{8}");
            assertThat(pipeline.environment().get(PipelineConfig.WORK_QUEUE_URL)).endsWith("/" + bucket + "-work");
            assertThat(sqsClient.listQueues().queueUrls()).filteredOn(u -> u.contains(bucket)).as("work, results,"
                    + " planning and incoming-notifications, each with its DLQ").hasSize(8);
        }

        assertThat(s3Client.listBuckets().buckets()).extracting(Bucket::name).containsExactly("someone-elses");
        assertThat(sqsClient.listQueues().queueUrls()).singleElement().asString().endsWith("/someone-elses");
    }

    @Test
    void twoRuntimesOnOneEndpointKeepToTheirOwnBucketAndQueues() {
        try (LocalPipeline first = LocalPipeline.start(LocalPipeline.Options.defaults().withEnvironments(1, 1), endpoint);
             LocalPipeline second = LocalPipeline.start(LocalPipeline.Options.defaults().withEnvironments(1, 1), endpoint)) {
            assertThat(first.bucket()).isNotEqualTo(second.bucket());
            for (String variable : List.of(PipelineConfig.WORK_QUEUE_URL, PipelineConfig.RESULTS_QUEUE_URL)) {
                assertThat(first.environment().get(variable)).isNotEqualTo(second.environment().get(variable));
            }
        }
    }
}
