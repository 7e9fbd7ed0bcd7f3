package dev.batchinference.local.emulator;

import java.net.URI;

import org.apache.pekko.actor.ActorSystem;
import org.elasticmq.rest.sqs.SQSRestServer;
import org.elasticmq.rest.sqs.SQSRestServerBuilder;

/**
 * ElasticMQ in process on 127.0.0.1, behind a front that checks every request's SigV4 signature against the
 * same fixed local credentials as the embedded S3 ({@link EmbeddedS3#ACCESS_KEY}): clients sign as they do
 * against AWS, and an unsigned or wrongly signed request is refused (403) instead of answered.
 */
public final class EmbeddedSqs implements AutoCloseable {
    public static final String ACCESS_KEY = EmbeddedS3.ACCESS_KEY;
    public static final String SECRET_KEY = EmbeddedS3.SECRET_KEY;

    private final ActorSystem actors;
    private final SignatureCheckingProxy front;
    private final URI endpoint;

    private EmbeddedSqs(ActorSystem actors, SignatureCheckingProxy front) {
        this.actors = actors;
        this.front = front;
        this.endpoint = URI.create("http://127.0.0.1:" + front.port());
    }

    /**
     * Starts ElasticMQ on a free loopback port and the signature check on {@code port} (0: a free one), which is
     * the endpoint clients use. Region and account id appear in queue ARNs.
     */
    public static EmbeddedSqs start(int port, String region, String accountId) {
        // Our own actor system, so that we can always shut it down: when the bind fails (port taken),
        // ElasticMQ's stop fails too and would leave its non-daemon threads keeping the JVM alive.
        // and no JVM shutdown hook of Pekko's own: `serve` stops it from its hook, which Pekko's would race
        ActorSystem actors = ActorSystem.create("elasticmq", com.typesafe.config.ConfigFactory
                .parseString("pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off")
                .withFallback(com.typesafe.config.ConfigFactory.load()));
        SignatureCheckingProxy front = null;
        try {
            // the front's port first: queue URLs ElasticMQ hands out must name it, not ElasticMQ's own port
            java.net.ServerSocket probe = new java.net.ServerSocket(port, 0, java.net.InetAddress.getLoopbackAddress());
            int frontPort = probe.getLocalPort();
            probe.close();
            SQSRestServer server = SQSRestServerBuilder
                    .withActorSystem(actors)
                    .withInterface("127.0.0.1")
                    .withDynamicPort()
                    .withServerAddress(new org.elasticmq.NodeAddress("http", "127.0.0.1", frontPort, ""))
                    // without these, queue ARNs read arn:aws:sqs:elasticmq:000000000000:...
                    .withAWSRegion(region)
                    .withAWSAccountId(accountId)
                    .start();
            int elasticMqPort = server.waitUntilStarted().localAddress().getPort();
            front = new SignatureCheckingProxy(frontPort, URI.create("http://127.0.0.1:" + elasticMqPort), ACCESS_KEY,
                    SECRET_KEY);
            return new EmbeddedSqs(actors, front);
        } catch (java.io.IOException e) {
            terminate(actors);
            throw new java.io.UncheckedIOException("the local SQS did not start on port " + port, e);
        } catch (RuntimeException e) {
            terminate(actors);
            throw e;
        }
    }

    public URI endpoint() {
        return endpoint;
    }

    /**
     * Stops at once: terminating the actor system closes the listener and every connection. ElasticMQ's
     * own stop unbinds gracefully, waiting for requests in flight, and a consumer's long poll (one second
     * here) is almost always in flight: that wait was most of the time {@code run} took to exit.
     */
    @Override
    public void close() {
        front.close();
        terminate(actors);
    }

    public String accessKey() {
        return ACCESS_KEY;
    }

    public String secretKey() {
        return SECRET_KEY;
    }

    private static void terminate(ActorSystem actors) {
        actors.terminate();
        actors.getWhenTerminated().toCompletableFuture().join();
    }
}
