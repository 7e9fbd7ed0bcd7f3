package dev.batchinference.local.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.batchinference.job.InputObject;
import dev.batchinference.job.JobId;
import dev.batchinference.format.OutputFormat;
import dev.batchinference.job.JobKeys;
import dev.batchinference.job.KeyLimits;
import dev.batchinference.job.JobStore;
import dev.batchinference.job.JobSummary;
import dev.batchinference.model.ModelKeys;
import dev.batchinference.storage.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Uploads a file to a running pipeline (the local serve, an endpoint, a deployed stack) and follows its job. */
@Command(name = "submit", mixinStandardHelpOptions = true,
        description = "Upload FILE to incoming/<model>/ of a running pipeline (by default the local serve; --stack for a"
                + " deployed one) and follow its job to the end, as run does.")
final class SubmitCommand implements Callable<Integer> {

    @Parameters(paramLabel = "FILE", description = "the input file")
    Path file;

    @Option(names = "--model", required = true, paramLabel = "NAME", description = "the model, as published in the bucket")
    String model;

    @Option(names = "--prefix", paramLabel = "PATH", description = "a folder under incoming/<model>/ (default: none)")
    String prefix;

    @Option(names = "--out", paramLabel = "DIR", description = "copy the outputs here too")
    Path out;

    @Option(names = "--json", description = "print one JSON document instead of the table")
    boolean json;

    @Option(names = "--timeout", paramLabel = "DURATION", description = "stop following after this long (default: PT30M)")
    Duration timeout = Duration.ofMinutes(30);

    @Option(names = "--no-check", description = "do not check the file's format and columns against the model first")
    boolean noCheck;

    @Mixin
    TargetOptions target;

    @Override
    public Integer call() throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new PipelineCli.UsageException("no such file: " + file);
        }
        TargetOptions.Target t = target.connect();
        ObjectStore store = t.services().store();
        if (store.head(ModelKeys.pointer(model)).isEmpty()) {
            throw new PipelineCli.UsageException("no model '" + model + "' at " + t.description() + " (models there: "
                    + t.services().models().names() + "); publish it with ./pipeline models publish");
        }
        if (!noCheck) {
            // against the model's current version, with the default column settings (a stack may map columns
            // with FEATURE_COLUMNS: --no-check then)
            dev.batchinference.model.ModelManifest manifest = t.services().models().resolveCurrent(model).manifest();
            InputCheck.check(file, model, manifest, SettingsOptions.config(java.util.Map.of()));
        }
        String folder = prefix == null || prefix.isBlank() ? "" : prefix.replaceAll("^/+|/+$", "") + "/";
        String key = JobKeys.INCOMING + model + "/" + folder + file.getFileName();
        ModelsCommand.requireValid("model name", model);
        checkKeyLengths(key, file);
        try (InputStream in = Files.newInputStream(file); ObjectStore.AbortableOutputStream upload = store.create(key)) {
            in.transferTo(upload);
        }
        ObjectStore.StoredObject object = store.head(key).orElseThrow();
        String jobId = JobId.of(new InputObject(t.bucket(), key, object.versionId(), object.etag(), object.size(),
                object.lastModified()));
        System.err.printf("%s → s3://%s/%s (job %s) at %s%n", file, t.bucket(), key, jobId, t.description());
        Optional<JobSummary> end = follow(new JobStore(store), jobId);
        OutputFolder.Claim claim = out == null ? null : new OutputFolder(out).claim(file, file.getFileName().toString());
        ObjectNode report = JobReports.report(store, claim, jobId, file.toString(), key, model, end, timeout);
        JobReports.print(List.of(report), json);
        return "SUCCEEDED".equals(report.path("state").asText()) ? 0 : 1;
    }

    private Optional<JobSummary> follow(JobStore jobs, String jobId) {
        Progress progress = new Progress(System.err, System.console() != null);
        long deadline = System.nanoTime() + timeout.toNanos();
        Optional<JobSummary> end = Optional.empty();
        while (end.isEmpty() && System.nanoTime() < deadline) {
            end = jobs.terminal(jobId);
            progress.show(file.getFileName().toString(), jobs, jobId, end);
            if (end.isEmpty()) {
                StatusCommand.sleep(Duration.ofMillis(500));
            }
        }
        progress.finish();
        return end;
    }

    /**
     * Refuses, before any upload, an input whose key or output keys are too long for the store (the local one
     * keeps each key segment as a file name): a clear message instead of an upload failing part-way.
     */
    static void checkKeyLengths(String key, Path file) {
        OutputFormat output = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".parquet")
                ? OutputFormat.PARQUET : OutputFormat.CSV;
        List<String> written = new java.util.ArrayList<>(List.of(key));
        written.addAll(KeyLimits.outputKeys(key, output));
        for (String k : written) {
            KeyLimits.problem(k).ifPresent(p -> {
                throw new PipelineCli.UsageException("the name of " + file + " is too long for the pipeline: " + p
                        + "; rename the file");
            });
        }
    }
}
