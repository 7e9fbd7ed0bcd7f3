package dev.batchinference.local.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * cfn-lint (with its SAM translator) accepts sam/template.yaml, informational checks included, and the
 * SAM translator's output wires every event source to the published alias. Skipped, saying so, where
 * cfn-lint is not installed ({@code pip install cfn-lint}); this project's CI image has it.
 */
class CfnLintIT {
    /**
     * Expands the template as CloudFormation's SAM transform would (local code paths replaced by S3
     * locations, as cfn-lint does) and prints, per event source, the function it invokes.
     */
    private static final String TRANSFORM = """
            import json, os, sys
            os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
            from samtranslator.translator.transform import transform
            from samtranslator.yaml_helper import yaml_parse
            class NoManagedPolicies:
                def load(self):
                    return {}
            template = yaml_parse(open(sys.argv[1]).read())
            for resource in template["Resources"].values():
                for uri in ("CodeUri", "ContentUri"):
                    if uri in resource.get("Properties", {}):
                        resource["Properties"][uri] = "s3://bucket/package.zip"
            resources = transform(template, {"BucketName": "example"}, NoManagedPolicies())["Resources"]
            targets = {}
            for name, r in resources.items():
                p = r.get("Properties", {})
                if r["Type"] in ("AWS::Lambda::EventSourceMapping", "AWS::Lambda::Permission"):
                    targets[name] = p["FunctionName"]
                elif r["Type"] == "AWS::Events::Rule":
                    targets[name] = p["Targets"][0]["Arn"]
                elif r["Type"] == "AWS::Lambda::EventInvokeConfig":
                    targets[name] = {"Ref": p["FunctionName"]["Ref"] + "Alias" + p["Qualifier"]}
                elif r["Type"] == "AWS::S3::Bucket":
                    for c in p.get("NotificationConfiguration", {}).get("LambdaConfigurations", []):
                        targets[name + ".notification"] = c["Function"]
            print(json.dumps(targets))
            """;

    @Test
    void cfnLintAcceptsTheTemplate() throws Exception {
        assumeTrue(installed(), "cfn-lint is not installed (pip install cfn-lint): sam/template.yaml was not linted");
        Path template = Repository.samTemplate();
        Run lint = run(List.of("cfn-lint", "--include-checks", "I", "--", template.toString()));
        assertThat(lint.exitCode()).as("cfn-lint %s said:%n%s", template, lint.output()).isZero();
    }

    @Test
    void everyEventSourceInvokesThePublishedAliasOnceSamHasExpandedTheTemplate() throws Exception {
        assumeTrue(installed(), "cfn-lint is not installed (pip install cfn-lint): the SAM transform was not checked");
        Run transform = run(List.of("python3", "-c", TRANSFORM, Repository.samTemplate().toString()));
        assertThat(transform.exitCode()).as("the SAM transform said:%n%s", transform.output()).isZero();
        JsonNode targets = new ObjectMapper().readTree(transform.output());
        // per S3 or schedule event a notification or rule and a permission, per SQS event a mapping, per
        // function with an on-failure destination its invoke config, and the notifications and permissions the
        // template writes itself: every one of them, and none missed
        int expected = 0;
        CloudFormationTemplate template = Repository.template();
        for (String function : template.resourcesOfType("AWS::Serverless::Function").keySet()) {
            JsonNode properties = template.functionProperties(function);
            for (JsonNode event : properties.path("Events")) {
                expected += event.path("Type").asText().equals("SQS") ? 1 : 2;
            }
            expected += properties.has("EventInvokeConfig") ? 1 : 0;
        }
        // and the bucket's own notification of ingest-trigger, with its permission, written in the template
        for (JsonNode bucket : template.resourcesOfType("AWS::S3::Bucket").values()) {
            expected += bucket.path("Properties").path("NotificationConfiguration").path("LambdaConfigurations").size();
        }
        expected += template.resourcesOfType("AWS::Lambda::Permission").size();
        assertThat(targets.size()).as(targets.toString()).isEqualTo(expected);
        targets.fields().forEachRemaining(e -> assertThat(e.getValue().path("Ref").asText())
                .as("%s invokes %s", e.getKey(), e.getValue())
                .matches("(IngestTrigger|BatchWorker|ResultsWriter)FunctionAliaslive"));
    }

    private static boolean installed() {
        try {
            return run(List.of("cfn-lint", "--version")).exitCode() == 0;
        } catch (IOException e) {
            return false; // not on the PATH
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private record Run(int exitCode, String output) {
    }

    private static Run run(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(5, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish in 5 minutes");
        }
        return new Run(process.exitValue(), new String(output, StandardCharsets.UTF_8));
    }
}
