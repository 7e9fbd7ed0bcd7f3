package dev.batchinference.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.batchinference.cost.CostSettings;
import dev.batchinference.cost.JobCost;
import dev.batchinference.cost.LambdaCostModel;
import dev.batchinference.format.ChunkLimits;
import dev.batchinference.job.JobKeys;
import dev.batchinference.job.JobState;
import dev.batchinference.job.JobSummary;
import dev.batchinference.job.Requests;
import dev.batchinference.json.JsonCodec;
import dev.batchinference.testing.InMemoryPipeline;
import dev.batchinference.testing.Samples;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every summary prices the job it ends: from the job's own times and request counts, at the configured prices. */
class JobCostEstimateTest {
    @TempDir
    Path dir;

    @Test
    void aSucceededJobIsPricedFromItsMeasuredTimesAndCountedRequests() throws Exception {
        InMemoryPipeline p = new InMemoryPipeline(dir, new ChunkLimits(50, Long.MAX_VALUE));
        Samples.publish(p.models, "iris");
        String key = p.put("incoming/iris/cost/iris.csv", Files.readAllBytes(Samples.data("iris.csv")));
        p.runToEnd(key);
        JobSummary summary = JsonCodec.read(p.text(JobKeys.summary(key)), JobSummary.class);
        assertThat(summary.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(summary.chunks()).isEqualTo(3);

        JobCost cost = summary.cost();
        assertThat(cost.basis()).contains("estimate", "not a bill", "Measured", "Assumed");
        List<LambdaCostModel.FunctionCost> f = cost.functions();
        assertThat(f).extracting(LambdaCostModel.FunctionCost::function)
                .containsExactly("ingest-trigger", "batch-worker", "results-writer");
        assertThat(f).extracting(LambdaCostModel.FunctionCost::memoryMb).containsExactly(1024, 2048, 1024);
        assertThat(f).extracting(LambdaCostModel.FunctionCost::invocations).containsExactly(1L, 3L, 3L);
        // the worker's seconds are the chunks' measured wall times; the writer's, its collation and 0.1 s per result
        assertThat(f.get(1).seconds()).isCloseTo(summary.timings().chunkMs() / 1000.0, within(0.0011));
        assertThat(f.get(2).seconds()).isCloseTo(summary.timings().collateMs() / 1000.0 + 0.3, within(0.0011));
        assertThat(f.get(1).gbSeconds()).isCloseTo(f.get(1).seconds() * 2, within(0.0011));
        assertThat(cost.gbSeconds()).isCloseTo(f.stream().mapToDouble(LambdaCostModel.FunctionCost::gbSeconds).sum(),
                within(0.0011));

        Requests all = summary.requests().ingestTrigger().plus(summary.requests().batchWorker())
                .plus(summary.requests().resultsWriter());
        assertThat(cost.s3Writes()).isEqualTo(all.s3PutObject() + all.s3ListObjectsV2()).isPositive();
        assertThat(cost.s3Reads()).isEqualTo(all.s3GetObject() + all.s3HeadObject()).isPositive();
        // the sends counted, and each of the 3 tasks and 3 results received and deleted
        assertThat(cost.sqsRequests()).isEqualTo(all.sqsSendMessageBatch() + 12);
        assertThat(cost.lambdaRequests()).isEqualTo(7);
        double requests = 7 * 0.20 / 1e6 + cost.sqsRequests() * 0.40 / 1e6 + cost.s3Writes() * 0.005 / 1e3
                + cost.s3Reads() * 0.0004 / 1e3;
        assertThat(cost.requestDollars()).isCloseTo(requests, within(1e-8));
        assertThat(cost.arm64Dollars()).isCloseTo(cost.gbSeconds() * 0.0000133334 + requests, within(1e-7));
        assertThat(cost.x86Dollars()).isGreaterThan(cost.arm64Dollars());
    }

    @Test
    void aJobRejectedAtIngestCostsIngestAndOneWriterInvocation() throws Exception {
        InMemoryPipeline p = new InMemoryPipeline(dir, ChunkLimits.defaults());
        String key = p.put("incoming/nosuchmodel/x.csv", "a,b\n1,2\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        p.runToEnd(key);
        JobSummary summary = JsonCodec.read(p.text(JobKeys.summary(key)), JobSummary.class);
        assertThat(summary.state()).isEqualTo(JobState.FAILED);
        assertThat(summary.cost().functions()).extracting(LambdaCostModel.FunctionCost::invocations)
                .containsExactly(1L, 0L, 1L);
        assertThat(summary.cost().functions().get(1).gbSeconds()).isZero();
        assertThat(summary.cost().arm64Dollars()).isPositive();
    }

    @Test
    void pricesAndMemoryAreSettings() {
        CostSettings settings = CostSettings.from(Map.of(CostSettings.PRICE_ARM64_GB_SECOND, "1",
                CostSettings.PRICE_X86_GB_SECOND, "2", CostSettings.PRICE_LAMBDA_PER_MILLION, "0",
                CostSettings.PRICE_SQS_PER_MILLION, "0", CostSettings.PRICE_S3_WRITES_PER_THOUSAND, "1000",
                CostSettings.PRICE_S3_READS_PER_THOUSAND, "0", CostSettings.WORKER_MEMORY_MB, "4096"));

        JobCost cost = JobCost.of("basis", new JobCost.Use("ingest-trigger", 1, 0),
                new JobCost.Use("batch-worker", 2, 3.0), new JobCost.Use("results-writer", 2, 0), 10, 5, 7, settings);

        // 3 s at 4 GB; 5 writes at $1 each
        assertThat(cost.gbSeconds()).isEqualTo(12.0);
        assertThat(cost.requestDollars()).isCloseTo(5.0, within(1e-9));
        assertThat(cost.arm64Dollars()).isCloseTo(17.0, within(1e-9));
        assertThat(cost.x86Dollars()).isCloseTo(29.0, within(1e-9));
        assertThat(CostSettings.from(Map.of())).isEqualTo(CostSettings.defaults());
    }

    @Test
    void aBadPriceOrMemorySettingIsNamed() {
        assertThatThrownBy(() -> CostSettings.from(Map.of(CostSettings.PRICE_SQS_PER_MILLION, "forty cents")))
                .hasMessageContaining("PRICE_SQS_PER_MILLION").hasMessageContaining("forty cents");
        assertThatThrownBy(() -> CostSettings.from(Map.of(CostSettings.PRICE_S3_READS_PER_THOUSAND, "-1")))
                .hasMessageContaining("PRICE_S3_READS_PER_THOUSAND");
        assertThatThrownBy(() -> CostSettings.from(Map.of(CostSettings.WORKER_MEMORY_MB, "64")))
                .hasMessageContaining("WORKER_MEMORY_MB").hasMessageContaining("128 to 10240");
    }
}
