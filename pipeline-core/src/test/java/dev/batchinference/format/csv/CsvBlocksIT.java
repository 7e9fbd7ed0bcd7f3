package dev.batchinference.format.csv;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link CsvBlocksTest}'s property at scale: 20,000 random quoted records read back whole, each once and in
 * order, at every pairing of block size and of how much a read of the input returns.
 */
class CsvBlocksIT {

    @Test
    void randomQuotedRecordsComeBackWholeAcrossManyBlocks() throws IOException {
        RandomCsv csv = RandomCsv.generate(11, 20_000);
        for (int blockBytes : new int[] {64, 1000, CsvBlocks.BLOCK_BYTES}) {
            for (int maxRead : new int[] {7, 4096, Integer.MAX_VALUE}) {
                assertReadsBack(csv, blockBytes, maxRead);
            }
        }
    }

    private static void assertReadsBack(RandomCsv csv, int blockBytes, int maxRead) throws IOException {
        byte[] body = csv.bodyBytes();
        SplittableRandom sizes = new SplittableRandom(maxRead);
        InputStream in = new FilterInputStream(new ByteArrayInputStream(body)) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return super.read(b, off, Math.min(len, 1 + sizes.nextInt(Math.min(maxRead, 1 << 20))));
            }
        };
        List<Integer> lengths = new ArrayList<>();

        assertThat(CsvBlocksTest.readInBlocks(in, blockBytes, lengths)).as("blocks of %d bytes, reads of up to %d", blockBytes, maxRead)
                .containsExactlyElementsOf(csv.records());
        // a block keeps the room it grew to for a long record, so small blocks become a little larger
        assertThat(lengths).as("the input is %d bytes", body.length).hasSizeGreaterThan(body.length / Math.max(blockBytes, 4096) / 2);
    }
}
