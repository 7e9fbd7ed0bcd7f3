package dev.batchinference.local.deploy;

import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A CloudFormation/SAM template read for tests: YAML with the short-form intrinsic tags ({@code !Ref},
 * {@code !GetAtt}, {@code !Sub}, {@code !If}, ...) turned into their long form ({@code {"Ref": ...}},
 * {@code {"Fn::GetAtt": [...]}}), so that a reference is never mistaken for a literal. It can also
 * evaluate values for a given set of parameter values, as CloudFormation would, as far as these
 * tests need: Ref to a parameter, Fn::If over the template's conditions, Fn::Sub over parameters.
 */
final class CloudFormationTemplate {
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    private static final Pattern SUB_VARIABLE = Pattern.compile("\\$\\{([^}!]+)}");

    private final JsonNode root;

    private CloudFormationTemplate(JsonNode root) {
        this.root = root;
    }

    static CloudFormationTemplate read(Path file) {
        try (YAMLParser parser = new YAMLFactory().createParser(file.toFile())) {
            parser.nextToken();
            return new CloudFormationTemplate(read(parser));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private static JsonNode read(YAMLParser parser) throws IOException {
        String tag = parser.getTypeId(); // read before the parser moves into a collection
        JsonToken token = parser.currentToken();
        JsonNode node = switch (token) {
            case START_OBJECT -> {
                ObjectNode object = JSON.objectNode();
                while (parser.nextToken() != JsonToken.END_OBJECT) {
                    String name = parser.currentName();
                    parser.nextToken();
                    object.set(name, read(parser));
                }
                yield object;
            }
            case START_ARRAY -> {
                ArrayNode array = JSON.arrayNode();
                while (parser.nextToken() != JsonToken.END_ARRAY) {
                    array.add(read(parser));
                }
                yield array;
            }
            case VALUE_STRING -> JSON.textNode(parser.getText());
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> JSON.numberNode(parser.getDecimalValue());
            case VALUE_TRUE, VALUE_FALSE -> JSON.booleanNode(parser.getBooleanValue());
            case VALUE_NULL -> JSON.nullNode();
            default -> throw new IOException("unexpected " + token + " at " + parser.currentLocation());
        };
        return tag == null || tag.contains(":") ? node : longForm(tag, node);
    }

    /** {@code !Ref x} → {@code {"Ref": x}}, {@code !GetAtt a.b} → {@code {"Fn::GetAtt": [a, b]}}, {@code !X v} → {@code {"Fn::X": v}}. */
    private static JsonNode longForm(String tag, JsonNode value) {
        ObjectNode intrinsic = JSON.objectNode();
        switch (tag) {
            case "Ref", "Condition" -> intrinsic.set(tag, value);
            case "GetAtt" -> {
                if (value.isTextual()) {
                    String[] parts = value.asText().split("\\.", 2);
                    intrinsic.set("Fn::GetAtt", JSON.arrayNode().add(parts[0]).add(parts[1]));
                } else {
                    intrinsic.set("Fn::GetAtt", value);
                }
            }
            default -> intrinsic.set("Fn::" + tag, value);
        }
        return intrinsic;
    }

    JsonNode root() {
        return root;
    }

    JsonNode resources() {
        return root.path("Resources");
    }

    JsonNode outputs() {
        return root.path("Outputs");
    }

    JsonNode resource(String logicalId) {
        JsonNode resource = resources().path(logicalId);
        if (resource.isMissingNode()) {
            throw new AssertionError("the template has no resource " + logicalId);
        }
        return resource;
    }

    /** Logical ids of the resources of a type, in template order. */
    Map<String, JsonNode> resourcesOfType(String type) {
        Map<String, JsonNode> found = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = resources().fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (type.equals(e.getValue().path("Type").asText())) {
                found.put(e.getKey(), e.getValue());
            }
        }
        return found;
    }

    /** A serverless function's properties with the template's Globals.Function merged in, as SAM does. */
    ObjectNode functionProperties(String logicalId) {
        ObjectNode merged = root.path("Globals").path("Function").isObject()
                ? ((ObjectNode) root.path("Globals").path("Function")).deepCopy() : JSON.objectNode();
        JsonNode own = resource(logicalId).path("Properties");
        for (Iterator<Map.Entry<String, JsonNode>> it = own.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("Environment") && merged.has("Environment")) {
                ObjectNode variables = ((ObjectNode) merged.path("Environment").path("Variables")).deepCopy();
                variables.setAll((ObjectNode) e.getValue().path("Variables"));
                merged.set("Environment", JSON.objectNode().set("Variables", variables));
            } else {
                merged.set(e.getKey(), e.getValue());
            }
        }
        return merged;
    }

