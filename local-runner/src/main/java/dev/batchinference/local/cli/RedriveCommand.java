package dev.batchinference.local.cli;

import dev.batchinference.control.JobRedriver;
import dev.batchinference.control.JobStatus;
import java.time.Clock;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** Re-runs only the chunks of a FAILED job that did not finish, like Step Functions' redrive. */
@Command(name = "redrive", mixinStandardHelpOptions = true,
        description = "Re-run the unfinished chunks of a job that FAILED with CHUNK_FAILED, STALLED or"
                + " OUTPUT_WRITE_FAILED; the finished chunks are kept, and the job ends again with one output.")
final class RedriveCommand implements Callable<Integer> {

    @Parameters(paramLabel = "JOB", description = "a job id, or its first characters")
    String job;

    @Mixin
    TargetOptions target;

    @Override
    public Integer call() {
        TargetOptions.Target t = target.connect();
        JobStatus status = JobStatus.read(t.services().store(), job, Clock.systemUTC()).orElseThrow(() ->
                new PipelineCli.UsageException("no job '" + job + "' in bucket " + t.bucket() + " at " + t.description()));
        JobRedriver redriver = new JobRedriver(t.services().store(), t.services().workQueue(), t.services().resultsQueue(),
                Clock.systemUTC());
        JobRedriver.Redrive redrive;
        try {
            redrive = redriver.redriveFailed(status.jobId());
        } catch (JobRedriver.RedriveRefusedException e) {
            System.err.println("not re-driven: " + e.getMessage());
            return 1;
        }
        System.out.printf("job %s re-driven: %s%n", redrive.jobId(), redrive.chunks().isEmpty()
                ? "every chunk had finished; the writer was asked to collate"
                : redrive.chunks().size() + " of " + status.chunks() + " chunk(s) sent to the work queue " + redrive.chunks());
        System.out.printf("follow it with: ./pipeline status %s --follow%n", redrive.jobId());
        return 0;
    }
}
