package dev.batchinference.format;

import static dev.batchinference.testing.PredictionAssertions.assertSamePredictions;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.batchinference.config.PipelineConfig.DataSettings;
import dev.batchinference.config.PipelineConfig.Limits;
import dev.batchinference.failure.FailureReason;
import dev.batchinference.format.ChunkLimits;
import dev.batchinference.ingest.JobIngestor.Outcome;
import dev.batchinference.job.JobKeys;
import dev.batchinference.job.JobState;
import dev.batchinference.job.JobSummary;
import dev.batchinference.json.JsonCodec;
import dev.batchinference.testing.InMemoryPipeline;
import dev.batchinference.testing.ParquetFiles;
import dev.batchinference.testing.Samples;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.commons.csv.CSVRecord;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Parquet in and out, gzip'd CSV, CSV as people write it, and column choices, through the three cores. */
class DataFormatsTest {
    private static final String IRIS_HEADER = "id,sepal_length,sepal_width,petal_length,petal_width";
    @TempDir
    Path dir;

    private InMemoryPipeline pipeline(long chunkRows, DataSettings data) {
        InMemoryPipeline p = new InMemoryPipeline(dir.resolve("cache"), new ChunkLimits(chunkRows, Long.MAX_VALUE), data);
        Samples.publish(p.models, "iris");
        Samples.publish(p.models, "fraud");
        return p;
    }

    private InMemoryPipeline pipeline(long chunkRows) {
        return pipeline(chunkRows, DataSettings.defaults());
    }

    private static JobSummary summaryOf(InMemoryPipeline p, String key) {
        return JsonCodec.read(p.text(JobKeys.summary(key)), JobSummary.class);
    }

    private static byte[] bytes(InMemoryPipeline p, String key) throws IOException {
        try (InputStream in = p.store.read(key)) {
            return in.readAllBytes();
        }
    }

    private static DataSettings output(OutputFormat format) {
        return new DataSettings(null, Optional.of(format), "snappy", ColumnSelection.defaults());
    }

