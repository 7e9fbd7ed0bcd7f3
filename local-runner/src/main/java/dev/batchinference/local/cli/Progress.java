package dev.batchinference.local.cli;

import dev.batchinference.format.ChunkRange;
import dev.batchinference.job.CompletionGroups;
import dev.batchinference.job.JobKeys;
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
 *
 * <p>A look lists the job's done markers, one page of at most 1,000 keys; a job of more chunks is followed by the
 * markers of its whole completion groups instead (one per {@link CompletionGroups#FANOUT} chunks), so that following
 * a large job costs the local S3 a small listing, not every marker of the job again at each look.
 */
final class Progress {
    private final PrintStream err;
    private final boolean terminal;
    private final Map<String, String> lastLine = new HashMap<>();
    private final Map<String, JobPlan> plans = new HashMap<>();
    private static final long LOOK_EVERY_NANOS = 200_000_000L;
    /** Jobs of more chunks than one page of a listing are followed by their completion groups. */
    private static final int MARKERS_PER_LOOK = 1_000;
    private final Map<String, Map<String, ChunkRange>> doneChunks = new HashMap<>();
    private final Map<String, Long> nextLook = new HashMap<>();
    private final long started = System.nanoTime();

    Progress(PrintStream err, boolean terminal) {
        this.err = err;
        this.terminal = terminal;
    }

    /**
     * True once the last look found every chunk of the job done: the writer is collating it, so its end is near
     * (and worth looking for often).
     */
    boolean allDone(String jobId) {
        JobPlan plan = plans.get(jobId);
        Map<String, ChunkRange> done = doneChunks.get(jobId);
        return plan != null && done != null && done.size() == plan.chunks().size();
    }

    void show(String name, JobStore jobs, String jobId, Optional<JobSummary> end) {
        if (end.isPresent()) {
            String state = end.get().state() + (end.get().reason() == null ? "" : " " + end.get().reason());
            print(jobId, name + ": " + state, state);
            return;
        }
        long now = System.nanoTime();
        if (now < nextLook.getOrDefault(jobId, Long.MIN_VALUE)) {
            return;
        }
        JobPlan plan = plans.computeIfAbsent(jobId, id -> jobs.plan(id).orElse(null));
        if (plan == null) {
            plans.remove(jobId);
            nextLook.put(jobId, now + LOOK_EVERY_NANOS);
            print(jobId, name + ": planning", "planning");
            return;
        }
        int total = plan.chunks().size();
        // a look lists up to a page of keys: a job of more than 250 chunks is looked at less often, up to once a
        // second, so that following it does not cost the local S3 more than running it
        nextLook.put(jobId, now + LOOK_EVERY_NANOS * Math.min(5, Math.max(1, total / 250)));
        Map<String, ChunkRange> done = doneChunks.computeIfAbsent(jobId, id -> new HashMap<>());
        if (total <= MARKERS_PER_LOOK) {
            for (String key : jobs.doneKeys(jobId)) {
                int index = JobKeys.markerIndex(key);
                if (!done.containsKey(key) && index >= 0 && index < total) {
                    done.put(key, plan.chunks().get(index));
                }
            }
        } else {
            int fanout = CompletionGroups.FANOUT;
            for (int group : jobs.wholeChunkGroups(jobId)) {
                for (int index = group * fanout; index < Math.min(total, (group + 1) * fanout); index++) {
                    done.putIfAbsent(JobKeys.done(jobId, index), plan.chunks().get(index));
                }
            }
        }
        // rows as the planner counted them: no read of each chunk's record (plans from before planners counted have none)
        long rows = done.values().stream().mapToLong(c -> c.rows() == null ? 0 : c.rows()).sum();
        long bytesDone = done.values().stream().mapToLong(ChunkRange::length).sum();
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
