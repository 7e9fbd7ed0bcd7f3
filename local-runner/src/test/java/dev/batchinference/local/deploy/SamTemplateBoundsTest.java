package dev.batchinference.local.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.batchinference.format.OutputFormat;
import dev.batchinference.job.InputObject;
import dev.batchinference.job.JobId;
import dev.batchinference.job.JobKeys;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * sam/template.yaml's bounds, read as data: each function's reserved concurrency (a parameter, 0 or empty for none,
 * never below what its SQS event sources may run), alarms that always reach a topic, S3's permission to invoke
 * ingest-trigger for this bucket only, the bucket policy that refuses unconditional writes of the state written
 * once, writes granted by what each function writes in a job's folder (the worker only its parts), and versioning,
 * access logs and expiry as parameters that are off by default.
 */
class SamTemplateBoundsTest {
    private static final CloudFormationTemplate TEMPLATE = Repository.template();
    private static final String BUCKET = "example-pipeline-bucket";
    private static final String JOB_FOLDER = "jobs/????????????????????/";
    private static final Map<String, String> RESERVATIONS = Map.of("IngestTriggerFunction", "IngestReservedConcurrency",
            "BatchWorkerFunction", "WorkerReservedConcurrency", "ResultsWriterFunction", "WriterReservedConcurrency");

    private static CloudFormationTemplate.Evaluation deployment(Map<String, String> overrides) {
        Map<String, String> parameters = new HashMap<>(TEMPLATE.parameterDefaults());
        parameters.put("BucketName", BUCKET);
        parameters.putAll(overrides);
        return TEMPLATE.evaluate(parameters);
    }

    private static JsonNode resolved(CloudFormationTemplate.Evaluation deployment, String logicalId) {
        return deployment.resolve(TEMPLATE.resource(logicalId).path("Properties"));
    }

    @Test
    void eachFunctionHasReservedConcurrencyAtLeastWhatItsQueuesMayRunUnlessSetToNone() {
        CloudFormationTemplate.Evaluation defaults = deployment(Map.of());
        Map<String, Integer> reserved = new HashMap<>();
        RESERVATIONS.forEach((function, parameter) -> reserved.put(function,
                resolved(defaults, function).path("ReservedConcurrentExecutions").asInt()));
        assertThat(reserved).containsExactlyInAnyOrderEntriesOf(Map.of("IngestTriggerFunction", 10,
                "BatchWorkerFunction", 100, "ResultsWriterFunction", 10));

        // throttled SQS deliveries come back with a receive counted: past its reservation a worker's chunk tasks
        // could reach the dead-letter queue for want of room alone
        for (String function : RESERVATIONS.keySet()) {
            int pollers = 0;
            for (JsonNode event : defaults.resolve(TEMPLATE.functionProperties(function).path("Events"))) {
                if (event.path("Type").asText().equals("SQS")) {
                    JsonNode max = event.path("Properties").path("ScalingConfig").path("MaximumConcurrency");
                    assertThat(max.isMissingNode()).as(function + ": every SQS event source is bounded").isFalse();
                    pollers += Integer.parseInt(max.asText());
                }
            }
            assertThat(reserved.get(function)).as(function + ": reserved concurrency against its event sources' maximum")
                    .isGreaterThanOrEqualTo(pollers);
        }
        for (String none : List.of("0", "")) {
            RESERVATIONS.forEach((function, parameter) -> assertThat(resolved(deployment(Map.of(parameter, none)), function)
                    .has("ReservedConcurrentExecutions")).as(function + " with " + parameter + "='" + none + "'").isFalse());
        }
        assertThat(resolved(deployment(Map.of("WorkerReservedConcurrency", "250")), "BatchWorkerFunction")
                .path("ReservedConcurrentExecutions").asText()).isEqualTo("250");
    }