    /** Every parameter's default value, as CloudFormation would pass it (always a string). */
    Map<String, String> parameterDefaults() {
        Map<String, String> defaults = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.path("Parameters").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode value = e.getValue().path("Default");
            if (!value.isMissingNode()) {
                defaults.put(e.getKey(), value.isNumber() ? value.decimalValue().toPlainString() : value.asText());
            }
        }
        return defaults;
    }

    /** The template's values evaluated for these parameter values. */
    Evaluation evaluate(Map<String, String> parameters) {
        return new Evaluation(parameters);
    }

    /**
     * Values as CloudFormation would compute them for one set of parameter values. A reference to a
     * resource becomes {@code <LogicalId>}, an attribute {@code <LogicalId.Attribute>}: enough to see
     * what a value points at.
     */
    final class Evaluation {
        private final Map<String, String> parameters;

        private Evaluation(Map<String, String> parameters) {
            this.parameters = parameters;
        }

        boolean condition(String name) {
            JsonNode condition = root.path("Conditions").path(name);
            if (condition.isMissingNode()) {
                throw new AssertionError("the template has no condition " + name);
            }
            return truth(condition);
        }

        private boolean truth(JsonNode node) {
            if (node.has("Condition")) {
                return condition(node.get("Condition").asText());
            }
            if (node.has("Fn::Equals")) {
                return value(node.get("Fn::Equals").get(0)).equals(value(node.get("Fn::Equals").get(1)));
            }
            if (node.has("Fn::Not")) {
                return !truth(node.get("Fn::Not").get(0));
            }
            if (node.has("Fn::And")) {
                boolean all = true;
                for (JsonNode n : node.get("Fn::And")) {
                    all &= truth(n);
                }
                return all;
            }
            if (node.has("Fn::Or")) {
                boolean any = false;
                for (JsonNode n : node.get("Fn::Or")) {
                    any |= truth(n);
                }
                return any;
            }
            throw new AssertionError("not a condition: " + node);
        }

        /** The node with every intrinsic function evaluated; AWS::NoValue leaves a missing node. */
        JsonNode resolve(JsonNode node) {
            if (node.isArray()) {
                ArrayNode out = JSON.arrayNode();
                for (JsonNode element : node) {
                    JsonNode resolved = resolve(element);
                    if (!resolved.isMissingNode()) {
                        out.add(resolved);
                    }
                }
                return out;
            }
            if (!node.isObject()) {
                return node;
            }
            if (node.size() == 1) {
                String function = node.fieldNames().next();
                JsonNode argument = node.get(function);
                switch (function) {
                    case "Ref" -> {
                        return argument.asText().equals("AWS::NoValue")
                                ? com.fasterxml.jackson.databind.node.MissingNode.getInstance()
                                : JSON.textNode(ref(argument.asText()));
                    }
                    case "Fn::GetAtt" -> {
                        return JSON.textNode("<" + argument.get(0).asText() + "." + argument.get(1).asText() + ">");
                    }
                    case "Fn::If" -> {
                        return resolve(condition(argument.get(0).asText()) ? argument.get(1) : argument.get(2));
                    }
                    case "Fn::Sub" -> {
                        return JSON.textNode(sub(argument.isArray() ? argument.get(0).asText() : argument.asText()));
                    }
                    default -> {
                        if (function.startsWith("Fn::")) {
                            throw new AssertionError("the tests cannot evaluate " + function + " yet: " + node);
                        }
                    }
                }
            }
            ObjectNode out = JSON.objectNode();
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                JsonNode resolved = resolve(e.getValue());
                if (!resolved.isMissingNode()) {
                    out.set(e.getKey(), resolved);
                }
            }
            return out;
        }

        String value(JsonNode node) {
            JsonNode resolved = resolve(node);
            return resolved.isNumber() ? resolved.decimalValue().toPlainString() : resolved.asText();
        }

        private String ref(String name) {
            if (parameters.containsKey(name)) {
                return parameters.get(name);
            }
            if (root.path("Parameters").has(name)) {
                throw new AssertionError("no value for parameter " + name);
            }
            return switch (name) {
                case "AWS::Partition" -> "aws";
                case "AWS::Region" -> "us-east-1";
                case "AWS::AccountId" -> "123456789012";
                case "AWS::StackName" -> "batch-inference";
                default -> "<" + name + ">";
            };
        }

        private String sub(String text) {
            Matcher m = SUB_VARIABLE.matcher(text);
            StringBuilder out = new StringBuilder();
            while (m.find()) {
                String variable = m.group(1);
                String value = variable.contains(".") ? "<" + variable + ">" : ref(variable);
                m.appendReplacement(out, Matcher.quoteReplacement(value));
            }
            m.appendTail(out);
            return out.toString();
        }
    }
}
