package dev.batchinference.cost;

import java.util.List;
import java.util.Map;

/**
 * What a job's cost estimate is priced with: each function's memory and the list prices, as settings. The results
 * writer knows only its own memory from Lambda, so the template passes all three; the local runtime uses the
 * template's defaults unless told otherwise.
 */
public record CostSettings(LambdaCostModel.Prices prices, LambdaCostModel.Memory memory) {
    public static final String INGEST_MEMORY_MB = "INGEST_MEMORY_MB";
    public static final String WORKER_MEMORY_MB = "WORKER_MEMORY_MB";
    public static final String WRITER_MEMORY_MB = "WRITER_MEMORY_MB";
    public static final String PRICE_ARM64_GB_SECOND = "PRICE_ARM64_GB_SECOND";
    public static final String PRICE_X86_GB_SECOND = "PRICE_X86_GB_SECOND";
    public static final String PRICE_LAMBDA_PER_MILLION = "PRICE_LAMBDA_PER_MILLION";
    public static final String PRICE_SQS_PER_MILLION = "PRICE_SQS_PER_MILLION";
    public static final String PRICE_S3_WRITES_PER_THOUSAND = "PRICE_S3_WRITES_PER_THOUSAND";
    public static final String PRICE_S3_READS_PER_THOUSAND = "PRICE_S3_READS_PER_THOUSAND";

    /** Every variable read here. */
    public static final List<String> NAMES = List.of(INGEST_MEMORY_MB, WORKER_MEMORY_MB, WRITER_MEMORY_MB,
            PRICE_ARM64_GB_SECOND, PRICE_X86_GB_SECOND, PRICE_LAMBDA_PER_MILLION, PRICE_SQS_PER_MILLION,
            PRICE_S3_WRITES_PER_THOUSAND, PRICE_S3_READS_PER_THOUSAND);

    public static CostSettings defaults() {
        return new CostSettings(LambdaCostModel.Prices.listed(), LambdaCostModel.Memory.templateDefaults());
    }

    public static CostSettings from(Map<String, String> env) {
        LambdaCostModel.Prices p = LambdaCostModel.Prices.listed();
        LambdaCostModel.Memory m = LambdaCostModel.Memory.templateDefaults();
        return new CostSettings(
                new LambdaCostModel.Prices(price(env, PRICE_ARM64_GB_SECOND, p.arm64GbSecond()),
                        price(env, PRICE_X86_GB_SECOND, p.x86GbSecond()),
                        price(env, PRICE_LAMBDA_PER_MILLION, p.lambdaPerMillionRequests()),
                        price(env, PRICE_SQS_PER_MILLION, p.sqsPerMillionRequests()),
                        price(env, PRICE_S3_WRITES_PER_THOUSAND, p.s3WritesPerThousand()),
                        price(env, PRICE_S3_READS_PER_THOUSAND, p.s3ReadsPerThousand())),
                new LambdaCostModel.Memory(memory(env, INGEST_MEMORY_MB, m.ingestMb()),
                        memory(env, WORKER_MEMORY_MB, m.workerMb()), memory(env, WRITER_MEMORY_MB, m.writerMb())));
    }

    private static double price(Map<String, String> env, String name, double fallback) {
        String value = env.get(name);
        if (value == null || value.isBlank()) {
            return fallback;
        }
        try {
            double price = Double.parseDouble(value.trim());
            if (price >= 0 && Double.isFinite(price)) {
                return price;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalStateException("environment variable " + name + " must be a price in US dollars, 0 or more,"
                + " was '" + value + "'");
    }

    private static int memory(Map<String, String> env, String name, int fallback) {
        String value = env.get(name);
        if (value == null || value.isBlank()) {
            return fallback;
        }
        try {
            int mb = Integer.parseInt(value.trim());
            if (mb >= 128 && mb <= 10240) {
                return mb;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalStateException("environment variable " + name + " must be a Lambda memory size in MB, 128"
                + " to 10240, was '" + value + "'");
    }
}
