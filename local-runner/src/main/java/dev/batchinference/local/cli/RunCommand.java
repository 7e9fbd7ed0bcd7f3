package dev.batchinference.local.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.batchinference.config.PipelineConfig;
import dev.batchinference.job.JobSummary;
import dev.batchinference.local.runtime.ExternalEndpoint;
import dev.batchinference.local.runtime.LocalPipeline;
import dev.batchinference.model.ModelManifest;
import dev.batchinference.model.ModelRef;
import dev.batchinference.model.ModelStore;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The whole pipeline on this machine: upload, three functions over embedded S3 and SQS, outputs copied back. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run data files (.csv, .tsv, .csv.gz, .tsv.gz, .parquet) through the whole pipeline"
                + " (ingest-trigger, batch-worker, results-writer) on embedded S3 and SQS, or on any S3/SQS endpoint"
                + " (--endpoint), and copy the outputs to --out. Each file is checked against the model first."
                + " Settings take the functions' environment variables' names (--max-rejected-percent, --set NAME=VALUE).")
final class RunCommand implements Callable<Integer> {

    @Parameters(arity = "1..*", paramLabel = "FILE",
            description = "data files, folders (the data files in them) or quoted globs such as 'data/*.csv'")
    List<String> inputs;

    @Option(names = "--model", required = true, paramLabel = "NAME",
            description = "model name in --models, or a folder with manifest.json and the ONNX file")
    String model;

    @Option(names = "--out", paramLabel = "DIR", description = "where outputs and summaries go (default: ./out)")
    Path out = Path.of("out");

    @Option(names = "--json", description = "print one JSON document instead of the table")
    boolean json;

    @Option(names = "--models", paramLabel = "DIR", description = "folder of model folders (default: samples/models)")
    Path modelsDir;

    @Option(names = "--workers", paramLabel = "N", description = "worker execution environments (default: cores)")
    int workers = Math.max(1, Runtime.getRuntime().availableProcessors());

    @Option(names = "--timeout", paramLabel = "DURATION", description = "give up waiting after this long (default: PT30M)")
    Duration timeout = Duration.ofMinutes(30);

    @Option(names = "--no-check", description = "do not check each file's format and columns against the model first")
    boolean noCheck;

    @Option(names = "--endpoint", paramLabel = "URL",
            description = "run the functions against S3 and SQS at this endpoint (moto_server, LocalStack) instead of"
                    + " embedded ones, in a bucket and queues of this run's own, removed at the end")
    String endpoint;

    @Mixin
    SettingsOptions settings;

    /** One input as submitted: where its outputs go, its key in the bucket and its job. */
    record Submitted(Path file, OutputFolder.Claim claim, String key, String jobId) {
    }

    @Override
    public Integer call() throws IOException {
        List<Path> files = InputFiles.expand(inputs);
        Map<String, String> env = settings.environment();
        PipelineConfig config = SettingsOptions.config(env);
        Path dir = PipelineCli.modelDir(model, modelsDir != null ? modelsDir : PipelineCli.home().resolve("samples/models"));
        if (!noCheck) {
            ModelManifest manifest = ModelStore.readLocal(dir).manifest();
            for (Path file : files) {
                InputCheck.check(file, manifest.name(), manifest, config);
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
        ExternalEndpoint external = endpoint == null ? null : TargetOptions.external(endpoint);
        PrintStream err = System.err;
        long started = System.nanoTime();
        LocalPipeline.Options options = LocalPipeline.Options.defaults()
                .withChunkLimits(config.chunkLimits())
                .withSettings(env)
                .withEnvironments(workers, 1);
        try (RunInterruption interruption = RunInterruption.install(err, model)) {
            LocalPipeline pipeline = null;
            try {
                // ONNX Runtime unpacks its native library into a temporary folder as it loads: loaded here, while
                // Ctrl-C waits for the start, rather than in a worker while the JVM stops, which would leave the folder
                dev.batchinference.model.OnnxEnvironment.get();
                pipeline = external == null ? LocalPipeline.start(options) : LocalPipeline.start(options, external);
            } finally {
                interruption.started(pipeline);
            }
            try {
                return run(pipeline, files, claims, interruption, err, started);
            } catch (RuntimeException | IOException e) {
                if (interruption.interrupted()) {
                    return 130; // the hook stops the pipeline under this thread and says what was left
                }
                throw e;
            } finally {
                if (!interruption.interrupted()) {
                    pipeline.close();
                }
            }
        }
    }

    private int run(LocalPipeline pipeline, List<Path> files, List<OutputFolder.Claim> claims, RunInterruption interruption,
                    PrintStream err, long started) throws IOException {
        if (endpoint != null) {
            err.printf("on %s: bucket %s and its queues, removed at the end%n", endpoint, pipeline.bucket());
        }
        ModelRef ref = pipeline.publishModel(PipelineCli.modelDir(model,
                modelsDir != null ? modelsDir : PipelineCli.home().resolve("samples/models")));
        err.printf("model %s version %s published to the %s bucket%n", ref.name(), ref.version(),
                endpoint == null ? "local" : "run's");
        List<Submitted> jobs = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            Path file = files.get(i);
            OutputFolder.Claim claim = claims.get(i);
            String key = pipeline.submit(file, ref.name(), claim.name());
            Submitted job = new Submitted(file, claim, key, pipeline.jobIdFor(key));
            jobs.add(job);
            interruption.submitted(job);
            err.printf("%s → s3://%s/%s (job %s)%n", file, pipeline.bucket(), key, job.jobId());
            if (claim.notice() != null) {
                err.printf("  note: %s%n", claim.notice());
            }
        }
        Map<Submitted, Optional<JobSummary>> ends = follow(pipeline, jobs, err, interruption);
        List<ObjectNode> reports = new ArrayList<>();
        // in the order the inputs were given, whichever job ended first
        for (Submitted job : jobs) {
            reports.add(JobReports.report(pipeline.store(), job.claim(), job.jobId(), job.file().toString(), job.key(), model,
                    ends.get(job), timeout));
        }
        if (interruption.interrupted()) {
            return 130;
        }
        JobReports.print(reports, json);
        err.printf("done in %.1f s%n", (System.nanoTime() - started) / 1e9);
        return reports.stream().allMatch(r -> "SUCCEEDED".equals(r.path("state").asText())) ? 0 : 1;
    }

    private Map<Submitted, Optional<JobSummary>> follow(LocalPipeline pipeline, List<Submitted> jobs, PrintStream err,
                                                        RunInterruption interruption) {
        Progress progress = new Progress(err, System.console() != null);
        Map<Submitted, Optional<JobSummary>> ends = new LinkedHashMap<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<Submitted, Long> nextEndCheck = new HashMap<>();
        while (ends.size() < jobs.size() && System.nanoTime() < deadline && !interruption.interrupted()) {
            // a job's end (a GET of its end record) is looked for every 50 ms once every chunk is done, so that it shows
            // at once, and every 500 ms before (a job that fails early); the progress looks at its own pace
            long now = System.nanoTime();
            for (Submitted job : jobs) {
                if (ends.containsKey(job)) {
                    continue;
                }
                Optional<JobSummary> end = Optional.empty();
                if (progress.allDone(job.jobId()) || now >= nextEndCheck.getOrDefault(job, Long.MIN_VALUE)) {
                    end = pipeline.jobs().terminal(job.jobId());
                    nextEndCheck.put(job, now + 500_000_000L);
                }
                end.ifPresent(summary -> ends.put(job, Optional.of(summary)));
                progress.show(job.file().getFileName().toString(), pipeline.jobs(), job.jobId(), end);
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
