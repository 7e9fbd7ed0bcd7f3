package dev.batchinference.local.runtime;

import dev.batchinference.local.emulator.ObjectCreatedListener;
import java.net.URI;

/**
 * The S3 and SQS the local runtime runs the functions against: emulators it starts in this JVM
 * ({@link EmbeddedEmulators}), or an endpoint someone else runs ({@link ExternalEndpoint}: moto_server,
 * LocalStack). The functions see only what this gives their environment: endpoints, region, credentials.
 */
public interface ServiceEndpoints extends AutoCloseable {

    URI s3();

    URI sqs();

    String region();

    String accessKeyId();

    String secretAccessKey();

    /**
     * True when the endpoints outlive the runtime and may hold other runs' buckets and queues: the runtime
     * then gives its bucket and queues names of their own and removes them when it closes.
     */
    boolean shared();

    /**
     * True when S3 here can send ObjectCreated notifications to an SQS queue here; the runtime then uses
     * them rather than raising its own stand-in notifications.
     */
    boolean notifiesNatively();

    /**
     * Has the listener told of every object created here, by any client, where these endpoints can (the
     * embedded S3); false where they cannot.
     */
    default boolean onObjectCreated(ObjectCreatedListener listener) {
        return false;
    }

    /** Stops what was started for these endpoints, if anything. */
    @Override
    void close();
}
