package dev.batchinference.results;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.batchinference.config.PipelineConfig;
import dev.batchinference.config.PipelineServices;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lambda entry point: chunk results (and dead-lettered chunk tasks) → job progress → collated output
 * and summary. A message that cannot be handled now is reported and comes back later.
 */
public final class ResultsWriterHandler implements RequestHandler<SQSEvent, SQSBatchResponse> {
    private static final Logger LOG = LoggerFactory.getLogger(ResultsWriterHandler.class);

    private final Supplier<JobCollator> newCollator;
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
                "results-writer-" + UUID.randomUUID()));
    }

    public ResultsWriterHandler(JobCollator collator) {
        this(() -> collator);
    }

    private ResultsWriterHandler(Supplier<JobCollator> newCollator) {
        this.newCollator = newCollator;
    }

    private synchronized JobCollator collator() {
        if (collator == null) {
            collator = newCollator.get();
        }
        return collator;
    }

    @Override
    public SQSBatchResponse handleRequest(SQSEvent event, Context context) {
        JobCollator collator = collator();
        List<SQSBatchResponse.BatchItemFailure> failures = new ArrayList<>();
        for (SQSEvent.SQSMessage message : event.getRecords()) {
            try {
                collator.handle(message.getBody());
            } catch (RuntimeException e) {
                LOG.warn("message {} will be retried: {}", message.getMessageId(), e.toString());
                failures.add(new SQSBatchResponse.BatchItemFailure(message.getMessageId()));
            }
        }
        return new SQSBatchResponse(failures);
    }
}
