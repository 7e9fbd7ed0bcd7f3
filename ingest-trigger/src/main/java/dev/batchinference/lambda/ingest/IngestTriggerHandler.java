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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Lambda entry point for four kinds of event: an S3 ObjectCreated notification or an EventBridge
 * "Object Created" event (one job per created input), an EventBridge "Scheduled Event" (a sweep that
 * starts inputs without a job and re-drives or ends stalled jobs), and SQS batches of planning hand-overs
 * (a job planned in steps, continued; from the planning queue's dead-letter queue, ended). The event is read as
 * JSON, since its shape tells which it is; the response is an {@link IngestReport}, or for SQS the partial batch
 * response. Each invocation writes one line: its structured log and its CloudWatch metrics (see
 * {@link InvocationLog}).
 */
public final class IngestTriggerHandler implements RequestStreamHandler {
    public static final String FUNCTION = "ingest-trigger";

    private final JobIngestor ingestor;
    private final JobSweeper sweeper;
    private final InvocationLog invocations;
    /** The planning queue's URL, to tell its messages from its dead letters; null: none. */
    private final String planningQueueUrl;

    /** Used by Lambda: everything from the environment. */
    public IngestTriggerHandler() {
        this(new PipelineServices(PipelineConfig.fromEnvironment()));
    }

    public IngestTriggerHandler(PipelineServices services) {
        this(services, services.ingestor(Clock.systemUTC()));
    }

    private IngestTriggerHandler(PipelineServices services, JobIngestor ingestor) {
        this(ingestor, services.sweeper(ingestor, Clock.systemUTC()),
                InvocationLog.fromEnvironment(FUNCTION, System.getenv()), services.config().planningQueueUrl());
    }

    public IngestTriggerHandler(JobIngestor ingestor, JobSweeper sweeper) {
        this(ingestor, sweeper, InvocationLog.fromEnvironment(FUNCTION, System.getenv()));
    }

    public IngestTriggerHandler(JobIngestor ingestor, JobSweeper sweeper, InvocationLog invocations) {
        this(ingestor, sweeper, invocations, null);
    }

    public IngestTriggerHandler(JobIngestor ingestor, JobSweeper sweeper, InvocationLog invocations,
                                String planningQueueUrl) {
        this.ingestor = ingestor;
        this.sweeper = sweeper;
        this.invocations = invocations;
        this.planningQueueUrl = planningQueueUrl;
    }

    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        Invocation line = invocations.start(context == null ? null : context.getAwsRequestId());
        try {
            IngestEvent event = IngestEvent.parse(input.readAllBytes());
            line.property("event", event.getClass().getSimpleName());
            Duration remaining = context == null ? null : Duration.ofMillis(context.getRemainingTimeInMillis());
            if (event instanceof IngestEvent.PlanningHandovers handovers) {
                BatchResponse response = handle(handovers, remaining, line);
                output.write(JsonCodec.writeBytes(response));
                return;
            }
            IngestReport report = handle(event, remaining);
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

    /** SQS's partial batch response: the messages that failed come back, the others are deleted. */
    public record BatchResponse(List<Failure> batchItemFailures) {
        public record Failure(String itemIdentifier) {
        }
    }

    /**
     * Each hand-over continued (or, from the dead-letter queue, its job ended), one at a time; a message that throws
     * is reported failed, so SQS delivers it again and, after the queue's receive limit, moves it to the dead letters.
     */
    public BatchResponse handle(IngestEvent.PlanningHandovers handovers, Duration remaining, Invocation line) {
        List<BatchResponse.Failure> failures = new ArrayList<>();
        List<String> jobs = new ArrayList<>();
        for (IngestEvent.Delivery delivery : handovers.deliveries()) {
            try {
                JobIngestor.Outcome outcome = delivery.deadLettered(planningQueueUrl)
                        ? ingestor.abandonPlanning(delivery.handover())
                        : ingestor.continuePlanning(delivery.handover(), remaining);
                line.count("jobs" + capitalized(outcome.status().name()), 1);
                jobs.add(delivery.handover().jobId() + " " + outcome.status());
            } catch (RuntimeException e) {
                line.property("error", e.getClass().getSimpleName()).count("failed", 1);
                failures.add(new BatchResponse.Failure(delivery.messageId()));
            }
        }
        line.property("jobs", jobs);
        return new BatchResponse(failures);
    }

    /** The event, read, to the core call it asks for. */
    public IngestReport handle(IngestEvent event) {
        return handle(event, null);
    }

    private IngestReport handle(IngestEvent event, Duration remaining) {
        if (event instanceof IngestEvent.Scheduled) {
            return IngestReport.ofSweep(sweeper.sweep());
        }
        if (event instanceof IngestEvent.ObjectsCreated created) {
            List<JobIngestor.Outcome> outcomes = new ArrayList<>();
            for (String key : created.keys()) {
                outcomes.add(created.viaEventBridge() ? ingestEventBridgeKey(key, remaining) : ingestor.ingest(key, remaining));
            }
            return IngestReport.ofJobs(outcomes);
        }
        if (event instanceof IngestEvent.PlanningHandovers) {
            throw new IllegalArgumentException("planning hand-overs come from SQS and are answered with a batch response");
        }
        return IngestReport.ignoring(((IngestEvent.Ignored) event).what());
    }

    private JobIngestor.Outcome ingestEventBridgeKey(String key, Duration remaining) {
        JobIngestor.Outcome outcome = ingestor.ingest(key, remaining);
        String decoded = IngestEvent.decodeKey(key);
        if (outcome.status() == JobIngestor.Outcome.Status.IGNORED && !decoded.equals(key)) {
            return ingestor.ingest(decoded, remaining);
        }
        return outcome;
    }
}
