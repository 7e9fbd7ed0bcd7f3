package dev.batchinference.format;

import static dev.batchinference.testing.PredictionAssertions.assertSamePredictions;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.batchinference.config.PipelineConfig.ChunkLimits;
import dev.batchinference.config.PipelineConfig.DataSettings;
import dev.batchinference.config.PipelineConfig.Limits;
import dev.batchinference.ingest.JobIngestor.Outcome;
import dev.batchinference.job.FailureReason;
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
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.commons.csv.CSVRecord;
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
        assertThat(summary.output()).isEqualTo("output/fraud/transactions.predictions.parquet");
        List<GenericRecord> rows = ParquetFiles.read(dir, bytes(p, summary.output()));
        Schema schema = rows.get(0).getSchema();
        assertThat(schema.getFields().stream().map(Schema.Field::name))
                .containsExactly("id", "channel", "label", "prob_legit", "prob_fraud");
        assertThat(schema.getField("label").schema().getType()).isEqualTo(Schema.Type.STRING);
        assertThat(schema.getField("prob_fraud").schema().getType()).isEqualTo(Schema.Type.FLOAT);
        List<CSVRecord> expected = Samples.csv(Samples.expected("transactions.predictions.csv"));
        assertThat(rows).hasSize(expected.size() - 1);
        for (int r = 0; r < rows.size(); r++) {
            CSVRecord e = expected.get(r + 1);
            GenericRecord a = rows.get(r);
            assertThat(a.get("id").toString()).isEqualTo(e.get(0));
            assertThat(a.get("channel").toString()).isEqualTo(e.get(1));
            assertThat(a.get("label").toString()).isEqualTo(e.get(2));
            assertThat((double) (Float) a.get("prob_fraud")).isCloseTo(Double.parseDouble(e.get(4)), within(1e-6));
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
        List<GenericRecord> iris = ParquetFiles.read(dir, bytes(parquetOut, JobKeys.predictions(csvKey, OutputFormat.PARQUET)));
        assertThat(iris).hasSize(150);
        assertThat(iris.get(0).getSchema().getField("id").schema().getType()).as("CSV columns are strings")
                .isEqualTo(Schema.Type.STRING);
        assertThat(iris.get(149).get("label").toString()).isEqualTo("virginica");
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
        Schema decimal = LogicalTypes.decimal(6, 2).addToSchema(Schema.create(Schema.Type.BYTES));
        Schema schema = SchemaBuilder.record("Flower").fields()
                .requiredString("id")
                .optionalInt("sepal_length_int")
                .requiredLong("sepal_width_long")
                .requiredFloat("petal_length")
                .name("petal_width").type(decimal).noDefault()
                .endRecord();
        Schema renamedIris = schema;
        List<GenericRecord> records = new ArrayList<>();
        records.add(record(schema, "a", 5, 3L, 1.4f, "0.20"));
        records.add(record(schema, "b", null, 3L, 1.4f, "0.20"));
        records.add(record(schema, "c", 7, 3L, 5.5f, "2.10"));
        ColumnSelection selection = new ColumnSelection(Map.of("sepal_length", "sepal_length_int",
                "sepal_width", "sepal_width_long"), ColumnSelection.PassThrough.NON_FEATURES);
        InMemoryPipeline p = new InMemoryPipeline(dir.resolve("cache"), new ChunkLimits(1_000, Long.MAX_VALUE),
                new DataSettings(null, Optional.of(OutputFormat.CSV), "snappy", selection),
                Limits.defaults().toleratingAllRejections());
        Samples.publish(p.models, "iris");
        String key = p.put("incoming/iris/widths.parquet", ParquetFiles.write(dir, renamedIris, records));

        p.runToEnd(key);

        List<CSVRecord> rows = Samples.csv(p.predictionsOf(key));
        assertThat(rows.stream().skip(1).map(r -> r.get(0) + ":" + r.get(1))).containsExactly("a:setosa", "c:virginica");
        assertThat(p.text(JobKeys.errors(key))).isEqualTo("row,column,reason\n2,sepal_length_int,null value\n");
        // the same values through the CSV path give the same probabilities
        InMemoryPipeline csv = pipeline(1_000);
        String csvKey = csv.put("incoming/iris/same.csv", (IRIS_HEADER + "\na,5,3,1.4,0.2\nc,7,3,5.5,2.1\n")
                .getBytes(StandardCharsets.UTF_8));
        csv.runToEnd(csvKey);
        assertThat(rows.stream().skip(1).map(CSVRecord::values).map(Arrays::asList))
                .isEqualTo(Samples.csv(csv.predictionsOf(csvKey)).stream().skip(1).map(CSVRecord::values).map(Arrays::asList).toList());
    }

    private static GenericRecord record(Schema schema, String id, Integer sl, long sw, float pl, String pw) {
        GenericData.Record r = new GenericData.Record(schema);
        r.put("id", id);
        r.put("sepal_length_int", sl);
        r.put("sepal_width_long", sw);
        r.put("petal_length", pl);
        r.put("petal_width", ByteBuffer.wrap(new BigDecimal(pw).unscaledValue().toByteArray()));
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
        Schema schema = SchemaBuilder.record("R").fields().requiredString("id").requiredDouble("sepal_length").endRecord();
        GenericData.Record r = new GenericData.Record(schema);
        r.put("id", "x");
        r.put("sepal_length", 1.0);
        InMemoryPipeline p = pipeline(1_000);
        String key = p.put("incoming/iris/partial.parquet", ParquetFiles.write(dir, schema, List.of(r)));

        p.runToEnd(key);

        JobSummary summary = summaryOf(p, key);
        assertThat(summary.reason()).isEqualTo(FailureReason.SCHEMA_MISMATCH);
        assertThat(summary.message()).contains("sepal_width, petal_length, petal_width");
    }

    @Test
    void delimiterDetectionCountsOutsideQuotes() {
        assertThat(CsvChunkPlanner.detectDelimiter("a;b;\"c,d,e\"")).isEqualTo(';');
        assertThat(CsvChunkPlanner.detectDelimiter("a\tb\tc")).isEqualTo('\t');
        assertThat(CsvChunkPlanner.detectDelimiter("single")).isEqualTo(',');
    }
}
