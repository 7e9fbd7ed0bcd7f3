package dev.batchinference.local.cli;

import dev.batchinference.job.JobKeys;
import dev.batchinference.storage.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A local folder that receives jobs' outputs ({@code run --out}, {@code submit --out}), where one input's outputs
 * never silently replace another's. An input's outputs are named after its file name, as in the bucket
 * ({@code x.csv.predictions.csv}), and a hidden file beside them ({@code .x.csv.source}) records the absolute path
 * of the input they came from. Another input with the same file name (from another folder, or the same file given
 * twice in one command) gets a numbered name instead ({@code x~2.csv.predictions.csv}), and the command says so;
 * the same input run again replaces its own outputs. Predictions written in parts keep the bucket's layout: a folder
 * {@code x.csv.predictions/} with the manifest and the parts.
 */
final class OutputFolder {
    /** The input extensions a number goes before, so that a renamed input is still read as what it is. */
    private static final List<String> EXTENSIONS = List.of(".csv.gz", ".tsv.gz", ".csv", ".tsv", ".parquet");
    private static final String SOURCE = ".source";

    private final Path dir;
    private final Map<String, Path> claimed = new HashMap<>();

    OutputFolder(Path dir) {
        this.dir = dir;
    }

    /**
     * The name one input's outputs take in a folder.
     *
     * @param notice why the name is not the input's own file name, or null when it is
     */
    record Claim(Path dir, Path source, String name, String notice) {

        /**
         * Copies a job's outputs into the folder under this claim's name, records the input they came from, and
         * deletes what an earlier run of the same input left that this job did not write (an errors file that no
         * longer applies, predictions in the other format).
         *
         * @param outputBase the outputs' common beginning in the bucket ({@link JobKeys#outputBase})
         * @param keys the keys to copy; nulls are skipped
         * @return each key copied, with its local path
         */
        Map<String, Path> receive(ObjectStore store, String outputBase, List<String> keys) throws IOException {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve(sourceFileOf(name)), source + "\n", StandardCharsets.UTF_8);
            Map<String, Path> copied = new LinkedHashMap<>();
            for (String key : keys) {
                if (key == null) {
                    continue;
                }
                if (!key.startsWith(outputBase)) {
                    throw new IllegalArgumentException(key + " is not an output of " + outputBase);
                }
                Path target = dir.resolve(name + key.substring(outputBase.length()));
                Files.createDirectories(target.getParent());
                try (InputStream in = store.read(key)) {
                    Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
                }
                copied.put(key, target);
            }
            for (String suffix : JobKeys.OUTPUT_SUFFIXES) {
                Path stale = dir.resolve(name + suffix);
                if (!copied.containsValue(stale)) {
                    Files.deleteIfExists(stale);
                }
            }
            Path parts = dir.resolve(name + JobKeys.PREDICTIONS_PARTS);
            if (Files.isDirectory(parts)) {
                try (Stream<Path> files = Files.list(parts)) {
                    for (Path stale : files.filter(f -> !copied.containsValue(f)).toList()) {
                        Files.deleteIfExists(stale);
                    }
                }
                try (Stream<Path> left = Files.list(parts)) {
                    if (left.findAny().isEmpty()) {
                        Files.delete(parts);
                    }
                }
            }
            return copied;
        }
    }

    /**
     * Claims a name for the outputs of {@code input}, whose file name is {@code fileName}: that name if no other
     * input of this command has it and the folder holds no other input's outputs under it, else the first free
     * numbered one.
     */
    Claim claim(Path input, String fileName) throws IOException {
        Path source = input.toAbsolutePath().normalize();
        String why = null;
        for (int n = 1; ; n++) {
            String name = n == 1 ? fileName : numbered(fileName, n);
            String taken = takenFrom(source, name);
            if (taken == null) {
                claimed.put(name, source);
                return new Claim(dir, source, name, why == null ? null
                        : "outputs named " + name + ".* because " + why);
            }
            if (why == null) {
                why = taken;
            }
        }
    }

    /** Why {@code name} is not free for the outputs of {@code source}, or null when it is. */
    private String takenFrom(Path source, String name) throws IOException {
        Path other = claimed.get(name);
        if (other != null) {
            return other.equals(source) ? source + " was given more than once"
                    : "another input of this command, " + other + ", has the name " + name;
        }
        Path sourceFile = dir.resolve(sourceFileOf(name));
        if (Files.isRegularFile(sourceFile)) {
            String owner = Files.readString(sourceFile, StandardCharsets.UTF_8).strip();
            return owner.equals(source.toString()) ? null
                    : dir + " holds the outputs of " + owner + " under the name " + name;
        }
        for (String suffix : outputNames()) {
            if (Files.exists(dir.resolve(name + suffix))) {
                return dir + " holds outputs named " + name + ".* with no record of their input";
            }
        }
        return null;
    }

    /** What an input's outputs add to its name in the folder: the outputs' suffixes, and the folder of parts. */
    private static List<String> outputNames() {
        return Stream.concat(JobKeys.OUTPUT_SUFFIXES.stream(), Stream.of(JobKeys.PREDICTIONS_PARTS)).toList();
    }

    private static String sourceFileOf(String name) {
        return "." + name + SOURCE;
    }

    /** {@code x.csv} → {@code x~2.csv}: the number before the input's extension, else at the end. */
    static String numbered(String fileName, int n) {
        String lower = fileName.toLowerCase(Locale.ROOT);
        for (String extension : EXTENSIONS) {
            if (lower.endsWith(extension) && lower.length() > extension.length()) {
                int at = fileName.length() - extension.length();
                return fileName.substring(0, at) + "~" + n + fileName.substring(at);
            }
        }
        return fileName + "~" + n;
    }
}
