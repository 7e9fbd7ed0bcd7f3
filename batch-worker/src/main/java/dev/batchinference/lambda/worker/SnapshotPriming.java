package dev.batchinference.lambda.worker;

import dev.batchinference.inference.ChunkPriming;
import dev.batchinference.inference.WorkerWarmUp;
import dev.batchinference.model.ModelCache;
import dev.batchinference.model.ModelStore;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.crac.Context;
import org.crac.Resource;

/**
 * With SnapStart, what runs just before the snapshot: the warm-up finishes, and the models named in
 * {@value #VARIABLE} (comma-separated) are loaded at their current version, run once on a batch of zeros
 * and then on generated chunks of every input format ({@link ChunkPriming}), so every environment restored
 * from the snapshot starts with their sessions ready and the chunk path compiled. Without
 * SnapStart (or CRaC) nothing calls it.
 */
final class SnapshotPriming implements Resource {
    static final String VARIABLE = "PRIME_MODELS";

    private final List<String> models;
    private final ModelStore store;
    private final ModelCache cache;
    private final int batchRows;
    private final int chunkRows;

    SnapshotPriming(List<String> models, ModelStore store, ModelCache cache, int batchRows) {
        this(models, store, cache, batchRows, ChunkPriming.DEFAULT_ROWS);
    }

    /** With generated chunks of {@code chunkRows} rows: fewer than the default make a quicker, less thorough priming. */
    SnapshotPriming(List<String> models, ModelStore store, ModelCache cache, int batchRows, int chunkRows) {
        this.models = models;
        this.store = store;
        this.cache = cache;
        this.batchRows = batchRows;
        this.chunkRows = chunkRows;
    }

    /** The model names in {@value #VARIABLE}, blanks dropped. */
    static List<String> modelsFrom(Map<String, String> env) {
        return Arrays.stream(env.getOrDefault(VARIABLE, "").split(",")).map(String::strip).filter(s -> !s.isEmpty())
                .toList();
    }

    @Override
    public void beforeCheckpoint(Context<? extends Resource> context) throws InterruptedException {
        WorkerWarmUp.await();
        WorkerWarmUp.primeModels(models, store, cache, batchRows, chunkRows);
    }

    @Override
    public void afterRestore(Context<? extends Resource> context) {
        // nothing to renew: the worker holds no random ids or timestamps from before the snapshot
    }
}
