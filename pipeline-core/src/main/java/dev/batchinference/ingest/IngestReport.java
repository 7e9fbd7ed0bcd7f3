package dev.batchinference.ingest;

import java.util.List;

/** What ingest-trigger did with one invocation: a job per created object, or a sweep's report. */
public record IngestReport(List<JobIngestor.Outcome> jobs, JobSweeper.SweepReport sweep, String ignored) {

    public static IngestReport ofJobs(List<JobIngestor.Outcome> jobs) {
        return new IngestReport(jobs, null, null);
    }

    public static IngestReport ofSweep(JobSweeper.SweepReport sweep) {
        return new IngestReport(List.of(), sweep, null);
    }

    public static IngestReport ignoring(String what) {
        return new IngestReport(List.of(), null, what);
    }
}
