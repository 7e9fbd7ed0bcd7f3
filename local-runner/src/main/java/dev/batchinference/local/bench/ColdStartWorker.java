package dev.batchinference.local.bench;

import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.batchinference.config.PipelineConfig;
import dev.batchinference.inference.ChunkWorker;
import dev.batchinference.inference.WorkerWarmUp;
import dev.batchinference.lambda.worker.BatchWorkerHandler;
import dev.batchinference.model.ModelCache;
import dev.batchinference.model.ModelStore;
import dev.batchinference.queue.InMemoryMessageSender;
import dev.batchinference.storage.InMemoryObjectStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Our cold start, run in a fresh JVM: the batch-worker's Lambda handler around an in-memory bucket,
 * given one SQS event holding a job's first chunk task; reports once that chunk is predicted and its
 * part written. The bucket (model, input, the job's plan) was prepared by the parent and is loaded
 * first: a few small objects, standing in for S3 (the report gives the milliseconds that took).
 * Arguments: the bucket file, the task file, an empty model cache folder (as a new Lambda's /tmp).
 */
public final class ColdStartWorker {
    private ColdStartWorker() {
    }

    public static void main(String[] args) throws Exception {
        long started = System.nanoTime();
        // as BatchWorkerHandler() does in Lambda: the warm-up first, then the collaborators (here the
        // in-memory bucket stands for the SDK clients it builds), then the first event
        WorkerWarmUp.start();
        InMemoryObjectStore store = BucketFile.read(Path.of(args[0]));
        long bucketLoadNanos = System.nanoTime() - started;
        String task = Files.readString(Path.of(args[1]));
        Path modelCache = Path.of(args[2]);

        InMemoryMessageSender resultsQueue = new InMemoryMessageSender();
        ChunkWorker worker = new ChunkWorker(store, new ModelStore(store, modelCache), new ModelCache(), resultsQueue,
                PipelineConfig.DEFAULT_INFERENCE_BATCH_ROWS);
        BatchWorkerHandler handler = new BatchWorkerHandler(worker);
        SQSEvent.SQSMessage message = new SQSEvent.SQSMessage();
        message.setMessageId("cold-start");
        message.setBody(task);
        SQSEvent event = new SQSEvent();
        event.setRecords(List.of(message));
        SQSBatchResponse response = handler.handleRequest(event, null);

        List<String> results = resultsQueue.sent();
        if (!response.getBatchItemFailures().isEmpty() || results.size() != 1 || !results.get(0).contains("CHUNK_DONE")) {
            System.err.println("the chunk was not predicted: failures " + response.getBatchItemFailures()
                    + ", results " + results);
            System.exit(1);
        }
        System.out.println(ChildJvm.REPORT + " " + bucketLoadNanos / 1_000_000);
        System.out.flush();
    }
}
