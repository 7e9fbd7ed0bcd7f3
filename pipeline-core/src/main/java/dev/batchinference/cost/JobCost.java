package dev.batchinference.cost;

import java.util.List;

/**
 * What a finished job would cost on AWS Lambda, priced from what the job did: each function's seconds and
 * invocations, and its S3 and SQS requests. An estimate, not a bill: see {@link #basis}.
 *
 * @param basis      what is measured and what is assumed, in words, for the summary's reader
 * @param functions  each function's invocations, seconds, memory and GB-seconds
 * @param requestDollars the Lambda, SQS and S3 requests at the list prices
 * @param arm64Dollars   GB-seconds at the arm64 price, and the requests
 * @param x86Dollars     GB-seconds at the x86_64 price, and the requests
 */
public record JobCost(String basis, List<LambdaCostModel.FunctionCost> functions, double gbSeconds,
                      long lambdaRequests, long sqsRequests, long s3Writes, long s3Reads,
                      double requestDollars, double arm64Dollars, double x86Dollars) {

    /** One function's part in a job: how often it ran and for how long in all. */
    public record Use(String function, long invocations, double seconds) {
    }

    /**
     * Prices a job's use of the three functions (in the order ingest, worker, writer) and its requests: S3 writes
     * are what S3 bills at the PUT rate (PUT, COPY, POST, LIST), reads at the GET rate (GET, HEAD); DELETE is free.
     */
    public static JobCost of(String basis, Use ingest, Use worker, Use writer, long sqsRequests, long s3Writes,
                             long s3Reads, CostSettings settings) {
        LambdaCostModel.Memory memory = settings.memory();
        List<LambdaCostModel.FunctionCost> functions = List.of(
                priced(ingest, memory.ingestMb()), priced(worker, memory.workerMb()), priced(writer, memory.writerMb()));
        double gbSeconds = functions.stream().mapToDouble(LambdaCostModel.FunctionCost::gbSeconds).sum();
        long lambdaRequests = functions.stream().mapToLong(LambdaCostModel.FunctionCost::invocations).sum();
        LambdaCostModel.Prices prices = settings.prices();
        double requestDollars = lambdaRequests * prices.lambdaPerMillionRequests() / 1e6
                + sqsRequests * prices.sqsPerMillionRequests() / 1e6
                + s3Writes * prices.s3WritesPerThousand() / 1e3 + s3Reads * prices.s3ReadsPerThousand() / 1e3;
        return new JobCost(basis, functions, round(gbSeconds), lambdaRequests, sqsRequests, s3Writes, s3Reads,
                dollars(requestDollars), dollars(gbSeconds * prices.arm64GbSecond() + requestDollars),
                dollars(gbSeconds * prices.x86GbSecond() + requestDollars));
    }

    private static LambdaCostModel.FunctionCost priced(Use use, int memoryMb) {
        return new LambdaCostModel.FunctionCost(use.function(), memoryMb, use.invocations(), round(use.seconds()),
                round(use.seconds() * memoryMb / 1024.0));
    }

    /** To a millionth of a cent, as printed; list prices have no more digits that matter. */
    private static double dollars(double amount) {
        return Math.round(amount * 1e8) / 1e8;
    }

    /** Milliseconds are what Lambda bills in; more digits would claim a precision the estimate lacks. */
    private static double round(double seconds) {
        return Math.round(seconds * 1000) / 1000.0;
    }
}
