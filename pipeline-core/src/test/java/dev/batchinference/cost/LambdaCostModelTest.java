package dev.batchinference.cost;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** The cost model's arithmetic, checked by hand against the list prices and the template's memory sizes. */
class LambdaCostModelTest {

    @Test
    void aMillionRowsInFiveChunksCostsWhatTheDocumentedWorkingGives() {
        LambdaCostModel model = LambdaCostModel.withDefaults(1_000_000);

        LambdaCostModel.Estimate e = model.estimate(new LambdaCostModel.Job(1_000_000, 100_000_000, 50_000_000, 5), 100);

        // ingest: 0.2 s + 1 s of planning at 1 GB; worker: 5 × (0.2 + 0.2) s at 2 GB; writer: 5 × 0.2 + 0.5 s at 1 GB
        assertThat(e.functions()).extracting(LambdaCostModel.FunctionCost::gbSeconds)
                .containsExactly(1.2, 4.0, 1.5);
        assertThat(e.gbSeconds()).isCloseTo(6.7, within(1e-9));
        assertThat(e.lambdaRequests()).isEqualTo(11);
        assertThat(e.sqsRequests()).isEqualTo(18);
        assertThat(e.s3Writes()).isEqualTo(21);
        assertThat(e.s3Reads()).isEqualTo(28);
        double requests = 11 * 0.20 / 1e6 + 18 * 0.40 / 1e6 + 21 * 0.005 / 1e3 + 28 * 0.0004 / 1e3;
        assertThat(e.requestDollars()).isCloseTo(requests, within(1e-12));
        assertThat(e.arm64Dollars()).isCloseTo(6.7 * 0.0000133334 + requests, within(1e-12));
        assertThat(e.x86Dollars()).isCloseTo(6.7 * 0.0000166667 + requests, within(1e-12));
        assertThat(e.x86Dollars()).isGreaterThan(e.arm64Dollars());
        // one wave of chunks: planning, one chunk, a writer invocation and the collation
        assertThat(e.wallSeconds()).isCloseTo(1.2 + 0.4 + 0.2 + 0.5, within(1e-9));
    }

    @Test
    void fewerWorkersAtOnceTakeLongerForTheSameCost() {
        LambdaCostModel model = LambdaCostModel.withDefaults(100_000);
        LambdaCostModel.Job job = new LambdaCostModel.Job(10_000_000, 0, 0, 50);

        LambdaCostModel.Estimate wide = model.estimate(job, 50);
        LambdaCostModel.Estimate narrow = model.estimate(job, 10);

        assertThat(narrow.gbSeconds()).isCloseTo(wide.gbSeconds(), within(1e-9));
        assertThat(narrow.wallSeconds() - wide.wallSeconds()).isCloseTo(4 * (0.2 + 2.0), within(1e-9));
    }

    @Test
    void eachNewEnvironmentsFirstChunkRunsAtTheFirstChunkRateTheRestWarm() {
        LambdaCostModel model = new LambdaCostModel(LambdaCostModel.Prices.listed(), LambdaCostModel.Memory.templateDefaults(),
                LambdaCostModel.Rates.assuming(1_000_000, 100_000));
        LambdaCostModel.Job job = new LambdaCostModel.Job(10_000_000, 0, 0, 50);

        LambdaCostModel.Estimate e = model.estimate(job, 10);

        // 200,000 rows a chunk: 10 environments' first chunks at 2 s, 40 more chunks at 0.2 s, 0.2 s start each
        assertThat(e.functions().get(1).seconds()).isCloseTo(10 * 2.2 + 40 * 0.4, within(1e-9));
        // planning, a first chunk, four warm waves, a writer invocation
        assertThat(e.wallSeconds()).isCloseTo(0.2 + 2.2 + 4 * 0.4 + 0.2, within(1e-9));
    }
}
