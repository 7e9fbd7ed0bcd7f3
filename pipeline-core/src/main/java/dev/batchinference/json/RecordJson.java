package dev.batchinference.json;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.jr.annotationsupport.JacksonAnnotationExtension;
import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;

/**
 * The pipeline's records as JSON through jackson-jr, in the same form as {@link JsonCodec} (components in
 * declaration order, {@code @JsonProperty} names, nulls left out, enums by name, {@link Instant} in
 * ISO-8601, unknown fields ignored; mistyped values fail: {@link StrictValues}). For the worker's cold path:
 * its task, plan and result message without loading Jackson's object mapping, several hundred classes that
 * cost a fresh JVM about half a second of CPU.
 */
public final class RecordJson {
    private static final JSON JR = JSON.builder()
            .register(JacksonAnnotationExtension.std)
            .register(new StrictValues())
            .enable(JSON.Feature.WRITE_RECORD_FIELDS_IN_DECLARATION_ORDER)
            .build();

    private RecordJson() {
    }

    public static <T extends Record> T read(String json, Class<T> type) {
        try {
            return JR.beanFrom(type, json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static <T extends Record> T read(byte[] json, Class<T> type) {
        try {
            return JR.beanFrom(type, json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads a record from a parser's tokens, such as those of a tree read before ({@code JsonNode.traverse()}). */
    public static <T extends Record> T read(JsonParser tokens, Class<T> type) {
        try {
            return JR.beanFrom(type, tokens);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String write(Record value) {
        try {
            return JR.asString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes any value {@link #write(Record)} can hold; for documents assembled by hand around records. */
    public static void write(JsonGenerator out, Object value) throws IOException {
        JR.write(value, out);
    }
}
