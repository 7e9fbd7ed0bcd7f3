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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lambda entry point: chunk results (and dead-lettered chunk tasks) → job progress → collated output
 * and summary. A message that cannot be handled now is reported and comes back later.
 */
public final class ResultsWriterHandler implements RequestHandler<SQSEvent, SQSBatchResponse> {
    private static final Logger LOG = LoggerFactory.getLogger(ResultsWriterHandler.class);

    private final JobCollator collator;

    /** Used by Lambda: everything from the environment. */
    public ResultsWriterHandler() {
        this(new PipelineServices(PipelineConfig.fromEnvironment()));
    }

    public ResultsWriterHandler(PipelineServices services) {
        this(new JobCollator(services.store(), services.config().collateLease(), services.config().limits(),
                Clock.systemUTC(),
                "results-writer-" + UUID.randomUUID()));
    }

    public ResultsWriterHandler(JobCollator collator) {
        this.collator = collator;
    }

    @Override
    public SQSBatchResponse handleRequest(SQSEvent event, Context context) {
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
