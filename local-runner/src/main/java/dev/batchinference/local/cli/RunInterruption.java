package dev.batchinference.local.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.batchinference.job.JobSummary;
import dev.batchinference.local.runtime.LocalPipeline;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * What Ctrl-C (or any SIGINT, SIGTERM) during {@code run} does: says which jobs had not ended and where the
 * outputs of those that had are (copied to {@code --out} first), then stops the pipeline, which removes its
 * temporary folders and, on a shared endpoint, its bucket and queues. The JVM then exits as it does on
 * that signal: 130 after SIGINT.
 */
final class RunInterruption implements AutoCloseable {
    /** How long the hook waits for a pipeline that is starting, so that what it creates is removed too. */
    private static final long START_WAIT_SECONDS = 20;

    private final PrintStream err;
    private final String model;
    private final Thread hook = new Thread(this::stop, "run-interrupted");
    private final CountDownLatch startEnded = new CountDownLatch(1);
    private final List<RunCommand.Submitted> jobs = new CopyOnWriteArrayList<>();
    private volatile LocalPipeline pipeline;
    private volatile boolean interrupted;

    private RunInterruption(PrintStream err, String model) {
        this.err = err;
        this.model = model;
    }

    /** Installs the hook; {@link #close()} removes it when the run ends on its own. */
    static RunInterruption install(PrintStream err, String model) {
        RunInterruption interruption = new RunInterruption(err, model);
        Runtime.getRuntime().addShutdownHook(interruption.hook);
        return interruption;
    }

    /** The pipeline has started (null: it failed to). */
    void started(LocalPipeline started) {
        this.pipeline = started;
        startEnded.countDown();
    }

    void submitted(RunCommand.Submitted job) {
        jobs.add(job);
    }

    /** True once the signal came: the run's own thread then says nothing more. */
    boolean interrupted() {
        return interrupted;
    }

    private void stop() {
        interrupted = true;
        try {
            startEnded.await(START_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LocalPipeline p = pipeline;
        err.println();
        if (p == null) {
            err.println("interrupted before the pipeline had started: no job was submitted; nothing is left behind");
            return;
        }
        err.printf("interrupted: %d of %d job(s) not ended%n", jobs.stream().filter(j -> end(p, j).isEmpty()).count(),
                jobs.size());
        for (RunCommand.Submitted job : jobs) {
            Optional<JobSummary> end = end(p, job);
            if (end.isEmpty()) {
                err.printf("  not ended  %s (job %s): no outputs; it ran in this run's own bucket, which goes with it%n",
                        job.file(), job.jobId());
                continue;
            }
            try {
                ObjectNode r = JobReports.report(p.store(), job.claim(), job.jobId(), job.file().toString(), job.key(),
                        model, end, Duration.ZERO);
                err.printf("  %-10s %s (job %s): %s%n", r.path("state").asText(), job.file(), job.jobId(),
                        r.hasNonNull("output") ? "output " + r.path("output").asText() : "summary " + r.path("summary").asText());
            } catch (Exception e) {
                err.printf("  %-10s %s (job %s): its outputs could not be copied (%s)%n", end.get().state(), job.file(),
                        job.jobId(), TargetOptions.rootMessage(e));
            }
        }
        try {
            p.close();
            err.println("stopped; this run's temporary files are removed");
        } catch (RuntimeException e) {
            err.println("stopped; removing this run's temporary files failed: " + TargetOptions.rootMessage(e));
        }
    }

    private static Optional<JobSummary> end(LocalPipeline p, RunCommand.Submitted job) {
        try {
            return p.jobs().terminal(job.jobId());
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    @Override
    public void close() {
        startEnded.countDown();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or has run
        }
    }
}
