package dev.batchinference.local.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.batchinference.config.PipelineConfig;
import dev.batchinference.job.JobKeys;
import dev.batchinference.job.JobState;
import dev.batchinference.job.JobSummary;
import dev.batchinference.json.JsonCodec;
import dev.batchinference.local.runtime.LocalPipeline;
import dev.batchinference.model.ModelRef;
import dev.batchinference.storage.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The whole pipeline on this machine: upload, three functions over embedded S3 and SQS, outputs copied back. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run files through the whole pipeline (ingest-trigger, batch-worker, results-writer) "
                + "on embedded S3 and SQS, and copy the outputs to --out.")
final class RunCommand implements Callable<Integer> {

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "CSV files with a header row")
    List<Path> files;

    @Option(names = "--model", required = true, paramLabel = "NAME",
            description = "model name in --models, or a folder with manifest.json and the ONNX file")
    String model;

    @Option(names = "--out", paramLabel = "DIR", description = "where outputs and summaries go (default: ./out)")
    Path out = Path.of("out");

    @Option(names = "--json", description = "print one JSON document instead of the table")
    boolean json;

    @Option(names = "--models", paramLabel = "DIR", description = "folder of model folders (default: samples/models)")
    Path modelsDir;

    @Option(names = "--chunk-rows", paramLabel = "N", description = "most rows per chunk (default: ${DEFAULT-VALUE})")
    long chunkRows = PipelineConfig.DEFAULT_CHUNK_MAX_ROWS;

    @Option(names = "--chunk-bytes", paramLabel = "N", description = "most bytes per chunk (default: ${DEFAULT-VALUE})")
    long chunkBytes = PipelineConfig.DEFAULT_CHUNK_MAX_BYTES;

    @Option(names = "--workers", paramLabel = "N", description = "worker execution environments (default: cores)")
    int workers = Math.max(1, Runtime.getRuntime().availableProcessors());

    @Option(names = "--timeout", paramLabel = "DURATION", description = "give up waiting after this long (default: PT30M)")
    Duration timeout = Duration.ofMinutes(30);

    private record Submitted(Path file, String key, String jobId) {
    }

    @Override
    public Integer call() throws IOException {
        Set<String> stems = new HashSet<>();
        for (Path file : files) {
            if (!Files.isRegularFile(file)) {
                throw new PipelineCli.UsageException("no such file: " + file);
            }
            // outputs are named after the input without its extension: x.csv and x.parquet would collide
            if (!stems.add(JobKeys.outputStem("incoming/m/" + file.getFileName()))) {
                throw new PipelineCli.UsageException("two inputs are named " + file.getFileName()
                        + " (less the extension); their outputs would overwrite each other");
            }
        }
        Path dir = PipelineCli.modelDir(model, modelsDir != null ? modelsDir : PipelineCli.home().resolve("samples/models"));
        PrintStream err = System.err;
        long started = System.nanoTime();
        LocalPipeline.Options options = LocalPipeline.Options.defaults()
                .withChunkLimits(new PipelineConfig.ChunkLimits(chunkRows, chunkBytes))
                .withEnvironments(workers, 1);
        try (LocalPipeline pipeline = LocalPipeline.start(options)) {
            ModelRef ref = pipeline.publishModel(dir);
            err.printf("model %s version %s published to the local bucket%n", ref.name(), ref.version());
            List<Submitted> jobs = new ArrayList<>();
            for (Path file : files) {
                String key = pipeline.submit(file, ref.name());
                jobs.add(new Submitted(file, key, pipeline.jobIdFor(key)));
                err.printf("%s → s3://%s/%s (job %s)%n", file, pipeline.bucket(), key, jobs.get(jobs.size() - 1).jobId());
            }
            Map<Submitted, Optional<JobSummary>> ends = follow(pipeline, jobs, err);
            Files.createDirectories(out);
            List<ObjectNode> reports = new ArrayList<>();
            for (Map.Entry<Submitted, Optional<JobSummary>> e : ends.entrySet()) {
                reports.add(report(pipeline.store(), e.getKey(), e.getValue()));
            }
            print(reports, err, (System.nanoTime() - started) / 1_000_000);
            return reports.stream().allMatch(r -> "SUCCEEDED".equals(r.path("state").asText())) ? 0 : 1;
        }
    }

    private Map<Submitted, Optional<JobSummary>> follow(LocalPipeline pipeline, List<Submitted> jobs, PrintStream err) {
        Progress progress = new Progress(err, System.console() != null);
        Map<Submitted, Optional<JobSummary>> ends = new LinkedHashMap<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (ends.size() < jobs.size() && System.nanoTime() < deadline) {
            for (Submitted job : jobs) {
                if (!ends.containsKey(job)) {
                    Optional<JobSummary> end = pipeline.jobs().terminal(job.jobId());
                    if (end.isPresent()) {
                        ends.put(job, end);
                    }
                    progress.show(job.file().getFileName().toString(), pipeline.jobs(), job.jobId(), end);
                }
            }
            sleep(ends.size() < jobs.size() ? 200 : 0);
        }
        progress.finish();
        for (Submitted job : jobs) {
            ends.putIfAbsent(job, Optional.empty());
        }
        return ends;
    }

    private ObjectNode report(ObjectStore store, Submitted job, Optional<JobSummary> end) throws IOException {
        ObjectNode r = JsonCodec.mapper().createObjectNode();
        r.put("jobId", job.jobId());
        r.put("input", job.file().toString());
        r.put("model", model);
        if (end.isEmpty()) {
            r.put("state", JobState.RUNNING.name());
            r.put("reason", "TIMEOUT");
            r.put("message", "the job had not ended after " + timeout + " (raise --timeout)");
            return r;
        }
        JobSummary s = end.get();
        r.put("modelVersion", s.modelVersion());
        r.put("state", s.state().name());
        r.put("reason", s.reason() == null ? null : s.reason().name());
        r.put("message", s.message());
        r.put("rowsIn", s.rowsIn());
        r.put("rowsOut", s.rowsOut());
        r.put("rowsRejected", s.rowsRejected());
        r.put("chunks", s.chunks());
        r.put("output", copy(store, s.output()));
        r.put("errors", copy(store, s.errors()));
        r.put("summary", copy(store, JobKeys.summary(job.key())));
        r.put("durationMs", s.durationMs());
        return r;
    }

    private String copy(ObjectStore store, String key) throws IOException {
        if (key == null) {
            return null;
        }
        Path target = out.resolve(key.substring(key.lastIndexOf('/') + 1));
        try (InputStream in = store.read(key)) {
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        }
        return target.toString();
    }

    private void print(List<ObjectNode> reports, PrintStream err, long wallMs) {
        if (json) {
            ObjectNode doc = JsonCodec.mapper().createObjectNode();
            ArrayNode array = doc.putArray("jobs");
            reports.forEach(array::add);
            System.out.println(doc.toPrettyString());
            return;
        }
        for (ObjectNode r : reports) {
            String state = r.path("state").asText();
            System.out.printf("%-9s %s  job %s  model %s v%s%n", state, r.path("input").asText(), r.path("jobId").asText(),
                    r.path("model").asText(), r.path("modelVersion").asText("?"));
            if (r.hasNonNull("rowsIn")) {
                System.out.printf("          %,d rows in, %,d predicted, %,d rejected, %d chunk(s), %,d ms%n",
                        r.path("rowsIn").asLong(), r.path("rowsOut").asLong(), r.path("rowsRejected").asLong(),
                        r.path("chunks").asInt(), r.path("durationMs").asLong());
            }
            if (r.hasNonNull("reason")) {
                System.out.printf("          %s: %s%n", r.path("reason").asText(), r.path("message").asText());
            }
            for (String field : List.of("output", "errors", "summary")) {
                if (r.hasNonNull(field)) {
                    System.out.printf("          %-8s %s%n", field, r.path(field).asText());
                }
            }
        }
        err.printf("done in %.1f s%n", wallMs / 1000.0);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
