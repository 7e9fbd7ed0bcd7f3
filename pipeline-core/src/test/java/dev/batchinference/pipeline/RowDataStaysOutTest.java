package dev.batchinference.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchinference.config.PipelineConfig.DataSettings;
import dev.batchinference.config.PipelineConfig.Limits;
import dev.batchinference.format.ChunkLimits;
import dev.batchinference.job.JobKeys;
import dev.batchinference.job.JobState;
import dev.batchinference.job.JobSummary;
import dev.batchinference.json.JsonCodec;
import dev.batchinference.testing.InMemoryPipeline;
import dev.batchinference.testing.ParquetFiles;
import dev.batchinference.testing.Samples;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.schema.MessageType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Row data never reaches logs, summaries, messages or internal state: a marker value planted in inputs of
 * every failing kind (no header, a header that is a data row, an unclosed quote, stray quotes, values that
 * are not numbers, a record over the limit, bytes that are not UTF-8, a truncated gzip, text named Parquet,
 * text in Parquet features) appears in no summary, no log line, no job record, no message; only in the
 * copies of the data itself (the input, predictions, staged chunks and parts).
 */
class RowDataStaysOutTest {
    private static final String MARKER = "Qz7mrk";
    private static final String IRIS_HEADER = "id,sepal_length,sepal_width,petal_length,petal_width";

    @TempDir
    Path dir;

    private record Input(String key, byte[] bytes) {
    }

    private List<Input> inputs() throws IOException {
        List<Input> inputs = new ArrayList<>();
        inputs.add(text("no-header.csv", MARKER + ",5.1,3.5,1.4,0.2\n2,4.9,3.0,1.4,0.2\n"));
        inputs.add(text("text-first-row.csv", MARKER + "," + MARKER + "a," + MARKER + "b\n1,2,3\n"));
        inputs.add(text("repeated-first-row.csv", MARKER + ",1," + MARKER + ",2\n"));
        inputs.add(text("unclosed.csv", IRIS_HEADER + "\n1,5.1,3.5,1.4,0.2\n2,\"" + MARKER + ",3.5\n3,4,5\n"));
        inputs.add(text("stray.csv", IRIS_HEADER + "\n" + MARKER + "\"x,5.1,3.5,1.4,0.2\n1,5\"" + MARKER + ",3.5,1.4,0.2\n"
                + "\"a\"" + MARKER + ",5.1,3.5,1.4,0.2\n"));
        inputs.add(text("words.csv", IRIS_HEADER + "\n1," + MARKER + ",3.5,1.4,0.2\n2," + MARKER + "Infinity,3.5,1.4,0.2\n"
                + "3,NaN" + MARKER + ",1,1,1\n4,0x" + MARKER + ",1,1,1\n"));
        inputs.add(text("ragged.csv", IRIS_HEADER + "\n1,2," + MARKER + "\n"));
        inputs.add(text("long.csv", IRIS_HEADER + "\n1," + MARKER.repeat(300_000) + "\n"));
        inputs.add(text("long-header.csv", MARKER.repeat(300_000) + "\n1\n"));
        inputs.add(text("nul-header.csv", MARKER + "\u0000,a\n1,2\n"));
        inputs.add(text("quoted-header.csv", "\"id\"" + MARKER + ",a\n1,2\n"));
        inputs.add(new Input("incoming/iris/latin1-header.csv", concat(MARKER.getBytes(StandardCharsets.UTF_8),
                "é,a\n1,2\n".getBytes(StandardCharsets.ISO_8859_1))));
        inputs.add(new Input("incoming/iris/latin1-row.csv", concat((IRIS_HEADER + "\n" + MARKER).getBytes(StandardCharsets.UTF_8),
                "é,5.1,3.5,1.4,0.2\n".getBytes(StandardCharsets.ISO_8859_1))));
        byte[] gzip = gzip(IRIS_HEADER + "\n" + (MARKER + ",1,2,3,4\n").repeat(5000));
        inputs.add(new Input("incoming/iris/truncated.csv.gz", Arrays.copyOf(gzip, gzip.length / 2)));
        inputs.add(text("text.parquet", IRIS_HEADER + "\n1,2,3,4," + MARKER + "\n"));
        inputs.add(text("text-no-break.parquet", IRIS_HEADER + "\n1,2,3,4," + MARKER));
        inputs.add(new Input("incoming/iris/text-features.parquet", textFeatures()));
        inputs.add(text("passed-through.csv", IRIS_HEADER + "\n" + MARKER + ",5.1,3.5,1.4,0.2\n"));
        return inputs;
    }

