package dev.batchinference.local.cli;

import dev.batchinference.aws.AwsClients;
import dev.batchinference.aws.S3ObjectStore;
import dev.batchinference.config.PipelineConfig;
import dev.batchinference.ingest.JobSweeper;
import dev.batchinference.local.emulator.EmbeddedS3;
import dev.batchinference.local.runtime.DedicatedEndpoint;
import dev.batchinference.local.runtime.EmbeddedEmulators;
import dev.batchinference.local.runtime.ServiceEndpoints;
import dev.batchinference.local.runtime.LocalPipeline;
import dev.batchinference.model.ModelStore;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Keeps the embedded S3 and SQS up for other clients and runs the pipeline on what they drop under
 * {@code incoming/}, as the deployed stack would; the bucket lives on disk and work left unfinished by the
 * last stop is finished after a restart.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serve embedded S3 (--port) and SQS (--port + 1) on 127.0.0.1, or use those at --endpoint, and process"
                + " every object put under incoming/<model>/ by any client (aws CLI, boto3, the SDKs). Ctrl-C stops;"
                + " a restart resumes.")
final class ServeCommand implements Callable<Integer> {
    static final int DEFAULT_PORT = 4566;
    private static final Pattern RATE = Pattern.compile("rate\\((\\d+) (minute|minutes|hour|hours|day|days)\\)");

    @Option(names = "--port", paramLabel = "P", description = "S3's port; SQS listens on P + 1 (default: ${DEFAULT-VALUE})")
    int port = DEFAULT_PORT;

    @Option(names = "--data", paramLabel = "DIR", description = "where the bucket is kept across restarts (default: .pipeline/serve)")
    Path data = Path.of(".pipeline", "serve");

    @Option(names = "--models", paramLabel = "DIR",
            description = "model folders published at start when the bucket has no model of that name (default: samples/models)")
    Path modelsDir;

    @Option(names = "--bucket", paramLabel = "NAME", description = "the bucket's name (default: " + TargetOptions.DEFAULT_BUCKET + ")")
    String bucket = TargetOptions.DEFAULT_BUCKET;

    @Option(names = "--schedule", paramLabel = "EXPR",
            description = "fire the scheduled run (a sweep) every rate(N minutes|hours|days), as EventBridge would")
    String schedule;

    @Option(names = "--no-trigger", negatable = false,
            description = "uploads do not start jobs; inputs wait for a sweep (--schedule or `./pipeline sweep`)")
    boolean noTrigger;

    @Mixin
    SettingsOptions settings;

    @Option(names = "--workers", paramLabel = "N", description = "worker execution environments (default: cores)")
    int workers = Math.max(1, Runtime.getRuntime().availableProcessors());

    @Option(names = "--endpoint", paramLabel = "URL",
            description = "run the functions against S3 and SQS at this endpoint (moto_server, LocalStack) instead of"
                    + " serving embedded ones; the bucket and queues keep their names and stay there")
    String endpoint;

    /** Counted down to stop: by the JVM's shutdown (Ctrl-C), or by {@link #stop()}. */
    private final CountDownLatch stopRequested = new CountDownLatch(1);
    private final CountDownLatch stopped = new CountDownLatch(1);

    /** Stops a serve running in this JVM, as Ctrl-C does, and waits until it has. */
    void stop() throws InterruptedException {
        stopRequested.countDown();
        stopped.await();
    }

