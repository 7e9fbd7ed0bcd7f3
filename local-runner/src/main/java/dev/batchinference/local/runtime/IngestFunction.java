package dev.batchinference.local.runtime;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import dev.batchinference.ingest.IngestReport;
import dev.batchinference.json.JsonCodec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The ingest function as the runtime invokes it: event JSON in, the handler's report out. Behind it is the
 * real handler's stream entry point, given the event's bytes as Lambda gives them.
 */
@FunctionalInterface
public interface IngestFunction {

    IngestReport invoke(String eventJson, Context context);

    static IngestFunction of(RequestStreamHandler handler) {
        return (eventJson, context) -> {
            ByteArrayOutputStream response = new ByteArrayOutputStream();
            try {
                handler.handleRequest(new ByteArrayInputStream(eventJson.getBytes(StandardCharsets.UTF_8)), response,
                        context);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return JsonCodec.read(response.toByteArray(), IngestReport.class);
        };
    }
}
