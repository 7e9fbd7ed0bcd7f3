package dev.batchinference.local.cli;

import dev.batchinference.control.JobStatus;
import dev.batchinference.job.JobStore;
import dev.batchinference.json.JsonCodec;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Jobs as the bucket records them: one in detail, or a table of the recent ones. */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "One job in detail (any unambiguous beginning of its id), or a table of recent jobs.")
final class StatusCommand implements Callable<Integer> {

    @Parameters(arity = "0..1", paramLabel = "JOB", description = "a job id, or its first characters")
    String job;

    @Option(names = "--follow", description = "show progress until the job ends")
    boolean follow;

    @Option(names = "--json", description = "print JSON instead of text")
    boolean json;

    @Option(names = "--limit", paramLabel = "N", description = "how many recent jobs (default: ${DEFAULT-VALUE})")
    int limit = 20;

    @Mixin
    TargetOptions target;

    @Override
    public Integer call() {
        TargetOptions.Target t = target.connect();
        if (job == null) {
            List<JobStatus> recent = JobStatus.recent(t.services().store(), limit, Clock.systemUTC());
            if (json) {
                System.out.println(JsonCodec.mapper().valueToTree(java.util.Map.of("jobs", recent)).toPrettyString());
            } else {
                printTable(recent, t.description());
            }
            return 0;
        }
        JobStatus status = read(t);
        if (follow && !status.state().isTerminal()) {
            // polls the end alone; Progress reads each finished chunk's record once
            Progress progress = new Progress(System.err, System.console() != null);
            JobStore jobs = new JobStore(t.services().store());
            Optional<dev.batchinference.job.JobSummary> end = Optional.empty();
            while (end.isEmpty()) {
                sleep(Duration.ofMillis(500));
                end = jobs.terminal(status.jobId());
                progress.show(status.jobId(), jobs, status.jobId(), end);
            }
            progress.finish();
            status = read(t);
        }
        if (json) {
            System.out.println(new String(JsonCodec.writePretty(status), java.nio.charset.StandardCharsets.UTF_8));
        } else {
            printDetail(status);
        }
        return status.state() == dev.batchinference.job.JobState.FAILED ? 1 : 0;
    }

    private JobStatus read(TargetOptions.Target t) {
        return JobStatus.read(t.services().store(), job, Clock.systemUTC()).orElseThrow(() ->
                new PipelineCli.UsageException("no job '" + job + "' in bucket " + t.bucket() + " at " + t.description()));
    }

    static void printDetail(JobStatus s) {
        System.out.printf("job       %s%n", s.jobId());
        System.out.printf("state     %s%s%n", s.state(), s.reason() == null ? "" : " " + s.reason());
        if (s.message() != null) {
            System.out.printf("message   %s%n", s.message());
        }
        System.out.printf("input     %s%n", s.input());
        System.out.printf("model     %s v%s%n", s.model(), s.modelVersion() == null ? "?" : s.modelVersion());
        System.out.printf("chunks    %d of %d done%n", s.chunksDone(), s.chunks());
        System.out.printf("rows      %,d in, %,d predicted, %,d rejected%n", s.rowsIn(), s.rowsOut(), s.rowsRejected());
        System.out.printf("elapsed   %s%s%n", human(s.elapsedMs()), s.finishedAt() == null ? " (running)" : "");
        if (s.redrives() > 0) {
            System.out.printf("redrives  %d%n", s.redrives());
        }
        String output = s.output() == null || s.outputParts() == null ? s.output()
                : s.output() + " (the manifest of " + s.outputParts() + " part objects, in order)";
        for (String[] line : new String[][] {{"output", output}, {"errors", s.errors()}, {"summary", s.summary()}}) {
            if (line[1] != null) {
                System.out.printf("%-9s %s%n", line[0], line[1]);
            }
        }
    }

    private static void printTable(List<JobStatus> jobs, String where) {
        if (jobs.isEmpty()) {
            System.out.println("no jobs at " + where);
            return;
        }
        System.out.printf("%-20s  %-24s  %-7s  %12s  %8s  %-10s  %s%n", "JOB", "STATE", "CHUNKS", "ROWS", "ELAPSED", "MODEL", "INPUT");
        for (JobStatus s : jobs) {
            System.out.printf("%-20s  %-24s  %-7s  %12s  %8s  %-10s  %s%n", s.jobId(),
                    s.state() + (s.reason() == null ? "" : " " + s.reason()), s.chunksDone() + "/" + s.chunks(),
                    s.state().isTerminal() ? String.format("%,d", s.rowsIn()) : "", human(s.elapsedMs()),
                    s.model() + (s.modelVersion() == null ? "" : " v" + s.modelVersion()), s.input());
        }
    }

    static String human(long millis) {
        if (millis < 10_000) {
            return String.format("%.1f s", millis / 1000.0);
        }
        Duration d = Duration.ofMillis(millis);
        return d.toHours() > 0 ? String.format("%dh%02dm", d.toHours(), d.toMinutesPart())
                : String.format("%dm%02ds", d.toMinutes(), d.toSecondsPart());
    }

    static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
