package dev.batchinference.results;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchinference.config.PipelineConfig.Limits;
import dev.batchinference.format.OutputFormat;
import dev.batchinference.job.ChunkResult;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Which predictions are written in parts, and how they are split: a CSV output takes at most one multipart part per
 * chunk and one for the header, so one object holds up to MAX_OUTPUT_PARTS - 1 chunks, and past that the chunks are
 * spread evenly over as few part objects as hold them; a Parquet output past PARQUET_MERGE_MAX_BYTES is one part
 * object per chunk.
 */
class OutputSplitTest {
    private static final Limits TINY = Limits.defaults().withOutputLimits(3, 100);

    @Test
    void aCsvOutputIsOneObjectUpToS3sPartLimitAndEvenPartsPastIt() {
        Limits defaults = Limits.defaults();
        assertThat(split(OutputFormat.CSV, 9_999, 0, defaults)).as("9,999 chunks and the header: 10,000 parts").isNull();
        assertThat(sizes(split(OutputFormat.CSV, 10_000, 0, defaults))).containsExactly(5_000, 5_000);
        assertThat(sizes(split(OutputFormat.CSV, 20_000, 0, defaults))).containsExactly(6_666, 6_667, 6_667);
        assertThat(split(OutputFormat.CSV, 2, 0, TINY)).isNull();
        assertThat(sizes(split(OutputFormat.CSV, 5, 0, TINY))).containsExactly(1, 2, 2);
    }

    @Test
    void thePartsOfACsvSplitAreTheChunksInOrderEachOnce() {
        List<List<ChunkResult>> split = split(OutputFormat.CSV, 20_001, 0, Limits.defaults());
        assertThat(split.stream().flatMap(List::stream).map(ChunkResult::chunk).toList())
                .isEqualTo(IntStream.range(0, 20_001).boxed().toList());
        assertThat(split).allSatisfy(part -> assertThat(part.size() + 1).isLessThanOrEqualTo(10_000));
    }

    @Test
    void aParquetOutputIsMergedUpToTheMergeLimitAndItsChunksPartsPastIt() {
        assertThat(split(OutputFormat.PARQUET, 50_000, 100, TINY)).as("bytes within the limit, however many chunks").isNull();
        assertThat(sizes(split(OutputFormat.PARQUET, 3, 101, TINY))).containsExactly(1, 1, 1);
    }

    private static List<List<ChunkResult>> split(OutputFormat format, int chunks, long bytes, Limits limits) {
        List<ChunkResult> results = IntStream.range(0, chunks).mapToObj(i -> new ChunkResult(i, 1, 1, 0, 0, 0, 0)).toList();
        return JobOutputs.split(format, results, bytes, limits);
    }

    private static List<Integer> sizes(List<List<ChunkResult>> split) {
        return split.stream().map(List::size).toList();
    }
}
