package dev.batchinference.local.emulator;

import java.net.URI;

import org.apache.pekko.actor.ActorSystem;
import org.elasticmq.rest.sqs.SQSRestServer;
import org.elasticmq.rest.sqs.SQSRestServerBuilder;

/** ElasticMQ in process on 127.0.0.1. */
public final class EmbeddedSqs implements AutoCloseable {

    private final ActorSystem actors;
    private final URI endpoint;

    private EmbeddedSqs(ActorSystem actors, int port) {
        this.actors = actors;
        this.endpoint = URI.create("http://127.0.0.1:" + port);
    }

    /** Starts ElasticMQ; port 0 picks a free port. Region and account id appear in queue ARNs. */
    public static EmbeddedSqs start(int port, String region, String accountId) {
        // Our own actor system, so that we can always shut it down: when the bind fails (port taken),
        // ElasticMQ's stop fails too and would leave its non-daemon threads keeping the JVM alive.
        // and no JVM shutdown hook of Pekko's own: `serve` stops it from its hook, which Pekko's would race
        ActorSystem actors = ActorSystem.create("elasticmq", com.typesafe.config.ConfigFactory
                .parseString("pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off")
                .withFallback(com.typesafe.config.ConfigFactory.load()));
        try {
            SQSRestServer server = SQSRestServerBuilder
                    .withActorSystem(actors)
                    .withInterface("127.0.0.1")
                    .withPort(port)
                    // without these, queue ARNs read arn:aws:sqs:elasticmq:000000000000:...
                    .withAWSRegion(region)
                    .withAWSAccountId(accountId)
                    .start();
            return new EmbeddedSqs(actors, server.waitUntilStarted().localAddress().getPort());
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
        terminate(actors);
    }

    private static void terminate(ActorSystem actors) {
        actors.terminate();
        actors.getWhenTerminated().toCompletableFuture().join();
    }
}
