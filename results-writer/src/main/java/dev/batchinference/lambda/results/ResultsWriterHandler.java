package dev.batchinference.lambda.results;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.batchinference.aws.PipelineServices;
import dev.batchinference.config.PipelineConfig;
import dev.batchinference.json.JsonCodec;
import dev.batchinference.observability.Invocation;
import dev.batchinference.observability.InvocationLog;
import dev.batchinference.results.JobCollator;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lambda entry point: chunk results (and dead-lettered chunk tasks) → job progress → collated output
 * and summary. A message that cannot be handled now is reported and comes back later. Each invocation
 * writes one line: its structured log and its CloudWatch metrics (see {@link InvocationLog}).
 */
public final class ResultsWriterHandler implements RequestHandler<SQSEvent, SQSBatchResponse> {
    static final String FUNCTION = "results-writer";
    private static final Logger LOG = LoggerFactory.getLogger(ResultsWriterHandler.class);

    private final Supplier<JobCollator> newCollator;
    private final InvocationLog invocations;
    private JobCollator collator;

    /** Used by Lambda: everything from the environment. */
    public ResultsWriterHandler() {
        this(new PipelineServices(PipelineConfig.fromEnvironment()));
    }

    public ResultsWriterHandler(PipelineServices services) {
        // Made at the first invocation, not here, because of the random owner id that tells this writer's
        // collation locks from another's: with SnapStart, every execution environment is restored from
        // one snapshot of what the constructor made, and two writers must never share that id.
        this(() -> new JobCollator(services.store(), services.config().collateLease(), services.config().limits(),
                Clock.systemUTC(),
                "results-writer-" + UUID.randomUUID()), InvocationLog.fromEnvironment(FUNCTION, System.getenv()));
    }

    public ResultsWriterHandler(JobCollator collator) {
        this(collator, InvocationLog.fromEnvironment(FUNCTION, System.getenv()));
    }

    public ResultsWriterHandler(JobCollator collator, InvocationLog invocations) {
        this(() -> collator, invocations);
    }

    private ResultsWriterHandler(Supplier<JobCollator> newCollator, InvocationLog invocations) {
        this.newCollator = newCollator;
        this.invocations = invocations;
    }

    private synchronized JobCollator collator() {
        if (collator == null) {
            collator = newCollator.get();
        }
        return collator;
    }

    @Override
    public SQSBatchResponse handleRequest(SQSEvent event, Context context) {
        Invocation line = invocations.start(context == null ? null : context.getAwsRequestId());
        JobCollator collator = collator();
        List<SQSBatchResponse.BatchItemFailure> failures = new ArrayList<>();
        Set<String> jobIds = new LinkedHashSet<>();
        List<String> ended = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        for (SQSEvent.SQSMessage message : event.getRecords()) {
            String jobId = jobIdOf(message.getBody());
            if (jobId != null) {
                jobIds.add(jobId);
            }
            long started = System.nanoTime();
            try {
                JobCollator.Outcome outcome = collator.handle(message.getBody());
                line.count(metricOf(outcome), 1);
                if (outcome == JobCollator.Outcome.SUCCEEDED || outcome == JobCollator.Outcome.FAILED) {
                    line.millis("collateMs", (System.nanoTime() - started) / 1_000_000);
                    ended.add(jobId + " " + outcome.name());
                }
            } catch (JobCollator.JobBusyException e) {
                line.count("busyRetries", 1);
                failures.add(new SQSBatchResponse.BatchItemFailure(message.getMessageId()));
            } catch (RuntimeException e) {
                LOG.warn("message {} will be retried: {}", message.getMessageId(), e.toString());
                failures.add(new SQSBatchResponse.BatchItemFailure(message.getMessageId()));
                errors.add(e.getClass().getSimpleName()); // the type only: a message could quote the input
            }
        }
        line.count("messages", event.getRecords().size()).count("retriedMessages", failures.size());
        line.property("jobIds", List.copyOf(jobIds));
        if (!ended.isEmpty()) {
            line.property("jobsEnded", ended);
        }
        if (!errors.isEmpty()) {
            line.property("errors", errors);
        }
        line.emit();
        return new SQSBatchResponse(failures);
    }

    /** RECORDED → chunksRecorded, SUCCEEDED → jobsSucceeded, ALREADY_ENDED → alreadyEnded, ... */
    private static String metricOf(JobCollator.Outcome outcome) {
        return switch (outcome) {
            case RECORDED -> "chunksRecorded";
            case SUCCEEDED -> "jobsSucceeded";
            case FAILED -> "jobsFailed";
            case ALREADY_ENDED -> "alreadyEnded";
            case IGNORED -> "ignored";
        };
    }

    /** The job a message is about, for the line; null when the body is not the JSON it should be. */
    private static String jobIdOf(String body) {
        try {
            return JsonCodec.mapper().readTree(body).path("jobId").asText(null);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
