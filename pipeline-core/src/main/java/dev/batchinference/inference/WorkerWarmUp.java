package dev.batchinference.inference;

import dev.batchinference.format.ChunkRange;
import dev.batchinference.model.OnnxEnvironment;
import dev.batchinference.job.ChunkResult;
import dev.batchinference.job.ChunkTask;
import dev.batchinference.job.ResultMessage;
import dev.batchinference.json.RecordJson;
import dev.batchinference.layout.Formats;
import dev.batchinference.model.ModelCache;
import dev.batchinference.model.ModelStore;
import dev.batchinference.model.OnnxModel;
import dev.batchinference.observability.InvocationLog;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a worker's first chunk would otherwise load on its own critical path, loaded on another thread
 * while the function initialises: ONNX Runtime's native library, the messages' JSON (jackson-core's
 * parser and generator), the CSV reader and writer, the invocation line. Class loading in a fresh
 * JVM, which then overlaps the SDK clients' creation and the first chunk's reads. Started once per
 * process; {@link #await} before a SnapStart snapshot, so the snapshot holds all of it.
 */
public final class WorkerWarmUp {
    private static final AtomicReference<Thread> STARTED = new AtomicReference<>();

    private WorkerWarmUp() {
    }

    /** Starts the warm-up on a daemon thread, the first time only. */
    public static void start() {
        Thread thread = new Thread(WorkerWarmUp::run, "worker-warm-up");
        thread.setDaemon(true);
        if (STARTED.compareAndSet(null, thread)) {
            thread.start();
        }
    }

    /** Waits for the warm-up, if one was started. */
    public static void await() throws InterruptedException {
        Thread thread = STARTED.get();
        if (thread != null) {
            thread.join();
        }
    }

    static void run() {
        try {
            OnnxEnvironment.get();
            String task = RecordJson.write(ChunkTask.of("warm-up", new ChunkRange(0, 0, 1, 1L)));
            RecordJson.read(task, ChunkTask.class);
            RecordJson.write(ResultMessage.chunkDone("warm-up", new ChunkResult(0, 1, 1, 0, 0, 0, 0)));
            Formats.warmUp();
            InvocationLog.to("warm-up", InvocationLog.DEFAULT_NAMESPACE, line -> { }).start(null).count("rows", 1).emit();
        } catch (RuntimeException | LinkageError e) {
            log().warn("warm-up stopped early (the first chunk will load what is left): {}", e.toString());
        }
    }

    /** Not a static field: initialising the logging backend (~0.1 s) would delay {@link #start}. */
    private static Logger log() {
        return LoggerFactory.getLogger(WorkerWarmUp.class);
    }

    /**
     * Loads the current version of each named model into the cache, predicts one batch of zeros with it,
     * then generated chunks of every input format ({@link ChunkPriming}): for a SnapStart snapshot, so that
     * restored environments start with the session made and the chunk path's hot code compiled. A model that cannot be primed is logged and left to load with its first chunk.
     */
    public static void primeModels(List<String> names, ModelStore models, ModelCache cache, int batchRows) {
        primeModels(names, models, cache, batchRows, ChunkPriming.DEFAULT_ROWS);
    }

    /** As {@link #primeModels(List, ModelStore, ModelCache, int)}, with chunks of {@code chunkRows} generated rows. */
    public static void primeModels(List<String> names, ModelStore models, ModelCache cache, int batchRows, int chunkRows) {
        for (String name : names) {
            try {
                ModelStore.ResolvedModel current = models.resolveCurrent(name);
                OnnxModel model = cache.get(current.ref(), current.manifest(), () -> models.loadVerified(current.ref(),
                        current.manifest()));
                FloatBuffer zeros = ByteBuffer.allocateDirect(batchRows * model.featureCount() * Float.BYTES)
                        .order(ByteOrder.nativeOrder()).asFloatBuffer();
                model.predict(zeros, batchRows);
                long started = System.nanoTime();
                ChunkPriming.run(model, batchRows, chunkRows, ChunkPriming.DEFAULT_ROUNDS);
                log().info("model {} version {} primed, with chunks of every format in {} ms", name,
                        current.ref().version(), (System.nanoTime() - started) / 1_000_000);
            } catch (RuntimeException e) {
                log().warn("model {} was not primed: {}", name, e.toString());
            }
        }
    }
}
