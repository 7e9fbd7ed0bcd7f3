package dev.batchinference.lambda.worker;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.batchinference.aws.PipelineServices;
import dev.batchinference.config.PipelineConfig;
import dev.batchinference.inference.ChunkOutcome;
import dev.batchinference.inference.ChunkWorker;
import dev.batchinference.inference.WorkerWarmUp;
import dev.batchinference.job.ChunkResult;
import dev.batchinference.model.ModelCache;
import dev.batchinference.observability.Invocation;
import dev.batchinference.observability.InvocationLog;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.crac.Core;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lambda entry point: a batch of chunk tasks from the work queue → a predictions part per chunk.
 * Only the messages that failed are reported, so only they are retried. Each invocation writes one
 * line: its structured log and its CloudWatch metrics (see {@link InvocationLog}).
 */
public final class BatchWorkerHandler implements RequestHandler<SQSEvent, SQSBatchResponse> {
    static {
        // first of all, before this class initialises logging (~0.1 s): ONNX Runtime and the rest load on
        // another thread (ONNX Runtime's native library is the longest part of a cold start) while the SDK
        // clients are built on this one
        WorkerWarmUp.start();
    }

    static final String FUNCTION = "batch-worker";
    private static final Logger LOG = LoggerFactory.getLogger(BatchWorkerHandler.class);
    /** Loaded models outlive invocations: a warm function reuses its sessions. */
    private static final ModelCache MODELS = new ModelCache();

    private final ChunkWorker worker;
    private final InvocationLog invocations;
    /** Held here: CRaC keeps only weak references to what is registered. */
    @SuppressWarnings({"unused", "FieldCanBeLocal"})
    private SnapshotPriming priming;

    /** Used by Lambda: everything from the environment. */
    public BatchWorkerHandler() {
        this(new PipelineServices(PipelineConfig.fromEnvironment()), System.getenv());
    }

    private BatchWorkerHandler(PipelineServices services, Map<String, String> env) {
        this(services);
        priming = new SnapshotPriming(SnapshotPriming.modelsFrom(env), services.models(), MODELS,
                services.config().inferenceBatchRows());
        Core.getGlobalContext().register(priming);
    }

    public BatchWorkerHandler(PipelineServices services) {
        this(new ChunkWorker(services.store(), services.models(), MODELS, services.resultsQueue(),
                services.config().inferenceBatchRows()));
    }

    public BatchWorkerHandler(ChunkWorker worker) {
        this(worker, InvocationLog.fromEnvironment(FUNCTION, System.getenv()));
    }

    public BatchWorkerHandler(ChunkWorker worker, InvocationLog invocations) {
        this.worker = worker;
        this.invocations = invocations;
    }

    @Override
    public SQSBatchResponse handleRequest(SQSEvent event, Context context) {
        Invocation line = invocations.start(context == null ? null : context.getAwsRequestId());
        List<SQSBatchResponse.BatchItemFailure> failures = new ArrayList<>();
        List<Map<String, Object>> chunks = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        for (SQSEvent.SQSMessage message : event.getRecords()) {
            try {
                chunks.add(record(line, worker.process(message.getBody())));
            } catch (RuntimeException e) {
                LOG.warn("message {} will be retried: {}", message.getMessageId(), e.toString());
                failures.add(new SQSBatchResponse.BatchItemFailure(message.getMessageId()));
                errors.add(e.getClass().getSimpleName()); // the type only: a message could quote the input
            }
        }
        line.count("messages", event.getRecords().size()).count("retriedMessages", failures.size());
        if (chunks.size() == 1) {
            chunks.get(0).forEach(line::property);
        } else if (!chunks.isEmpty()) {
            line.property("chunks", chunks);
        }
        if (!errors.isEmpty()) {
            line.property("errors", errors);
        }
        line.emit();
        return new SQSBatchResponse(failures);
    }

    /** The chunk's counts and times into the line; its ids and outcome returned as properties. */
    private static Map<String, Object> record(Invocation line, ChunkOutcome outcome) {
        Map<String, Object> chunk = new LinkedHashMap<>();
        chunk.put("jobId", outcome.jobId());
        chunk.put("chunk", outcome.chunk());
        chunk.put("outcome", outcome.status().name());
        if (outcome.reason() != null) {
            chunk.put("reason", outcome.reason().name());
        }
        ChunkResult r = outcome.result();
        if (r != null) {
            line.count("rowsIn", r.rowsIn()).count("rowsOut", r.rowsOut()).count("rowsRejected", r.rowsRejected())
                    .millis("modelLoadMs", r.modelLoadMs()).millis("parseMs", r.parseMs())
                    .millis("inferMs", r.inferMs()).millis("writeMs", r.writeMs()).millis("chunkMs", r.totalMs());
        }
        return chunk;
    }
}
