package dev.batchinference.local.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** A writer's owner id tells whether its process has ended, on this machine, and nothing about other writers. */
class LocalWriterIdsTest {

    @Test
    void aWriterOfThisProcessIsNotEnded() {
        String prefix = LocalWriterIds.prefixOfThisProcess();

        assertThat(prefix).startsWith("local-" + ProcessHandle.current().pid() + "-").endsWith("/");
        assertThat(LocalWriterIds.ofAnEndedProcess(prefix + "results-writer-1")).isFalse();
    }

    @Test
    void aWriterOfAProcessThatExitedIsEnded() throws Exception {
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-version")
                .redirectErrorStream(true).start();
        process.getInputStream().readAllBytes();
        long start = process.info().startInstant().map(Instant::toEpochMilli).orElse(1L);
        process.waitFor();
        String owner = "local-" + process.pid() + "-" + start + "/results-writer-2";

        assertThat(LocalWriterIds.ofAnEndedProcess(owner)).isTrue();
    }

    @Test
    void aProcessIdTakenByAnotherProcessSinceIsEnded() {
        long pid = ProcessHandle.current().pid();

        assertThat(LocalWriterIds.ofAnEndedProcess("local-" + pid + "-1000/results-writer-3"))
                .as("this process has the id, but did not start in 1970").isTrue();
    }

    @Test
    void writersWithoutTheLocalPrefixAreNeverJudged() {
        assertThat(LocalWriterIds.ofAnEndedProcess("results-writer-5f0e6c2a-9d4b-4c1e-8a7d-2b3c4d5e6f70")).isFalse();
        assertThat(LocalWriterIds.ofAnEndedProcess("crashed-writer")).isFalse();
    }
}
