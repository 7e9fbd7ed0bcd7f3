package dev.batchinference.local.cli;

import dev.batchinference.aws.PipelineServices;
import dev.batchinference.config.PipelineConfig;
import dev.batchinference.local.emulator.EmbeddedS3;
import dev.batchinference.local.runtime.ExternalEndpoint;
import dev.batchinference.local.runtime.QueueSettings;
import java.net.URI;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Option;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.services.cloudformation.CloudFormationClient;
import software.amazon.awssdk.services.cloudformation.model.CloudFormationException;
import software.amazon.awssdk.services.cloudformation.model.Output;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueDoesNotExistException;

/**
 * Which pipeline a command talks to: by default the local {@code ./pipeline serve} on 127.0.0.1; with
 * {@code --endpoint} any S3/SQS endpoint (LocalStack, moto); with {@code --stack} a deployed stack, found
 * through the standard AWS credential chain and the stack's outputs.
 */
final class TargetOptions {
    static final String DEFAULT_BUCKET = "batch-inference";

    @Option(names = "--endpoint", paramLabel = "URL",
            description = "S3 and SQS endpoint (LocalStack, moto); default: the local serve at http://127.0.0.1:4566")
    URI endpoint;

    @Option(names = "--sqs-endpoint", paramLabel = "URL",
            description = "SQS endpoint when it differs from --endpoint (the local serve's is its port + 1)")
    URI sqsEndpoint;

    @Option(names = "--stack", paramLabel = "NAME",
            description = "a deployed stack: its bucket and queues from its outputs, AWS credentials and region as usual"
                    + " (with --endpoint: a stack in LocalStack or moto)")
    String stack;

    @Option(names = "--bucket", paramLabel = "NAME", description = "the pipeline's bucket (default: " + DEFAULT_BUCKET + ")")
    String bucket;

    @Option(names = "--work-queue", paramLabel = "URL", description = "the work queue's URL (default: looked up by name)")
    String workQueue;

    @Option(names = "--results-queue", paramLabel = "URL", description = "the results queue's URL (default: looked up by name)")
    String resultsQueue;

    @Option(names = "--access-key-id", paramLabel = "ID",
            description = "for --endpoint: the access key (default: AWS_ACCESS_KEY_ID, else the local serve's)")
    String accessKeyId;

    @Option(names = "--secret-access-key", paramLabel = "KEY",
            description = "for --endpoint: the secret key (default: AWS_SECRET_ACCESS_KEY, else the local serve's)")
    String secretAccessKey;

    @Option(names = "--region", paramLabel = "REGION", description = "AWS region (default: AWS_REGION, the profile's, or us-east-1)")
    String region;

    /** What a command connected to, and the clients to reach it. */
    record Target(String description, String bucket, PipelineServices services, Map<String, String> environment) {
    }

