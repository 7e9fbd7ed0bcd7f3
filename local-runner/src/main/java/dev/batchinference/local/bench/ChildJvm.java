package dev.batchinference.local.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A fresh JVM running one of the benchmark's probes: this JVM's java and class path, and no JVM options
 * unless the caller gives some.
 * A probe prints one line starting with {@link #REPORT} when it has done its work.
 */
public final class ChildJvm {
    static final String REPORT = "bench-report";
    /** A line a probe prints at a moment worth timing ({@code bench-mark NAME}), before its report. */
    static final String MARK = "bench-mark";

    /**
     * The batch-worker function's JVM options in sam/template.yaml (its {@code JAVA_TOOL_OPTIONS}, less the
     * native library path), which the cold-start and memory probes run with: the serial collector, and
     * the C2 compiler, which Lambda's Java 17 and 21 runtimes leave out unless asked (see the template).
     */
    public static final List<String> WORKER_JVM_OPTIONS = List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=4");

    /**
     * The probe's report split into words (the marker dropped), the nanoseconds from spawn to that line, and
     * from spawn to each mark line by its name.
     */
    record Report(List<String> values, long nanosToReport, Map<String, Long> nanosToMarks) {
        double millisToReport() {
            return nanosToReport / 1e6;
        }

        double millisToMark(String name) {
            Long nanos = nanosToMarks.get(name);
            if (nanos == null) {
                throw new IllegalStateException("the probe printed no mark '" + name + "'");
            }
            return nanos / 1e6;
        }
    }

    private ChildJvm() {
    }

    static Report run(Class<?> probe, Path scratch, String... args) throws IOException {
        return run(probe, System.getProperty("java.class.path"), scratch, args);
    }

    static Report run(Class<?> probe, String classPath, Path scratch, String... args) throws IOException {
        return run(probe, List.of(), classPath, scratch, args);
    }

    static Report run(Class<?> probe, List<String> jvmOptions, String classPath, Path scratch, String... args)
            throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add(probe.getName());
        command.addAll(List.of(args));
        Path errors = Files.createTempFile(scratch, "child-", ".stderr");
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectError(errors.toFile());
            // the class path through CLASSPATH, not -cp: the probes measure start-up, and a JVM whose command line
            // spells out ~110 jars is not the one a user or Lambda starts
            builder.environment().put("CLASSPATH", classPath);
            long started = System.nanoTime();
            Process process = builder.start();
            String report = null;
            long reported = 0;
            Map<String, Long> marks = new HashMap<>();
            try (BufferedReader out = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                    if (line.startsWith(MARK + " ")) {
                        marks.putIfAbsent(line.substring(MARK.length() + 1).strip(), System.nanoTime() - started);
                    }
                    if (report == null && line.startsWith(REPORT)) {
                        reported = System.nanoTime();
                        report = line;
                    }
                }
            }
            int exit = waitFor(process);
            if (exit != 0 || report == null) {
                throw new IllegalStateException(probe.getSimpleName() + " exited with " + exit
                        + (report == null ? " without a report" : "") + ": " + Files.readString(errors).strip());
            }
            List<String> words = List.of(report.strip().split("\\s+"));
            return new Report(words.subList(1, words.size()), reported - started, marks);
        } finally {
            Files.deleteIfExists(errors);
        }
    }

    private static int waitFor(Process process) {
        try {
            if (!process.waitFor(30, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new IllegalStateException("a benchmark probe ran for over 30 minutes");
            }
            return process.exitValue();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

}
