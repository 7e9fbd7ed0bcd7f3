package dev.batchinference.local.endtoend;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchinference.local.runtime.ExternalEndpoint;
import dev.batchinference.local.runtime.LocalPipeline;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.localstack.LocalStackContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * Tier 4: the scenarios on LocalStack in a container Testcontainers starts for this class, S3 notifying
 * SQS natively. Runs where a Docker engine answers; skipped (reported, not failed) elsewhere.
 *
 * <p>The image is a pinned 4.x community tag: {@code latest} needs an auth token since March 2026.
 * {@code LOCALSTACK_AUTH_TOKEN} is passed through when set; {@code -D}{@value #IMAGE_PROPERTY} picks
 * another image.
 */
@Testcontainers(disabledWithoutDocker = true)
class LocalStackEndToEndIT extends EndToEndScenarios {
    static final String IMAGE = "localstack/localstack:4.14.0";
    static final String IMAGE_PROPERTY = "pipeline.test.localstack.image";

    // built here and not in a field initialiser: the constructor contacts Docker, and this class runs
    // only where Docker is
    private LocalStackContainer localstack;
    private ExternalEndpoint endpoint;

    @BeforeAll
    void startLocalStack() {
        localstack = new LocalStackContainer(DockerImageName.parse(System.getProperty(IMAGE_PROPERTY, IMAGE))
                .asCompatibleSubstituteFor("localstack/localstack"))
                .withServices("s3", "sqs");
        String token = System.getenv("LOCALSTACK_AUTH_TOKEN");
        if (token != null && !token.isBlank()) {
            localstack.withEnv("LOCALSTACK_AUTH_TOKEN", token);
        }
        localstack.start();
        endpoint = new ExternalEndpoint(localstack.getEndpoint(), localstack.getEndpoint(), localstack.getRegion(),
                localstack.getAccessKey(), localstack.getSecretKey());
    }

    @AfterAll
    void stopLocalStack() {
        if (localstack != null) {
            localstack.stop();
        }
    }

    @Override
    protected LocalPipeline start(LocalPipeline.Options options) {
        LocalPipeline pipeline = LocalPipeline.start(options, endpoint);
        assertThat(pipeline.notifications()).as("how LocalStack's S3 notifies ingest")
                .isEqualTo(options.uploadTrigger() ? LocalPipeline.Notifications.NATIVE
                : LocalPipeline.Notifications.OFF);
        return pipeline;
    }
}