    Target connect() {
        Map<String, String> env = new HashMap<>();
        String description;
        if (stack != null && endpoint == null) {
            env.put(PipelineConfig.REGION, region != null ? region : awsRegion());
            Map<String, String> outputs = stackOutputs(env.get(PipelineConfig.REGION), null, env);
            env.put(PipelineConfig.BUCKET, bucket != null ? bucket : required(outputs, "BucketName"));
            env.put(PipelineConfig.WORK_QUEUE_URL, workQueue != null ? workQueue : required(outputs, "WorkQueueUrl"));
            env.put(PipelineConfig.RESULTS_QUEUE_URL, resultsQueue != null ? resultsQueue : required(outputs, "ResultsQueueUrl"));
            description = "stack " + stack + " in " + env.get(PipelineConfig.REGION);
        } else {
            URI s3 = endpoint != null ? endpoint : URI.create("http://127.0.0.1:" + ServeCommand.DEFAULT_PORT);
            URI sqs = sqsEndpoint != null ? sqsEndpoint
                    : endpoint != null ? endpoint : URI.create("http://127.0.0.1:" + (ServeCommand.DEFAULT_PORT + 1));
            env.put(PipelineConfig.S3_ENDPOINT, s3.toString());
            env.put(PipelineConfig.SQS_ENDPOINT, sqs.toString());
            env.put(PipelineConfig.REGION, region != null ? region : Optional.ofNullable(System.getenv("AWS_REGION")).orElse("us-east-1"));
            // the environment's keys where set (LocalStack and moto take any), else the local serve's
            boolean ownKeys = System.getenv("AWS_ACCESS_KEY_ID") != null && System.getenv("AWS_SECRET_ACCESS_KEY") != null;
            env.put(PipelineConfig.ACCESS_KEY_ID, accessKeyId != null ? accessKeyId
                    : ownKeys ? System.getenv("AWS_ACCESS_KEY_ID") : EmbeddedS3.ACCESS_KEY);
            env.put(PipelineConfig.SECRET_ACCESS_KEY, secretAccessKey != null ? secretAccessKey
                    : ownKeys ? System.getenv("AWS_SECRET_ACCESS_KEY") : EmbeddedS3.SECRET_KEY);
            description = endpoint == null && sqsEndpoint == null ? "the local serve at " + s3 : "endpoint " + s3
                    + (s3.equals(sqs) ? "" : " (SQS " + sqs + ")");
            if (stack != null) {
                // a stack deployed to LocalStack or moto: its outputs come from CloudFormation at the endpoint
                Map<String, String> outputs = stackOutputs(env.get(PipelineConfig.REGION), endpoint, env);
                putIfAbsent(env, PipelineConfig.BUCKET, bucket, () -> required(outputs, "BucketName"));
                putIfAbsent(env, PipelineConfig.WORK_QUEUE_URL, workQueue, () -> required(outputs, "WorkQueueUrl"));
                putIfAbsent(env, PipelineConfig.RESULTS_QUEUE_URL, resultsQueue, () -> required(outputs, "ResultsQueueUrl"));
                description = "stack " + stack + " at " + description;
            }
            env.putIfAbsent(PipelineConfig.BUCKET, bucket != null ? bucket : DEFAULT_BUCKET);
            if (sqsEndpoint == null && stack == null && (workQueue == null || resultsQueue == null)) {
                // a local serve says where its SQS and queues are in its bucket: the S3 endpoint is enough
                Optional<ServeDescriptor.Endpoints> served =
                        ServeDescriptor.read(new PipelineServices(PipelineConfig.from(env)).store());
                if (served.isPresent()) {
                    env.put(PipelineConfig.SQS_ENDPOINT, served.get().sqsEndpoint());
                    putIfAbsent(env, PipelineConfig.WORK_QUEUE_URL, workQueue, served.get()::workQueueUrl);
                    putIfAbsent(env, PipelineConfig.RESULTS_QUEUE_URL, resultsQueue, served.get()::resultsQueueUrl);
                    if (!served.get().sqsEndpoint().equals(s3.toString())) {
                        description = "the serve at " + s3 + " (SQS " + served.get().sqsEndpoint() + ")";
                    }
                }
            }
            if (workQueue == null && !env.containsKey(PipelineConfig.WORK_QUEUE_URL)
                    || resultsQueue == null && !env.containsKey(PipelineConfig.RESULTS_QUEUE_URL)) {
                // looked up by the names the local runtime gives them
                try (SqsClient client = dev.batchinference.aws.AwsClients.sqs(PipelineConfig.from(env))) {
                    String where = description;
                    putIfAbsent(env, PipelineConfig.WORK_QUEUE_URL, workQueue, () -> queueUrl(client, QueueSettings.WORK.name(), where));
                    putIfAbsent(env, PipelineConfig.RESULTS_QUEUE_URL, resultsQueue,
                            () -> queueUrl(client, QueueSettings.RESULTS.name(), where));
                }
            } else {
                putIfAbsent(env, PipelineConfig.WORK_QUEUE_URL, workQueue, () -> workQueue);
                putIfAbsent(env, PipelineConfig.RESULTS_QUEUE_URL, resultsQueue, () -> resultsQueue);
            }
        }
        PipelineConfig config = PipelineConfig.from(env);
        return new Target(description, config.bucket(), new PipelineServices(config), Map.copyOf(env));
    }

