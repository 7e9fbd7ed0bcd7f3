package dev.batchinference.format.csv;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchinference.format.ByteBlock;
import dev.batchinference.format.ColumnMapping;
import dev.batchinference.format.RowBlocks;
import dev.batchinference.format.RowReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Blocks hold whole records: read block by block, the rows are the chunk's records, each once, in order.
 * {@link CsvBlocksIT} checks the same on 20,000 random records at many block and read sizes.
 */
class CsvBlocksTest {
    private static final ColumnMapping MAPPING = ColumnMapping.of(RandomCsv.COLUMNS, List.of("b", "a"), List.of("id", "note"));

    static List<String> readInBlocks(InputStream in, int blockBytes, List<Integer> blockLengths) throws IOException {
        RowBlocks blocks = new CsvRowReader(in, ',', MAPPING).blocks(blockBytes);
        List<String> rows = new ArrayList<>();
        FloatBuffer tensor = FloatBuffer.allocate(2);
        Object[] pass = new Object[2];
        ByteBlock block = new ByteBlock(16);
        while (blocks.fill(block)) {
            blockLengths.add(block.length());
            RowReader reader = blocks.rows(block);
            while (reader.next()) {
                RowReader.Rejection rejection = reader.readFeatures(tensor, 0);
                reader.readPassThrough(pass);
                rows.add(rejection != null ? pass[0] + "|REJECT " + rejection.reason()
                        : pass[0] + "|" + pass[1] + "|" + tensor.get(0) + "|" + tensor.get(1));
            }
        }
        return rows;
    }

    @Test
    void aRecordLongerThanABlockGrowsItsBlock() throws IOException {
        String longNote = "y".repeat(3 * CsvBlocks.BLOCK_BYTES);
        String text = "1,1,2,short\n2,3,4,\"" + longNote + "\"\n3,5,6,\"last, unterminated line\"";
        List<Integer> lengths = new ArrayList<>();

        List<String> rows = readInBlocks(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)),
                CsvBlocks.BLOCK_BYTES, lengths);

        assertThat(rows).containsExactly("1|short|2.0|1.0", "2|" + longNote + "|4.0|3.0", "3|last, unterminated line|6.0|5.0");
        assertThat(lengths.stream().mapToInt(Integer::intValue).max().orElseThrow()).isGreaterThan(3 * CsvBlocks.BLOCK_BYTES);
    }

    @Test
    void aWholeFileOfUnknownSizeIsReadInFullSizeBlocksAndASmallChunkInOneOfItsSize() throws IOException {
        StringBuilder text = new StringBuilder();
        for (int i = 0; text.length() < 3 * CsvBlocks.BLOCK_BYTES; i++) {
            text.append(i).append(",1.5,2.5,note ").append(i).append('\n');
        }
        byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);

        RowBlocks whole = new CsvRowReader(new ByteArrayInputStream(bytes), ',', MAPPING).blocks().orElseThrow();
        RowBlocks chunk = new CsvRowReader(new ByteArrayInputStream(bytes, 0, 5000), ',', MAPPING, 5000).blocks().orElseThrow();

        ByteBlock block = new ByteBlock(16);
        assertThat(whole.fill(block)).isTrue();
        // cut at the last line break within the block: at most one record short of it
        assertThat(block.length()).isBetween(CsvBlocks.BLOCK_BYTES - 64, CsvBlocks.BLOCK_BYTES);
        assertThat(chunk.fill(block)).isTrue();
        assertThat(block.length()).isBetween(5000 - 64, 5000);
    }

    @Test
    void blocksAreOnlyOfferedBeforeTheFirstRow() throws IOException {
        CsvRowReader reader = new CsvRowReader(new ByteArrayInputStream("1,2,3,x\n".getBytes(StandardCharsets.UTF_8)), ',',
                MAPPING);
        reader.next();

        org.assertj.core.api.Assertions.assertThatThrownBy(reader::blocks).isInstanceOf(IllegalStateException.class);
    }
}
