package dev.batchinference.observability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.batchinference.json.JsonCodec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The invocation line is an Embedded Metric Format document CloudWatch can read, written once per invocation. */
class InvocationLogTest {

    @Test
    void aLineIsAnEmfDocumentWithItsMetricsUnitsDimensionAndProperties() throws Exception {
        List<String> lines = new ArrayList<>();
        InvocationLog log = InvocationLog.to("batch-worker", "Ns", lines::add);
        Map<String, Object> chunk = new LinkedHashMap<>();
        chunk.put("jobId", "j1");
        chunk.put("chunk", 3);

        Invocation line = log.start("req-1").count("rows", 5).count("rows", 2).millis("parseMs", 7)
                .property("chunks", List.of(chunk)).property("outcome", "PREDICTED");
        line.emit();
        line.emit();
        log.start(null).emit();

        assertThat(lines).hasSize(2);
        JsonNode cold = JsonCodec.mapper().readTree(lines.get(0));
        JsonNode directive = cold.path("_aws").path("CloudWatchMetrics").get(0);
        assertThat(cold.path("_aws").path("Timestamp").asLong()).isPositive();
        assertThat(directive.path("Namespace").asText()).isEqualTo("Ns");
        assertThat(directive.path("Dimensions").toString()).isEqualTo("[[\"Function\"]]");
        assertThat(directive.path("Metrics").toString()).isEqualTo("[{\"Name\":\"rows\",\"Unit\":\"Count\"},"
                + "{\"Name\":\"parseMs\",\"Unit\":\"Milliseconds\"},{\"Name\":\"durationMs\",\"Unit\":\"Milliseconds\"}]");
        assertThat(cold.path("Function").asText()).isEqualTo("batch-worker");
        assertThat(cold.path("rows").isDouble()).isTrue();
        assertThat(cold.path("rows").asDouble()).isEqualTo(7);
        assertThat(cold.path("parseMs").asDouble()).isEqualTo(7);
        assertThat(cold.path("coldStart").asBoolean()).isTrue();
        assertThat(cold.path("requestId").asText()).isEqualTo("req-1");
        assertThat(cold.path("chunks").toString()).isEqualTo("[{\"jobId\":\"j1\",\"chunk\":3}]");
        JsonNode warm = JsonCodec.mapper().readTree(lines.get(1));
        assertThat(warm.path("coldStart").asBoolean()).isFalse();
        assertThat(warm.has("requestId")).isFalse();
    }

    @Test
    void inLambdaTheLineSaysWhereItWasWrittenAndATraceOnlyWhenSampled() {
        Map<String, String> env = Map.of("AWS_EXECUTION_ENV", "AWS_Lambda_java21", "AWS_LAMBDA_FUNCTION_VERSION", "7",
                "AWS_LAMBDA_LOG_STREAM_NAME", "2026/11/24/[7]abc", "_X_AMZN_TRACE_ID", "Root=1-a;Sampled=1");

        assertThat(InvocationLog.lambdaProperties(env)).containsExactly(
                Map.entry("executionEnvironment", "AWS_Lambda_java21"), Map.entry("functionVersion", "7"),
                Map.entry("logStreamId", "2026/11/24/[7]abc"), Map.entry("traceId", "Root=1-a;Sampled=1"));
        assertThat(InvocationLog.lambdaProperties(Map.of("_X_AMZN_TRACE_ID", "Root=1-a;Sampled=0"))).isEmpty();
    }

    @Test
    void aMetricNeedsAName() {
        Invocation line = InvocationLog.to("f", "Ns", text -> { }).start(null);

        assertThatThrownBy(() -> line.count(" ", 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aLineThatCannotBeWrittenDoesNotFailTheInvocation() {
        List<String> lines = new ArrayList<>();
        Invocation line = InvocationLog.to("f", "Ns", lines::add).start(null).property("odd", new Object());

        line.emit();

        assertThat(lines).isEmpty();
    }
}
