package dev.batchinference.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchinference.format.OutputCsv;
import dev.batchinference.job.JobSummary;
import dev.batchinference.job.OutputManifest;
import dev.batchinference.json.JsonCodec;
import dev.batchinference.storage.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.parquet.example.data.Group;

/**
 * Reads predictions written as part objects the way a consumer would, through their manifest, and checks the manifest
 * against what is in the store: every part there, with the size, ETag and rows it lists.
 */
public final class PredictionParts {
    private PredictionParts() {
    }

    /** The manifest a summary names, checked: its parts exist with the sizes and ETags it lists, its rows are the job's. */
    public static OutputManifest manifestOf(ObjectStore store, JobSummary summary) {
        assertThat(summary.outputParts()).as("the summary says the predictions are in parts").isNotNull();
        assertThat(summary.output()).endsWith(".predictions/manifest.json");
        OutputManifest manifest = JsonCodec.read(bytes(store, summary.output()), OutputManifest.class);
        assertThat(manifest.jobId()).isEqualTo(summary.jobId());
        assertThat(manifest.parts()).hasSize(summary.outputParts());
        assertThat(manifest.rows()).isEqualTo(summary.rowsOut());
        int nextChunk = 0;
        for (OutputManifest.Part part : manifest.parts()) {
            ObjectStore.StoredObject stored = store.head(part.key()).orElseThrow(() -> new AssertionError(part.key()));
            assertThat(stored.size()).as("the size of %s", part.key()).isEqualTo(part.bytes());
            assertThat(stored.etag()).as("the ETag of %s", part.key()).isEqualTo(part.etag());
            assertThat(part.firstChunk()).as("the chunks of the parts follow each other").isEqualTo(nextChunk);
            nextChunk = part.lastChunk() + 1;
        }
        assertThat(nextChunk).as("every chunk in a part").isEqualTo(summary.chunks());
        assertThat(manifest.bytes()).isEqualTo(manifest.parts().stream().mapToLong(OutputManifest.Part::bytes).sum());
        return manifest;
    }

    /**
     * The CSV parts read in manifest order, as one text: the header once, then each part's rows. Each part must begin
     * with the header, and hold the rows the manifest says.
     */
    public static String csv(ObjectStore store, OutputManifest manifest) {
        String header = new String(OutputCsv.line(manifest.columns()), StandardCharsets.UTF_8);
        StringBuilder all = new StringBuilder(header);
        for (OutputManifest.Part part : manifest.parts()) {
            String text = new String(bytes(store, part.key()), StandardCharsets.UTF_8);
            assertThat(text).as("%s starts with the header", part.key()).startsWith(header);
            String rows = text.substring(header.length());
            assertThat(Samples.csv(header + rows)).as("the rows of %s", part.key()).hasSize((int) part.rows() + 1);
            all.append(rows);
        }
        return all.toString();
    }

    /** The Parquet parts' rows read in manifest order, each as its text; each part must hold the rows listed. */
    public static List<String> parquetRows(Path dir, ObjectStore store, OutputManifest manifest) {
        List<String> rows = new ArrayList<>();
        for (OutputManifest.Part part : manifest.parts()) {
            List<Group> read = ParquetFiles.read(dir, bytes(store, part.key()));
            assertThat(read).as("the rows of %s", part.key()).hasSize((int) part.rows());
            read.forEach(g -> rows.add(g.toString()));
        }
        return rows;
    }

    /** The rows of a whole Parquet object, each as its text. */
    public static List<String> parquetRows(Path dir, byte[] parquet) {
        return ParquetFiles.read(dir, parquet).stream().map(Group::toString).toList();
    }

    public static byte[] bytes(ObjectStore store, String key) {
        try (InputStream in = store.read(key)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
