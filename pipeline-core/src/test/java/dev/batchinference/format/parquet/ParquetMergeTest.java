package dev.batchinference.format.parquet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.batchinference.testing.ParquetFiles;
import java.io.EOFException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.io.SeekableInputStream;
import org.apache.parquet.schema.MessageType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ParquetMergeTest {
    private static final MessageType SCHEMA = ParquetFiles.schema(
            "message Prediction { optional binary id (STRING); required binary label (STRING); required float prob_a; }");

    @TempDir
    Path dir;

    @Test
    void partsAreJoinedInOrderWithTheirRowGroupsCopiedAsTheyAre() throws Exception {
        Path first = part("first.parquet", 0, 3_000);
        Path second = part("second.parquet", 3_000, 2_000);
        Path merged = dir.resolve("merged.parquet");
        try (ParquetMerge merge = new ParquetMerge(new LocalOutputFile(merged))) {
            merge.append(first);
            merge.append(second);
        }
        List<Group> rows = ParquetFiles.read(merged);
        assertThat(rows).hasSize(5_000);
        for (int i : new int[] {0, 2_999, 3_000, 4_999}) {
            assertThat(rows.get(i).getString("id", 0)).isEqualTo("row-" + i);
            assertThat(rows.get(i).getFloat("prob_a", 0)).isEqualTo(i / 5_000f);
        }
    }

    @Test
    void everyReadOfAChannelInputFileGivesTheFilesBytesFromItsPosition() throws Exception {
        byte[] content = new byte[100_000];
        new Random(7).nextBytes(content);
        Path file = Files.write(dir.resolve("bytes.bin"), content);
        ChannelInputFile input = new ChannelInputFile(file);
        assertThat(input.getLength()).isEqualTo(content.length);
        try (SeekableInputStream in = input.newStream()) {
            in.seek(10);
            assertThat(in.read()).isEqualTo(content[10] & 0xFF);
            byte[] bulk = new byte[50_000];
            int n = in.read(bulk, 0, bulk.length);
            assertThat(n).isPositive();
            assertThat(ByteBuffer.wrap(bulk, 0, n)).isEqualTo(ByteBuffer.wrap(content, 11, n));
            assertThat(in.getPos()).isEqualTo(11 + n);
            in.seek(99_990);
            ByteBuffer tail = ByteBuffer.allocate(10);
            in.readFully(tail);
            assertThat(tail.flip()).isEqualTo(ByteBuffer.wrap(content, 99_990, 10));
            assertThat(in.read()).isEqualTo(-1);
            in.seek(99_995);
            assertThatThrownBy(() -> in.readFully(new byte[10])).isInstanceOf(EOFException.class)
                    .hasMessageContaining("5 bytes still to read");
        }
    }

    private Path part(String name, int from, int rows) throws Exception {
        Path file = dir.resolve(name);
        try (ParquetPredictionWriter out = new ParquetPredictionWriter(new LocalOutputFile(file), SCHEMA,
                CompressionCodecName.SNAPPY)) {
            for (int i = from; i < from + rows; i++) {
                out.write(new Object[] {"row-" + i}, "yes", new float[] {i / 5_000f}, 0);
            }
        }
        return file;
    }
}
