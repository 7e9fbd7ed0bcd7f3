package dev.batchinference.local.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.batchinference.config.PipelineConfig;
import dev.batchinference.job.JobKeys;
import dev.batchinference.lambda.ingest.IngestTriggerHandler;
import dev.batchinference.lambda.results.ResultsWriterHandler;
import dev.batchinference.lambda.worker.BatchWorkerHandler;
import dev.batchinference.local.runtime.QueueSettings;
import dev.batchinference.model.ModelKeys;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * sam/template.yaml read as data: the functions, their configuration and triggers, the queues and the
 * permissions, checked against the code they deploy and the local runtime that imitates them.
 */
class SamTemplateTest {
    private static final CloudFormationTemplate TEMPLATE = Repository.template();
    private static final String BUCKET = "example-pipeline-bucket";
    /** What a deployment with every default looks like (the bucket name has no default). */
    private static final CloudFormationTemplate.Evaluation DEFAULTS = TEMPLATE.evaluate(parameters(Map.of()));

    private static final String INGEST = "IngestTriggerFunction";
    private static final String WORKER = "BatchWorkerFunction";
    private static final String WRITER = "ResultsWriterFunction";
    /** Variables only the local runtime sets: endpoint overrides, and the region Lambda itself provides. */
    private static final Set<String> NOT_SET_BY_THE_TEMPLATE = Set.of(PipelineConfig.ENDPOINT, PipelineConfig.S3_ENDPOINT,
            PipelineConfig.SQS_ENDPOINT, PipelineConfig.REGION);

    private static Map<String, String> parameters(Map<String, String> overrides) {
        Map<String, String> values = new HashMap<>(TEMPLATE.parameterDefaults());
        values.put("BucketName", BUCKET);
        values.putAll(overrides);
        return values;
    }

    private static JsonNode function(String logicalId) {
        return DEFAULTS.resolve(TEMPLATE.functionProperties(logicalId));
    }