    private static String queueUrl(SqsClient sqs, String name, String where) {
        try {
            return sqs.getQueueUrl(b -> b.queueName(name)).queueUrl();
        } catch (QueueDoesNotExistException e) {
            throw new PipelineCli.UsageException("no queue named '" + name + "' at " + where
                    + " (is `./pipeline serve` running? or pass --work-queue and --results-queue)");
        } catch (software.amazon.awssdk.core.exception.SdkClientException e) {
            throw new PipelineCli.UsageException("cannot reach " + where + " (" + rootMessage(e)
                    + "); start `./pipeline serve`, or pass --endpoint or --stack");
        } catch (software.amazon.awssdk.awscore.exception.AwsServiceException e) {
            // an S3-only endpoint answers SQS's requests with 501 or 404: say so instead of the raw status
            throw new PipelineCli.UsageException("no SQS answers at " + where + " (HTTP " + e.statusCode() + " to a"
                    + " queue lookup); give its SQS endpoint with --sqs-endpoint, or the queues with --work-queue and"
                    + " --results-queue");
        }
    }

    /** The value given on the command line, else (only then) the computed one. */
    private static void putIfAbsent(Map<String, String> env, String name, String given, java.util.function.Supplier<String> computed) {
        if (env.containsKey(name)) {
            return;
        }
        env.put(name, given != null ? given : computed.get());
    }

    private Map<String, String> stackOutputs(String awsRegion, URI cfnEndpoint, Map<String, String> env) {
        var builder = CloudFormationClient.builder().httpClient(UrlConnectionHttpClient.create()).region(Region.of(awsRegion));
        if (cfnEndpoint != null) {
            builder.endpointOverride(cfnEndpoint).credentialsProvider(StaticCredentialsProvider.create(
                    AwsBasicCredentials.create(env.get(PipelineConfig.ACCESS_KEY_ID), env.get(PipelineConfig.SECRET_ACCESS_KEY))));
        }
        try (CloudFormationClient cfn = builder.build()) {
            Map<String, String> outputs = new HashMap<>();
            for (Output o : cfn.describeStacks(b -> b.stackName(stack)).stacks().get(0).outputs()) {
                outputs.put(o.outputKey(), o.outputValue());
            }
            return outputs;
        } catch (CloudFormationException e) {
            throw new PipelineCli.UsageException("cannot read stack '" + stack + "' in " + awsRegion + ": "
                    + e.awsErrorDetails().errorMessage());
        }
    }

    private String required(Map<String, String> outputs, String key) {
        String value = outputs.get(key);
        if (value == null) {
            throw new PipelineCli.UsageException("stack '" + stack + "' has no output " + key + " (outputs: "
                    + outputs.keySet() + "); was it deployed from sam/template.yaml?");
        }
        return value;
    }

    private static String awsRegion() {
        try {
            return DefaultAwsRegionProviderChain.builder().build().getRegion().id();
        } catch (RuntimeException e) {
            throw new PipelineCli.UsageException("no AWS region: set AWS_REGION, configure a profile, or pass --region");
        }
    }

    /**
     * An endpoint {@code run} or {@code serve} runs the functions against: the credentials from
     * AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY where set (moto and LocalStack take any), the region from
     * AWS_REGION, else us-east-1.
     */
    static ExternalEndpoint external(String url) {
        ExternalEndpoint given;
        try {
            given = ExternalEndpoint.parse(url, "--endpoint");
        } catch (IllegalArgumentException e) {
            throw new PipelineCli.UsageException(e.getMessage());
        }
        boolean ownKeys = System.getenv("AWS_ACCESS_KEY_ID") != null && System.getenv("AWS_SECRET_ACCESS_KEY") != null;
        return new ExternalEndpoint(given.s3(), given.sqs(),
                Optional.ofNullable(System.getenv("AWS_REGION")).orElse(given.region()),
                ownKeys ? System.getenv("AWS_ACCESS_KEY_ID") : given.accessKeyId(),
                ownKeys ? System.getenv("AWS_SECRET_ACCESS_KEY") : given.secretAccessKey());
    }

    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}
