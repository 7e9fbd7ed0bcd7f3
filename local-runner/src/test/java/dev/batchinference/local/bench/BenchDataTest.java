package dev.batchinference.local.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchinference.format.ChunkLimits;
import dev.batchinference.format.parquet.ParquetPlanner;
import dev.batchinference.testing.ParquetFiles;
import dev.batchinference.testing.Samples;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.io.LocalInputFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchDataTest {
    @TempDir
    Path dir;

    @Test
    void generatesTheSameRowsEveryTimeAsCsvAndAsParquet() throws Exception {
        Path first = new BenchData(Samples.root(), dir.resolve("a")).csv(12_000);
        Path second = new BenchData(Samples.root(), dir.resolve("b")).csv(12_000);
        Path parquet = new BenchData(Samples.root(), dir.resolve("a")).parquet(12_000);

        assertThat(Files.mismatch(first, second)).isEqualTo(-1);
        List<String> lines = Files.readAllLines(first);
        assertThat(lines.get(0)).isEqualTo(Files.readAllLines(Samples.data("transactions.csv")).get(0));
        assertThat(lines).hasSize(12_001);
        assertThat(lines.get(12_000)).startsWith("txn-000012000,");

        assertThat(new ParquetPlanner(new ChunkLimits(Long.MAX_VALUE, Long.MAX_VALUE), Long.MAX_VALUE)
                .plan(new LocalInputFile(parquet)).rows()).isEqualTo(12_000);
        List<String> idAndChannel = new ArrayList<>();
        List<Group> rows = ParquetFiles.read(parquet);
        for (int i = 0; i < 3; i++) {
            idAndChannel.add(rows.get(i).getString("id", 0) + "," + rows.get(i).getString("channel", 0));
        }
        for (int i = 0; i < 3; i++) {
            String[] cells = lines.get(i + 1).split(",");
            assertThat(idAndChannel.get(i)).isEqualTo(cells[0] + "," + cells[cells.length - 1]);
        }
    }

    @Test
    void reusesAFileGeneratedBefore() throws Exception {
        BenchData data = new BenchData(Samples.root(), dir);
        Path csv = data.csv(100);
        Files.writeString(csv, "kept\n");

        assertThat(Files.readString(data.csv(100))).isEqualTo("kept\n");
    }
}
