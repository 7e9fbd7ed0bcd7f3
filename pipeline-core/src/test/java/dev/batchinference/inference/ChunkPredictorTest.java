package dev.batchinference.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.batchinference.format.ColumnMapping;
import dev.batchinference.format.ColumnSelection;
import dev.batchinference.format.OutputCsv;
import dev.batchinference.format.PredictionWriter;
import dev.batchinference.format.RowReader;
import dev.batchinference.format.UnreadableRecordException;
import dev.batchinference.format.csv.CsvPredictionWriter;
import dev.batchinference.format.csv.CsvRowReader;
import dev.batchinference.job.ChunkResult;
import dev.batchinference.model.ModelStore;
import dev.batchinference.model.OnnxModel;
import dev.batchinference.testing.PredictionAssertions;
import dev.batchinference.testing.Samples;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.csv.CSVPrinter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Decoding blocks on several threads gives exactly what reading row by row gives, in the same order. */
class ChunkPredictorTest {
    private static OnnxModel model;
    private static List<String> header;
    private static List<String> records;
    private static ColumnMapping mapping;

    @BeforeAll
    static void loadModel() throws IOException {
        ModelStore.LocalModel local = ModelStore.readLocal(Samples.model("fraud"));
        model = OnnxModel.load(local.onnxFile(), local.manifest());
        List<String> lines = Files.readAllLines(Samples.data("transactions.csv"), StandardCharsets.UTF_8);
        header = List.of(lines.get(0).split(","));
        records = lines.subList(1, lines.size());
        mapping = ColumnMapping.plan(header, local.manifest().features(), ColumnSelection.defaults());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private record Output(ChunkResult result, String predictions, String rejects) {
    }

    private static Output predict(String body, int decoders, boolean rowByRow) throws IOException {
        ByteArrayOutputStream predictions = new ByteArrayOutputStream();
        ByteArrayOutputStream rejected = new ByteArrayOutputStream();
        RowReader csv = new CsvRowReader(new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8)), ',', mapping);
        RowReader rows = rowByRow ? new RowByRow(csv) : csv;
        ChunkResult result;
        try (PredictionWriter out = new CsvPredictionWriter(predictions, model.manifest().labels());
             Writer writer = new OutputStreamWriter(rejected, StandardCharsets.UTF_8);
             CSVPrinter rejects = new CSVPrinter(writer, OutputCsv.FORMAT)) {
            result = new ChunkPredictor(model, mapping.passThroughColumns().length, 100, decoders)
                    .predict(0, rows, out, rejects);
        }
        return new Output(result, predictions.toString(StandardCharsets.UTF_8), rejected.toString(StandardCharsets.UTF_8));
    }

    /** The 10,000 sample transactions four times over, with two bad rows far apart: several blocks. */
    private static String bodyWithBadRows() {
        List<String> body = new ArrayList<>();
        for (int copy = 0; copy < 4; copy++) {
            body.addAll(records);
        }
        body.set(2_999, body.get(2_999).replaceFirst(",[^,]*,", ",abc,"));
        body.set(36_999, body.get(36_999).substring(0, body.get(36_999).lastIndexOf(',')));
        return String.join("\n", body) + "\n";
    }

    @Test
    void blocksOnSeveralThreadsGiveTheRowByRowOutputWithChunkRowNumbers() throws IOException {
        String body = bodyWithBadRows();

        Output parallel = predict(body, 3, false);
        Output sequential = predict(body, 1, true);

        assertThat(parallel.result().rowsIn()).isEqualTo(40_000);
        assertThat(parallel.result().rowsRejected()).isEqualTo(2);
        assertThat(parallel.result().rowsOut()).isEqualTo(39_998);
        assertThat(parallel.predictions()).isEqualTo(sequential.predictions());
        assertThat(parallel.rejects()).isEqualTo(sequential.rejects())
                .isEqualTo("3000,merchant_risk,not a number (text of 3 characters)\n"
                        + "37000,,\"expected 22 columns, found 21\"\n");
    }

    @Test
    void predictionsMatchTheOnnxRuntimeReference() throws IOException {
        String predictions = predict(String.join("\n", records) + "\n", 2, false).predictions();

        String idHeader = String.join(",", mapping.outputHeader(model.manifest().labels()));
        PredictionAssertions.assertSamePredictions(Samples.csv(idHeader + "\n" + predictions),
                Samples.csv(Samples.expected("transactions.predictions.csv")));
    }

    @Test
    void anUnreadableRecordInALaterBlockIsNamedByItsNumberInTheChunk() {
        List<String> body = new ArrayList<>();
        for (int copy = 0; copy < 4; copy++) {
            body.addAll(records);
        }
        // a quote that opens the last record's first field and is never closed (planning refuses such a file;
        // a chunk can only meet one if the input changed under it)
        body.set(body.size() - 1, "\"" + body.get(body.size() - 1));

        assertThatThrownBy(() -> predict(String.join("\n", body) + "\n", 2, false))
                .isInstanceOf(UnreadableRecordException.class)
                .hasMessage("record " + body.size() + " of the chunk is not valid CSV: a quoted field that is never closed");
    }

    /** Hides the blocks, so the same rows take the row-by-row path. */
    private record RowByRow(RowReader rows) implements RowReader {
        @Override
        public boolean next() throws IOException {
            return rows.next();
        }

        @Override
        public Rejection readFeatures(FloatBuffer tensor, int offset) {
            return rows.readFeatures(tensor, offset);
        }

        @Override
        public void readPassThrough(Object[] into) {
            rows.readPassThrough(into);
        }

        @Override
        public void close() throws IOException {
            rows.close();
        }
    }
}
