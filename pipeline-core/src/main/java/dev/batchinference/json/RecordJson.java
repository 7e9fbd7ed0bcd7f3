package dev.batchinference.json;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The pipeline's records as JSON through jackson-core's streaming parser and generator alone, in the same
 * form as {@link JsonCodec} (components in declaration order, {@code @JsonProperty} names, nulls left out,
 * enums by name, {@link Instant} in ISO-8601, unknown fields ignored). For the worker's cold path: its
 * task, plan and result message without loading Jackson's object mapping, several hundred classes that
 * cost a fresh JVM about half a second of CPU. Reads components of the types records hold: records,
 * strings, numbers, booleans, chars, enums, instants, lists, string-keyed maps and plain objects.
 */
public final class RecordJson {
    private static final JsonFactory FACTORY = new JsonFactory();

    private RecordJson() {
    }

    public static <T extends Record> T read(String json, Class<T> type) {
        return read(json.getBytes(StandardCharsets.UTF_8), type);
    }

    public static <T extends Record> T read(byte[] json, Class<T> type) {
        try (JsonParser parser = FACTORY.createParser(json)) {
            parser.nextToken();
            return type.cast(value(parser, type));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String write(Record value) {
        StringWriter out = new StringWriter();
        try (JsonGenerator generator = FACTORY.createGenerator(out)) {
            write(generator, value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /** Writes any value {@link #write(Record)} can hold; for documents assembled by hand around records. */
    public static void write(JsonGenerator out, Object value) throws IOException {
        if (value == null) {
            out.writeNull();
        } else if (value instanceof Record record) {
            out.writeStartObject();
            for (RecordComponent component : record.getClass().getRecordComponents()) {
                Object field = get(component, record);
                if (field != null) {
                    out.writeFieldName(name(component));
                    write(out, field);
                }
            }
            out.writeEndObject();
        } else if (value instanceof CharSequence || value instanceof Character || value instanceof Instant) {
            out.writeString(value.toString());
        } else if (value instanceof Enum<?> constant) {
            out.writeString(constant.name());
        } else if (value instanceof Boolean flag) {
            out.writeBoolean(flag);
        } else if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
            out.writeNumber(((Number) value).longValue());
        } else if (value instanceof Number number) {
            out.writeNumber(number.doubleValue());
        } else if (value instanceof Map<?, ?> map) {
            out.writeStartObject();
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                if (entry.getValue() != null) {
                    out.writeFieldName(String.valueOf(entry.getKey()));
                    write(out, entry.getValue());
                }
            }
            out.writeEndObject();
        } else if (value instanceof Iterable<?> items) {
            out.writeStartArray();
            for (Object item : items) {
                write(out, item);
            }
            out.writeEndArray();
        } else {
            throw new IllegalArgumentException("no JSON form for a " + value.getClass().getName());
        }
    }

    /** The value at the parser's current token, as {@code type}; the parser is left on its last token. */
    private static Object value(JsonParser in, Type type) throws IOException {
        JsonToken token = in.currentToken();
        if (token == JsonToken.VALUE_NULL) {
            return null;
        }
        Class<?> raw = raw(type);
        if (raw.isRecord()) {
            return record(in, raw);
        }
        if (List.class.isAssignableFrom(raw)) {
            expect(in, token == JsonToken.START_ARRAY, raw);
            Type element = argument(type, 0);
            List<Object> items = new ArrayList<>();
            while (in.nextToken() != JsonToken.END_ARRAY) {
                items.add(value(in, element));
            }
            return items;
        }
        if (Map.class.isAssignableFrom(raw)) {
            expect(in, token == JsonToken.START_OBJECT, raw);
            Type valueType = argument(type, 1);
            Map<String, Object> map = new LinkedHashMap<>();
            while (in.nextToken() == JsonToken.FIELD_NAME) {
                String key = in.currentName();
                in.nextToken();
                map.put(key, value(in, valueType));
            }
            return map;
        }
        if (raw == Object.class) {
            return natural(in);
        }
        return scalar(in, token, raw);
    }

    private static Object record(JsonParser in, Class<?> type) throws IOException {
        expect(in, in.currentToken() == JsonToken.START_OBJECT, type);
        RecordComponent[] components = type.getRecordComponents();
        Object[] arguments = new Object[components.length];
        while (in.nextToken() == JsonToken.FIELD_NAME) {
            String field = in.currentName();
            in.nextToken();
            int index = indexOf(components, field);
            if (index < 0) {
                in.skipChildren(); // newer writers may add fields; older readers keep working
            } else {
                arguments[index] = value(in, components[index].getGenericType());
            }
        }
        Class<?>[] parameterTypes = new Class<?>[components.length];
        for (int c = 0; c < components.length; c++) {
            parameterTypes[c] = components[c].getType();
            if (arguments[c] == null && parameterTypes[c].isPrimitive()) {
                arguments[c] = zero(parameterTypes[c]); // absent, as Jackson reads it: the type's default
            }
        }
        try {
            Constructor<?> canonical = type.getDeclaredConstructor(parameterTypes);
            canonical.setAccessible(true);
            return canonical.newInstance(arguments);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot construct " + type.getName(), e);
        }
    }

    private static Object scalar(JsonParser in, JsonToken token, Class<?> type) throws IOException {
        if (type == String.class) {
            expect(in, token.isScalarValue(), type);
            return in.getText();
        }
        if (type == int.class || type == Integer.class) {
            expect(in, token == JsonToken.VALUE_NUMBER_INT, type);
            return in.getIntValue();
        }
        if (type == long.class || type == Long.class) {
            expect(in, token == JsonToken.VALUE_NUMBER_INT, type);
            return in.getLongValue();
        }
        if (type == double.class || type == Double.class) {
            expect(in, token.isNumeric(), type);
            return in.getDoubleValue();
        }
        if (type == float.class || type == Float.class) {
            expect(in, token.isNumeric(), type);
            return in.getFloatValue();
        }
        if (type == boolean.class || type == Boolean.class) {
            expect(in, token.isBoolean(), type);
            return in.getBooleanValue();
        }
        if (type == char.class || type == Character.class) {
            expect(in, token == JsonToken.VALUE_STRING && in.getTextLength() == 1, type);
            return in.getText().charAt(0);
        }
        if (type.isEnum()) {
            expect(in, token == JsonToken.VALUE_STRING, type);
            for (Object constant : type.getEnumConstants()) {
                if (((Enum<?>) constant).name().equals(in.getText())) {
                    return constant;
                }
            }
            throw new JsonParseException(in, "'" + in.getText() + "' is not a " + type.getSimpleName());
        }
        if (type == Instant.class) {
            expect(in, token == JsonToken.VALUE_STRING, type);
            try {
                return Instant.parse(in.getText());
            } catch (java.time.format.DateTimeParseException e) {
                throw new JsonParseException(in, "'" + in.getText() + "' is not an ISO-8601 instant", e);
            }
        }
        throw new IllegalArgumentException("no JSON reading for a " + type.getName());
    }

    /** A value of a component typed {@code Object}: strings, numbers, booleans, lists and maps of them. */
    private static Object natural(JsonParser in) throws IOException {
        return switch (in.currentToken()) {
            case START_ARRAY -> value(in, List.class);
            case START_OBJECT -> value(in, Map.class);
            case VALUE_NUMBER_INT -> in.getNumberValue(); // Integer where it fits, as Jackson reads it
            case VALUE_NUMBER_FLOAT -> in.getDoubleValue();
            case VALUE_TRUE, VALUE_FALSE -> in.getBooleanValue();
            default -> in.getText();
        };
    }

    private static void expect(JsonParser in, boolean fits, Class<?> type) throws JsonParseException {
        if (!fits) {
            throw new JsonParseException(in, "expected a " + type.getSimpleName() + ", found " + in.currentToken());
        }
    }

    private static int indexOf(RecordComponent[] components, String field) {
        for (int c = 0; c < components.length; c++) {
            if (name(components[c]).equals(field)) {
                return c;
            }
        }
        return -1;
    }

    /** The component's name in JSON: its {@code @JsonProperty} name (held by the accessor), or its own. */
    private static String name(RecordComponent component) {
        JsonProperty renamed = component.getAccessor().getAnnotation(JsonProperty.class);
        return renamed != null && !renamed.value().isEmpty() ? renamed.value() : component.getName();
    }

    private static Object get(RecordComponent component, Record record) {
        try {
            var accessor = component.getAccessor();
            accessor.setAccessible(true);
            return accessor.invoke(record);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot read " + component, e);
        }
    }

    private static Class<?> raw(Type type) {
        return type instanceof ParameterizedType parameterized ? (Class<?>) parameterized.getRawType() : (Class<?>) type;
    }

    private static Type argument(Type type, int index) {
        return type instanceof ParameterizedType parameterized ? parameterized.getActualTypeArguments()[index]
                : Object.class;
    }

    private static Object zero(Class<?> primitive) {
        if (primitive == boolean.class) {
            return false;
        }
        if (primitive == char.class) {
            return '\0';
        }
        if (primitive == long.class) {
            return 0L;
        }
        if (primitive == double.class) {
            return 0.0;
        }
        if (primitive == float.class) {
            return 0f;
        }
        return primitive == int.class ? 0 : primitive == short.class ? (short) 0 : (byte) 0;
    }
}
