package dev.batchinference.format.csv;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchinference.config.PipelineConfig;
import dev.batchinference.format.ChunkLimits;
import dev.batchinference.format.ChunkRange;
import dev.batchinference.format.ColumnMapping;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Chunks cut by the planner hold whole records: read one by one, they give every record once, in order. */
class CsvChunkPlannerTest {

    @Test
    void chunksOfRandomQuotedRecordsReadBackAsTheRecordsWhateverTheReadSizes() throws IOException {
        RandomCsv csv = RandomCsv.generate(7, 4000);
        byte[] file = csv.fileBytes();
        for (int maxRead : new int[] {5, 8, 100, 70_000}) {
            SplittableRandom sizes = new SplittableRandom(maxRead);
            InputStream in = new FilterInputStream(new ByteArrayInputStream(file)) {
                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    return super.read(b, off, Math.min(len, 1 + sizes.nextInt(maxRead)));
                }
            };
            CsvChunkPlanner.CsvPlan plan = new CsvChunkPlanner(new ChunkLimits(333, 20_000), null,
                    PipelineConfig.Limits.DEFAULT_MAX_RECORD_BYTES, Long.MAX_VALUE).plan(in);

            assertThat(plan.header()).containsExactlyElementsOf(RandomCsv.COLUMNS);
            assertThat(plan.records()).isEqualTo(csv.records().size());
            assertThat(plan.chunks()).hasSizeGreaterThan(12);
            List<String> read = new ArrayList<>();
            for (ChunkRange chunk : plan.chunks()) {
                read.addAll(rows(file, chunk));
            }
            assertThat(read).as("reads of up to %d bytes", maxRead).containsExactlyElementsOf(csv.records());
        }
    }

    private static List<String> rows(byte[] file, ChunkRange chunk) throws IOException {
        ColumnMapping mapping = ColumnMapping.of(RandomCsv.COLUMNS, List.of("b", "a"), List.of("id", "note"));
        List<String> rows = new ArrayList<>();
        FloatBuffer tensor = FloatBuffer.allocate(2);
        Object[] pass = new Object[2];
        try (CsvRowReader reader = new CsvRowReader(new ByteArrayInputStream(file, (int) chunk.startByte(),
                (int) chunk.length()), ',', mapping)) {
            while (reader.next()) {
                assertThat(reader.readFeatures(tensor, 0)).isNull();
                reader.readPassThrough(pass);
                rows.add(pass[0] + "|" + pass[1] + "|" + tensor.get(0) + "|" + tensor.get(1));
            }
        }
        return rows;
    }

    @Test
    void delimiterDetectionCountsOutsideQuotes() {
        assertThat(CsvChunkPlanner.detectDelimiter("a;b;\"c,d,e\"")).isEqualTo(';');
        assertThat(CsvChunkPlanner.detectDelimiter("a\tb\tc")).isEqualTo('\t');
        assertThat(CsvChunkPlanner.detectDelimiter("single")).isEqualTo(',');
    }
}
