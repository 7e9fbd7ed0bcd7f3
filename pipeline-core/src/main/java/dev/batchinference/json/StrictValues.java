package dev.batchinference.json;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.jr.ob.JSONObjectException;
import com.fasterxml.jackson.jr.ob.JacksonJrExtension;
import com.fasterxml.jackson.jr.ob.api.ExtensionContext;
import com.fasterxml.jackson.jr.ob.api.ReaderWriterModifier;
import com.fasterxml.jackson.jr.ob.api.ReaderWriterProvider;
import com.fasterxml.jackson.jr.ob.api.ValueReader;
import com.fasterxml.jackson.jr.ob.api.ValueWriter;
import com.fasterxml.jackson.jr.ob.impl.BeanWriter;
import com.fasterxml.jackson.jr.ob.impl.JSONReader;
import com.fasterxml.jackson.jr.ob.impl.JSONWriter;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Set;

/**
 * What jackson-jr lacks for {@link RecordJson} to read and write as {@link JsonCodec} does: {@link Instant}
 * as an ISO-8601 string, scalar components that fail on a mistyped value, and no JSON for objects that are
 * neither records nor plain values. Left to itself jackson-jr coerces: {@code "x"} or an object becomes
 * {@code 0} for a number, a string of several characters its first for a {@code char}, an object a
 * {@code null} string whose fields are then read as the record's own; and it writes any object by its getters.
 */
final class StrictValues extends JacksonJrExtension {
    private static final Set<Class<?>> SCALARS = Set.of(String.class, int.class, Integer.class, long.class,
            Long.class, double.class, Double.class, float.class, Float.class, boolean.class, Boolean.class,
            char.class, Character.class, Instant.class);
    /** JSON null as a primitive component, as JsonCodec reads it: the type's default. */
    private static final Map<Class<?>, Object> ZEROS = Map.of(int.class, 0, long.class, 0L, double.class, 0.0,
            float.class, 0f, boolean.class, false, char.class, '\0');

    @Override
    protected void register(ExtensionContext context) {
        context.insertProvider(new ReaderWriterProvider() {
            @Override
            public ValueReader findValueReader(JSONReader reader, Class<?> type) {
                return SCALARS.contains(type) ? new Scalar(type) : null;
            }

            @Override
            public ValueWriter findValueWriter(JSONWriter writer, Class<?> type) {
                return type == Instant.class ? new InstantWriter() : null;
            }
        });
        context.appendModifier(new ReaderWriterModifier() {
            @Override
            public ValueWriter modifyValueWriter(JSONWriter writer, Class<?> type, ValueWriter beanOrCustom) {
                return beanOrCustom instanceof BeanWriter && !type.isRecord() ? new Unwritable(type) : beanOrCustom;
            }
        });
    }

    /** A scalar from its own kind of token only. */
    private static final class Scalar extends ValueReader {
        Scalar(Class<?> type) {
            super(type);
        }

        @Override
        public Object read(JSONReader reader, JsonParser in) throws IOException {
            JsonToken token = in.currentToken();
            if (token == JsonToken.VALUE_NULL) {
                return ZEROS.get(_valueType);
            }
            Class<?> type = _valueType;
            if (type == String.class) {
                return expect(in, token.isScalarValue()).getText();
            } else if (type == int.class || type == Integer.class) {
                return expect(in, token == JsonToken.VALUE_NUMBER_INT).getIntValue();
            } else if (type == long.class || type == Long.class) {
                return expect(in, token == JsonToken.VALUE_NUMBER_INT).getLongValue();
            } else if (type == double.class || type == Double.class) {
                return expect(in, token.isNumeric()).getDoubleValue();
            } else if (type == float.class || type == Float.class) {
                return expect(in, token.isNumeric()).getFloatValue();
            } else if (type == boolean.class || type == Boolean.class) {
                return expect(in, token.isBoolean()).getBooleanValue();
            } else if (type == char.class || type == Character.class) {
                return expect(in, token == JsonToken.VALUE_STRING && in.getTextLength() == 1).getText().charAt(0);
            }
            try {
                return Instant.parse(expect(in, token == JsonToken.VALUE_STRING).getText());
            } catch (DateTimeParseException e) {
                throw JSONObjectException.from(in, e, "'" + in.getText() + "' is not an ISO-8601 instant");
            }
        }

        private JsonParser expect(JsonParser in, boolean fits) throws IOException {
            if (!fits) {
                throw JSONObjectException.from(in, "expected a " + _valueType.getSimpleName() + ", found "
                        + _tokenDesc(in));
            }
            return in;
        }
    }

    private record Unwritable(Class<?> valueType) implements ValueWriter {
        @Override
        public void writeValue(JSONWriter writer, JsonGenerator out, Object value) throws IOException {
            throw new JSONObjectException("no JSON form for a " + valueType.getName());
        }
    }

    private static final class InstantWriter implements ValueWriter {
        @Override
        public void writeValue(JSONWriter writer, JsonGenerator out, Object value) throws IOException {
            out.writeString(value.toString());
        }

        @Override
        public Class<?> valueType() {
            return Instant.class;
        }
    }
}