    @Test
    void everyAlarmNotifiesOneTopicWhoseArnIsAnOutputAndAnAddressIsOnlyASubscription() {
        CloudFormationTemplate.Evaluation defaults = deployment(Map.of());
        Map<String, JsonNode> alarms = TEMPLATE.resourcesOfType("AWS::CloudWatch::Alarm");
        assertThat(alarms).isNotEmpty();
        alarms.forEach((id, alarm) -> assertThat(RolePolicy.texts(defaults.resolve(alarm.path("Properties"))
                .path("AlarmActions"))).as(id + ", with no AlarmEmail").containsExactly("<AlarmTopic>"));
        assertThat(TEMPLATE.resource("AlarmTopic").has("Condition")).as("the topic exists in every deployment").isFalse();
        assertThat(resolved(defaults, "AlarmTopic").has("Subscription")).as("no address, no subscription").isFalse();
        assertThat(resolved(deployment(Map.of("AlarmEmail", "ops@example.com")), "AlarmTopic").path("Subscription"))
                .singleElement().satisfies(s -> {
                    assertThat(s.path("Protocol").asText()).isEqualTo("email");
                    assertThat(s.path("Endpoint").asText()).isEqualTo("ops@example.com");
                });
        assertThat(defaults.value(TEMPLATE.outputs().path("AlarmTopicArn").path("Value"))).isEqualTo("<AlarmTopic>");
    }

    @Test
    void s3MayInvokeIngestTriggerOnlyForThisBucketInThisAccountAndOnlyUnderIncoming() {
        CloudFormationTemplate.Evaluation defaults = deployment(Map.of());
        JsonNode permission = resolved(defaults, "IngestTriggerS3Permission");
        assertThat(permission.path("Principal").asText()).isEqualTo("s3.amazonaws.com");
        assertThat(permission.path("Action").asText()).isEqualTo("lambda:InvokeFunction");
        assertThat(permission.path("FunctionName").asText()).isEqualTo("<IngestTriggerFunction.Alias>");
        assertThat(permission.path("SourceArn").asText()).isEqualTo("arn:aws:s3:::" + BUCKET);
        assertThat(permission.path("SourceAccount").asText()).isEqualTo("123456789012");

        JsonNode bucket = TEMPLATE.resource("PipelineBucket");
        assertThat(RolePolicy.texts(bucket.path("DependsOn"))).as("S3 checks the permission when the notification is"
                + " written").contains("IngestTriggerS3Permission");
        JsonNode notifications = resolved(defaults, "PipelineBucket").path("NotificationConfiguration");
        assertThat(notifications.fieldNames()).toIterable().containsExactly("LambdaConfigurations");
        assertThat(notifications.path("LambdaConfigurations")).singleElement().satisfies(n -> {
            assertThat(n.path("Event").asText()).isEqualTo("s3:ObjectCreated:*");
            assertThat(n.path("Function").asText()).isEqualTo("<IngestTriggerFunction.Alias>");
            assertThat(n.path("Filter").path("S3Key").path("Rules")).singleElement().satisfies(r -> {
                assertThat(r.path("Name").asText()).isEqualTo("prefix");
                assertThat(r.path("Value").asText()).isEqualTo(JobKeys.INCOMING);
            });
        });
        TEMPLATE.resourcesOfType("AWS::Serverless::Function").keySet().forEach(f -> TEMPLATE.functionProperties(f)
                .path("Events").forEach(e -> assertThat(e.path("Type").asText()).as(f + ": SAM's S3 event writes its"
                        + " permission without SourceArn").isNotEqualTo("S3")));
    }

