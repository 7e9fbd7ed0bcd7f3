package dev.batchinference.local.runtime;

import java.net.URI;
import java.util.Objects;

/**
 * S3 and SQS served by something the runtime did not start and does not stop: moto_server, a LocalStack
 * started by hand or by Testcontainers. Such an endpoint keeps its state between runs and may serve
 * others, so it counts as {@linkplain #shared() shared}; S3 is expected to notify SQS natively (the
 * runtime falls back to its own notifications where the endpoint refuses).
 */
public record ExternalEndpoint(URI s3, URI sqs, String region, String accessKeyId, String secretAccessKey)
        implements ServiceEndpoints {

    /** The region and credentials moto and LocalStack accept without configuration. */
    public static final String DEFAULT_REGION = "us-east-1";
    public static final String DEFAULT_CREDENTIAL = "test";

    public ExternalEndpoint {
        Objects.requireNonNull(s3, "s3");
        Objects.requireNonNull(sqs, "sqs");
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(accessKeyId, "accessKeyId");
        Objects.requireNonNull(secretAccessKey, "secretAccessKey");
    }

    /** One URL for both services (moto_server, LocalStack's edge port), default region and credentials. */
    public static ExternalEndpoint of(URI endpoint) {
        return new ExternalEndpoint(endpoint, endpoint, DEFAULT_REGION, DEFAULT_CREDENTIAL, DEFAULT_CREDENTIAL);
    }

    /**
     * Parses a configured endpoint URL, with a message that names the setting when it is not one.
     *
     * @param source where the value came from, for the message (an environment variable, a property)
     */
    public static ExternalEndpoint parse(String url, String source) {
        URI uri;
        try {
            uri = URI.create(url.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + " is not a URL: '" + url + "'", e);
        }
        if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
            throw new IllegalArgumentException(source + " must be an http(s) URL such as http://127.0.0.1:4566, was '"
                    + url + "'");
        }
        return of(uri);
    }

    @Override
    public boolean shared() {
        return true;
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
        return s3.equals(sqs) ? s3.toString() : "S3 " + s3 + ", SQS " + sqs;
    }
}
