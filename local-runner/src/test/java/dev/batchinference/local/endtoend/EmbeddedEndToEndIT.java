package dev.batchinference.local.endtoend;

import dev.batchinference.local.runtime.LocalPipeline;

/**
 * Tier 2: the scenarios on S3Proxy and ElasticMQ in this JVM, the runtime raising S3's notifications
 * (S3Proxy has none). Needs nothing installed; always runs.
 */
class EmbeddedEndToEndIT extends EndToEndScenarios {

    @Override
    protected LocalPipeline start(LocalPipeline.Options options) {
        return LocalPipeline.start(options);
    }
}
