package dev.batchinference.local.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ctrl-C during {@code ./pipeline run}, as a terminal sends it: a real child JVM gets SIGINT while its job
 * runs, says which job had not ended, exits 130, and leaves nothing in its temporary directory.
 */
class RunInterruptIT {
    @TempDir
    Path dir;

    @Test
    void sigintDuringARunSaysWhatWasLeftRemovesItsTemporaryFilesAndExits130() throws Exception {
        Path input = dir.resolve("many.csv");
        try (BufferedWriter w = Files.newBufferedWriter(input, StandardCharsets.UTF_8)) {
            w.write("id,sepal_length,sepal_width,petal_length,petal_width\n");
            for (int i = 0; i < 40_000; i++) {
                w.write(i + ",5.1,3.5,1.4,0.2\n");
            }
        }
        Path tmp = Files.createDirectories(dir.resolve("tmp"));
        List<String> command = new java.util.ArrayList<>(defaultSigint());
        command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djava.io.tmpdir=" + tmp, "-Dpipeline.home=" + ManyFilesRunIT.repositoryRoot(), "-cp",
                System.getProperty("java.class.path"), PipelineCli.class.getName(), "run", input.toString(),
                "--model", "iris", "--out", dir.resolve("out").toString(), "--chunk-rows", "20", "--workers", "1"));
        Process process = new ProcessBuilder(command).redirectOutput(dir.resolve("stdout.txt").toFile()).start();
        StringBuilder stderr = new StringBuilder();
        CompletableFuture<Void> submitted = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = lines.readLine()) != null; ) {
                    synchronized (stderr) {
                        stderr.append(line).append('\n');
                    }
                    if (line.contains("(job ")) {
                        submitted.complete(null);
                    }
                }
            } catch (IOException e) {
                submitted.completeExceptionally(e);
            }
            submitted.complete(null);
        });
        reader.start();

        submitted.get(5, TimeUnit.MINUTES);
        assertThat(process.isAlive()).as("still running after the upload; stderr: %s", stderr).isTrue();
        new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).inheritIO().start().waitFor();
        assertThat(process.waitFor(2, TimeUnit.MINUTES)).as("ended after SIGINT").isTrue();
        reader.join(10_000);

        String said;
        synchronized (stderr) {
            said = stderr.toString();
        }
        assertThat(process.exitValue()).as("exit code; stderr: %s", said).isEqualTo(130);
        assertThat(said).contains("interrupted: 1 of 1 job(s) not ended").contains("not ended  " + input)
                .contains("this run's temporary files are removed").doesNotContain("\tat ").doesNotContain("Thread was interrupted");
        assertThat(filesUnder(tmp)).as("left in the run's temporary directory").isEmpty();
    }

    /**
     * A program started in the background by a shell without job control (CI, {@code nohup}) inherits SIGINT
     * ignored, and a JVM then leaves it so: the child gets the terminal's default back where coreutils' env can.
     */
    private static List<String> defaultSigint() throws InterruptedException {
        try {
            Process probe = new ProcessBuilder("env", "--default-signal=INT", "true").start();
            return probe.waitFor() == 0 ? List.of("env", "--default-signal=INT") : List.of();
        } catch (IOException noEnv) {
            return List.of();
        }
    }

    private static List<Path> filesUnder(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(p -> !p.equals(dir)).toList();
        }
    }
}