    @Override
    public Integer call() throws Exception {
        Duration every = schedule == null ? null : parseRate(schedule);
        Map<String, String> env = settings.environment();
        PrintStream err = System.err;
        ServiceEndpoints emulators;
        if (endpoint != null) {
            emulators = new DedicatedEndpoint(TargetOptions.external(endpoint));
        } else {
            try {
                emulators = EmbeddedEmulators.start(data.resolve("s3"), port, port + 1);
            } catch (RuntimeException e) {
                throw new PipelineCli.UsageException("cannot serve on 127.0.0.1:" + port + " and " + (port + 1) + " ("
                        + TargetOptions.rootMessage(e) + "); is another serve running? choose another --port");
            }
        }
        LocalPipeline pipeline;
        List<String> models;
        try {
            // models before the trigger: an upload that comes at once must find its model
            models = publishMissingModels(emulators);
            pipeline = LocalPipeline.start(LocalPipeline.Options.defaults()
                    .withBucket(bucket)
                    .withUploadTrigger(!noTrigger)
                    .withChunkLimits(SettingsOptions.chunkLimits(env))
                    .withSettings(env)
                    .withEnvironments(workers, 1), emulators);
        } catch (RuntimeException e) {
            emulators.close();
            throw e;
        }
        Thread onCtrlC = new Thread(() -> {
            stopRequested.countDown();
            try {
                stopped.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "serve-shutdown");
        Runtime.getRuntime().addShutdownHook(onCtrlC);
        try {
            // control commands given only the S3 endpoint read where SQS and the queues are
            ServeDescriptor.write(pipeline.store(), pipeline.environment());
            // also starts what was uploaded before the trigger was wired, moments ago
            JobSweeper.SweepReport resumed = pipeline.resume();
            if (every != null) {
                pipeline.schedule(every);
            }
            banner(err, emulators, pipeline, models, resumed, every);
            new JobLog(pipeline.store(), err).run(stopRequested);
            err.println("stopping; unfinished jobs resume at the next start");
        } finally {
            try {
                pipeline.close();
            } finally {
                emulators.close();
                stopped.countDown();
            }
        }
        try {
            Runtime.getRuntime().removeShutdownHook(onCtrlC);
        } catch (IllegalStateException shuttingDown) {
            // stopped by Ctrl-C: the hook is running
        }
        return 0;
    }

    /** Creates the bucket if it is new, and publishes (and makes current) each model folder it has no model for. */
    private List<String> publishMissingModels(ServiceEndpoints emulators) throws java.io.IOException {
        Map<String, String> env = Map.of(PipelineConfig.BUCKET, bucket,
                PipelineConfig.S3_ENDPOINT, emulators.s3().toString(), PipelineConfig.REGION, emulators.region(),
                PipelineConfig.ACCESS_KEY_ID, emulators.accessKeyId(), PipelineConfig.SECRET_ACCESS_KEY,
                emulators.secretAccessKey());
        Path dir = modelsDir != null ? modelsDir : PipelineCli.home().resolve("samples/models");
        List<String> lines = new ArrayList<>();
        try (S3Client s3 = AwsClients.s3(PipelineConfig.from(env))) {
            if (s3.listBuckets().buckets().stream().noneMatch(b -> b.name().equals(bucket))) {
                s3.createBucket(b -> b.bucket(bucket));
            }
            ModelStore models = new ModelStore(new S3ObjectStore(s3, bucket), data.resolve("model-cache"));
            if (Files.isDirectory(dir)) {
                try (var folders = Files.list(dir)) {
                    for (Path folder : folders.sorted().toList()) {
                        String name = folder.getFileName().toString();
                        if (Files.isRegularFile(folder.resolve("manifest.json")) && models.current(name).isEmpty()) {
                            ModelStore.LocalModel local = ModelStore.readLocal(folder);
                            models.promote(models.publish(local.onnxFile(), local.manifest()));
                        }
                    }
                }
            }
            for (String name : models.names()) {
                lines.add(name + models.current(name).map(p -> " v" + p.version()).orElse(" (no current version)"));
            }
        }
        return lines;
    }

    private void banner(PrintStream err, ServiceEndpoints emulators, LocalPipeline pipeline, List<String> models,
                        JobSweeper.SweepReport resumed, Duration every) {
        if (endpoint == null) {
            err.printf("serving on 127.0.0.1 (Ctrl-C stops); the bucket is kept in %s%n", data.toAbsolutePath());
        } else {
            err.printf("running the functions on %s (Ctrl-C stops); the bucket and queues stay there%n", endpoint);
        }
        err.printf("  S3   %s   bucket %s%n", emulators.s3(), pipeline.bucket());
        err.printf("  SQS  %s   queues %s, %s%n", emulators.sqs(), "work", "results");
        err.printf("  models: %s%n", models.isEmpty() ? "none (./pipeline models publish NAME FILE)" : String.join(", ", models));
        err.printf("  uploads %s%s%n", noTrigger ? "wait for a sweep (--no-trigger)" : "under incoming/<model>/ start jobs",
                every == null ? "" : "; a sweep runs every " + schedule);
        if (!resumed.redriven().isEmpty() || !resumed.started().isEmpty()) {
            err.printf("  resumed %d unfinished job(s), started %d input(s) without a job%n", resumed.redriven().size(),
                    resumed.started().size());
        }
        err.printf("%nfor the aws CLI and the SDKs:%n");
        err.printf("  export AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s AWS_REGION=%s%n",
                emulators.accessKeyId(), emulators.secretAccessKey(), emulators.region());
        err.printf("  aws --endpoint-url %s s3 cp samples/data/iris.csv s3://%s/incoming/iris/iris.csv%n",
                emulators.s3(), pipeline.bucket());
        err.printf("  aws --endpoint-url %s s3 ls --recursive s3://%s/output/%n%n", emulators.s3(), pipeline.bucket());
    }

    static Duration parseRate(String expression) {
        Matcher m = RATE.matcher(expression.trim().toLowerCase(Locale.ROOT));
        if (!m.matches() || Long.parseLong(m.group(1)) == 0) {
            throw new PipelineCli.UsageException("--schedule takes rate(N minutes|hours|days), such as 'rate(1 minute)'"
                    + (expression.startsWith("cron(") ? "; cron(...) is for the deployed stack's ScheduleExpression" : "")
                    + ", not '" + expression + "'");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2).replaceAll("s$", "")) {
            case "minute" -> Duration.ofMinutes(n);
            case "hour" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        };
    }
}
