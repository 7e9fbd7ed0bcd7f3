package dev.batchinference.local.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;
import java.util.Locale;

/** {@code plan}'s document as text: per file, the check, the chunks, the sample and the estimate on Lambda. */
final class PlanReport {
    /** Chunks listed one by one up to this many; more are summarised. */
    private static final int CHUNKS_LISTED = 8;

    private PlanReport() {
    }

    static void print(JsonNode doc, PrintStream out) {
        for (JsonNode f : doc.path("files")) {
            out.printf("%s with model %s v%s: no job was started%n", f.path("file").asText(), f.path("model").asText(),
                    f.path("modelVersion").asText());
            if (!f.path("fits").asBoolean()) {
                out.printf("  does not fit (%s): %s%n%n", f.path("reason").asText(), f.path("message").asText());
                continue;
            }
            out.printf("  fits       %s, %,d rows, %,d bytes; features %s; passed through %s%n", f.path("format").asText(),
                    f.path("rows").asLong(), f.path("bytes").asLong(), list(f.path("features")), list(f.path("passThrough")));
            JsonNode chunks = f.path("chunks");
            out.printf("  chunks     %d (CHUNK_MAX_ROWS %d, CHUNK_MAX_BYTES %d)%n", chunks.size(),
                    f.path("chunkMaxRows").asLong(), f.path("chunkMaxBytes").asLong());
            for (int i = 0; i < Math.min(chunks.size(), CHUNKS_LISTED); i++) {
                JsonNode c = chunks.get(i);
                out.printf("             %d: bytes %d-%d%s%n", c.path("index").asInt(), c.path("startByte").asLong(),
                        c.path("endByte").asLong(), c.path("rows").isNull() ? "" : ", " + c.path("rows").asLong() + " rows");
            }
            if (chunks.size() > CHUNKS_LISTED) {
                out.printf("             ... and %d more%n", chunks.size() - CHUNKS_LISTED);
            }
            out.printf("  sample     the first rows predicted here (%d rejected among those measured):%n",
                    f.path("sampleRejected").asLong());
            for (JsonNode line : f.path("sample")) {
                out.printf("             %s%n", line.asText());
            }
            printEstimate(f.path("lambda"), out);
            out.println();
        }
        out.println("(" + doc.path("estimate").asText() + ")");
    }

    private static void printEstimate(JsonNode l, PrintStream out) {
        JsonNode e = l.path("estimate");
        out.printf("  on Lambda  an estimate, at %,d rows/s per worker (%s):%n", l.path("workerRowsPerSecond").asLong(),
                l.path("rowsPerSecondSource").asText());
        for (JsonNode fn : e.path("functions")) {
            out.printf(Locale.ROOT, "             %-15s %5d MB  %,6d invocation(s)  %10.2f s  %10.3f GB-s%n",
                    fn.path("function").asText(), fn.path("memoryMb").asInt(), fn.path("invocations").asLong(),
                    fn.path("seconds").asDouble(), fn.path("gbSeconds").asDouble());
        }
        out.printf(Locale.ROOT, "             requests: %,d Lambda, %,d SQS, %,d S3 writes, %,d S3 reads ($%.6f)%n",
                e.path("lambdaRequests").asLong(), e.path("sqsRequests").asLong(), e.path("s3Writes").asLong(),
                e.path("s3Reads").asLong(), e.path("requestDollars").asDouble());
        out.printf(Locale.ROOT, "             total %.3f GB-s: $%.6f on arm64, $%.6f on x86_64 (GB-s at $%s and $%s)%n",
                e.path("gbSeconds").asDouble(), e.path("arm64Dollars").asDouble(), e.path("x86Dollars").asDouble(),
                plain(l.path("prices").path("arm64GbSecond")), plain(l.path("prices").path("x86GbSecond")));
        out.printf(Locale.ROOT, "             wall time about %.1f s with %d workers at once%n",
                e.path("wallSeconds").asDouble(), e.path("concurrency").asInt());
        out.printf(Locale.ROOT, "             assumed: planning %.0f MB/s, collation %.0f MB/s, %.1f s per invocation%n",
                l.path("planBytesPerSecond").asDouble() / 1e6, l.path("collateBytesPerSecond").asDouble() / 1e6,
                l.path("secondsPerInvocation").asDouble());
        if (l.has("scaled")) {
            printScaled(l, out);
        }
    }

    private static void printScaled(JsonNode l, PrintStream out) {
        out.printf(Locale.ROOT, "  scaled     inputs of rows like these: %,d rows/s warm, %,d in a new environment's first chunk,"
                + " %d workers at once%n", l.path("workerRowsPerSecond").asLong(), l.path("firstChunkRowsPerSecond").asLong(),
                l.path("estimate").path("concurrency").asInt());
        out.printf(Locale.ROOT, "             %8s %16s %8s %10s %12s %10s %10s%n", "size", "rows", "chunks", "wall s",
                "GB-s", "$ arm64", "$ x86_64");
        for (JsonNode s : l.path("scaled")) {
            JsonNode e = s.path("estimate");
            out.printf(Locale.ROOT, "             %8s %,16d %,8d %,10.0f %,12.0f %10.4f %10.4f%n", s.path("size").asText(),
                    s.path("rows").asLong(), s.path("chunks").asLong(), e.path("wallSeconds").asDouble(),
                    e.path("gbSeconds").asDouble(), e.path("arm64Dollars").asDouble(), e.path("x86Dollars").asDouble());
            for (JsonNode limit : s.path("limits")) {
                out.printf("             %8s limit: %s%n", "", limit.asText());
            }
        }
    }

    private static String plain(JsonNode price) {
        return java.math.BigDecimal.valueOf(price.asDouble()).toPlainString();
    }

    private static String list(JsonNode names) {
        StringBuilder s = new StringBuilder();
        for (JsonNode n : names) {
            s.append(s.length() == 0 ? "" : ", ").append(n.asText());
        }
        return s.length() == 0 ? "none" : s.toString();
    }
}
