package dev.batchinference.worker;

import ai.onnxruntime.OrtEnvironment;
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.batchinference.config.PipelineConfig;
import dev.batchinference.config.PipelineServices;
import dev.batchinference.inference.ChunkWorker;
import dev.batchinference.model.ModelCache;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lambda entry point: a batch of chunk tasks from the work queue → a predictions part per chunk.
 * Only the messages that failed are reported, so only they are retried.
 */
public final class BatchWorkerHandler implements RequestHandler<SQSEvent, SQSBatchResponse> {
    private static final Logger LOG = LoggerFactory.getLogger(BatchWorkerHandler.class);
    /** Loaded models outlive invocations: a warm function reuses its sessions. */
    private static final ModelCache MODELS = new ModelCache();

    private final ChunkWorker worker;

    /** Used by Lambda: everything from the environment. */
    public BatchWorkerHandler() {
        this(new PipelineServices(PipelineConfig.fromEnvironment()));
        // ONNX Runtime's native library is loaded now, in the function's init phase, rather than by the
        // first chunk: with SnapStart it is then part of the snapshot every environment starts from.
        OrtEnvironment.getEnvironment();
    }

    public BatchWorkerHandler(PipelineServices services) {
        this(new ChunkWorker(services.store(), services.models(), MODELS, services.resultsQueue(),
                services.config().inferenceBatchRows()));
    }

    public BatchWorkerHandler(ChunkWorker worker) {
        this.worker = worker;
    }

    @Override
    public SQSBatchResponse handleRequest(SQSEvent event, Context context) {
        List<SQSBatchResponse.BatchItemFailure> failures = new ArrayList<>();
        for (SQSEvent.SQSMessage message : event.getRecords()) {
            try {
                worker.process(message.getBody());
            } catch (RuntimeException e) {
                LOG.warn("message {} will be retried: {}", message.getMessageId(), e.toString());
                failures.add(new SQSBatchResponse.BatchItemFailure(message.getMessageId()));
            }
        }
        return new SQSBatchResponse(failures);
    }
}
