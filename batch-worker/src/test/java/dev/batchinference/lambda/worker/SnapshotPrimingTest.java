package dev.batchinference.lambda.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchinference.model.ModelCache;
import dev.batchinference.model.ModelStore;
import dev.batchinference.storage.InMemoryObjectStore;
import dev.batchinference.testing.Samples;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Before a SnapStart snapshot the named models are loaded into the worker's cache; a bad name is skipped. */
class SnapshotPrimingTest {
    @TempDir
    Path cache;

    @Test
    void theNamedModelsAreLoadedAndRunOnceAndAnUnknownOneIsSkipped() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        ModelStore models = new ModelStore(store, cache);
        Samples.publish(models, "iris");
        Samples.publish(models, "fraud");
        ModelCache loaded = new ModelCache();

        new SnapshotPriming(List.of("iris", "nosuchmodel"), models, loaded, 2048, 2_000).beforeCheckpoint(null);

        assertThat(loaded.size()).isEqualTo(1);
        assertThat(loaded.get(models.resolveCurrent("iris").ref(), null, () -> {
            throw new AssertionError("iris should be cached already");
        }).manifest().name()).isEqualTo("iris");
    }

    @Test
    void theModelsAreNamedCommaSeparatedInPrimeModels() {
        assertThat(SnapshotPriming.modelsFrom(Map.of("PRIME_MODELS", " fraud, iris ,,"))).containsExactly("fraud", "iris");
        assertThat(SnapshotPriming.modelsFrom(Map.of())).isEmpty();
    }
}
