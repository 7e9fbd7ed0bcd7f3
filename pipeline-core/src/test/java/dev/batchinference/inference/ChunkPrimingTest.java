package dev.batchinference.inference;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchinference.model.ModelStore;
import dev.batchinference.model.OnnxModel;
import dev.batchinference.testing.Samples;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class ChunkPrimingTest {
    @Test
    void predictsEveryRowOfEveryFormatIntoBothOutputsAndLeavesNoFilesBehind() throws Exception {
        ModelStore.LocalModel local = ModelStore.readLocal(Samples.model("fraud"));
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        long before = primingFolders(tmp);
        try (OnnxModel model = OnnxModel.load(local.onnxFile(), local.manifest())) {
            // 4 input formats (CSV, TSV, gzip'd CSV, Parquet) × 2 outputs (CSV, Parquet) × 2 rounds
            assertThat(ChunkPriming.run(model, 512, 3_000, 2)).isEqualTo(3_000L * 4 * 2 * 2);
        }
        assertThat(primingFolders(tmp)).isEqualTo(before);
    }

    private static long primingFolders(Path tmp) throws Exception {
        try (Stream<Path> entries = Files.list(tmp)) {
            return entries.filter(p -> p.getFileName().toString().startsWith("chunk-priming-")).count();
        }
    }
}
