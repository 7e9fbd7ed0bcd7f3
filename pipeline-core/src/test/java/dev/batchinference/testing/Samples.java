package dev.batchinference.testing;

import dev.batchinference.model.ModelRef;
import dev.batchinference.model.ModelStore;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/** The repository's samples/ folder, for tests in any module. */
public final class Samples {
    private Samples() {
    }

    public static Path root() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isDirectory(dir.resolve("samples/models"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("no samples/ folder above " + Path.of("").toAbsolutePath());
        }
        return dir.resolve("samples");
    }

    public static Path data(String file) {
        return root().resolve("data").resolve(file);
    }

    public static Path expected(String file) {
        return root().resolve("expected").resolve(file);
    }

    public static Path model(String name) {
        return root().resolve("models").resolve(name);
    }

    /** Publishes and promotes a sample model in a store. */
    public static ModelRef publish(ModelStore store, String name) {
        ModelStore.LocalModel local = ModelStore.readLocal(model(name));
        ModelRef ref = store.publish(local.onnxFile(), local.manifest());
        store.promote(ref);
        return ref;
    }

    /** All records of a CSV with a header row, header included as the first record. */
    public static List<CSVRecord> csv(String text) {
        try (CSVParser parser = CSVParser.parse(text, CSVFormat.DEFAULT)) {
            return parser.getRecords();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static List<CSVRecord> csv(Path file) {
        try (Reader reader = Files.newBufferedReader(file)) {
            return CSVParser.parse(reader, CSVFormat.DEFAULT).getRecords();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