    @Test
    void parquetSplitByRowGroupsGivesParquetPredictionsInOrderWithTypedColumns() throws IOException {
        InMemoryPipeline p = pipeline(2_500);
        String key = p.put("incoming/fraud/transactions.parquet", Files.readAllBytes(Samples.data("transactions.parquet")));

        Outcome outcome = p.runToEnd(key);

        assertThat(outcome.chunks()).as("one chunk per row group").isEqualTo(4);
        JobSummary summary = summaryOf(p, key);
        assertThat(summary.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(summary.output()).isEqualTo("output/fraud/transactions.parquet.predictions.parquet");
        List<Group> rows = ParquetFiles.read(dir, bytes(p, summary.output()));
        org.apache.parquet.schema.GroupType schema = rows.get(0).getType();
        MessageType input = ParquetFiles.schemaOf(dir, Files.readAllBytes(Samples.data("transactions.parquet")));
        assertThat(schema.getFields().stream().map(Type::getName))
                .containsExactly("id", "channel", "label", "prob_legit", "prob_fraud");
        assertThat(schema.getType("id")).as("pass-through columns keep their input type").isEqualTo(input.getType("id"));
        assertThat(schema.getType("label").asPrimitiveType().getPrimitiveTypeName()).isEqualTo(PrimitiveTypeName.BINARY);
        assertThat(schema.getType("label").getLogicalTypeAnnotation()).isEqualTo(LogicalTypeAnnotation.stringType());
        assertThat(schema.getType("prob_fraud").asPrimitiveType().getPrimitiveTypeName()).isEqualTo(PrimitiveTypeName.FLOAT);
        List<CSVRecord> expected = Samples.csv(Samples.expected("transactions.predictions.csv"));
        assertThat(rows).hasSize(expected.size() - 1);
        for (int r = 0; r < rows.size(); r++) {
            CSVRecord e = expected.get(r + 1);
            Group a = rows.get(r);
            assertThat(a.getString("id", 0)).isEqualTo(e.get(0));
            assertThat(a.getString("channel", 0)).isEqualTo(e.get(1));
            assertThat(a.getString("label", 0)).isEqualTo(e.get(2));
            assertThat((double) a.getFloat("prob_legit", 0)).isCloseTo(Double.parseDouble(e.get(3)), within(1e-6));
            assertThat((double) a.getFloat("prob_fraud", 0)).isCloseTo(Double.parseDouble(e.get(4)), within(1e-6));
        }
    }

    @Test
    void parquetInCsvOutAndCsvInParquetOutGiveTheSameRowsAsTheCsvPath() throws IOException {
        InMemoryPipeline csvOut = pipeline(1_000, output(OutputFormat.CSV));
        String parquetKey = csvOut.put("incoming/fraud/t.parquet", Files.readAllBytes(Samples.data("transactions.parquet")));
        csvOut.runToEnd(parquetKey);
        InMemoryPipeline parquetOut = pipeline(1_000, output(OutputFormat.PARQUET));
        String csvKey = parquetOut.put("incoming/iris/iris.csv", Files.readAllBytes(Samples.data("iris.csv")));
        parquetOut.runToEnd(csvKey);

        assertSamePredictions(Samples.csv(csvOut.predictionsOf(parquetKey)),
                Samples.csv(Samples.expected("transactions.predictions.csv")));
        List<Group> iris = ParquetFiles.read(dir, bytes(parquetOut, JobKeys.predictions(csvKey, OutputFormat.PARQUET)));
        assertThat(iris).hasSize(150);
        assertThat(iris.get(0).getType().getType("id").getLogicalTypeAnnotation()).as("CSV columns are strings")
                .isEqualTo(LogicalTypeAnnotation.stringType());
        assertThat(iris.get(149).getString("label", 0)).isEqualTo("virginica");
    }

    @Test
    void compressionIsSelectable() throws IOException {
        for (String codec : List.of("zstd", "gzip", "none")) {
            InMemoryPipeline p = pipeline(1_000, new DataSettings(null, Optional.empty(), codec, ColumnSelection.defaults()));
            String key = p.put("incoming/iris/iris.parquet", Files.readAllBytes(Samples.data("iris.parquet")));
            p.runToEnd(key);
            assertThat(ParquetFiles.read(dir, bytes(p, JobKeys.predictions(key, OutputFormat.PARQUET)))).as(codec).hasSize(150);
        }
    }

    @Test
    void numericColumnsOfAnyWidthFeedTheTensorAndNullsAreRejectedRows() throws IOException {
        MessageType schema = ParquetFiles.schema("""
                message Flower {
                  required binary id (STRING);
                  optional int32 sepal_length_int;
                  required int64 sepal_width_long;
                  required float petal_length;
                  required binary petal_width (DECIMAL(6,2));
                  optional boolean flagged;
                  optional group tags (LIST) { repeated group list { optional binary element (STRING); } }
                }""");
        List<Group> records = new ArrayList<>();
        records.add(record(schema, "a", 5, 3L, 1.4f, "0.20", true, "x", "y"));
        records.add(record(schema, "b", null, 3L, 1.4f, "0.20", null));
        records.add(record(schema, "c", 7, 3L, 5.5f, "2.10", false));
        ColumnSelection selection = new ColumnSelection(Map.of("sepal_length", "sepal_length_int",
                "sepal_width", "sepal_width_long"), ColumnSelection.PassThrough.NON_FEATURES);
        byte[] input = ParquetFiles.write(dir, schema, records);
        InMemoryPipeline p = new InMemoryPipeline(dir.resolve("cache"), new ChunkLimits(1_000, Long.MAX_VALUE),
                new DataSettings(null, Optional.of(OutputFormat.CSV), "snappy", selection),
                Limits.defaults().toleratingAllRejections());
        Samples.publish(p.models, "iris");
        String key = p.put("incoming/iris/widths.parquet", input);

        p.runToEnd(key);

        List<CSVRecord> rows = Samples.csv(p.predictionsOf(key));
        assertThat(rows.get(0).values()).startsWith("id", "flagged", "tags", "label");
        assertThat(rows.stream().skip(1).map(r -> r.get(0) + ":" + r.get(1) + ":" + r.get(3)))
                .containsExactly("a:true:setosa", "c:false:virginica");
        assertThat(rows.get(1).get(2)).as("a nested column as text").contains("x").contains("y");
        assertThat(rows.get(2).get(2)).as("an empty list").isEmpty();
        assertThat(p.text(JobKeys.errors(key))).isEqualTo("row,column,reason\n2,sepal_length_int,null value\n");
        // the same values through the CSV path give the same probabilities
        InMemoryPipeline csv = pipeline(1_000);
        String csvKey = csv.put("incoming/iris/same.csv", (IRIS_HEADER + "\na,5,3,1.4,0.2\nc,7,3,5.5,2.1\n")
                .getBytes(StandardCharsets.UTF_8));
        csv.runToEnd(csvKey);
        assertThat(rows.stream().skip(1).map(r -> List.of(r.get(0), r.get(3), r.get(4), r.get(5), r.get(6))).toList())
                .isEqualTo(Samples.csv(csv.predictionsOf(csvKey)).stream().skip(1).map(CSVRecord::values).map(Arrays::asList).toList());

        // Parquet output: every pass-through column, nested and null ones too, keeps its type and its values
        InMemoryPipeline parquet = new InMemoryPipeline(dir.resolve("cache2"), new ChunkLimits(1_000, Long.MAX_VALUE),
                new DataSettings(null, Optional.of(OutputFormat.PARQUET), "snappy", new ColumnSelection(Map.of(
                        "sepal_length", "sepal_length_int", "sepal_width", "sepal_width_long"), ColumnSelection.PassThrough.ALL)),
                Limits.defaults().toleratingAllRejections());
        Samples.publish(parquet.models, "iris");
        parquet.put(key, input);
        parquet.runToEnd(key);
        List<Group> out = ParquetFiles.read(dir, bytes(parquet, JobKeys.predictions(key, OutputFormat.PARQUET)));
        for (String column : List.of("id", "sepal_length_int", "sepal_width_long", "petal_length", "petal_width", "flagged", "tags")) {
            assertThat(out.get(0).getType().getType(column)).as(column).isEqualTo(schema.getType(column));
        }
        assertThat(out).hasSize(2);
        assertThat(out.get(0).toString()).isEqualTo(records.get(0).toString() + "label: setosa\n"
                + "prob_setosa: " + out.get(0).getFloat("prob_setosa", 0) + "\n"
                + "prob_versicolor: " + out.get(0).getFloat("prob_versicolor", 0) + "\n"
                + "prob_virginica: " + out.get(0).getFloat("prob_virginica", 0) + "\n");
        assertThat(out.get(1).getFieldRepetitionCount("tags")).isZero();
    }

    @Test
    void textDecimalAndUnsignedFeaturesAreNumbersAndOtherValuesAreRejectedWithTheirReason() throws IOException {
        MessageType schema = ParquetFiles.schema("""
                message Flower {
                  required binary id (STRING);
                  required binary sepal_length (STRING);
                  required int64 sepal_width (DECIMAL(10,1));
                  required int32 petal_length (INTEGER(32,false));
                  required double petal_width;
                }""");
        List<Group> records = new ArrayList<>();
        records.add(ParquetFiles.row(schema).append("id", "a").append("sepal_length", " 5.0").append("sepal_width", 30L)
                .append("petal_length", 1).append("petal_width", 0.25));
        records.add(ParquetFiles.row(schema).append("id", "b").append("sepal_length", "five").append("sepal_width", 30L)
                .append("petal_length", 1).append("petal_width", 0.25));
        records.add(ParquetFiles.row(schema).append("id", "c").append("sepal_length", "5").append("sepal_width", 30L)
                .append("petal_length", 1).append("petal_width", Double.NaN));
        records.add(ParquetFiles.row(schema).append("id", "d").append("sepal_length", "5").append("sepal_width", 30L)
                .append("petal_length", 1).append("petal_width", 1e300));
        InMemoryPipeline p = new InMemoryPipeline(dir.resolve("cache"), new ChunkLimits(1_000, Long.MAX_VALUE),
                new DataSettings(null, Optional.of(OutputFormat.CSV), "snappy", ColumnSelection.defaults()),
                Limits.defaults().toleratingAllRejections());
        Samples.publish(p.models, "iris");
        String key = p.put("incoming/iris/kinds.parquet", ParquetFiles.write(dir, schema, records));

        p.runToEnd(key);

        assertThat(p.text(JobKeys.errors(key))).isEqualTo("row,column,reason\n"
                + "2,sepal_length,not a number (text of 4 characters)\n"
                + "3,petal_width,not a finite float (double)\n"
                + "4,petal_width,not a finite float (double)\n");
        InMemoryPipeline csv = pipeline(1_000);
        String csvKey = csv.put("incoming/iris/same.csv", (IRIS_HEADER + "\na,5.0,3.0,1,0.25\n").getBytes(StandardCharsets.UTF_8));
        csv.runToEnd(csvKey);
        assertThat(Samples.csv(p.predictionsOf(key)).stream().map(CSVRecord::values).map(Arrays::asList).toList())
                .isEqualTo(Samples.csv(csv.predictionsOf(csvKey)).stream().map(CSVRecord::values).map(Arrays::asList).toList());
    }

    @Test
    void geometryColumnsPassThroughAsTheyAre() throws IOException {
        MessageType schema = ParquetFiles.schema("""
                message Flower {
                  required binary id (STRING);
                  required double sepal_length;
                  required double sepal_width;
                  required double petal_length;
                  required double petal_width;
                  optional binary place (GEOMETRY);
                }""");
        Binary point = wkb(1, 2.5, -1.0);
        Binary square = wkb(3, 1, 5, 0.0, 0.0, 4.0, 0.0, 4.0, 4.0, 0.0, 4.0, 0.0, 0.0);
        List<Group> records = new ArrayList<>();
        for (Binary place : List.of(point, square)) {
            records.add(ParquetFiles.row(schema).append("id", "r" + records.size()).append("sepal_length", 5.1)
                    .append("sepal_width", 3.5).append("petal_length", 1.4).append("petal_width", 0.2).append("place", place));
        }
        InMemoryPipeline p = pipeline(1_000);
        String key = p.put("incoming/iris/places.parquet", ParquetFiles.write(dir, schema, records));

        p.runToEnd(key);

        byte[] output = bytes(p, JobKeys.predictions(key, OutputFormat.PARQUET));
        assertThat(ParquetFiles.schemaOf(dir, output).getType("place")).isEqualTo(schema.getType("place"));
        assertThat(ParquetFiles.read(dir, output).stream().map(r -> r.getBinary("place", 0))).containsExactly(point, square);
    }

    /** Little-endian WKB of a geometry type with its numbers (counts as they come, then coordinates). */
    private static Binary wkb(int type, double... numbers) {
        ByteBuffer wkb = ByteBuffer.allocate(5 + 8 * numbers.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        wkb.put((byte) 1).putInt(type);
        if (type == 3) { // polygon: ring count and point count are ints, then the points
            wkb.putInt((int) numbers[0]).putInt((int) numbers[1]);
            numbers = Arrays.copyOfRange(numbers, 2, numbers.length);
        }
        for (double n : numbers) {
            wkb.putDouble(n);
        }
        return Binary.fromConstantByteArray(Arrays.copyOf(wkb.array(), wkb.position()));
    }

    private static Group record(MessageType schema, String id, Integer sl, long sw, float pl, String pw, Boolean flagged,
                                String... tags) {
        Group r = ParquetFiles.row(schema);
        r.append("id", id);
        if (sl != null) {
            r.append("sepal_length_int", sl);
        }
        r.append("sepal_width_long", sw);
        r.append("petal_length", pl);
        r.append("petal_width", Binary.fromConstantByteArray(new BigDecimal(pw).unscaledValue().toByteArray()));
        if (flagged != null) {
            r.append("flagged", flagged);
        }
        if (tags.length > 0) {
            Group list = r.addGroup("tags");
            for (String tag : tags) {
                list.addGroup("list").append("element", tag);
            }
        }
        return r;
    }

    @Test
    void aGzipCsvIsStagedIntoChunksThatFanOut() throws IOException {
        InMemoryPipeline p = pipeline(1_000);
        String key = p.put("incoming/fraud/transactions.csv.gz", Files.readAllBytes(Samples.data("transactions.csv.gz")));

        Outcome outcome = p.runToEnd(key);

        assertThat(outcome.chunks()).isEqualTo(10);
        assertThat(p.store.list("jobs/" + outcome.jobId() + "/staged/")).hasSize(10);
        assertSamePredictions(Samples.csv(p.predictionsOf(key)), Samples.csv(Samples.expected("transactions.predictions.csv")));
    }

    @Test
    void csvAsPeopleWriteItGivesTheRightRowsAndErrors() {
        InMemoryPipeline p = pipeline(2);
        Map<String, String> files = Map.of(
                "incoming/iris/bom-crlf.csv", "\uFEFF" + IRIS_HEADER + "\r\n1,5.1,3.5,1.4,0.2\r\n2,6.7,3.0,5.2,2.3\r\n",
                "incoming/iris/semicolons.csv", "id;sepal_length;sepal_width;petal_length;petal_width\n1;5.1;3.5;1.4;0.2\n2;6.7;3.0;5.2;2.3\n",
                "incoming/iris/tabs.tsv", "id\tsepal_length\tsepal_width\tpetal_length\tpetal_width\n1\t5.1\t3.5\t1.4\t0.2\n2\t6.7\t3.0\t5.2\t2.3\n",
                "incoming/iris/reordered.csv", "petal_width,note,id,petal_length,sepal_width,sepal_length\n"
                        + "0.2,\"a, b\",1,1.4,3.5,5.1\n2.3,,2,5.2,3.0,6.7\n");
        files.forEach((key, text) -> p.put(key, text.getBytes(StandardCharsets.UTF_8)));

        files.keySet().forEach(p::runToEnd);

        for (String key : files.keySet()) {
            List<CSVRecord> rows = Samples.csv(p.predictionsOf(key));
            assertThat(rows.stream().skip(1).map(r -> r.get("id".equals(rows.get(0).get(0)) ? 0 : 1) + ":" + r.get(rows.get(0).size() - 4)))
                    .as(key).containsExactly("1:setosa", "2:virginica");
        }
        assertThat(Samples.csv(p.predictionsOf("incoming/iris/reordered.csv")).get(0).values())
                .as("extra columns pass through in input order")
                .containsExactly("note", "id", "label", "prob_setosa", "prob_versicolor", "prob_virginica");
    }

    @Test
    void passThroughCanBeAllColumnsOrNone() throws IOException {
        byte[] iris = Files.readAllBytes(Samples.data("iris.csv"));
        InMemoryPipeline all = pipeline(1_000, new DataSettings(null, Optional.empty(), "snappy",
                new ColumnSelection(Map.of(), ColumnSelection.PassThrough.ALL)));
        InMemoryPipeline none = pipeline(1_000, new DataSettings(null, Optional.empty(), "snappy",
                new ColumnSelection(Map.of(), ColumnSelection.PassThrough.NONE)));
        String key = "incoming/iris/iris.csv";
        all.put(key, iris);
        none.put(key, iris);

        all.runToEnd(key);
        none.runToEnd(key);

        assertThat(Samples.csv(all.predictionsOf(key)).get(0).values()).startsWith(
                "id", "sepal_length", "sepal_width", "petal_length", "petal_width", "species", "label");
        assertThat(Samples.csv(none.predictionsOf(key)).get(0).values())
                .containsExactly("label", "prob_setosa", "prob_versicolor", "prob_virginica");
    }

    @Test
    void badFilesEndInAClearTerminalState() throws IOException {
        InMemoryPipeline p = pipeline(1_000);
        byte[] parquet = Files.readAllBytes(Samples.data("iris.parquet"));
        byte[] gz = Files.readAllBytes(Samples.data("transactions.csv.gz"));
        Map<String, byte[]> files = Map.of(
                "incoming/iris/truncated.parquet", Arrays.copyOf(parquet, parquet.length / 2),
                "incoming/iris/empty.parquet", new byte[0],
                "incoming/iris/text.parquet", (IRIS_HEADER + "\n1,2,3,4,5\n").getBytes(StandardCharsets.UTF_8),
                "incoming/fraud/truncated.csv.gz", Arrays.copyOf(gz, gz.length / 2),
                "incoming/fraud/plain.csv.gz", (IRIS_HEADER + "\n").getBytes(StandardCharsets.UTF_8),
                "incoming/iris/notes.txt", "hello".getBytes(StandardCharsets.UTF_8));
        files.forEach(p::put);

        files.keySet().forEach(p::runToEnd);

        Map<String, FailureReason> expected = Map.of(
                "incoming/iris/truncated.parquet", FailureReason.UNREADABLE_INPUT,
                "incoming/iris/empty.parquet", FailureReason.UNREADABLE_INPUT,
                "incoming/iris/text.parquet", FailureReason.UNREADABLE_INPUT,
                "incoming/fraud/truncated.csv.gz", FailureReason.UNREADABLE_INPUT,
                "incoming/fraud/plain.csv.gz", FailureReason.UNREADABLE_INPUT,
                "incoming/iris/notes.txt", FailureReason.UNSUPPORTED_FORMAT);
        expected.forEach((key, reason) -> {
            JobSummary summary = summaryOf(p, key);
            assertThat(summary.state()).as(key).isEqualTo(JobState.FAILED);
            assertThat(summary.reason()).as(key).isEqualTo(reason);
            assertThat(summary.message()).as(key).isNotBlank().doesNotContain("Exception");
        });
        assertThat(summaryOf(p, "incoming/iris/notes.txt").message()).contains(".csv, .tsv, .csv.gz, .tsv.gz or .parquet");
        assertThat(summaryOf(p, "incoming/fraud/truncated.csv.gz").message()).contains("gzip");
        files.forEach((key, content) -> assertThat(p.store.head(key)).as("input unchanged").isPresent());
    }

    @Test
    void aParquetFileWithoutAFeatureColumnFailsAtPlanningWithItsName() {
        MessageType schema = ParquetFiles.schema("message R { required binary id (STRING); required double sepal_length; }");
        Group r = ParquetFiles.row(schema).append("id", "x").append("sepal_length", 1.0);
        InMemoryPipeline p = pipeline(1_000);
        String key = p.put("incoming/iris/partial.parquet", ParquetFiles.write(dir, schema, List.of(r)));

        p.runToEnd(key);

        JobSummary summary = summaryOf(p, key);
        assertThat(summary.reason()).isEqualTo(FailureReason.SCHEMA_MISMATCH);
        assertThat(summary.message()).contains("sepal_width, petal_length, petal_width");
    }
}
