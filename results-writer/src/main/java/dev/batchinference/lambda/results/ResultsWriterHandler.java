package dev.batchinference.lambda.results;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.batchinference.aws.PipelineServices;
import dev.batchinference.config.PipelineConfig;
import dev.batchinference.observability.Invocation;
import dev.batchinference.observability.InvocationLog;
import dev.batchinference.queue.QueueBatch;
import dev.batchinference.queue.QueueMessage;
import dev.batchinference.results.JobCollator;
import dev.batchinference.results.ResultsQueueMessage;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * Lambda entry point: chunk results (and dead-lettered chunk tasks) → job progress → collated output
 * and summary. A message that cannot be handled now is reported and comes back later. Each invocation
 * writes one line: its structured log and its CloudWatch metrics (see {@link InvocationLog}).
 */
public final class ResultsWriterHandler implements RequestHandler<SQSEvent, SQSBatchResponse> {
    static final String FUNCTION = "results-writer";

    private final Supplier<JobCollator> newCollator;
    private final InvocationLog invocations;
    private JobCollator collator;

    /** Used by Lambda: everything from the environment. */
    public ResultsWriterHandler() {
        this(new PipelineServices(PipelineConfig.fromEnvironment()));
    }

    public ResultsWriterHandler(PipelineServices services) {
        this(services, "");
    }

    /**
     * As Lambda's, with owner ids that begin with {@code ownerPrefix}: how a local runtime marks its writers' locks
     * as its own, so that once its process has ended a restart can tell them from a live writer's.
     */
    public ResultsWriterHandler(PipelineServices services, String ownerPrefix) {
        // Made at the first invocation, not here, because of the random owner id that tells this writer's
        // collation locks from another's: with SnapStart, every execution environment is restored from
        // one snapshot of what the constructor made, and two writers must never share that id.
        this(() -> new JobCollator(services.store(), services.config().collateLease(), services.config().limits(),
                services.config().cost(), Clock.systemUTC(), ownerPrefix + "results-writer-" + UUID.randomUUID()),
                InvocationLog.fromEnvironment(FUNCTION, System.getenv()));
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
        Set<String> jobIds = new LinkedHashSet<>();
        List<String> ended = new ArrayList<>();
        QueueBatch.Result batch = QueueBatch.process(messagesOf(event),
                message -> processMessage(message, collator, line, jobIds, ended));
        line.count("messages", batch.messages()).count("retriedMessages", batch.failures().size());
        line.property("jobIds", List.copyOf(jobIds));
        if (!ended.isEmpty()) {
            line.property("jobsEnded", ended);
        }
        if (!batch.errors().isEmpty()) {
            line.property("errors", batch.errors());
        }
        line.emit();
        return responseOf(batch);
    }

    /** One message, its body read once; a job another writer is ending comes back later, quietly. */
    private static Optional<QueueBatch.ItemFailure> processMessage(QueueMessage message, JobCollator collator,
                                                                   Invocation line, Set<String> jobIds, List<String> ended) {
        ResultsQueueMessage read = ResultsQueueMessage.read(message.body());
        if (read.jobId() != null) {
            jobIds.add(read.jobId());
        }
        long started = System.nanoTime();
        JobCollator.Outcome outcome;
        try {
            outcome = collator.handle(read);
        } catch (JobCollator.JobBusyException e) {
            line.count("busyRetries", 1);
            return Optional.of(new QueueBatch.ItemFailure(message.id()));
        }
        line.count(metricOf(outcome), 1);
        if (outcome == JobCollator.Outcome.SUCCEEDED || outcome == JobCollator.Outcome.FAILED) {
            line.millis("collateMs", (System.nanoTime() - started) / 1_000_000);
            ended.add(read.jobId() + " " + outcome.name());
        }
        return Optional.empty();
    }

    private static List<QueueMessage> messagesOf(SQSEvent event) {
        return event.getRecords().stream().map(m -> new QueueMessage(m.getMessageId(), m.getBody())).toList();
    }

    private static SQSBatchResponse responseOf(QueueBatch.Result batch) {
        return new SQSBatchResponse(batch.failures().stream()
                .map(f -> new SQSBatchResponse.BatchItemFailure(f.messageId())).toList());
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
}
