package dev.batchinference.format.parquet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.batchinference.model.OnnxModel;
import dev.batchinference.testing.ParquetFiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.schema.MessageType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ParquetColumnWriterTest {
    private static final MessageType FLAT = ParquetFiles.schema("message Prediction { optional binary id (STRING);"
            + " optional int32 n; required int64 big; optional double d; optional boolean flag;"
            + " required binary label (STRING); required float prob_a; required float prob_b; }");

    @TempDir
    Path dir;

    @Test
    void flatSchemasGoColumnByColumnAndNestedOnesDoNot() {
        assertThat(ParquetColumnWriter.handles(FLAT)).isTrue();
        assertThat(ParquetColumnWriter.handles(ParquetFiles.schema(
                "message m { repeated int32 tags; required binary label (STRING); required float p; }"))).isFalse();
        assertThat(ParquetColumnWriter.handles(ParquetFiles.schema(
                "message m { optional group g { optional int32 x; } required binary label (STRING); required float p; }")))
                .isFalse();
    }

    @Test
    void writesEveryTypeAndNullsInRowOrder() throws Exception {
        Path file = dir.resolve("out.parquet");
        try (ParquetPredictionWriter out = new ParquetPredictionWriter(new LocalOutputFile(file), FLAT,
                CompressionCodecName.SNAPPY)) {
            out.write(new Object[] {"a", 1, 10L, 1.5, true}, "yes", new float[] {0.25f, 0.75f}, 0);
            out.write(new Object[] {null, null, 11L, null, null}, "no", new float[] {9f, 0.9f, 0.1f}, 1);
        }
        List<Group> rows = ParquetFiles.read(file);
        assertThat(rows).hasSize(2);
        Group first = rows.get(0);
        assertThat(first.getString("id", 0)).isEqualTo("a");
        assertThat(first.getInteger("n", 0)).isEqualTo(1);
        assertThat(first.getLong("big", 0)).isEqualTo(10L);
        assertThat(first.getDouble("d", 0)).isEqualTo(1.5);
        assertThat(first.getBoolean("flag", 0)).isTrue();
        assertThat(first.getString("label", 0)).isEqualTo("yes");
        assertThat(first.getFloat("prob_a", 0)).isEqualTo(0.25f);
        assertThat(first.getFloat("prob_b", 0)).isEqualTo(0.75f);
        Group second = rows.get(1);
        for (String column : List.of("id", "n", "d", "flag")) {
            assertThat(second.getFieldRepetitionCount(column)).as(column).isZero();
        }
        assertThat(second.getLong("big", 0)).isEqualTo(11L);
        assertThat(second.getString("label", 0)).isEqualTo("no");
        assertThat(second.getFloat("prob_a", 0)).isEqualTo(0.9f);
        assertThat(second.getFloat("prob_b", 0)).isEqualTo(0.1f);
        try (ParquetFileReader reader = new ParquetFileReader(new LocalInputFile(file), ParquetSupport.readOptions())) {
            assertThat(reader.getFooter().getFileMetaData().getSchema()).isEqualTo(FLAT);
            assertThat(reader.getRowGroups().get(0).getColumns())
                    .allSatisfy(c -> assertThat(c.getCodec()).isEqualTo(CompressionCodecName.SNAPPY));
        }
    }

    @Test
    void aMissingRequiredValueIsRefusedWithoutWritingPartOfTheRow() throws Exception {
        Path file = dir.resolve("bad.parquet");
        try (ParquetPredictionWriter out = new ParquetPredictionWriter(new LocalOutputFile(file), FLAT,
                CompressionCodecName.UNCOMPRESSED)) {
            assertThatThrownBy(() -> out.write(new Object[] {"a", 1, null, 1.5, true}, "yes", new float[] {0f, 1f}, 0))
                    .hasMessageContaining("'big'");
            out.write(new Object[] {"b", 2, 2L, 2.5, false}, "no", new float[] {0f, 1f}, 0);
        }
        List<Group> rows = ParquetFiles.read(file);
        assertThat(rows).hasSize(1);
        assertThat(rows.get(0).getString("id", 0)).isEqualTo("b");
        assertThat(rows.get(0).getInteger("n", 0)).isEqualTo(2);
    }

    @Test
    void startsANewRowGroupWhenTheBufferedRowsOutgrowTheLimitAndKeepsTheirOrder() throws Exception {
        Path file = dir.resolve("groups.parquet");
        int rows = 5_000;
        try (ParquetColumnWriter out = new ParquetColumnWriter(new LocalOutputFile(file), FLAT,
                CompressionCodecName.SNAPPY, ParquetProperties.builder().build(), ParquetSupport.codecs(), 1, 0, 1)) {
            for (int i = 0; i < rows; i++) {
                out.write(new Object[] {"r" + i, i, (long) i, null, i % 2 == 0}, "x", new float[] {i, -i}, 0);
            }
        }
        try (ParquetFileReader reader = new ParquetFileReader(new LocalInputFile(file), ParquetSupport.readOptions())) {
            assertThat(reader.getRowGroups()).hasSizeGreaterThan(1);
            assertThat(reader.getRowGroups().stream().mapToLong(g -> g.getRowCount()).sum()).isEqualTo(rows);
        }
        List<Group> read = ParquetFiles.read(file);
        assertThat(read).hasSize(rows);
        for (int i = 0; i < rows; i++) {
            assertThat(read.get(i).getInteger("n", 0)).isEqualTo(i);
            assertThat(read.get(i).getString("id", 0)).isEqualTo("r" + i);
            assertThat(read.get(i).getFloat("prob_b", 0)).isEqualTo((float) -i);
        }
    }

    @Test
    void aBatchWrittenColumnByColumnOnSeveralThreadsHoldsWhatRowByRowWritingHolds() throws Exception {
        int rows = 3_000;
        List<String> labels = List.of("no", "yes", "maybe");
        Object[][] passThrough = new Object[rows][];
        OnnxModel.Prediction prediction = new OnnxModel.Prediction(rows, 2, new float[rows * 2], new int[rows]);
        for (int i = 0; i < rows; i++) {
            passThrough[i] = new Object[] {i % 7 == 0 ? null : "r" + i, i % 5 == 0 ? null : i, (long) -i,
                    i % 3 == 0 ? null : i / 8.0, i % 11 == 0 ? null : i % 2 == 0};
            prediction.labels()[i] = i % 3;
            prediction.probabilities()[2 * i] = i / (float) rows;
            prediction.probabilities()[2 * i + 1] = 1 - i / (float) rows;
        }
        // row groups of 1,000 rows: one ends inside the second batch of 1,500
        ParquetProperties properties = ParquetProperties.builder().withRowGroupRowCountLimit(1_000)
                .withPageRowCountLimit(300).build();
        Path byRow = dir.resolve("by-row.parquet");
        try (ParquetColumnWriter out = new ParquetColumnWriter(new LocalOutputFile(byRow), FLAT,
                CompressionCodecName.SNAPPY, properties, ParquetSupport.codecs(), Long.MAX_VALUE, 0, 0)) {
            for (int i = 0; i < rows; i++) {
                out.write(passThrough[i], labels.get(i % 3), prediction.probabilities(), 2 * i);
            }
        }
        Path byBatch = dir.resolve("by-batch.parquet");
        try (ParquetColumnWriter out = new ParquetColumnWriter(new LocalOutputFile(byBatch), FLAT,
                CompressionCodecName.SNAPPY, properties, ParquetSupport.codecs(), Long.MAX_VALUE, 0, 2)) {
            for (int from = 0; from < rows; from += 1_500) {
                out.write(java.util.Arrays.copyOfRange(passThrough, from, from + 1_500), slice(prediction, from, 1_500),
                        labels);
            }
        }
        List<String> expected = ParquetFiles.read(byRow).stream().map(Group::toString).toList();
        assertThat(expected).hasSize(rows);
        assertThat(expected.get(1)).contains("r1").contains("yes");
        assertThat(ParquetFiles.read(byBatch).stream().map(Group::toString).toList()).isEqualTo(expected);
        try (ParquetFileReader reader = new ParquetFileReader(new LocalInputFile(byBatch), ParquetSupport.readOptions())) {
            assertThat(reader.getRowGroups()).extracting(g -> g.getRowCount()).containsExactly(1_000L, 1_000L, 1_000L);
        }
    }

    @Test
    void aBatchWithAMissingRequiredValueIsRefusedWhole() throws Exception {
        Path file = dir.resolve("bad-batch.parquet");
        try (ParquetColumnWriter out = new ParquetColumnWriter(new LocalOutputFile(file), FLAT,
                CompressionCodecName.SNAPPY, ParquetProperties.builder().build(), ParquetSupport.codecs(),
                Long.MAX_VALUE, 0, 1)) {
            Object[][] batch = {{"a", 1, 1L, 1.5, true}, {"b", 2, null, 2.5, false}};
            OnnxModel.Prediction prediction = new OnnxModel.Prediction(2, 2, new float[] {0f, 1f, 1f, 0f}, new int[2]);
            assertThatThrownBy(() -> out.write(batch, prediction, List.of("x")))
                    .hasMessageContaining("'big'");
            out.write(new Object[][] {{"c", 3, 3L, 3.5, true}}, new OnnxModel.Prediction(1, 2, new float[] {0f, 1f},
                    new int[1]), List.of("x"));
        }
        List<Group> rows = ParquetFiles.read(file);
        assertThat(rows).extracting(g -> g.getString("id", 0)).containsExactly("c");
    }

    /** Rows {@code [from, from + rows)} of a prediction, as a prediction of their own. */
    private static OnnxModel.Prediction slice(OnnxModel.Prediction prediction, int from, int rows) {
        int classes = prediction.classes();
        return new OnnxModel.Prediction(rows, classes,
                java.util.Arrays.copyOfRange(prediction.probabilities(), from * classes, (from + rows) * classes),
                java.util.Arrays.copyOfRange(prediction.labels(), from, from + rows));
    }
}
