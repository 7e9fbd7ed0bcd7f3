package dev.batchinference.local.cli;

import dev.batchinference.control.JobStatus;
import dev.batchinference.job.JobKeys;
import dev.batchinference.job.JobListing;
import dev.batchinference.job.JobState;
import dev.batchinference.storage.ObjectStore;
import java.io.PrintStream;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * One line per job as it starts and as it ends, for a terminal watching {@code serve}: a listing of
 * {@code jobs/} a second, and a job read only when it first appears or ends.
 */
final class JobLog {
    private final ObjectStore store;
    private final PrintStream err;
    /** Whether each known job had ended at the last look. */
    private final Map<String, Boolean> seen = new HashMap<>();

    JobLog(ObjectStore store, PrintStream err) {
        this.store = store;
        this.err = err;
    }

    /** Polls every second until {@code stopped}; jobs there before the first look are not reported. */
    void run(CountDownLatch stopped) throws InterruptedException {
        boolean first = true;
        do {
            try {
                for (JobListing listing : JobListing.of(store.listObjects(JobKeys.JOBS))) {
                    Boolean before = seen.put(listing.jobId(), listing.ended());
                    if (!first && !Boolean.valueOf(listing.ended()).equals(before)) {
                        JobStatus.read(store, listing.jobId(), Clock.systemUTC()).ifPresent(this::print);
                    }
                }
                first = false;
            } catch (RuntimeException e) {
                // the emulators are stopping, or a listing met an object being written: look again
            }
        } while (!stopped.await(1, TimeUnit.SECONDS));
    }

    private void print(JobStatus job) {
        if (job.state() == JobState.RUNNING) {
            err.printf("job %s started: %s (%d chunk(s), model %s v%s)%n", job.jobId(), job.input(), job.chunks(),
                    job.model(), job.modelVersion());
        } else {
            err.printf("job %s %s%s: %s, %,d rows in, %,d predicted, %,d rejected%s%n", job.jobId(), job.state(),
                    job.reason() == null ? "" : " " + job.reason(), job.input(), job.rowsIn(), job.rowsOut(),
                    job.rowsRejected(), job.output() == null ? "" : " -> " + job.output());
        }
    }
}
