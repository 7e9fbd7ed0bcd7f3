package dev.batchinference.local.cli;

import dev.batchinference.config.PipelineConfig;
import dev.batchinference.format.ChunkLimits;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Option;

/**
 * The deployment's settings, given to {@code run} and {@code serve} as flags named after the functions'
 * environment variables ({@code --max-rejected-percent} sets {@code MAX_REJECTED_PERCENT}), or any of them
 * as {@code --set NAME=VALUE}: the functions here then run with what a stack with those parameters runs with.
 */
final class SettingsOptions {
    /** What the local runtime sets itself: the bucket, queues, endpoints and where models are cached. */
    static final Set<String> RUNTIME_OWNED = Set.of(PipelineConfig.BUCKET, PipelineConfig.WORK_QUEUE_URL,
            PipelineConfig.RESULTS_QUEUE_URL, PipelineConfig.PLANNING_QUEUE_URL, PipelineConfig.ENDPOINT,
            PipelineConfig.S3_ENDPOINT, PipelineConfig.SQS_ENDPOINT, PipelineConfig.REGION, PipelineConfig.MODEL_CACHE_DIR);

    @Option(names = {"--chunk-max-rows", "--chunk-rows"}, paramLabel = "N",
            description = "CHUNK_MAX_ROWS: most rows per chunk (default: " + PipelineConfig.DEFAULT_CHUNK_MAX_ROWS + ")")
    String chunkMaxRows;

    @Option(names = {"--chunk-max-bytes", "--chunk-bytes"}, paramLabel = "N",
            description = "CHUNK_MAX_BYTES: most bytes per chunk (default: " + PipelineConfig.DEFAULT_CHUNK_MAX_BYTES + ")")
    String chunkMaxBytes;

    @Option(names = "--max-rejected-percent", paramLabel = "P",
            description = "MAX_REJECTED_PERCENT: a job with more rejected rows than this ends FAILED (ERROR_THRESHOLD)"
                    + " (default: 5)")
    String maxRejectedPercent;

    @Option(names = "--max-rejected-rows", paramLabel = "N",
            description = "MAX_REJECTED_ROWS: the same as a count of rows (default: no limit)")
    String maxRejectedRows;

    @Option(names = {"--csv-delimiter", "--delimiter"}, paramLabel = "D",
            description = "CSV_DELIMITER: auto, comma, semicolon, tab or pipe (default: auto)")
    String csvDelimiter;

    @Option(names = "--output-format", paramLabel = "F", description = "OUTPUT_FORMAT: auto (the input's), csv or parquet")
    String outputFormat;

    @Option(names = "--parquet-compression", paramLabel = "C",
            description = "PARQUET_COMPRESSION: snappy, zstd, gzip or none (default: snappy)")
    String parquetCompression;

    @Option(names = "--feature-columns", paramLabel = "F=C,...",
            description = "FEATURE_COLUMNS: input columns named otherwise than the model's features")
    String featureColumns;

    @Option(names = "--pass-through", paramLabel = "WHICH",
            description = "PASS_THROUGH: input columns the output repeats: non-features, all or none")
    String passThrough;

    @Option(names = "--inference-batch-rows", paramLabel = "N",
            description = "INFERENCE_BATCH_ROWS: rows per ONNX Runtime call (default: "
                    + PipelineConfig.DEFAULT_INFERENCE_BATCH_ROWS + ")")
    String inferenceBatchRows;

    @Option(names = "--max-record-bytes", paramLabel = "N", description = "MAX_RECORD_BYTES: the longest CSV record")
    String maxRecordBytes;

    @Option(names = "--max-chunks-per-job", paramLabel = "N", description = "MAX_CHUNKS_PER_JOB: the most chunks an input may make")
    String maxChunksPerJob;

    @Option(names = "--set", paramLabel = "NAME=VALUE",
            description = "any other setting by its environment variable's name, such as --set MAX_UNCOMPRESSED_BYTES=1000000"
                    + " (docs/design.md, Configuration); repeatable")
    Map<String, String> set = new LinkedHashMap<>();

    /**
     * The settings given, by variable name, checked as the functions check them at start-up: a bad value is
     * a usage error naming the flag, not a job that fails later.
     */
    Map<String, String> environment() {
        Map<String, String> env = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : set.entrySet()) {
            String name = e.getKey().trim().toUpperCase(Locale.ROOT).replace('-', '_');
            if (RUNTIME_OWNED.contains(name)) {
                throw new PipelineCli.UsageException("--set " + name + ": the local runtime sets " + name + " itself");
            }
            if (!PipelineConfig.NAMES.contains(name)) {
                throw new PipelineCli.UsageException("--set " + e.getKey() + ": not a setting of the functions; they read "
                        + String.join(", ", settable()));
            }
            env.put(name, e.getValue());
        }
        flag(env, PipelineConfig.CHUNK_MAX_ROWS, chunkMaxRows);
        flag(env, PipelineConfig.CHUNK_MAX_BYTES, chunkMaxBytes);
        flag(env, PipelineConfig.MAX_REJECTED_PERCENT, maxRejectedPercent);
        flag(env, PipelineConfig.MAX_REJECTED_ROWS, maxRejectedRows);
        flag(env, PipelineConfig.CSV_DELIMITER, csvDelimiter);
        flag(env, PipelineConfig.OUTPUT_FORMAT, outputFormat);
        flag(env, PipelineConfig.PARQUET_COMPRESSION, parquetCompression);
        flag(env, PipelineConfig.FEATURE_COLUMNS, featureColumns);
        flag(env, PipelineConfig.PASS_THROUGH, passThrough);
        flag(env, PipelineConfig.INFERENCE_BATCH_ROWS, inferenceBatchRows);
        flag(env, PipelineConfig.MAX_RECORD_BYTES, maxRecordBytes);
        flag(env, PipelineConfig.MAX_CHUNKS_PER_JOB, maxChunksPerJob);
        config(env);
        return env;
    }

    /** The settings as the functions would read them (bucket and queues aside). */
    static PipelineConfig config(Map<String, String> settings) {
        Map<String, String> env = new LinkedHashMap<>(settings);
        env.put(PipelineConfig.BUCKET, TargetOptions.DEFAULT_BUCKET);
        try {
            return PipelineConfig.from(env);
        } catch (IllegalStateException | IllegalArgumentException e) {
            String message = e.getMessage();
            for (String name : settings.keySet()) {
                if (message != null && message.contains(name)) {
                    throw new PipelineCli.UsageException(flagOf(name) + ": " + message);
                }
            }
            throw new PipelineCli.UsageException(message);
        }
    }

    /** The settings' chunk limits (the defaults where not given). */
    static ChunkLimits chunkLimits(Map<String, String> settings) {
        return config(settings).chunkLimits();
    }

    /** The flag that sets a variable: its name in lower case with dashes. */
    static String flagOf(String variable) {
        return "--" + variable.toLowerCase(Locale.ROOT).replace('_', '-');
    }

    private static List<String> settable() {
        return PipelineConfig.NAMES.stream().filter(n -> !RUNTIME_OWNED.contains(n)).toList();
    }

    private static void flag(Map<String, String> env, String name, String value) {
        if (value == null) {
            return;
        }
        String earlier = env.put(name, value);
        if (earlier != null && !earlier.equals(value)) {
            throw new PipelineCli.UsageException(flagOf(name) + " " + value + " and --set " + name + "=" + earlier
                    + " disagree; give one");
        }
    }
}
