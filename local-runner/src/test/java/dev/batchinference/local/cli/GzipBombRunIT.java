package dev.batchinference.local.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./pipeline run} of a 2 MiB {@code .csv.gz} that expands to 2 GiB of newlines, in a child JVM with a
 * temporary directory of its own: the job ends FAILED with LIMIT_EXCEEDED naming the ratio limit, and the
 * temporary directory holds nothing of it afterwards.
 */
class GzipBombRunIT {
    private static final long EXPANDED = 2L << 30;

    @TempDir
    Path dir;

    @Test
    void aGzipBombEndsLimitExceededAndLeavesNoTemporaryFiles() throws IOException, InterruptedException {
        Path home = ManyFilesRunIT.repositoryRoot();
        Path bomb = dir.resolve("bomb.csv.gz");
        writeBomb(bomb);
        Path tmp = Files.createDirectories(dir.resolve("tmp"));
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djava.io.tmpdir=" + tmp, "-Dpipeline.home=" + home, "-cp", System.getProperty("java.class.path"),
                PipelineCli.class.getName(), "run", bomb.toString(), "--model", "iris", "--out",
                dir.resolve("out").toString(), "--json");
        Path stderr = dir.resolve("stderr.txt");

        long started = System.nanoTime();
        Process process = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
        byte[] stdout = process.getInputStream().readAllBytes();
        process.waitFor(10, TimeUnit.MINUTES);
        long seconds = (System.nanoTime() - started) / 1_000_000_000;

        assertThat(process.exitValue()).as("exit code; stderr: %s", Files.readString(stderr)).isEqualTo(1);
        JsonNode job = new ObjectMapper().readTree(new String(stdout, StandardCharsets.UTF_8)).path("jobs").get(0);
        assertThat(job.path("state").asText()).isEqualTo("FAILED");
        assertThat(job.path("reason").asText()).isEqualTo("LIMIT_EXCEEDED");
        assertThat(Files.readString(dir.resolve("out/bomb.csv.gz.summary.json"))).contains("MAX_COMPRESSION_RATIO");
        long left = sizeOf(tmp);
        System.out.printf("gzip bomb (%d bytes, %d expanded): %s in %d s (whole process, JVM start included);"
                + " %d bytes left in its temporary directory%n", Files.size(bomb), EXPANDED, job.path("reason").asText(),
                seconds, left);
        assertThat(left).as("bytes left in the run's temporary directory").isZero();
    }

    /** A header, then 2 GiB of newlines: about 2 MiB compressed. */
    private static void writeBomb(Path file) throws IOException {
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file), 1 << 16) {
            {
                def.setLevel(Deflater.BEST_COMPRESSION);
            }
        }) {
            out.write("id,sepal_length,sepal_width,petal_length,petal_width\n".getBytes(StandardCharsets.UTF_8));
            byte[] block = new byte[1 << 20];
            Arrays.fill(block, (byte) '\n');
            for (long written = 0; written < EXPANDED; written += block.length) {
                out.write(block);
            }
        }
    }

    private static long sizeOf(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        }
    }
}