    private static Map<String, String> environment(String logicalId) {
        Map<String, String> env = new LinkedHashMap<>();
        function(logicalId).path("Environment").path("Variables").fields()
                .forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText()));
        return env;
    }

    /** Every SQS event source: function, event name, and the event's properties. */
    private record SqsSource(String function, String event, JsonNode properties) {
        String queue() {
            return stripArn(properties.path("Queue").asText());
        }
    }

    private static List<SqsSource> sqsSources() {
        List<SqsSource> sources = new ArrayList<>();
        for (String id : TEMPLATE.resourcesOfType("AWS::Serverless::Function").keySet()) {
            function(id).path("Events").fields().forEachRemaining(e -> {
                if (e.getValue().path("Type").asText().equals("SQS")) {
                    sources.add(new SqsSource(id, e.getKey(), e.getValue().path("Properties")));
                }
            });
        }
        return sources;
    }

    /** {@code <WorkQueue.Arn>} → {@code WorkQueue}. */
    private static String stripArn(String reference) {
        assertThat(reference).as("a reference to a resource in the template").matches("<\\w+\\.Arn>");
        return reference.substring(1, reference.length() - ".Arn>".length());
    }

    private static JsonNode queue(String logicalId) {
        return DEFAULTS.resolve(TEMPLATE.resource(logicalId).path("Properties"));
    }

    private static long seconds(JsonNode node) {
        return Long.parseLong(node.asText());
    }

    /** A value set from a parameter: the largest the parameter allows, as a deployment may choose it. */
    private static long maxParameterValue(JsonNode value) {
        return value.has("Ref")
                ? TEMPLATE.root().path("Parameters").path(value.get("Ref").asText()).path("MaxValue").asLong()
                : value.asLong();
    }

    @Test
    void definesTheThreeFunctionsWithTheirHandlerClasses() {
        assertThat(TEMPLATE.resourcesOfType("AWS::Serverless::Function").keySet())
                .containsExactlyInAnyOrder(INGEST, WORKER, WRITER);
        assertThat(function(INGEST).path("Handler").asText()).isEqualTo(IngestTriggerHandler.class.getName() + "::handleRequest");
        assertThat(function(WORKER).path("Handler").asText()).isEqualTo(BatchWorkerHandler.class.getName() + "::handleRequest");
        assertThat(function(WRITER).path("Handler").asText()).isEqualTo(ResultsWriterHandler.class.getName() + "::handleRequest");
        for (String id : List.of(INGEST, WORKER, WRITER)) {
            assertThat(TEMPLATE.resource(id).path("Metadata").path("BuildMethod").asText()).as(id).isEqualTo("makefile");
            assertThat(LambdaPackages.fromMakefile().of(id).kind()).as(id).isEqualTo(LambdaPackages.Kind.FUNCTION);
        }
    }

    @Test
    void everyFunctionRunsACurrentJavaRuntimeOnTheChosenArchitecture() {
        for (String id : List.of(INGEST, WORKER, WRITER)) {
            JsonNode f = function(id);
            assertThat(f.path("Runtime").asText()).as(id).isIn("java21", "java25");
            assertThat(f.path("Architectures").toString()).as(id).isEqualTo("[\"arm64\"]");
            assertThat(TEMPLATE.evaluate(parameters(Map.of("Architecture", "x86_64"))).resolve(TEMPLATE.functionProperties(id))
                    .path("Architectures").toString()).as(id).isEqualTo("[\"x86_64\"]");
        }
    }

    @Test
    void everyVariableTheHandlersReadIsSetOnEveryFunction() {
        Set<String> read = new TreeSet<>(PipelineConfig.NAMES);
        read.removeAll(NOT_SET_BY_THE_TEMPLATE);
        for (String id : List.of(INGEST, WORKER, WRITER)) {
            Map<String, String> env = environment(id);
            assertThat(env.keySet()).as(id + " sets every variable PipelineConfig reads").containsAll(read);
            assertThat(env.keySet()).as(id + " leaves the local-only variables and Lambda's own alone")
                    .doesNotContainAnyElementsOf(NOT_SET_BY_THE_TEMPLATE);
            assertThat(env).as(id).containsEntry(PipelineConfig.BUCKET, BUCKET)
                    .containsEntry(PipelineConfig.WORK_QUEUE_URL, "<WorkQueue>")
                    .containsEntry(PipelineConfig.RESULTS_QUEUE_URL, "<ResultsQueue>");
            assertThat(env.get(PipelineConfig.MODEL_CACHE_DIR)).as("Lambda can write only under /tmp").startsWith("/tmp/");
        }
    }

    @Test
    void theDefaultDeploymentIsConfiguredAsTheCodesDefaults() {
        Map<String, String> env = new HashMap<>(environment(WORKER));
        env.put(PipelineConfig.REGION, "us-east-1");
        PipelineConfig deployed = PipelineConfig.from(env);
        PipelineConfig defaults = PipelineConfig.from(Map.of(PipelineConfig.BUCKET, BUCKET));
        assertThat(deployed.chunkLimits()).isEqualTo(defaults.chunkLimits());
        assertThat(deployed.inferenceBatchRows()).isEqualTo(defaults.inferenceBatchRows());
        assertThat(deployed.collateLease()).isEqualTo(defaults.collateLease());
        assertThat(deployed.data()).isEqualTo(defaults.data());
        assertThat(deployed.limits()).isEqualTo(defaults.limits());
        assertThat(deployed.cost()).isEqualTo(defaults.cost());
    }

    @Test
    void theCollationLeaseIsTheWritersTimeout() {
        // a lock older than the longest a writer can run belongs to a writer that died
        JsonNode lease = TEMPLATE.functionProperties(WRITER).path("Environment").path("Variables")
                .path(PipelineConfig.COLLATE_LEASE_SECONDS);
        assertThat(lease).isEqualTo(TEMPLATE.resource(WRITER).path("Properties").path("Timeout"));
    }

    @Test
    void theS3TriggerFiresOnlyForObjectsCreatedUnderIncoming() {
        // the bucket's own notification (with a permission that names the bucket: SamTemplateBoundsTest)
        JsonNode notifications = DEFAULTS.resolve(TEMPLATE.resource("PipelineBucket").path("Properties"))
                .path("NotificationConfiguration").path("LambdaConfigurations");
        assertThat(notifications).as("one notification, of ingest-trigger").hasSize(1);
        JsonNode trigger = notifications.get(0);
        assertThat(trigger.path("Function").asText()).isEqualTo("<" + INGEST + ".Alias>");
        assertThat(trigger.path("Event").asText()).isEqualTo("s3:ObjectCreated:*");
        List<String> prefixes = new ArrayList<>();
        trigger.path("Filter").path("S3Key").path("Rules").forEach(rule -> {
            if (rule.path("Name").asText().equalsIgnoreCase("prefix")) {
                prefixes.add(rule.path("Value").asText());
            }
        });
        assertThat(prefixes).as("exactly one prefix rule").hasSize(1);
        String prefix = prefixes.get(0);
        assertThat(prefix).startsWith(JobKeys.INCOMING);
        // a key can match both prefixes only if one is a prefix of the other
        for (String written : List.of(JobKeys.JOBS, JobKeys.OUTPUT, ModelKeys.MODELS)) {
            assertThat(prefix.startsWith(written) || written.startsWith(prefix))
                    .as("the trigger's prefix %s overlaps %s, which the pipeline or its user writes", prefix, written)
                    .isFalse();
        }
    }

    @Test
    void everySqsEventSourceReportsBatchItemFailuresAndIsBounded() {
        List<SqsSource> sources = sqsSources();
        assertThat(sources).extracting(SqsSource::function).containsExactlyInAnyOrder(INGEST, INGEST, WORKER, WRITER, WRITER,
                WRITER);
        for (SqsSource source : sources) {
            String name = source.function() + "." + source.event();
            JsonNode p = source.properties();
            assertThat(p.path("FunctionResponseTypes").toString()).as(name).contains("\"ReportBatchItemFailures\"");
            assertThat(p.path("BatchSize").asInt()).as(name).isBetween(1, 10);
            assertThat(p.has("MaximumBatchingWindowInSeconds")).as(name).isTrue();
            assertThat(p.path("ScalingConfig").path("MaximumConcurrency").asInt()).as(name).isBetween(2, 1000);
        }
    }

    @Test
    void everyQueueAFunctionReadsHasADeadLetterQueueAndEveryQueueNothingReadsIsWatched() {
        Set<String> queues = TEMPLATE.resourcesOfType("AWS::SQS::Queue").keySet();
        Set<String> read = new HashSet<>();
        Set<String> deadLetters = new HashSet<>();
        for (SqsSource source : sqsSources()) {
            read.add(source.queue());
            JsonNode redrive = queue(source.queue()).path("RedrivePolicy");
            assertThat(redrive.path("maxReceiveCount").asInt()).as(source.queue() + " redrives").isPositive();
            String dlq = stripArn(redrive.path("deadLetterTargetArn").asText());
            assertThat(queues).as(source.queue() + "'s dead-letter queue").contains(dlq);
            deadLetters.add(dlq);
        }
        // S3 invokes ingest-trigger asynchronously: its failures need a destination too
        String failed = stripArn(function(INGEST).path("EventInvokeConfig").path("DestinationConfig").path("OnFailure")
                .path("Destination").asText());
        deadLetters.add(failed);
        assertThat(queues).contains(failed);

        Set<String> watched = new HashSet<>();
        TEMPLATE.resourcesOfType("AWS::CloudWatch::Alarm").values().forEach(alarm ->
                DEFAULTS.resolve(alarm.path("Properties")).path("Dimensions").forEach(d -> {
                    if (d.path("Name").asText().equals("QueueName")) {
                        watched.add(d.path("Value").asText().replaceAll("^<(\\w+)\\.QueueName>$", "$1"));
                    }
                }));
        for (String q : queues) {
            assertThat(read.contains(q) || deadLetters.contains(q)).as(q + " is read or is a dead-letter queue").isTrue();
            if (!read.contains(q)) {
                assertThat(watched).as("nothing reads " + q + ": an alarm must").contains(q);
            }
            assertThat(queue(q).path("SqsManagedSseEnabled").asBoolean()).as(q + " is encrypted").isTrue();
        }
        assertThat(watched).containsAll(deadLetters.stream().filter(q -> !read.contains(q)).toList());
    }

    @Test
    void queueAndBatchSettingsAgreeWithTheLocalRuntime() {
        SqsSource work = sqsSources().stream().filter(s -> s.function().equals(WORKER)).findFirst().orElseThrow();
        String workDeadLetters = deadLetterQueueOf(work.queue());
        List<SqsSource> writerSources = sqsSources().stream().filter(s -> s.function().equals(WRITER)).toList();
        Set<String> writerQueues = new HashSet<>();
        writerSources.forEach(s -> writerQueues.add(s.queue()));
        // the results queue is the writer's one source that is not some queue's dead-letter queue
        Set<String> deadLetterQueues = new HashSet<>();
        sqsSources().forEach(s -> deadLetterQueues.add(deadLetterQueueOf(s.queue())));
        List<SqsSource> primary = writerSources.stream().filter(s -> !deadLetterQueues.contains(s.queue())).toList();
        assertThat(primary).as("results-writer's sources other than dead-letter queues").hasSize(1);
        SqsSource results = primary.get(0);
        String resultsDeadLetters = deadLetterQueueOf(results.queue());

        assertAgrees(work, QueueSettings.WORK);
        assertAgrees(results, QueueSettings.RESULTS);
        // ingest-trigger reads the planning queue (hand-overs) and its dead letters (their jobs ended), as locally
        List<SqsSource> ingestSources = sqsSources().stream().filter(s -> s.function().equals(INGEST)).toList();
        List<SqsSource> handovers = ingestSources.stream().filter(s -> !deadLetterQueues.contains(s.queue())).toList();
        assertThat(handovers).as("ingest-trigger's sources other than dead-letter queues").hasSize(1);
        assertAgrees(handovers.get(0), QueueSettings.PLANNING);
        assertThat(ingestSources).extracting(SqsSource::queue).containsExactlyInAnyOrder(handovers.get(0).queue(),
                deadLetterQueueOf(handovers.get(0).queue()));
        ingestSources.forEach(s -> assertThat(s.properties().path("BatchSize").asInt()).as(s.queue())
                .isEqualTo(QueueSettings.PLANNING.batchSize()));
        // as in the local runtime, the writer also drains the work queue's dead letters (a chunk that ran out
        // of retries ends its job FAILED) and its own (a result is not dropped while it can be handled),
        // polling them as it polls the results queue
        assertThat(writerQueues).containsExactlyInAnyOrder(results.queue(), workDeadLetters, resultsDeadLetters);
        for (SqsSource deadLetters : writerSources) {
            if (deadLetters != results) {
                assertThat(deadLetters.properties().path("BatchSize").asInt()).as(deadLetters.queue())
                        .isEqualTo(QueueSettings.RESULTS.batchSize());
                assertThat(seconds(queue(deadLetters.queue()).path("VisibilityTimeout"))).as(deadLetters.queue())
                        .isEqualTo(QueueSettings.RESULTS.visibilityTimeout().toSeconds());
            }
        }
    }

    private static String deadLetterQueueOf(String queue) {
        return stripArn(queue(queue).path("RedrivePolicy").path("deadLetterTargetArn").asText());
    }

    private static void assertAgrees(SqsSource source, QueueSettings settings) {
        JsonNode q = queue(source.queue());
        assertThat(seconds(q.path("VisibilityTimeout"))).as(source.queue() + " visibility timeout")
                .isEqualTo(settings.visibilityTimeout().toSeconds());
        assertThat(q.path("RedrivePolicy").path("maxReceiveCount").asInt()).as(source.queue() + " maxReceiveCount")
                .isEqualTo(settings.maxReceiveCount());
        assertThat(source.properties().path("BatchSize").asInt()).as(source.function() + " batch size")
                .isEqualTo(settings.batchSize());
        assertThat(source.properties().path("MaximumBatchingWindowInSeconds").asLong())
                .as(source.function() + " batching window").isEqualTo(settings.batchingWindow().toSeconds());
    }

    @Test
    void visibilityTimeoutsCoverTheLongestFunctionRun() {
        for (SqsSource source : sqsSources()) {
            long timeout = maxParameterValue(TEMPLATE.resource(source.function()).path("Properties").path("Timeout"));
            long visibility = seconds(queue(source.queue()).path("VisibilityTimeout"));
            // Lambda refuses an event source whose queue hides messages for less than the function may run
            assertThat(visibility).as(source.queue() + " vs " + source.function()).isGreaterThanOrEqualTo(timeout);
            if (source.function().equals(WORKER)) {
                // AWS advises six times, so throttled batches are retried before a message reappears
                assertThat(visibility).as(source.queue()).isGreaterThanOrEqualTo(6 * timeout);
            }
        }
    }

    /** Every Allow statement of every role, resolved for the default deployment. */
    private static Map<String, List<JsonNode>> allowStatementsByRole() {
        Map<String, List<JsonNode>> byRole = new LinkedHashMap<>();
        TEMPLATE.resourcesOfType("AWS::IAM::Role").forEach((id, role) -> {
            JsonNode properties = DEFAULTS.resolve(role.path("Properties"));
            assertThat(properties.has("ManagedPolicyArns")).as(id + " has no managed policies: every grant is written here")
                    .isFalse();
            List<JsonNode> statements = new ArrayList<>();
            properties.path("Policies").forEach(p -> p.path("PolicyDocument").path("Statement").forEach(statements::add));
            byRole.put(id, statements);
        });
        assertThat(TEMPLATE.resourcesOfType("AWS::IAM::Policy")).isEmpty();
        assertThat(TEMPLATE.resourcesOfType("AWS::IAM::ManagedPolicy")).isEmpty();
        return byRole;
    }

    @Test
    void noIamStatementGrantsWildcardActionsOrUnscopedResources() {
        String bucketArn = "arn:aws:s3:::" + BUCKET;
        for (Map.Entry<String, List<JsonNode>> role : allowStatementsByRole().entrySet()) {
            for (JsonNode statement : role.getValue()) {
                String sid = role.getKey() + "." + statement.path("Sid").asText();
                assertThat(statement.path("Effect").asText()).as(sid).isEqualTo("Allow");
                assertThat(statement.has("NotAction") || statement.has("NotResource")).as(sid).isFalse();
                List<String> actions = RolePolicy.texts(statement.path("Action"));
                List<String> resources = RolePolicy.texts(statement.path("Resource"));
                assertThat(actions).as(sid).isNotEmpty().noneMatch(a -> a.contains("*"));
                assertThat(resources).as(sid).isNotEmpty().noneMatch(r -> r.equals("*"));
                for (String action : actions) {
                    if (action.startsWith("s3:")) {
                        for (String resource : resources) {
                            if (resource.equals(bucketArn)) {
                                assertThat(action).as(sid + ": only listing is granted on the bucket itself")
                                        .isEqualTo("s3:ListBucket");
                                assertThat(statement.path("Condition").path("StringLike").has("s3:prefix"))
                                        .as(sid + ": listing is limited by prefix").isTrue();
                            } else {
                                // a prefix, a prefix narrowed to a kind of object (output/*.summary.json), or what
                                // a function writes in a job's folder (a job id is 20 characters)
                                assertThat(resource).as(sid + ": objects under one of the pipeline's prefixes")
                                        .matches(java.util.regex.Pattern.quote(bucketArn)
                                                + "/((incoming|models|jobs|output)/\\*(\\.summary\\.json)?"
                                                + "|jobs/\\?{20}/([a-z]+/\\*|[a-z]+\\.(json|lock)))");
                            }
                        }
                    } else if (action.startsWith("sqs:")) {
                        assertThat(resources).as(sid).allSatisfy(r -> assertThat(TEMPLATE.resourcesOfType("AWS::SQS::Queue"))
                                .containsKey(stripArn(r)));
                    } else if (action.startsWith("logs:")) {
                        assertThat(resources).as(sid).allMatch(r -> r.matches("<\\w+LogGroup\\.Arn>:\\*"));
                    } else {
                        throw new AssertionError(sid + " grants an action of a service the functions do not use: " + action);
                    }
                }
            }
        }
        for (String id : List.of(INGEST, WORKER, WRITER)) {
            assertThat(TEMPLATE.resource(id).path("Properties").has("Policies"))
                    .as(id + " uses its own role, so SAM adds no policies of its own").isFalse();
        }
    }

    /** Each grant as "action target": target is an S3 prefix, "bucket", or a resource's logical id. */
    private static Set<String> grants(String roleId) {
        Set<String> grants = new TreeSet<>();
        String objects = "arn:aws:s3:::" + BUCKET + "/";
        for (JsonNode statement : allowStatementsByRole().get(roleId)) {
            for (String action : RolePolicy.texts(statement.path("Action"))) {
                for (String resource : RolePolicy.texts(statement.path("Resource"))) {
                    String target = resource.startsWith(objects) ? resource.substring(objects.length())
                            : resource.equals("arn:aws:s3:::" + BUCKET) ? "bucket"
                            : resource.replaceAll("^<(\\w+)\\.Arn>(:\\*)?$", "$1");
                    grants.add(action + " " + target);
                }
                if (action.equals("s3:ListBucket")) {
                    RolePolicy.texts(statement.path("Condition").path("StringLike").path("s3:prefix"))
                            .forEach(prefix -> grants.add("s3:ListBucket prefix " + prefix));
                }
            }
        }
        return grants;
    }

    /** A job's folder in the grants: a job id is 20 characters. */
    private static final String JOB = "jobs/????????????????????/";

    @Test
    void eachFunctionIsGrantedExactlyWhatItUses() {
        assertThat(function(INGEST).path("Role").asText()).isEqualTo("<IngestTriggerRole.Arn>");
        assertThat(function(WORKER).path("Role").asText()).isEqualTo("<BatchWorkerRole.Arn>");
        assertThat(function(WRITER).path("Role").asText()).isEqualTo("<ResultsWriterRole.Arn>");
        Set<String> logs = Set.of("logs:CreateLogStream", "logs:PutLogEvents");

        // The grants, audited against the code (LambdaPackagesEndToEndIT checks the requests the functions
        // make against them). ingest-trigger reads inputs and models, heads and writes job state, stages
        // chunks of a .csv.gz in multipart uploads; it sends chunk tasks, and sends a job rejected while
        // planning straight to the results queue (only results-writer writes output/). Its scheduled run
        // reads summaries, to tell inputs whose job state expired, and asks the writer to end stalled jobs.
        assertThat(grants("IngestTriggerRole")).containsExactlyInAnyOrderElementsOf(with(logs, "IngestTriggerLogGroup",
                "s3:GetObject incoming/*", "s3:GetObject models/*", "s3:GetObject jobs/*",
                "s3:GetObject output/*.summary.json",
                "s3:PutObject " + JOB + "plan.json", "s3:PutObject " + JOB + "dispatched.json",
                "s3:PutObject " + JOB + "redrives/*",
                "s3:PutObject " + JOB + "steps/*", "s3:PutObject " + JOB + "handovers/*",
                "s3:PutObject " + JOB + "staged/*", "s3:AbortMultipartUpload " + JOB + "staged/*",
                "s3:ListBucket bucket", "s3:ListBucket prefix incoming/*", "s3:ListBucket prefix models/*",
                "s3:ListBucket prefix jobs/*", "s3:ListBucket prefix output/*.summary.json",
                "sqs:SendMessage WorkQueue", "sqs:SendMessage ResultsQueue", "sqs:SendMessage IngestFailedEventsQueue",
                "sqs:SendMessage PlanningQueue",
                "sqs:ReceiveMessage PlanningQueue", "sqs:DeleteMessage PlanningQueue",
                "sqs:ChangeMessageVisibility PlanningQueue", "sqs:GetQueueAttributes PlanningQueue",
                "sqs:ReceiveMessage PlanningDeadLetterQueue", "sqs:DeleteMessage PlanningDeadLetterQueue",
                "sqs:ChangeMessageVisibility PlanningDeadLetterQueue", "sqs:GetQueueAttributes PlanningDeadLetterQueue"));
        // batch-worker reads inputs (its chunk's range), models, job state and staged chunks, writes parts
        // and nothing else: not a plan, a done marker, a lock or a job's end
        assertThat(grants("BatchWorkerRole")).containsExactlyInAnyOrderElementsOf(with(logs, "BatchWorkerLogGroup",
                "s3:GetObject incoming/*", "s3:GetObject models/*", "s3:GetObject jobs/*",
                "s3:PutObject " + JOB + "parts/*",
                "s3:ListBucket bucket", "s3:ListBucket prefix incoming/*", "s3:ListBucket prefix models/*",
                "s3:ListBucket prefix jobs/*",
                "sqs:ReceiveMessage WorkQueue", "sqs:DeleteMessage WorkQueue", "sqs:ChangeMessageVisibility WorkQueue",
                "sqs:GetQueueAttributes WorkQueue", "sqs:SendMessage ResultsQueue"));
        // results-writer reads job state and parts and HEADs the input (a newer version owns the output's
        // keys), writes job state, and writes outputs in multipart uploads it may abandon
        assertThat(grants("ResultsWriterRole")).containsExactlyInAnyOrderElementsOf(with(logs, "ResultsWriterLogGroup",
                "s3:GetObject jobs/*", "s3:GetObject incoming/*", "s3:PutObject " + JOB + "done/*",
                "s3:PutObject " + JOB + "groups/*", "s3:PutObject " + JOB + "collate.lock",
                "s3:PutObject " + JOB + "final.json", "s3:PutObject output/*",
                "s3:AbortMultipartUpload output/*",
                "s3:ListBucket bucket", "s3:ListBucket prefix jobs/*", "s3:ListBucket prefix incoming/*",
                "sqs:ReceiveMessage ResultsQueue", "sqs:DeleteMessage ResultsQueue",
                "sqs:ChangeMessageVisibility ResultsQueue", "sqs:GetQueueAttributes ResultsQueue",
                "sqs:ReceiveMessage WorkDeadLetterQueue", "sqs:DeleteMessage WorkDeadLetterQueue",
                "sqs:ChangeMessageVisibility WorkDeadLetterQueue", "sqs:GetQueueAttributes WorkDeadLetterQueue",
                "sqs:ReceiveMessage ResultsDeadLetterQueue", "sqs:DeleteMessage ResultsDeadLetterQueue",
                "sqs:ChangeMessageVisibility ResultsDeadLetterQueue", "sqs:GetQueueAttributes ResultsDeadLetterQueue"));
    }

    private static Set<String> with(Set<String> logActions, String logGroup, String... grants) {
        Set<String> all = new TreeSet<>(List.of(grants));
        logActions.forEach(a -> all.add(a + " " + logGroup));
        return all;
    }

    @Test
    void theScheduledRunIsOffUnlessTurnedOn() {
        JsonNode schedule = function(INGEST).path("Events").path("Schedule");
        assertThat(schedule.path("Type").asText()).isEqualTo("Schedule");
        assertThat(schedule.path("Properties").path("State").asText()).isEqualTo("DISABLED");
        assertThat(schedule.path("Properties").path("Schedule").asText()).matches("(rate|cron)\\(.+\\)");
        JsonNode on = TEMPLATE.evaluate(parameters(Map.of("ScheduleEnabled", "true"))).resolve(
                TEMPLATE.functionProperties(INGEST)).path("Events").path("Schedule");
        assertThat(on.path("Properties").path("State").asText()).isEqualTo("ENABLED");
    }

    @Test
    void snapStartIsAParameterAndEventSourcesInvokeThePublishedAlias() {
        for (String id : List.of(INGEST, WORKER, WRITER)) {
            JsonNode f = function(id);
            // with an alias, SAM points every event source at it: SnapStart snapshots published versions only
            assertThat(f.path("AutoPublishAlias").asText()).as(id).isNotBlank();
            assertThat(f.path("SnapStart").path("ApplyOn").asText()).as(id).isEqualTo("None");
            assertThat(TEMPLATE.evaluate(parameters(Map.of("SnapStart", "true"))).resolve(TEMPLATE.functionProperties(id))
                    .path("SnapStart").path("ApplyOn").asText()).as(id).isEqualTo("PublishedVersions");
            // SnapStart works with zip packages and at most 512 MB of /tmp
            assertThat(f.path("PackageType").asText("Zip")).as(id).isEqualTo("Zip");
            assertThat(f.path("EphemeralStorage").path("Size").asInt(512)).as(id).isLessThanOrEqualTo(512);
        }
    }

    @Test
    void theWorkerPrimesTheModelsTheDeploymentNamesBeforeASnapshot() {
        assertThat(environment(WORKER)).containsEntry("PRIME_MODELS", "");
        assertThat(TEMPLATE.evaluate(parameters(Map.of("PrimeModels", "fraud,iris"))).resolve(
                TEMPLATE.functionProperties(WORKER)).path("Environment").path("Variables").path("PRIME_MODELS").asText())
                .isEqualTo("fraud,iris");
    }

    @Test
    void xRayTracingIsAParameterOffByDefaultAndActiveTracingMayWriteTraces() {
        CloudFormationTemplate.Evaluation active = TEMPLATE.evaluate(parameters(Map.of("Tracing", "Active")));
        for (String id : List.of(INGEST, WORKER, WRITER)) {
            assertThat(function(id).path("Tracing").asText()).as(id).isEqualTo("PassThrough");
            assertThat(active.resolve(TEMPLATE.functionProperties(id)).path("Tracing").asText()).as(id).isEqualTo("Active");
        }
        assertThat(allowStatementsByRole().values()).allSatisfy(statements ->
                assertThat(statements).noneMatch(statement -> statement.toString().contains("xray:")));
        assertThat(TEMPLATE.resourcesOfType("AWS::IAM::Role")).hasSize(3).allSatisfy((id, role) -> {
            List<JsonNode> xray = new ArrayList<>();
            active.resolve(role.path("Properties")).path("Policies").forEach(p -> p.path("PolicyDocument")
                    .path("Statement").forEach(statement -> {
                        if (statement.toString().contains("xray:")) {
                            xray.add(statement);
                        }
                    }));
            assertThat(xray).as(id).singleElement().satisfies(statement -> {
                assertThat(RolePolicy.texts(statement.path("Action")))
                        .containsExactlyInAnyOrder("xray:PutTraceSegments", "xray:PutTelemetryRecords");
                assertThat(RolePolicy.texts(statement.path("Resource"))).containsExactly("*");
            });
        });
    }

    @Test
    void theWorkerLoadsOnnxRuntimeFromTheLayerOfItsArchitecture() {
        for (String architecture : List.of("arm64", "x86_64")) {
            CloudFormationTemplate.Evaluation deployment = TEMPLATE.evaluate(parameters(Map.of("Architecture", architecture)));
            JsonNode worker = deployment.resolve(TEMPLATE.functionProperties(WORKER));
            assertThat(worker.path("Layers")).as(architecture).hasSize(1);
            String layer = worker.path("Layers").get(0).asText().replaceAll("^<(\\w+)>$", "$1");
            JsonNode layerResource = TEMPLATE.resource(layer);
            assertThat(deployment.condition(layerResource.path("Condition").asText())).as(layer + " is created").isTrue();
            assertThat(layerResource.path("Properties").path("CompatibleArchitectures").toString())
                    .isEqualTo("[\"" + architecture + "\"]");
            assertThat(layerResource.path("Metadata").path("BuildArchitecture").asText()).isEqualTo(architecture);
            // and the Makefile fills it from the Maven build's layer for that architecture
            assertThat(LambdaPackages.fromMakefile().of(layer).source().getFileName().toString())
                    .isEqualTo("onnxruntime-linux-" + (architecture.equals("arm64") ? "aarch64" : "x64") + ".zip");
        }
        for (String id : List.of(INGEST, WRITER)) {
            assertThat(function(id).has("Layers")).as(id + " does not run models").isFalse();
        }
        assertThat(environment(WORKER).get("JAVA_TOOL_OPTIONS")).startsWith("-Donnxruntime.native.path=/opt/onnxruntime ");
    }

    /** The JVM options the benchmark's cold-start and memory probes run the worker with. */
    @Test
    void theWorkerRunsTheJvmOptionsTheBenchmarkMeasures() {
        assertThat(environment(WORKER).get("JAVA_TOOL_OPTIONS").split(" "))
                .contains("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=4")
                .containsAll(dev.batchinference.local.bench.ChildJvm.WORKER_JVM_OPTIONS);
        for (String id : List.of(INGEST, WRITER)) {
            assertThat(environment(id).get("JAVA_TOOL_OPTIONS")).as(id + ": the runtime's default").isNull();
        }
    }

    @Test
    void theBucketIsEncryptedPrivateTlsOnlyAndExpiresJobState() {
        JsonNode bucket = DEFAULTS.resolve(TEMPLATE.resource("PipelineBucket").path("Properties"));
        assertThat(bucket.path("BucketName").asText()).isEqualTo(BUCKET);
        assertThat(bucket.at("/BucketEncryption/ServerSideEncryptionConfiguration/0/ServerSideEncryptionByDefault/SSEAlgorithm")
                .asText()).isIn("AES256", "aws:kms");
        bucket.path("PublicAccessBlockConfiguration").fields().forEachRemaining(e ->
                assertThat(e.getValue().asBoolean()).as(e.getKey()).isTrue());
        assertThat(bucket.path("PublicAccessBlockConfiguration")).hasSize(4);

        List<JsonNode> rules = new ArrayList<>();
        bucket.path("LifecycleConfiguration").path("Rules").forEach(rules::add);
        assertThat(rules).anySatisfy(rule -> {
            assertThat(rule.path("Prefix").asText()).isEqualTo(JobKeys.JOBS);
            assertThat(rule.path("ExpirationInDays").asText()).isEqualTo(TEMPLATE.parameterDefaults().get("JobStateRetentionDays"));
        });
        assertThat(rules).as("only job state expires").allSatisfy(rule -> {
            if (rule.has("ExpirationInDays")) {
                assertThat(rule.path("Prefix").asText()).isEqualTo(JobKeys.JOBS);
            }
        });

        JsonNode policy = DEFAULTS.resolve(TEMPLATE.resource("PipelineBucketPolicy").path("Properties"));
        assertThat(policy.path("Bucket").asText()).isEqualTo("<PipelineBucket>");
        assertThat(policy.path("PolicyDocument").path("Statement")).anySatisfy(statement -> {
            assertThat(statement.path("Effect").asText()).isEqualTo("Deny");
            assertThat(statement.path("Condition").path("Bool").path("aws:SecureTransport").asText()).isEqualTo("false");
            assertThat(RolePolicy.texts(statement.path("Resource"))).containsExactlyInAnyOrder("<PipelineBucket.Arn>", "<PipelineBucket.Arn>/*");
        });
    }
}
