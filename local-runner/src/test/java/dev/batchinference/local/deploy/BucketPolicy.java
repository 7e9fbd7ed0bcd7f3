package dev.batchinference.local.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The bucket policy's Deny statements, as the template gives them for one deployment, and whether an S3 request a
 * function made would meet one: enough to tell that every write of the state written once carries its conditional
 * header. The condition keys are the ones the policy uses: {@code s3:if-none-match} and {@code s3:if-match} (null
 * when the request has no such header), {@code s3:ObjectCreationOperation} (true for the requests that create an
 * object: PutObject, CopyObject, CompleteMultipartUpload), and {@code aws:SecureTransport}, true as on AWS, where
 * the SDK speaks HTTPS (the emulators here speak HTTP).
 */
final class BucketPolicy {
    private record Deny(String sid, List<String> actions, List<Pattern> resources, JsonNode condition) {
    }

    private final List<Deny> denies = new ArrayList<>();

    /**
     * @param resolvedPolicyProperties the {@code AWS::S3::BucketPolicy}'s properties, evaluated
     * @param bucketArn what the template's {@code <PipelineBucket.Arn>} stands for
     */
    BucketPolicy(JsonNode resolvedPolicyProperties, String bucketArn) {
        resolvedPolicyProperties.path("PolicyDocument").path("Statement").forEach(s -> {
            if (s.path("Effect").asText().equals("Deny")) {
                denies.add(new Deny(s.path("Sid").asText(), RolePolicy.texts(s.path("Action")),
                        RolePolicy.texts(s.path("Resource")).stream()
                                .map(r -> RolePolicy.glob(r.replace("<PipelineBucket.Arn>", bucketArn))).toList(),
                        s.path("Condition")));
            }
        });
    }

    /** The Sid of the Deny statement the request meets, or null if none does. */
    String deniedBy(RecordingProxy.Request request, String partition) {
        List<RolePolicy.Access> accesses = RolePolicy.s3(request, partition);
        Map<String, String> context = context(request);
        for (Deny deny : denies) {
            for (RolePolicy.Access access : accesses) {
                if (matches(deny, access) && holds(deny.condition(), context)) {
                    return deny.sid();
                }
            }
        }
        return null;
    }

    private static boolean matches(Deny deny, RolePolicy.Access access) {
        boolean action = deny.actions().stream().anyMatch(a -> a.equals(access.action()) || a.equals("s3:*"));
        return action && deny.resources().stream().anyMatch(r -> r.matcher(access.resource()).matches());
    }

    /** What the policy's condition keys are for this request; a key absent from the map is null. */
    private static Map<String, String> context(RecordingProxy.Request request) {
        URI uri = URI.create("http://endpoint" + request.target());
        String query = uri.getRawQuery() == null ? "" : uri.getRawQuery();
        boolean part = query.contains("partNumber=");
        boolean creation = switch (request.method()) {
            case "PUT" -> !part; // PutObject and CopyObject; UploadPart and UploadPartCopy are not
            case "POST" -> query.contains("uploadId="); // CompleteMultipartUpload; CreateMultipartUpload is not
            default -> false;
        };
        java.util.HashMap<String, String> context = new java.util.HashMap<>();
        context.put("aws:SecureTransport", "true");
        context.put("s3:ObjectCreationOperation", Boolean.toString(creation));
        if (request.header("if-none-match") != null) {
            context.put("s3:if-none-match", request.header("if-none-match"));
        }
        if (request.header("if-match") != null) {
            context.put("s3:if-match", request.header("if-match"));
        }
        return context;
    }

    /** Every operator's every key must hold (IAM ANDs them); the operators the policy uses: Null and Bool. */
    private static boolean holds(JsonNode condition, Map<String, String> context) {
        for (var operators = condition.fields(); operators.hasNext(); ) {
            var operator = operators.next();
            for (var keys = operator.getValue().fields(); keys.hasNext(); ) {
                var key = keys.next();
                String value = context.get(key.getKey());
                boolean holds = switch (operator.getKey()) {
                    case "Null" -> (value == null) == Boolean.parseBoolean(key.getValue().asText());
                    case "Bool" -> value != null && value.equals(key.getValue().asText());
                    default -> throw new AssertionError("the tests cannot evaluate the condition " + operator.getKey());
                };
                if (!holds) {
                    return false;
                }
            }
        }
        return true;
    }
}
