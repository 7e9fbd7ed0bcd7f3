package dev.batchinference.testing;

import dev.batchinference.config.PipelineConfig.DataSettings;
import dev.batchinference.config.PipelineConfig.Limits;
import dev.batchinference.control.JobRedriver;
import dev.batchinference.format.ChunkLimits;
import dev.batchinference.inference.ChunkWorker;
import dev.batchinference.ingest.JobIngestor;
import dev.batchinference.ingest.JobSweeper;
import dev.batchinference.job.JobKeys;
import dev.batchinference.metering.CountingMessageSender;
import dev.batchinference.metering.CountingObjectStore;
import dev.batchinference.model.ModelCache;
import dev.batchinference.model.ModelStore;
import dev.batchinference.queue.InMemoryMessageSender;
import dev.batchinference.queue.MessageSender;
import dev.batchinference.results.JobCollator;
import dev.batchinference.storage.InMemoryObjectStore;
import dev.batchinference.storage.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * The three functions' cores on an in-memory bucket and queues, with the message passing done by the
 * test, step by step: no threads, no network, every delivery under the test's control.
 */
public final class InMemoryPipeline {
    public final InMemoryObjectStore store = new InMemoryObjectStore();
    public final InMemoryMessageSender workQueue = new InMemoryMessageSender();
    public final InMemoryMessageSender resultsQueue = new InMemoryMessageSender();
    public final ModelStore models;
    public final JobIngestor ingestor;
    public final ChunkWorker worker;
    public final JobCollator collator;

    public InMemoryPipeline(Path modelCache, ChunkLimits limits) {
        this(modelCache, limits, DataSettings.defaults());
    }

    public InMemoryPipeline(Path modelCache, ChunkLimits limits, DataSettings data) {
        this(modelCache, limits, data, Limits.defaults());
    }

    /** The functions' requests are counted, as in the deployed functions (the test's own reads of the store are not). */
    public InMemoryPipeline(Path modelCache, ChunkLimits limits, DataSettings data, Limits safety) {
        ObjectStore counted = new CountingObjectStore(store);
        MessageSender work = new CountingMessageSender(workQueue);
        MessageSender results = new CountingMessageSender(resultsQueue);
        this.models = new ModelStore(counted, modelCache, safety.maxModelBytes());
        this.ingestor = new JobIngestor("test-bucket", counted, models, work, results, limits, data, safety,
                Clock.systemUTC());
        this.worker = new ChunkWorker(counted, models, new ModelCache(), results, 1024);
        this.collator = new JobCollator(counted, Duration.ofMinutes(15), safety, Clock.systemUTC(), "test-writer");
    }

    /** Job control on this pipeline's bucket and queues, at the given time. */
    public JobRedriver redriver(Clock clock) {
        return new JobRedriver(store, workQueue, resultsQueue, clock);
    }

    /** Scheduled runs on this pipeline, at the given time. */
    public JobSweeper sweeper(Clock clock, Duration stalledAfter) {
        return new JobSweeper("test-bucket", store, ingestor, redriver(clock), resultsQueue, stalledAfter, clock);
    }

    public String put(String key, byte[] content) {
        store.write(key, content);
        return key;
    }

    /** Ingests, then delivers every queued message until both queues are empty. */
    public JobIngestor.Outcome runToEnd(String key) {
        JobIngestor.Outcome outcome = ingestor.ingest(key);
        drain();
        return outcome;
    }

    public void drain() {
        while (true) {
            List<String> tasks = workQueue.drain();
            List<String> results = resultsQueue.drain();
            if (tasks.isEmpty() && results.isEmpty()) {
                return;
            }
            tasks.forEach(worker::process);
            results.forEach(collator::handle);
        }
    }

    public String text(String key) {
        try (InputStream in = store.read(key)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String predictionsOf(String inputKey) {
        return text(JobKeys.predictions(inputKey));
    }
}
