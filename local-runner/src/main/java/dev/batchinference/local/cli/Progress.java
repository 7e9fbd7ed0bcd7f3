package dev.batchinference.local.cli;

import dev.batchinference.job.ChunkResult;
import dev.batchinference.job.JobPlan;
import dev.batchinference.job.JobStore;
import dev.batchinference.job.JobSummary;
import java.io.PrintStream;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Shows each job's chunks done out of planned, rows per second and an ETA while users wait: redrawn in
 * place on a terminal, one line per change otherwise (logs, CI).
 */
final class Progress {
    private final PrintStream err;
    private final boolean terminal;
    private final Map<String, String> lastLine = new HashMap<>();
    private final Map<String, JobPlan> plans = new HashMap<>();
    private final Map<String, Map<String, ChunkResult>> doneChunks = new HashMap<>();
    private final long started = System.nanoTime();

    Progress(PrintStream err, boolean terminal) {
        this.err = err;
        this.terminal = terminal;
    }

    void show(String name, JobStore jobs, String jobId, Optional<JobSummary> end) {
        JobPlan plan = plans.computeIfAbsent(jobId, id -> jobs.plan(id).orElse(null));
        if (plan == null) {
            plans.remove(jobId);
            print(jobId, name + ": planning", "planning");
            return;
        }
        if (end.isPresent()) {
            String state = end.get().state() + (end.get().reason() == null ? "" : " " + end.get().reason());
            print(jobId, name + ": " + state, state);
            return;
        }
        int total = plan.chunks().size();
        Map<String, ChunkResult> done = doneChunks.computeIfAbsent(jobId, id -> new HashMap<>());
        for (String key : jobs.doneKeys(jobId)) {
            if (!done.containsKey(key)) {
                jobs.doneChunk(key).ifPresent(r -> done.put(key, r));
            }
        }
        long rows = done.values().stream().mapToLong(ChunkResult::rowsIn).sum();
        long bytesDone = done.values().stream().mapToLong(r -> plan.chunks().get(r.chunk()).length()).sum();
        double seconds = (System.nanoTime() - started) / 1e9;
        String rate = done.isEmpty() || bytesDone == 0 ? "" : String.format("  %,d rows  %,.0f rows/s  ETA %.0f s",
                rows, rows / seconds, seconds * (plan.input().size() - bytesDone) / bytesDone);
        print(jobId, String.format("%s: chunks %d/%d%s", name, done.size(), total, rate), done.size() + "/" + total);
    }

    /** Redraws on a terminal whenever the line changes; elsewhere prints only when {@code step} changes. */
    private void print(String jobId, String line, String step) {
        if ((terminal ? line : step).equals(lastLine.put(jobId, terminal ? line : step))) {
            return;
        }
        if (terminal) {
            err.print("\r\033[K" + line);
        } else {
            err.println(line);
        }
    }

    void finish() {
        if (terminal) {
            err.println();
        }
    }
}
