package dev.batchinference.local.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.batchinference.config.PipelineConfig;
import dev.batchinference.format.ChunkLimits;
import dev.batchinference.job.JobSummary;
import dev.batchinference.local.runtime.LocalPipeline;
import dev.batchinference.model.ModelRef;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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

    private record Submitted(Path file, OutputFolder.Claim claim, String key, String jobId) {
    }

    @Override
    public Integer call() throws IOException {
        for (Path file : files) {
            if (!Files.isRegularFile(file)) {
                throw new PipelineCli.UsageException("no such file: " + file);
            }
        }
        // each input's outputs get a name of their own in --out before anything runs; the input goes into the
        // bucket under that name too, so two inputs named alike do not replace each other there either
        OutputFolder folder = new OutputFolder(out);
        List<OutputFolder.Claim> claims = new ArrayList<>();
        for (Path file : files) {
            OutputFolder.Claim claim = folder.claim(file, file.getFileName().toString());
            // the local store keeps every key segment as a file name: one too long for it, or for an output, is
            // refused here rather than in the middle of an upload
            SubmitCommand.checkKeyLengths("incoming/m/" + claim.name(), file);
            claims.add(claim);
        }
        Path dir = PipelineCli.modelDir(model, modelsDir != null ? modelsDir : PipelineCli.home().resolve("samples/models"));
        PrintStream err = System.err;
        long started = System.nanoTime();
        LocalPipeline.Options options = LocalPipeline.Options.defaults()
                .withChunkLimits(new ChunkLimits(chunkRows, chunkBytes))
                .withEnvironments(workers, 1);
        try (LocalPipeline pipeline = LocalPipeline.start(options)) {
            ModelRef ref = pipeline.publishModel(dir);
            err.printf("model %s version %s published to the local bucket%n", ref.name(), ref.version());
            List<Submitted> jobs = new ArrayList<>();
            for (int i = 0; i < files.size(); i++) {
                Path file = files.get(i);
                OutputFolder.Claim claim = claims.get(i);
                String key = pipeline.submit(file, ref.name(), claim.name());
                jobs.add(new Submitted(file, claim, key, pipeline.jobIdFor(key)));
                err.printf("%s → s3://%s/%s (job %s)%n", file, pipeline.bucket(), key, jobs.get(jobs.size() - 1).jobId());
                if (claim.notice() != null) {
                    err.printf("  note: %s%n", claim.notice());
                }
            }
            Map<Submitted, Optional<JobSummary>> ends = follow(pipeline, jobs, err);
            List<ObjectNode> reports = new ArrayList<>();
            // in the order the inputs were given, whichever job ended first
            for (Submitted job : jobs) {
                reports.add(JobReports.report(pipeline.store(), job.claim(), job.jobId(), job.file().toString(), job.key(), model,
                        ends.get(job), timeout));
            }
            JobReports.print(reports, json);
            err.printf("done in %.1f s%n", (System.nanoTime() - started) / 1e9);
            return reports.stream().allMatch(r -> "SUCCEEDED".equals(r.path("state").asText())) ? 0 : 1;
        }
    }

    private Map<Submitted, Optional<JobSummary>> follow(LocalPipeline pipeline, List<Submitted> jobs, PrintStream err) {
        Progress progress = new Progress(err, System.console() != null);
        Map<Submitted, Optional<JobSummary>> ends = new LinkedHashMap<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        long nextProgress = 0;
        while (ends.size() < jobs.size() && System.nanoTime() < deadline) {
            // the ends every 50 ms (a HEAD each, in this process), so a job's end shows at once; the progress,
            // which lists the job's done markers, every 200 ms
            boolean showProgress = System.nanoTime() >= nextProgress;
            for (Submitted job : jobs) {
                if (!ends.containsKey(job)) {
                    Optional<JobSummary> end = pipeline.jobs().terminal(job.jobId());
                    if (end.isPresent()) {
                        ends.put(job, end);
                    }
                    if (showProgress || end.isPresent()) {
                        progress.show(job.file().getFileName().toString(), pipeline.jobs(), job.jobId(), end);
                    }
                }
            }
            if (showProgress) {
                nextProgress = System.nanoTime() + 200_000_000L;
            }
            sleep(ends.size() < jobs.size() ? 50 : 0);
        }
        progress.finish();
        for (Submitted job : jobs) {
            ends.putIfAbsent(job, Optional.empty());
        }
        return ends;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
