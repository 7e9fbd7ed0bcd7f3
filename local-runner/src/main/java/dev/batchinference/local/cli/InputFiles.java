package dev.batchinference.local.cli;

import dev.batchinference.failure.PipelineException;
import dev.batchinference.format.InputFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The inputs a command was given: files, folders (the data files directly in them) and globs the shell did
 * not expand ({@code 'data/*.csv'}, {@code 'data/**.parquet'}), in the order given, each folder's and
 * glob's files sorted by name.
 */
final class InputFiles {
    static final String KINDS = ".csv, .tsv, .csv.gz, .tsv.gz or .parquet";

    private InputFiles() {
    }

    static List<Path> expand(List<String> arguments) {
        List<Path> files = new ArrayList<>();
        for (String argument : arguments) {
            Path path = Path.of(argument);
            if (Files.isRegularFile(path)) {
                files.add(path);
            } else if (Files.isDirectory(path)) {
                List<Path> inFolder = list(path, 1, p -> true);
                if (inFolder.isEmpty()) {
                    throw new PipelineCli.UsageException("no data files in the folder " + path + " (it reads files named "
                            + KINDS + ")");
                }
                files.addAll(inFolder);
            } else if (isGlob(argument)) {
                files.addAll(glob(argument));
            } else {
                throw new PipelineCli.UsageException("no such file or folder: " + argument);
            }
        }
        return files;
    }

    private static boolean isGlob(String argument) {
        return argument.chars().anyMatch(c -> c == '*' || c == '?' || c == '[' || c == '{');
    }

    private static List<Path> glob(String pattern) {
        // the folder before the first segment with a wildcard is where the search starts
        String[] segments = pattern.split("/", -1);
        int first = 0;
        while (first < segments.length && !isGlob(segments[first])) {
            first++;
        }
        String base = String.join("/", java.util.Arrays.copyOfRange(segments, 0, first));
        Path root = Path.of(!base.isEmpty() ? base : pattern.startsWith("/") ? "/" : ".");
        String rest = String.join("/", java.util.Arrays.copyOfRange(segments, first, segments.length));
        int depth = rest.contains("**") ? Integer.MAX_VALUE : segments.length - first;
        PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + rest);
        List<Path> matched = Files.isDirectory(root) ? list(root, depth, p -> matcher.matches(root.relativize(p)))
                : List.of();
        if (matched.isEmpty()) {
            throw new PipelineCli.UsageException("no data files match " + pattern + " (it reads files named " + KINDS + ")");
        }
        return matched;
    }

    /** Data files under the folder, to the depth given, hidden ones aside, sorted. */
    private static List<Path> list(Path folder, int depth, java.util.function.Predicate<Path> wanted) {
        try (Stream<Path> paths = Files.walk(folder, depth)) {
            return paths.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().startsWith("."))
                    .filter(InputFiles::isDataFile).filter(wanted).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean isDataFile(Path file) {
        try {
            InputFormat.of(file.getFileName().toString());
            return true;
        } catch (PipelineException notData) {
            return false;
        }
    }
}
