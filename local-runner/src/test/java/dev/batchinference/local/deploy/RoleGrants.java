package dev.batchinference.local.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Set;
import java.util.TreeSet;

/**
 * A role's grants, each as "action target": the target an S3 key pattern under the bucket, "bucket" for the bucket
 * itself, or a resource's logical id; listings also as "s3:ListBucket prefix P" per allowed prefix. What the
 * permission tests compare with the exact list each function needs, so that any grant beyond it fails them.
 */
final class RoleGrants {
    private RoleGrants() {
    }

    static Set<String> of(JsonNode resolvedRoleProperties, String bucket) {
        Set<String> grants = new TreeSet<>();
        String objects = "arn:aws:s3:::" + bucket + "/";
        resolvedRoleProperties.path("Policies").forEach(policy -> policy.path("PolicyDocument").path("Statement")
                .forEach(statement -> {
                    for (String action : RolePolicy.texts(statement.path("Action"))) {
                        for (String resource : RolePolicy.texts(statement.path("Resource"))) {
                            String target = resource.startsWith(objects) ? resource.substring(objects.length())
                                    : resource.equals("arn:aws:s3:::" + bucket) ? "bucket"
                                    : resource.replaceAll("^<(\\w+)\\.Arn>(:\\*)?$", "$1");
                            grants.add(action + " " + target);
                        }
                        if (action.equals("s3:ListBucket")) {
                            RolePolicy.texts(statement.path("Condition").path("StringLike").path("s3:prefix"))
                                    .forEach(prefix -> grants.add("s3:ListBucket prefix " + prefix));
                        }
                    }
                }));
        return grants;
    }
}
