package dev.batchinference.lambda.ingest;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import dev.batchinference.aws.PipelineServices;
import dev.batchinference.config.PipelineConfig;
import dev.batchinference.ingest.IngestEvent;
import dev.batchinference.ingest.IngestReport;
import dev.batchinference.ingest.JobIngestor;
import dev.batchinference.ingest.JobSweeper;
import dev.batchinference.json.JsonCodec;
import dev.batchinference.observability.Invocation;
import dev.batchinference.observability.InvocationLog;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * Lambda entry point for three kinds of event: an S3 ObjectCreated notification or an EventBridge
 * "Object Created" event (one job per created input), and an EventBridge "Scheduled Event" (a sweep that
 * starts inputs without a job and re-drives or ends stalled jobs). The event is read as JSON, since its
 * shape tells which it is; the response is an {@link IngestReport}. Each invocation writes one line: its
 * structured log and its CloudWatch metrics (see {@link InvocationLog}).
 */
public final class IngestTriggerHandler implements RequestStreamHandler {
    public static final String FUNCTION = "ingest-trigger";

    private final JobIngestor ingestor;
    private final JobSweeper sweeper;
    private final InvocationLog invocations;

    /** Used by Lambda: everything from the environment. */
    public IngestTriggerHandler() {
        this(new PipelineServices(PipelineConfig.fromEnvironment()));
    }

    public IngestTriggerHandler(PipelineServices services) {
        this(services, services.ingestor(Clock.systemUTC()));
    }

    private IngestTriggerHandler(PipelineServices services, JobIngestor ingestor) {
        this(ingestor, services.sweeper(ingestor, Clock.systemUTC()));
    }

    public IngestTriggerHandler(JobIngestor ingestor, JobSweeper sweeper) {
        this(ingestor, sweeper, InvocationLog.fromEnvironment(FUNCTION, System.getenv()));
    }

    public IngestTriggerHandler(JobIngestor ingestor, JobSweeper sweeper, InvocationLog invocations) {
        this.ingestor = ingestor;
        this.sweeper = sweeper;
        this.invocations = invocations;
    }

    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        Invocation line = invocations.start(context == null ? null : context.getAwsRequestId());
        try {
            IngestEvent event = IngestEvent.parse(input.readAllBytes());
            line.property("event", event.getClass().getSimpleName());
            IngestReport report = handle(event);
            describe(report, line);
            output.write(JsonCodec.writeBytes(report));
        } catch (RuntimeException e) {
            line.property("error", e.getClass().getSimpleName()).count("failed", 1);
            throw e;
        } finally {
            line.emit();
        }
    }

    /** Ids, outcomes and counts only: never a key's content, and no credentials. */
    private static void describe(IngestReport report, Invocation line) {
        List<String> jobs = new ArrayList<>();
        for (JobIngestor.Outcome o : report.jobs()) {
            line.count("jobs" + capitalized(o.status().name()), 1).count("chunks", o.chunks());
            if (o.jobId() != null) {
                jobs.add(o.jobId() + " " + o.status());
            }
        }
        JobSweeper.SweepReport sweep = report.sweep();
        if (sweep != null) {
            line.count("inputsSwept", sweep.inputs()).count("jobsStarted", sweep.started().size())
                    .count("jobsRunning", sweep.running()).count("jobsRedriven", sweep.redriven().size())
                    .count("jobsStalled", sweep.endedStalled().size());
            sweep.started().forEach(o -> jobs.add(o.jobId() + " " + o.status()));
            sweep.redriven().forEach(r -> jobs.add(r.jobId() + " REDRIVEN"));
            sweep.endedStalled().forEach(id -> jobs.add(id + " STALLED"));
        }
        line.property("jobs", jobs);
    }

    private static String capitalized(String status) {
        return status.charAt(0) + status.substring(1).toLowerCase(java.util.Locale.ROOT);
    }

    /** The event, read, to the core call it asks for. */
    public IngestReport handle(IngestEvent event) {
        if (event instanceof IngestEvent.Scheduled) {
            return IngestReport.ofSweep(sweeper.sweep());
        }
        if (event instanceof IngestEvent.ObjectsCreated created) {
            List<JobIngestor.Outcome> outcomes = new ArrayList<>();
            for (String key : created.keys()) {
                outcomes.add(created.viaEventBridge() ? ingestEventBridgeKey(key) : ingestor.ingest(key));
            }
            return IngestReport.ofJobs(outcomes);
        }
        return IngestReport.ignoring(((IngestEvent.Ignored) event).what());
    }

    private JobIngestor.Outcome ingestEventBridgeKey(String key) {
        JobIngestor.Outcome outcome = ingestor.ingest(key);
        String decoded = IngestEvent.decodeKey(key);
        if (outcome.status() == JobIngestor.Outcome.Status.IGNORED && !decoded.equals(key)) {
            return ingestor.ingest(decoded);
        }
        return outcome;
    }
}
