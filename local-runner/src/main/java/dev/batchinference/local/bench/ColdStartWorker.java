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
 * A fresh worker JVM, as a new Lambda execution environment: the batch-worker's Lambda handler around an
 * in-memory bucket, given one SQS event holding a job's chunk task, then the same task again in the same
 * JVM, as that environment's later invocations (the bucket reloaded for each, so the chunk is done anew).
 * The bucket (model, input, the job's plan) was prepared by the parent and is loaded first, standing in
 * for S3. Reports the milliseconds the bucket took to load, then each invocation's milliseconds.
 * Arguments: the bucket file, the task file, an empty model cache folder (as a new Lambda's /tmp), the
 * number of invocations, and optionally a model's name to prime first as a SnapStart snapshot is primed
 * ({@link WorkerWarmUp#primeModels}: the model's session and generated chunks of every format) with the
 * generated chunks' rows; the priming's milliseconds are then reported after the bucket's.
 */
public final class ColdStartWorker {
    private ColdStartWorker() {
    }

    public static void main(String[] args) throws Exception {
        long started = System.nanoTime();
        // as BatchWorkerHandler() does in Lambda: the warm-up first, then the collaborators (here the
        // in-memory bucket stands for the SDK clients it builds), then the first event
        WorkerWarmUp.start();
        Path bucket = Path.of(args[0]);
        InMemoryObjectStore store = BucketFile.read(bucket);
        long bucketLoadNanos = System.nanoTime() - started;
        String task = Files.readString(Path.of(args[1]));
        Path modelCache = Path.of(args[2]);
        int invocations = Integer.parseInt(args[3]);
        ModelCache sessions = new ModelCache();

        StringBuilder report = new StringBuilder(ChildJvm.REPORT).append(' ').append(bucketLoadNanos / 1_000_000);
        if (args.length > 4) {
            long priming = System.nanoTime();
            WorkerWarmUp.await();
            WorkerWarmUp.primeModels(List.of(args[4]), new ModelStore(store, modelCache), sessions,
                    PipelineConfig.DEFAULT_INFERENCE_BATCH_ROWS, Integer.parseInt(args[5]));
            report.append(' ').append((System.nanoTime() - priming) / 1_000_000);
        }
        for (int i = 0; i < invocations; i++) {
            if (i > 0) {
                store = BucketFile.read(bucket);
            }
            InMemoryMessageSender resultsQueue = new InMemoryMessageSender();
            ChunkWorker worker = new ChunkWorker(store, new ModelStore(store, modelCache), sessions, resultsQueue,
                    PipelineConfig.DEFAULT_INFERENCE_BATCH_ROWS);
            BatchWorkerHandler handler = new BatchWorkerHandler(worker);
            SQSEvent.SQSMessage message = new SQSEvent.SQSMessage();
            message.setMessageId("cold-start-" + i);
            message.setBody(task);
            SQSEvent event = new SQSEvent();
            event.setRecords(List.of(message));
            long invoked = System.nanoTime();
            SQSBatchResponse response = handler.handleRequest(event, null);
            long invocationNanos = System.nanoTime() - invoked;
            List<String> results = resultsQueue.sent();
            if (!response.getBatchItemFailures().isEmpty() || results.size() != 1
                    || !results.get(0).contains("CHUNK_DONE")) {
                System.err.println("the chunk was not predicted: failures " + response.getBatchItemFailures()
                        + ", results " + results);
                System.exit(1);
            }
            // the result message, with the chunk's parse, infer and write times: for whoever runs the probe by hand
            System.out.println("bench-chunk " + i + " " + results.get(0));
            report.append(' ').append(String.format(java.util.Locale.ROOT, "%.1f", invocationNanos / 1e6));
            if (i == 0) {
                // the line the parent times a fresh worker's first chunk by
                System.out.println(ChildJvm.MARK + " first-chunk");
                System.out.flush();
            }
        }
        System.out.println(report);
        System.out.flush();
    }
}
