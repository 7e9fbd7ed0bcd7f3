package dev.batchinference.local.faults;

import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.batchinference.aws.AwsClients;
import dev.batchinference.aws.PipelineServices;
import dev.batchinference.config.PipelineConfig;
import dev.batchinference.config.PipelineConfig.Limits;
import dev.batchinference.failure.FailureReason;
import dev.batchinference.faults.Fault;
import dev.batchinference.faults.FaultPlan;
import dev.batchinference.faults.FaultyMessageSender;
import dev.batchinference.faults.FaultyObjectStore;
import dev.batchinference.format.ChunkLimits;
import dev.batchinference.inference.ChunkWorker;
import dev.batchinference.job.JobKeys;
import dev.batchinference.job.JobState;
import dev.batchinference.job.JobSummary;
import dev.batchinference.job.OutputManifest;
import dev.batchinference.json.JsonCodec;
import dev.batchinference.lambda.results.ResultsWriterHandler;
import dev.batchinference.lambda.worker.BatchWorkerHandler;
import dev.batchinference.local.runtime.LocalPipeline.HandlerDecorator;
import dev.batchinference.local.runtime.LocalPipeline;
import dev.batchinference.model.ModelCache;
import dev.batchinference.results.JobCollator;
import dev.batchinference.storage.NoSuchKeyException;
import dev.batchinference.testing.PredictionParts;
import dev.batchinference.testing.Samples;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * The seeded fault suite of pipeline-core, through the local runtime: real S3Proxy and ElasticMQ, the
 * runtime's SQS event sources, two writer environments, and the same faults at the same named points
 * (the worker's and writer's store and sender wrapped, deliveries duplicated), and the same outcomes allowed:
 * SUCCEEDED with the clean run's outputs, CHUNK_FAILED with none, or OUTPUT_WRITE_FAILED after as many faults
 * while collating as it has attempts, with no partial outputs. Every other seed writes its predictions in parts,
 * which must read back through their manifest as the clean run's one object. A few seeds run in
 * {@code ./mvnw verify}; {@code -Dfaults.runtime.seeds=N} runs more.
 */
class LocalRuntimeFaultInjectionIT {
    private static final int SEEDS = Integer.getInteger("faults.runtime.seeds", 3);
    private static final Duration TIMEOUT = Duration.ofMinutes(3);

    @TempDir
    Path dir;

    private record Outcome(JobSummary summary, String predictions, String errors, List<String> outputs) {
    }

    private Path input() throws IOException {
        List<String> lines = new ArrayList<>(Files.readAllLines(Samples.data("iris.csv")));
        lines.add(40, "bad-1,5.1,,1.4,0.2,setosa");
        lines.add(90, "bad-2,abc,3.0,4.0,1.0,versicolor");
        Path file = dir.resolve("iris-with-bad-rows.csv");
        Files.writeString(file, String.join("\n", lines) + "\n");
        return file;
    }

    /** The worker, built as Lambda builds it but on a store and a sender that fail where the plan says. */
    private static HandlerDecorator faultyWorker(FaultPlan plan) {
        return (environment, handler) -> {
            PipelineServices services = new PipelineServices(PipelineConfig.from(environment));
            FaultyObjectStore store = new FaultyObjectStore(services.store(), plan);
            ChunkWorker worker = new ChunkWorker(store, new dev.batchinference.model.ModelStore(store,
                    services.config().modelCacheDir()), new ModelCache(),
                    new FaultyMessageSender(services.resultsQueue(), plan), 16);
            return new BatchWorkerHandler(worker);
        };
    }

    /** A writer on a failing store that also hands every result it sees to SQS once more. */
    private static HandlerDecorator faultyWriter(FaultPlan plan, Set<String> seen, List<SqsClient> clients) {
        return (environment, handler) -> {
            PipelineServices services = new PipelineServices(PipelineConfig.from(environment));
            ResultsWriterHandler writer = new ResultsWriterHandler(new JobCollator(new FaultyObjectStore(services.store(),
                    plan), services.config().collateLease(), services.config().limits(), Clock.systemUTC(),
                    "writer-" + UUID.randomUUID()));
            SqsClient sqs = AwsClients.sqs(services.config());
            clients.add(sqs);
            String results = environment.get(PipelineConfig.RESULTS_QUEUE_URL);
            return (event, context) -> {
                for (SQSEvent.SQSMessage m : event.getRecords()) {
                    if (seen.add(m.getBody()) && plan.strikes(Fault.DUPLICATE_DELIVERY)) {
                        sqs.sendMessage(b -> b.queueUrl(results).messageBody(m.getBody()));
                    }
                }
                return writer.handleRequest(event, context);
            };
        };
    }

