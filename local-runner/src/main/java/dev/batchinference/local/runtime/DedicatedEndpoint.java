package dev.batchinference.local.runtime;

import java.net.URI;
import java.util.Objects;

/**
 * An endpoint someone else runs (moto_server, LocalStack) used as a long-lived {@code serve}'s own: the bucket
 * and queues keep the names given, so other clients find them by name, and they outlive the runtime, as
 * those of the embedded S3 kept on disk do. S3 there notifies SQS natively.
 */
public record DedicatedEndpoint(ExternalEndpoint endpoint) implements ServiceEndpoints {

    public DedicatedEndpoint {
        Objects.requireNonNull(endpoint, "endpoint");
    }

    @Override
    public URI s3() {
        return endpoint.s3();
    }

    @Override
    public URI sqs() {
        return endpoint.sqs();
    }

    @Override
    public String region() {
        return endpoint.region();
    }

    @Override
    public String accessKeyId() {
        return endpoint.accessKeyId();
    }

    @Override
    public String secretAccessKey() {
        return endpoint.secretAccessKey();
    }

    @Override
    public boolean shared() {
        return false;
    }

    @Override
    public boolean notifiesNatively() {
        return true;
    }

    @Override
    public void close() {
        // not ours to stop
    }

    @Override
    public String toString() {
        return endpoint.toString();
    }
}
