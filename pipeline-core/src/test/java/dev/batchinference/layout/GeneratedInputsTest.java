package dev.batchinference.layout;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchinference.format.parquet.ParquetSupport;
import dev.batchinference.model.ModelStore;
import dev.batchinference.testing.Samples;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.parquet.column.EncodingStats;
import org.apache.parquet.column.page.DictionaryPage;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GeneratedInputsTest {
    /** As many rows as the priming's chunks have. */
    private static final int ROWS = 50_000;

    @Test
    void parquetHasTheShapesOfRealDataSoPrimingTakesARealChunksPaths(@TempDir Path dir) throws Exception {
        ModelStore.LocalModel fraud = ModelStore.readLocal(Samples.model("fraud"));
        List<String> features = fraud.manifest().features();
        List<Path> inputs = GeneratedInputs.write(dir, features, fraud.manifest().labels(), ROWS);
        Path parquet = inputs.get(3);
        assertThat(parquet.getFileName().toString()).isEqualTo("prime.parquet");
        assertThat(GeneratedInputs.plan(parquet).rows()).isEqualTo(ROWS);

        try (ParquetFileReader reader = ParquetSupport.open(ParquetSupport.localFile(parquet), ParquetSupport.readOptions())) {
            MessageType schema = reader.getFooter().getFileMetaData().getSchema();
            List<Type> featureFields = features.stream().map(schema::getType).toList();
            // the feature types pandas, pyarrow and other writers produce, optional (as pyarrow writes) and required
            assertThat(featureFields.stream().map(t -> t.asPrimitiveType().getPrimitiveTypeName()).collect(Collectors.toSet()))
                    .isEqualTo(Set.of(PrimitiveTypeName.DOUBLE, PrimitiveTypeName.INT64, PrimitiveTypeName.INT32,
                            PrimitiveTypeName.FLOAT));
            assertThat(featureFields.stream().map(Type::getRepetition).collect(Collectors.toSet()))
                    .isEqualTo(Set.of(Type.Repetition.OPTIONAL, Type.Repetition.REQUIRED));

            for (BlockMetaData group : reader.getFooter().getBlocks()) {
                // unique ids outgrow the dictionary: plain pages of text, as a real id column has
                assertThat(stats(group, "id").hasNonDictionaryEncodedPages()).isTrue();
                // a text column of a few values stays in dictionary pages
                assertThat(stats(group, "prime_channel").hasDictionaryEncodedPages()).isTrue();
                assertThat(stats(group, "prime_channel").hasNonDictionaryEncodedPages()).isFalse();
                // numbers in dictionary pages, the common case for features
                assertThat(stats(group, features.get(1)).hasDictionaryEncodedPages()).isTrue();
            }
            // dictionaries of many sizes: ids packed in many bit widths, as in real files
            PageReadStore pages = reader.readNextRowGroup();
            Set<Integer> widths = new HashSet<>();
            int plain = 0;
            for (String feature : features) {
                DictionaryPage dictionary = pages.getPageReader(schema.getColumnDescription(new String[] {feature}))
                        .readDictionaryPage();
                if (dictionary == null) {
                    plain++;
                } else {
                    widths.add(32 - Integer.numberOfLeadingZeros(dictionary.getDictionarySize() - 1));
                }
            }
            assertThat(widths).hasSizeGreaterThanOrEqualTo(6);
            // and numbers of so many values that a dictionary does not pay: plain pages, as writers leave them
            assertThat(plain).isPositive();
        }
    }

    private static EncodingStats stats(BlockMetaData group, String column) {
        ColumnChunkMetaData chunk = group.getColumns().stream()
                .filter(c -> c.getPath().toDotString().equals(column)).findFirst().orElseThrow();
        return chunk.getEncodingStats();
    }
}
