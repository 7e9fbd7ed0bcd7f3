package dev.batchinference.local.cli;

import dev.batchinference.aws.PipelineServices;
import dev.batchinference.config.PipelineConfig;
import dev.batchinference.ingest.IngestEvent;
import dev.batchinference.ingest.IngestReport;
import dev.batchinference.ingest.JobSweeper;
import dev.batchinference.json.JsonCodec;
import dev.batchinference.lambda.ingest.IngestTriggerHandler;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Fires the scheduled run once, from this machine: the real ingest handler, given EventBridge's
 * "Scheduled Event", against the target's bucket and queues.
 */
@Command(name = "sweep", mixinStandardHelpOptions = true,
        description = "Run the scheduled sweep once: start inputs under incoming/ that have no job, re-drive jobs that"
                + " made no progress for --stalled-after, and end FAILED (STALLED) those a redrive did not revive.")
final class SweepCommand implements Callable<Integer> {

    @Option(names = "--stalled-after", paramLabel = "DURATION",
            description = "how long without a finished chunk counts as stalled (default: PT6H, as STALLED_JOB_SECONDS)")
    Duration stalledAfter = PipelineConfig.DEFAULT_STALLED_JOB_AFTER;

    @Option(names = "--json", description = "print the sweep's report as JSON")
    boolean json;

    @Mixin
    TargetOptions target;

    @Override
    public Integer call() {
        TargetOptions.Target t = target.connect();
        PipelineConfig base = t.services().config();
        Map<String, String> env = new HashMap<>(t.environment());
        env.put(PipelineConfig.STALLED_JOB_SECONDS, Long.toString(stalledAfter.toSeconds()));
        IngestReport report = new IngestTriggerHandler(new PipelineServices(PipelineConfig.from(env)))
                .handle(new IngestEvent.Scheduled(Instant.now().toString()));
        JobSweeper.SweepReport sweep = report.sweep();
        if (json) {
            System.out.println(new String(JsonCodec.writePretty(sweep), java.nio.charset.StandardCharsets.UTF_8));
            return 0;
        }
        System.out.printf("swept %s (bucket %s): %d input(s), %d unfinished job(s)%n", t.description(), base.bucket(),
                sweep.inputs(), sweep.running());
        sweep.started().forEach(o -> System.out.printf("  started   %s  %s (%s)%n", o.jobId(), o.key(), o.status()));
        sweep.redriven().forEach(r -> System.out.printf("  re-driven %s  %s%n", r.jobId(), r.chunks().isEmpty()
                ? "collation" : r.chunks().size() + " chunk(s)"));
        sweep.endedStalled().forEach(id -> System.out.printf("  stalled   %s  ended FAILED STALLED%n", id));
        return 0;
    }
}