    @Test
    void aMarkerInInputsOfEveryFailingKindReachesNoSummaryLogMessageOrJobRecord() throws IOException {
        InMemoryPipeline p = new InMemoryPipeline(dir.resolve("cache"), new ChunkLimits(2, Long.MAX_VALUE),
                DataSettings.defaults(), new Limits(5.0, Long.MAX_VALUE, 1024 * 1024, 8 * 1024 * 1024, 512L * 1024 * 1024));
        Samples.publish(p.models, "iris");
        List<Input> inputs = inputs();
        List<JobSummary> summaries = new ArrayList<>();
        String logs = capturingStandardStreams(() -> {
            LoggerFactory.getLogger(RowDataStaysOutTest.class).warn("log capture works");
            for (Input input : inputs) {
                p.put(input.key(), input.bytes());
                p.runToEnd(input.key());
                summaries.add(JsonCodec.read(p.text(JobKeys.summary(input.key())), JobSummary.class));
            }
        });

        assertThat(logs).as("the captured log").contains("log capture works").contains("FAILED").doesNotContain(MARKER);
        assertThat(summaries.subList(0, summaries.size() - 1)).extracting(JobSummary::state).as("every kind but the last fails")
                .containsOnly(JobState.FAILED);
        assertThat(summaries.get(summaries.size() - 1).state()).isEqualTo(JobState.SUCCEEDED);
        for (int i = 0; i < summaries.size(); i++) {
            byte[] bytes = inputs.get(i).bytes();
            // libraries quote bytes as numbers too ("expected magic number at tail, but found [49, 50, 10, 51]")
            String tail = Arrays.toString(Arrays.copyOfRange(bytes, bytes.length - 4, bytes.length)).replaceAll("[\\[\\]]", "");
            assertThat(String.valueOf(summaries.get(i).message())).as(inputs.get(i).key()).doesNotContain(MARKER)
                    .doesNotContain(tail);
        }
        List<String> checked = new ArrayList<>();
        for (String key : p.store.list("")) {
            if (isDataCopy(key)) {
                continue;
            }
            assertThat(p.text(key)).as(key).doesNotContain(MARKER);
            checked.add(key);
        }
        assertThat(checked).as("summaries, plans, done and terminal records were checked")
                .anyMatch(k -> k.endsWith(".summary.json")).anyMatch(k -> k.endsWith("plan.json"))
                .anyMatch(k -> k.contains("/done/")).anyMatch(k -> k.endsWith("/final.json"));
        assertThat(p.text(JobKeys.predictions("incoming/iris/passed-through.csv"))).as("the data itself still flows")
                .contains(MARKER);
    }

    /** The input, its predictions and errors files, and the parts and staged chunks the functions pass between them. */
    private static boolean isDataCopy(String key) {
        return key.startsWith("incoming/") || key.startsWith("models/") || key.contains(".predictions.")
                || key.endsWith(".errors.csv") || key.contains("/parts/") || key.contains("/staged/");
    }

    private static String capturingStandardStreams(Runnable body) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream both = new PrintStream(captured, true, StandardCharsets.UTF_8);
        System.setOut(both);
        System.setErr(both);
        try {
            body.run();
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }

    private static Input text(String name, String content) {
        return new Input("incoming/iris/" + name, content.getBytes(StandardCharsets.UTF_8));
    }

    private byte[] textFeatures() {
        MessageType schema = ParquetFiles.schema("message R { required binary id (STRING); required binary sepal_length"
                + " (STRING); required double sepal_width; required double petal_length; required double petal_width; }");
        List<Group> rows = new ArrayList<>();
        for (int r = 0; r < 3; r++) {
            rows.add(ParquetFiles.row(schema).append("id", "r" + r).append("sepal_length", MARKER + r)
                    .append("sepal_width", 1.0).append("petal_length", 1.0).append("petal_width", 1.0));
        }
        return ParquetFiles.write(dir, schema, rows);
    }

    private static byte[] gzip(String text) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(text.getBytes(StandardCharsets.UTF_8));
        }
        return out.toByteArray();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] both = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }
}
