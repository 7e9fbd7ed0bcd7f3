package dev.batchinference.ingest;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import dev.batchinference.config.PipelineConfig;
import dev.batchinference.config.PipelineServices;
import dev.batchinference.control.JobRedriver;
import dev.batchinference.json.JsonCodec;
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
 * shape tells which it is; the response is an {@link IngestReport}.
 */
public final class IngestTriggerHandler implements RequestStreamHandler {
    private final JobIngestor ingestor;
    private final JobSweeper sweeper;

    /** Used by Lambda: everything from the environment. */
    public IngestTriggerHandler() {
        this(new PipelineServices(PipelineConfig.fromEnvironment()));
    }

    public IngestTriggerHandler(PipelineServices services) {
        this(services, new JobIngestor(services.config().bucket(), services.store(), services.models(),
                services.workQueue(), services.resultsQueue(), services.config().chunkLimits(), services.config().data(),
                services.config().limits(), Clock.systemUTC()));
    }

    private IngestTriggerHandler(PipelineServices services, JobIngestor ingestor) {
        this(ingestor, new JobSweeper(services.config().bucket(), services.store(), ingestor,
                new JobRedriver(services.store(), services.workQueue(), services.resultsQueue(), Clock.systemUTC()),
                services.resultsQueue(), services.config().stalledJobAfter(), Clock.systemUTC()));
    }

    public IngestTriggerHandler(JobIngestor ingestor, JobSweeper sweeper) {
        this.ingestor = ingestor;
        this.sweeper = sweeper;
    }

    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        output.write(JsonCodec.writeBytes(handle(IngestEvent.parse(input.readAllBytes()))));
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
