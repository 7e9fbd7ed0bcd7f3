package dev.batchinference.local.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A role's Allow statements, as the template gives them for one deployment, and the IAM authorizations
 * an S3 or SQS request needs: enough to tell whether the role allows every request a function made.
 * S3 is path-style here, SQS the JSON protocol, as the functions speak them to an endpoint override.
 */
final class RolePolicy {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One authorization a request needs: action, resource ARN, and the s3:prefix context where it applies. */
    record Access(String action, String resource, String prefix) {
        @Override
        public String toString() {
            return action + " " + resource + (prefix == null ? "" : " (s3:prefix " + prefix + ")");
        }
    }

    private record Statement(List<String> actions, List<Pattern> resources, List<Pattern> prefixes) {
    }

    private final List<Statement> statements = new ArrayList<>();

    RolePolicy(JsonNode resolvedRoleProperties) {
        resolvedRoleProperties.path("Policies").forEach(policy -> policy.path("PolicyDocument").path("Statement")
                .forEach(s -> {
                    if (!s.path("Effect").asText().equals("Allow")) {
                        throw new AssertionError("only Allow statements are expected in a function's role: " + s);
                    }
                    JsonNode prefix = s.path("Condition").path("StringLike").path("s3:prefix");
                    statements.add(new Statement(texts(s.path("Action")), texts(s.path("Resource")).stream()
                            .map(RolePolicy::glob).toList(),
                            prefix.isMissingNode() ? null : texts(prefix).stream().map(RolePolicy::glob).toList()));
                }));
    }

    boolean allows(Access access) {
        for (Statement s : statements) {
            if (s.actions().contains(access.action())
                    && s.resources().stream().anyMatch(r -> r.matcher(access.resource()).matches())
                    && (s.prefixes() == null
                        || access.prefix() != null && s.prefixes().stream().anyMatch(p -> p.matcher(access.prefix()).matches()))) {
                return true;
            }
        }
        return false;
    }

    /**
     * What an S3 request needs. A GET or HEAD of an object that may be missing also needs s3:ListBucket
     * with s3:prefix set to the key, or S3 answers 403 instead of 404 (and the functions rely on 404).
     */
    static List<Access> s3(RecordingProxy.Request request, String partition) {
        URI uri = URI.create("http://endpoint" + request.target());
        String path = uri.getPath().substring(1);
        Map<String, String> query = query(uri.getRawQuery());
        int slash = path.indexOf('/');
        String bucket = slash < 0 ? path : path.substring(0, slash);
        String key = slash < 0 ? "" : path.substring(slash + 1);
        String bucketArn = "arn:" + partition + ":s3:::" + bucket;
        if (key.isEmpty()) {
            return List.of(new Access("s3:ListBucket", bucketArn, query.getOrDefault("prefix", "")));
        }
        String object = bucketArn + "/" + key;
        return switch (request.method()) {
            case "GET", "HEAD" -> List.of(new Access("s3:GetObject", object, null),
                    new Access("s3:ListBucket", bucketArn, key));
            // multipart steps included; a copied part (UploadPartCopy) also reads its source
            case "PUT", "POST" -> request.header("x-amz-copy-source") == null
                    ? List.of(new Access("s3:PutObject", object, null))
                    : List.of(new Access("s3:PutObject", object, null), new Access("s3:GetObject",
                            "arn:" + partition + ":s3:::" + copySource(request.header("x-amz-copy-source")), null));
            case "DELETE" -> List.of(new Access(query.containsKey("uploadId") ? "s3:AbortMultipartUpload" : "s3:DeleteObject",
                    object, null));
            default -> throw new AssertionError("an S3 request the tests do not know: " + request.method() + " " + request.target());
        };
    }

    /** The bucket/key of an {@code x-amz-copy-source} header (URL-encoded, optionally with a leading slash). */
    private static String copySource(String header) {
        String source = java.net.URLDecoder.decode(header.replace("+", "%2B"), java.nio.charset.StandardCharsets.UTF_8);
        source = source.startsWith("/") ? source.substring(1) : source;
        int version = source.indexOf("?versionId=");
        return version < 0 ? source : source.substring(0, version);
    }

    /** What an SQS request needs; the queue's ARN is written {@code <QueueName.Arn>}, as the template evaluates it. */
    static Access sqs(RecordingProxy.Request request) {
        String target = request.header("x-amz-target");
        if (target == null || !target.startsWith("AmazonSQS.")) {
            throw new AssertionError("not an SQS JSON request: " + request.method() + " " + request.target());
        }
        String operation = target.substring("AmazonSQS.".length()).replaceFirst("Batch$", "");
        try {
            String queueUrl = JSON.readTree(request.body()).path("QueueUrl").asText();
            String queue = queueUrl.substring(queueUrl.lastIndexOf('/') + 1);
            return new Access("sqs:" + operation, "<" + queue + ".Arn>", null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> query = new HashMap<>();
        if (raw != null) {
            for (String pair : raw.split("&")) {
                int eq = pair.indexOf('=');
                query.put(URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8),
                        eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return query;
    }

    /** An IAM field that may be one string or a list of them, as a list. */
    static List<String> texts(JsonNode node) {
        List<String> values = new ArrayList<>();
        if (node.isArray()) {
            node.forEach(n -> values.add(n.asText()));
        } else if (!node.isMissingNode()) {
            values.add(node.asText());
        }
        return values;
    }

    /** IAM's wildcards: {@code *} any run of characters, {@code ?} one. */
    static Pattern glob(String pattern) {
        StringBuilder regex = new StringBuilder();
        for (String literal : pattern.split("((?<=[*?])|(?=[*?]))")) {
            regex.append(switch (literal) {
                case "*" -> ".*";
                case "?" -> ".";
                default -> Pattern.quote(literal);
            });
        }
        return Pattern.compile(regex.toString(), Pattern.DOTALL);
    }
}
