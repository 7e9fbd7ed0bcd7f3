package dev.batchinference.local.runtime;

import dev.batchinference.local.emulator.EmbeddedS3;
import dev.batchinference.local.emulator.EmbeddedSqs;
import dev.batchinference.local.emulator.ObjectCreatedListener;
import java.net.URI;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * S3Proxy (on disk, so inputs stay out of the heap) and ElasticMQ in this JVM, on free loopback ports.
 * They belong to one runtime; S3Proxy has no bucket notifications, but tells the runtime of every object
 * created, so the runtime can raise S3's notification for uploads by any client.
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

    /** Starts both emulators on free ports, S3 keeping its objects under {@code dataDir}. */
    public static EmbeddedEmulators start(Path dataDir) {
        return start(dataDir, 0, 0);
    }

    /**
     * Starts both emulators on the given loopback ports (0: any free one), at the same time: most of their
     * start is class loading (Jetty and jclouds; Pekko and Scala), a second or more each in a fresh JVM.
     */
    public static EmbeddedEmulators start(Path dataDir, int s3Port, int sqsPort) {
        CompletableFuture<EmbeddedSqs> sqs = CompletableFuture.supplyAsync(() -> EmbeddedSqs.start(sqsPort, REGION, ACCOUNT),
                runnable -> {
                    Thread starter = new Thread(runnable, "elasticmq-start");
                    starter.setDaemon(true);
                    starter.start();
                });
        EmbeddedS3 s3;
        try {
            s3 = EmbeddedS3.onDisk(dataDir, s3Port);
        } catch (RuntimeException e) {
            sqs.thenAccept(EmbeddedSqs::close);
            throw e;
        }
        try {
            return new EmbeddedEmulators(s3, sqs.join());
        } catch (CompletionException e) {
            s3.close();
            throw e.getCause() instanceof RuntimeException cause ? cause : e;
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

    /** S3Proxy has no notifications, but its store tells of every object created, by any client. */
    @Override
    public boolean onObjectCreated(ObjectCreatedListener listener) {
        s3.onObjectCreated(listener);
        return true;
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