    @Test
    void theBucketPolicyRefusesUnconditionalWritesOfExactlyTheStateWrittenOnce() {
        String bucketArn = "arn:aws:s3:::" + BUCKET;
        JsonNode statements = resolved(deployment(Map.of()), "PipelineBucketPolicy").path("PolicyDocument").path("Statement");
        Map<String, JsonNode> bySid = new HashMap<>();
        statements.forEach(s -> bySid.put(s.path("Sid").asText(), s));
        JsonNode once = bySid.get("WriteJobStateOnce");
        JsonNode lock = bySid.get("WriteCollationLocksConditionally");
        for (JsonNode deny : List.of(once, lock)) {
            assertThat(deny.path("Effect").asText()).isEqualTo("Deny");
            assertThat(deny.path("Principal").asText()).isEqualTo("*");
            assertThat(RolePolicy.texts(deny.path("Action"))).containsExactly("s3:PutObject");
            assertThat(deny.path("Condition").path("Bool").path("s3:ObjectCreationOperation").asText()).isEqualTo("true");
            assertThat(deny.path("Condition").path("Null").path("s3:if-none-match").asText()).isEqualTo("true");
        }
        assertThat(lock.path("Condition").path("Null").path("s3:if-match").asText()).isEqualTo("true");
        assertThat(once.path("Condition").path("Null").has("s3:if-match")).isFalse();

        String job = JobId.of(new InputObject(BUCKET, "incoming/iris/x.csv", null, "\"e\"", 1, Instant.EPOCH));
        List<String> writtenOnce = List.of(JobKeys.plan(job), JobKeys.done(job, 7), JobKeys.part(job, 7, OutputFormat.CSV),
                JobKeys.part(job, 7, OutputFormat.PARQUET), JobKeys.errorsPart(job, 7), JobKeys.terminal(job),
                JobKeys.step(job, 1), "jobs/" + job + "/groups/1/000000.json");
        List<String> rewritten = List.of(JobKeys.dispatched(job), JobKeys.redrive(job, Instant.EPOCH),
                JobKeys.staged(job, 7), JobKeys.collateLock(job), JobKeys.handover(job, 2),
                JobKeys.summary("incoming/iris/x.csv"), "models/iris/current.json");
        List<Pattern> onceResources = RolePolicy.texts(once.path("Resource")).stream()
                .map(r -> RolePolicy.glob(r.replace("<PipelineBucket.Arn>", bucketArn))).toList();
        writtenOnce.forEach(key -> assertThat(onceResources).as(key).anyMatch(p -> p.matcher(bucketArn + "/" + key).matches()));
        rewritten.forEach(key -> assertThat(onceResources).as(key).noneMatch(p -> p.matcher(bucketArn + "/" + key).matches()));
        assertThat(RolePolicy.texts(lock.path("Resource"))).containsExactly("<PipelineBucket.Arn>/" + JOB_FOLDER + "collate.lock");
    }

    @Test
    void writesUnderJobsAreGrantedByWhatEachFunctionWritesInAJobsFolderAndTheWorkerWritesOnlyParts() {
        CloudFormationTemplate.Evaluation defaults = deployment(Map.of());
        String job = JobId.of(new InputObject(BUCKET, "incoming/iris/x.csv", null, "\"e\"", 1, Instant.EPOCH));
        assertThat(job).as("a job id is what the grants' 20 '?' stand for").hasSize(20);
        Map<String, Set<String>> writes = new HashMap<>();
        for (String role : List.of("IngestTriggerRole", "BatchWorkerRole", "ResultsWriterRole")) {
            Set<String> targets = new TreeSet<>();
            for (String grant : RoleGrants.of(resolved(defaults, role), BUCKET)) {
                if (grant.startsWith("s3:PutObject ") || grant.startsWith("s3:AbortMultipartUpload ")) {
                    targets.add(grant.substring(grant.indexOf(' ') + 1));
                }
            }
            writes.put(role, targets);
            targets.stream().filter(t -> t.startsWith("jobs/")).forEach(t -> assertThat(t).as(role)
                    .startsWith(JOB_FOLDER).isNotEqualTo(JOB_FOLDER + "*"));
        }
        assertThat(writes.get("BatchWorkerRole")).containsExactly(JOB_FOLDER + "parts/*");
        assertThat(writes.get("IngestTriggerRole")).containsExactlyInAnyOrder(JOB_FOLDER + "plan.json",
                JOB_FOLDER + "dispatched.json", JOB_FOLDER + "redrives/*", JOB_FOLDER + "steps/*", JOB_FOLDER + "handovers/*", JOB_FOLDER + "staged/*");
        assertThat(writes.get("ResultsWriterRole")).containsExactlyInAnyOrder(JOB_FOLDER + "done/*",
                JOB_FOLDER + "groups/*", JOB_FOLDER + "collate.lock", JOB_FOLDER + "final.json", "output/*");
        List<String> allGrants = new ArrayList<>();
        writes.values().forEach(allGrants::addAll);
        assertThat(allGrants).as("no role may write all of jobs/").doesNotContain("jobs/*");
    }

