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
import dev.batchinference.queue.QueueBatch;
import dev.batchinference.queue.QueueMessage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.crac.Core;

/**
 * Lambda entry point: a batch of chunk tasks from the work queue → a predictions part per chunk.
 * Only the messages that failed are reported, so only they are retried. Each invocation writes one
 * line: its structured log and its CloudWatch metrics (see {@link InvocationLog}).
 */
public final class BatchWorkerHandler implements RequestHandler<SQSEvent, SQSBatchResponse> {
    static {
        // first of all, before logging initialises (~0.1 s): ONNX Runtime and the rest load on
        // another thread (ONNX Runtime's native library is the longest part of a cold start) while the SDK
        // clients are built on this one
        WorkerWarmUp.start();
    }

    static final String FUNCTION = "batch-worker";
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
        List<Map<String, Object>> chunks = new ArrayList<>();
        QueueBatch.Result batch = QueueBatch.process(messagesOf(event), message -> processMessage(message, line, chunks));
        line.count("messages", batch.messages()).count("retriedMessages", batch.failures().size());
        if (chunks.size() == 1) {
            chunks.get(0).forEach(line::property);
        } else if (!chunks.isEmpty()) {
            line.property("chunks", chunks);
        }
        if (!batch.errors().isEmpty()) {
            line.property("errors", batch.errors());
        }
        line.emit();
        return responseOf(batch);
    }

    /** One chunk task; a failure worth retrying is thrown (and so reported), a permanent one was sent on. */
    private Optional<QueueBatch.ItemFailure> processMessage(QueueMessage message, Invocation line,
                                                            List<Map<String, Object>> chunks) {
        chunks.add(record(line, worker.process(message.body())));
        return Optional.empty();
    }

    private static List<QueueMessage> messagesOf(SQSEvent event) {
        return event.getRecords().stream().map(m -> new QueueMessage(m.getMessageId(), m.getBody())).toList();
    }

    private static SQSBatchResponse responseOf(QueueBatch.Result batch) {
        return new SQSBatchResponse(batch.failures().stream()
                .map(f -> new SQSBatchResponse.BatchItemFailure(f.messageId())).toList());
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
