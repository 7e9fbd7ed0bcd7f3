package dev.batchinference.local.runtime;

import dev.batchinference.local.emulator.EmbeddedS3;
import dev.batchinference.local.emulator.EmbeddedSqs;
import java.net.URI;
import java.nio.file.Path;

/**
 * S3Proxy (on disk, so inputs stay out of the heap) and ElasticMQ in this JVM, on free loopback ports.
 * They start empty and belong to one runtime; S3Proxy has no bucket notifications.
 */
public final class EmbeddedEmulators implements ServiceEndpoints {
    static final String REGION = "us-east-1";
    static final String ACCOUNT = "000000000000";

    private final EmbeddedS3 s3;
    private final EmbeddedSqs sqs;

    private EmbeddedEmulators(EmbeddedS3 s3, EmbeddedSqs sqs) {
        this.s3 = s3;
        this.sqs = sqs;
    }

    /** Starts both emulators, S3 keeping its objects under {@code dataDir}. */
    public static EmbeddedEmulators start(Path dataDir) {
        EmbeddedS3 s3 = EmbeddedS3.onDisk(dataDir, 0);
        try {
            return new EmbeddedEmulators(s3, EmbeddedSqs.start(0, REGION, ACCOUNT));
        } catch (RuntimeException e) {
            s3.close();
            throw e;
        }
    }

    @Override
    public URI s3() {
        return s3.endpoint();
    }

    @Override
    public URI sqs() {
        return sqs.endpoint();
    }

    @Override
    public String region() {
        return REGION;
    }

    @Override
    public String accessKeyId() {
        return s3.accessKey();
    }

    @Override
    public String secretAccessKey() {
        return s3.secretKey();
    }

    @Override
    public boolean shared() {
        return false;
    }

    @Override
    public boolean notifiesNatively() {
        return false;
    }

    @Override
    public void close() {
        try {
            sqs.close();
        } finally {
            s3.close();
        }
    }
}
