package dev.batchinference.local.endtoend;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.batchinference.json.JsonCodec;
import dev.batchinference.model.ModelManifest;
import dev.batchinference.testing.Samples;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.commons.csv.CSVRecord;

/** Inputs and models the scenarios derive from the samples, written to a test's temporary folder. */
final class ScenarioFiles {
    private ScenarioFiles() {
    }

    /** The sample iris file with one field of one record (counted from 1) replaced by {@code value}. */
    static Path irisWithField(Path dir, int record, String column, String value) {
        List<String> lines = lines(Samples.data("iris.csv"));
        List<String> header = List.of(lines.get(0).split(","));
        String[] fields = lines.get(record).split(",", -1);
        fields[header.indexOf(column)] = value;
        lines.set(record, String.join(",", fields));
        return write(dir.resolve("iris-with-a-bad-row.csv"), String.join("\n", lines) + "\n");
    }

    /** The reference predictions for iris without one record (counted from 1), header first. */
    static List<CSVRecord> irisReferenceWithout(int record) {
        List<CSVRecord> expected = new ArrayList<>(Samples.csv(Samples.expected("iris.predictions.csv")));
        expected.remove(record);
        return expected;
    }

    /**
     * The sample iris model republished as another version whose class names are upper case, so its
     * predictions name their columns differently ({@code prob_SETOSA}) and cannot pass for version 1's.
     */
    static Path irisAsVersion(Path dir, String version) {
        Path model = Samples.model("iris");
        Path target = dir.resolve("iris-v" + version);
        try {
            Files.createDirectories(target);
            ObjectNode manifest = (ObjectNode) JsonCodec.mapper().readTree(model.resolve(ModelManifest.MANIFEST_FILE).toFile());
            manifest.put("version", version);
            List<String> labels = new ArrayList<>();
            manifest.path("labels").forEach(label -> labels.add(label.asText().toUpperCase(Locale.ROOT)));
            ArrayNode upperCase = manifest.putArray("labels");
            labels.forEach(upperCase::add);
            Files.write(target.resolve(ModelManifest.MANIFEST_FILE), JsonCodec.writePretty(manifest));
            Files.copy(model.resolve(ModelManifest.MODEL_FILE), target.resolve(ModelManifest.MODEL_FILE));
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> lines(Path file) {
        try {
            return new ArrayList<>(Files.readAllLines(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path write(Path file, String text) {
        try {
            return Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
