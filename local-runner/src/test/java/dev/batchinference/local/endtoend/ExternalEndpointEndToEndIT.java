package dev.batchinference.local.endtoend;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchinference.local.runtime.ExternalEndpoint;
import dev.batchinference.local.runtime.LocalPipeline;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.condition.EnabledIf;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tier 3: the scenarios against S3 and SQS at an endpoint given by configuration, such as moto_server
 * ({@code .ci/run} starts one) or a LocalStack started by hand on http://localhost:4566. S3 notifies SQS
 * natively there, and the runtime feeds ingest those notifications. Every run gets a bucket and queues
 * of its own, removed at the end, so a long-lived endpoint can be reused.
 *
 * <p>Set {@value #VARIABLE} or {@code -D}{@value #PROPERTY}; without either the tier is skipped.
 */
@EnabledIf(value = "endpointConfigured", disabledReason = ExternalEndpointEndToEndIT.SKIPPED)
class ExternalEndpointEndToEndIT extends EndToEndScenarios {
    static final String VARIABLE = "PIPELINE_TEST_ENDPOINT";
    static final String PROPERTY = "pipeline.test.endpoint";
    static final String SKIPPED = "external-endpoint tier skipped: neither " + VARIABLE + " nor -D" + PROPERTY
            + " names an S3/SQS endpoint (.ci/run starts moto_server and sets it; or point it at a LocalStack"
            + " on http://localhost:4566)";
    private static final Logger LOG = LoggerFactory.getLogger(ExternalEndpointEndToEndIT.class);

    private ExternalEndpoint endpoint;

    /** The configured endpoint: the system property wins over the environment variable. */
    static Optional<ExternalEndpoint> configured() {
        String property = System.getProperty(PROPERTY);
        if (property != null && !property.isBlank()) {
            return Optional.of(ExternalEndpoint.parse(property, "-D" + PROPERTY));
        }
        String variable = System.getenv(VARIABLE);
        if (variable != null && !variable.isBlank()) {
            return Optional.of(ExternalEndpoint.parse(variable, VARIABLE));
        }
        return Optional.empty();
    }

    /** The tier's condition: an endpoint is configured. Says why not, where the build output shows it. */
    static boolean endpointConfigured() {
        if (configured().isPresent()) {
            return true;
        }
        LOG.warn(SKIPPED);
        return false;
    }

    @BeforeAll
    void useTheConfiguredEndpoint() {
        endpoint = configured().orElseThrow();
        LOG.warn("external-endpoint tier against {}", endpoint);
    }

    @Override
    protected LocalPipeline start(LocalPipeline.Options options) {
        LocalPipeline pipeline = LocalPipeline.start(options, endpoint);
        // an endpoint named here is expected to notify: moto and LocalStack both do
        assertThat(pipeline.notifications()).as("how S3 at %s notifies ingest", endpoint)
                .isEqualTo(options.uploadTrigger() ? LocalPipeline.Notifications.NATIVE
                : LocalPipeline.Notifications.OFF);
        return pipeline;
    }
}