    /** @param inParts with the predictions written in parts (MAX_OUTPUT_PARTS 3: two chunks a part object) */
    private Outcome run(FaultPlan plan, boolean inParts) throws IOException {
        List<SqsClient> clients = new ArrayList<>();
        LocalPipeline.Options options = LocalPipeline.Options.defaults()
                .withChunkLimits(new ChunkLimits(20, Long.MAX_VALUE)).withEnvironments(2, 2)
                .withSettings(inParts ? Map.of(PipelineConfig.MAX_OUTPUT_PARTS, "3") : Map.of());
        if (plan != null) {
            options = options.withDecorators(faultyWorker(plan), faultyWriter(plan, ConcurrentHashMap.newKeySet(), clients));
        }
        try (LocalPipeline pipeline = LocalPipeline.start(options)) {
            pipeline.publishModel(Samples.model("iris"));
            String key = pipeline.submit(input(), "iris");
            JobSummary summary = pipeline.awaitEnd(pipeline.jobIdFor(key), TIMEOUT).orElse(null);
            assertThat(text(pipeline, key)).as("input unchanged").isEqualTo(Files.readString(input()));
            return new Outcome(summary, predictions(pipeline, key), text(pipeline, JobKeys.errors(key)),
                    pipeline.store().list("output/"));
        } finally {
            clients.forEach(SqsClient::close);
        }
    }

    @Test
    void everyRowOnceInOrderWhateverFailsThroughTheLocalRuntime() throws IOException {
        Outcome clean = run(null, false);
        assertThat(clean.summary().state()).isEqualTo(JobState.SUCCEEDED);
        Outcome cleanInParts = run(null, true);
        assertThat(cleanInParts.summary().outputParts()).isNotNull();
        assertThat(cleanInParts.predictions()).isEqualTo(clean.predictions());

        Map<Fault, Integer> totals = new EnumMap<>(Fault.class);
        List<String> violations = new ArrayList<>();
        long rows = 0;
        for (long seed = 1; seed <= SEEDS; seed++) {
            FaultPlan plan = new FaultPlan(seed * 7919);
            boolean inParts = seed % 2 == 0; // every other case writes its predictions in parts
            Outcome o = run(plan, inParts);
            plan.injected().forEach((fault, n) -> totals.merge(fault, n, Integer::sum));
            if (o.summary() == null) {
                violations.add("seed " + seed + ": the job did not end within " + TIMEOUT);
            } else if (o.summary().state() == JobState.SUCCEEDED) {
                rows += o.summary().rowsIn();
                if (!o.predictions().equals(clean.predictions()) || !o.errors().equals(clean.errors())
                        || !o.outputs().equals((inParts ? cleanInParts : clean).outputs())) {
                    violations.add("seed " + seed + ": outputs differ from the clean run");
                }
            } else if (o.summary().reason() == FailureReason.OUTPUT_WRITE_FAILED) {
                // collation failed as often as a deployment allows (COLLATE_MAX_ATTEMPTS): only as many faults while
                // collating may do that, and what it left is whole: predictions only with their errors file
                int collationFaults = plan.injected().getOrDefault(Fault.DURING_COLLATION, 0)
                        + plan.injected().getOrDefault(Fault.S3_SLOW_DOWN, 0);
                if (collationFaults < Limits.DEFAULT_MAX_COLLATE_ATTEMPTS) {
                    violations.add("seed " + seed + ": OUTPUT_WRITE_FAILED after " + collationFaults
                            + " faults, fewer than the collation attempts");
                }
                if (!o.predictions().isEmpty() && !(o.predictions().equals(clean.predictions())
                        && o.errors().equals(clean.errors()))) {
                    violations.add("seed " + seed + ": OUTPUT_WRITE_FAILED left partial outputs");
                }
            } else if (o.summary().reason() != FailureReason.CHUNK_FAILED || !o.predictions().isEmpty()) {
                violations.add("seed " + seed + ": ended " + o.summary().reason() + " with predictions "
                        + !o.predictions().isEmpty());
            }
        }
        System.out.printf("fault injection through the local runtime: %d cases, %,d rows checked, %d violations, faults %s%n",
                SEEDS, rows, violations.size(), totals);
        assertThat(violations).isEmpty();
        assertThat(totals.values().stream().mapToInt(Integer::intValue).sum()).as("faults injected").isPositive();
    }

    /**
     * The predictions as a consumer reads them: the one object, or where a manifest was written, its parts in its order
     * with the header once, as the one object holds them.
     */
    private static String predictions(LocalPipeline pipeline, String key) {
        String manifest = JobKeys.predictionsManifest(key);
        if (pipeline.store().head(manifest).isEmpty()) {
            return text(pipeline, JobKeys.predictions(key));
        }
        return PredictionParts.csv(pipeline.store(), JsonCodec.read(PredictionParts.bytes(pipeline.store(), manifest),
                OutputManifest.class));
    }

    private static String text(LocalPipeline pipeline, String key) {
        try (InputStream in = pipeline.store().read(key)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (NoSuchKeyException e) {
            return "";
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