    @Test
    void versioningAccessLogsAndExpiryOfInputsAndOutputsAreParametersOffByDefault() {
        JsonNode plain = resolved(deployment(Map.of()), "PipelineBucket");
        assertThat(plain.has("VersioningConfiguration")).isFalse();
        assertThat(plain.has("LoggingConfiguration")).isFalse();
        assertThat(ruleIds(plain)).containsExactly("expire-job-state", "abort-incomplete-multipart-uploads");
        assertThat(deployment(Map.of()).condition("CreateAccessLogBucket")).isFalse();

        CloudFormationTemplate.Evaluation all = deployment(Map.of("IncomingRetentionDays", "30", "OutputRetentionDays",
                "365", "BucketVersioning", "true", "AccessLogging", "true"));
        JsonNode bucket = resolved(all, "PipelineBucket");
        assertThat(bucket.path("VersioningConfiguration").path("Status").asText()).isEqualTo("Enabled");
        assertThat(ruleIds(bucket)).containsExactly("expire-job-state", "expire-inputs", "expire-outputs",
                "expire-noncurrent-versions", "abort-incomplete-multipart-uploads");
        bucket.path("LifecycleConfiguration").path("Rules").forEach(r -> {
            switch (r.path("Id").asText()) {
                case "expire-inputs" -> assertThat(r.path("Prefix").asText() + r.path("ExpirationInDays").asText())
                        .isEqualTo("incoming/30");
                case "expire-outputs" -> assertThat(r.path("Prefix").asText() + r.path("ExpirationInDays").asText())
                        .isEqualTo("output/365");
                case "expire-noncurrent-versions" -> assertThat(r.path("NoncurrentVersionExpiration")
                        .path("NoncurrentDays").asText()).isEqualTo("30");
                default -> { }
            }
        });
        assertThat(bucket.path("LoggingConfiguration").path("DestinationBucketName").asText()).isEqualTo("<AccessLogBucket>");
        assertThat(bucket.path("LoggingConfiguration").path("LogFilePrefix").asText()).isEqualTo(BUCKET + "/");
        assertThat(all.condition("CreateAccessLogBucket")).isTrue();
        assertThat(TEMPLATE.resource("AccessLogBucket").path("DeletionPolicy").asText()).isEqualTo("Retain");
        assertThat(resolved(all, "AccessLogBucketPolicy").path("PolicyDocument").path("Statement").get(0)
                .path("Condition").path("ArnLike").path("aws:SourceArn").asText()).isEqualTo("arn:aws:s3:::" + BUCKET);

        CloudFormationTemplate.Evaluation given = deployment(Map.of("AccessLogging", "true", "AccessLogBucketName", "my-logs"));
        assertThat(resolved(given, "PipelineBucket").path("LoggingConfiguration").path("DestinationBucketName").asText())
                .isEqualTo("my-logs");
        assertThat(given.condition("CreateAccessLogBucket")).isFalse();
    }

    private static List<String> ruleIds(JsonNode bucket) {
        List<String> ids = new ArrayList<>();
        bucket.path("LifecycleConfiguration").path("Rules").forEach(r -> ids.add(r.path("Id").asText()));
        return ids;
    }
}
