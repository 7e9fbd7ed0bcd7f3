package dev.batchinference.ingest;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.S3Event;
import dev.batchinference.config.PipelineConfig;
import dev.batchinference.config.PipelineServices;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;

/** Lambda entry point: an S3 ObjectCreated notification → one job per created input object. */
public final class IngestTriggerHandler implements RequestHandler<S3Event, List<JobIngestor.Outcome>> {
    private final JobIngestor ingestor;

    /** Used by Lambda: everything from the environment. */
    public IngestTriggerHandler() {
        this(new PipelineServices(PipelineConfig.fromEnvironment()));
    }

    public IngestTriggerHandler(PipelineServices services) {
        this(new JobIngestor(services.config().bucket(), services.store(), services.models(), services.workQueue(),
                services.resultsQueue(), services.config().chunkLimits(), services.config().data(), services.config().limits(),
                Clock.systemUTC()));
    }

    public IngestTriggerHandler(JobIngestor ingestor) {
        this.ingestor = ingestor;
    }

    @Override
    public List<JobIngestor.Outcome> handleRequest(S3Event event, Context context) {
        return event.getRecords().stream()
                .map(record -> ingestor.ingest(decodeKey(record.getS3().getObject().getKey())))
                .toList();
    }

    /** S3 notifications carry keys URL-encoded, with '+' for a space. */
    static String decodeKey(String encoded) {
        return URLDecoder.decode(encoded, StandardCharsets.UTF_8);
    }
}
