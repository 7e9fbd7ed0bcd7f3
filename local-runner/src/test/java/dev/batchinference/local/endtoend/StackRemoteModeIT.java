package dev.batchinference.local.endtoend;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchinference.local.cli.Cli;
import dev.batchinference.local.runtime.ExternalEndpoint;
import dev.batchinference.testing.Samples;
import java.security.SecureRandom;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.cloudformation.CloudFormationClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;

/**
 * Remote mode by stack (tier 3): the CLI finds a stack's bucket and queues through CloudFormation's outputs,
 * here of a stack created in the configured endpoint (moto, LocalStack) with the names our template
 * outputs, and manages the model store there.
 */
@EnabledIf(value = "dev.batchinference.local.endtoend.ExternalEndpointEndToEndIT#endpointConfigured",
        disabledReason = ExternalEndpointEndToEndIT.SKIPPED)
class StackRemoteModeIT {

    @Test
    void theCliFindsTheBucketAndQueuesOfAStackByItsOutputs() {
        ExternalEndpoint endpoint = ExternalEndpointEndToEndIT.configured().orElseThrow();
        String suffix = HexFormat.of().formatHex(new SecureRandom().generateSeed(4));
        String stack = "batch-inference-cli-" + suffix;
        String bucket = "batch-inference-stack-" + suffix;
        String template = """
                {"Resources": {
                   "PipelineBucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "%s"}},
                   "WorkQueue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "%s-work"}},
                   "ResultsQueue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "%s-results"}}},
                 "Outputs": {
                   "BucketName": {"Value": {"Ref": "PipelineBucket"}},
                   "WorkQueueUrl": {"Value": {"Ref": "WorkQueue"}},
                   "ResultsQueueUrl": {"Value": {"Ref": "ResultsQueue"}}}}
                """.formatted(bucket, stack, stack);
        var credentials = StaticCredentialsProvider.create(AwsBasicCredentials.create(endpoint.accessKeyId(),
                endpoint.secretAccessKey()));
        try (CloudFormationClient cfn = CloudFormationClient.builder().endpointOverride(endpoint.s3())
                .region(Region.of(endpoint.region())).credentialsProvider(credentials)
                .httpClient(UrlConnectionHttpClient.create()).build();
             S3Client s3 = S3Client.builder().endpointOverride(endpoint.s3()).forcePathStyle(true)
                     .region(Region.of(endpoint.region())).credentialsProvider(credentials)
                     .httpClient(UrlConnectionHttpClient.create())
                     .serviceConfiguration(S3Configuration.builder().chunkedEncodingEnabled(false).build()).build()) {
            cfn.createStack(b -> b.stackName(stack).templateBody(template));
            try {
                String[] target = {"--stack", stack, "--endpoint", endpoint.s3().toString(), "--region", endpoint.region(),
                        "--access-key-id", endpoint.accessKeyId(), "--secret-access-key", endpoint.secretAccessKey()};
                Cli.Result publish = Cli.run(concat(new String[] {"models", "publish", "iris",
                        Samples.model("iris").toString(), "--promote"}, target));
                Cli.Result list = Cli.run(concat(new String[] {"models", "list"}, target));
                Cli.Result status = Cli.run(concat(new String[] {"status"}, target));

                assertThat(publish.exitCode()).as(publish.stderr()).isZero();
                assertThat(publish.stdout()).contains("published iris v1", "stack " + stack);
                assertThat(list.stdout()).containsPattern("iris\\s+1\\s+\\*");
                assertThat(status.stdout()).contains("no jobs at stack " + stack);
                assertThat(s3.headObject(b -> b.bucket(bucket).key("models/iris/current.json")).contentLength()).isPositive();
            } finally {
                s3.listObjectsV2Paginator(b -> b.bucket(bucket)).contents()
                        .forEach(o -> s3.deleteObject(b -> b.bucket(bucket).key(o.key())));
                cfn.deleteStack(b -> b.stackName(stack));
            }
        }
    }

    private static String[] concat(String[] a, String[] b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
