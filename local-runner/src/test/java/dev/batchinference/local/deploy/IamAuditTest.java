package dev.batchinference.local.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.batchinference.aws.S3ObjectStore;
import dev.batchinference.format.OutputFormat;
import dev.batchinference.job.JobKeys;
import dev.batchinference.local.emulator.EmbeddedS3;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;

/**
 * The audit LambdaPackagesEndToEndIT runs on every request a function makes (its role, and the bucket policy)
 * catches what it is there for. Writes made through the {@link S3ObjectStore} the functions use, recorded on the
 * wire: the worker's own parts pass; a write of the worker anywhere else under jobs/ (a plan, a done marker, a
 * lock, a job's end, a key shaped to pass for a part) is refused by the worker's role as the template grants it; an
 * unconditional write of state written once is refused by the bucket policy whoever makes it; and a worker role
 * widened to all of jobs/ would let the plan through, which is why the role's grants are held to an exact list.
 */
class IamAuditTest {
    private static final String BUCKET = "audited-bucket";
    private static final String JOB = "0123456789abcdef0123";

    @TempDir
    Path dir;

    private EmbeddedS3 s3Server;
    private RecordingProxy proxy;
    private S3Client s3;
    private S3ObjectStore store;
    private CloudFormationTemplate.Evaluation deployment;
    private final CloudFormationTemplate template = Repository.template();

    @BeforeEach
    void start() throws Exception {
        s3Server = EmbeddedS3.inMemory(0);
        proxy = new RecordingProxy(s3Server.endpoint());
        s3 = S3Client.builder().httpClient(UrlConnectionHttpClient.create()).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(s3Server.accessKey(),
                        s3Server.secretKey())))
                .endpointOverride(proxy.endpoint()).forcePathStyle(true)
                .serviceConfiguration(S3Configuration.builder().chunkedEncodingEnabled(false).build()).build();
        s3.createBucket(b -> b.bucket(BUCKET));
        // the proxy records a request once it has relayed it, which can be after the client has its answer:
        // wait for the bucket's creation to be on record, so that no test counts it among its own requests
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (proxy.requests().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        store = new S3ObjectStore(s3, BUCKET);
        Map<String, String> parameters = new HashMap<>(template.parameterDefaults());
        parameters.put("BucketName", BUCKET);
        deployment = template.evaluate(parameters);
    }

    @AfterEach
    void stop() throws Exception {
        s3.close();
        proxy.close();
        s3Server.close();
    }

    private JsonNode role(String logicalId) {
        return deployment.resolve(template.resource(logicalId).path("Properties"));
    }

    private BucketPolicy bucketPolicy() {
        return new BucketPolicy(deployment.resolve(template.resource("PipelineBucketPolicy").path("Properties")),
                "arn:aws:s3:::" + BUCKET);
    }

    /** Each request since the last call, with what refuses it: the role's missing grant, or the bucket policy's Sid. */
    private List<String> refusals(RolePolicy role, int from) {
        BucketPolicy policy = bucketPolicy();
        return proxy.requests().subList(from, proxy.requests().size()).stream().flatMap(request -> {
            String target = request.method() + " " + request.target();
            java.util.stream.Stream<String> byRole = RolePolicy.s3(request, "aws").stream().filter(a -> !role.allows(a))
                    .map(a -> target + ": the role does not allow " + a);
            String sid = policy.deniedBy(request, "aws");
            return java.util.stream.Stream.concat(byRole, sid == null ? java.util.stream.Stream.empty()
                    : java.util.stream.Stream.of(target + ": the bucket policy's " + sid + " denies it"));
        }).toList();
    }

    private Path file(String text) throws Exception {
        return Files.writeString(dir.resolve("f" + System.nanoTime()), text);
    }

    @Test
    void theWorkersOwnWritesPassTheAudit() throws Exception {
        RolePolicy worker = new RolePolicy(role("BatchWorkerRole"));
        int from = proxy.requests().size();

        store.writeIfAbsent(JobKeys.part(JOB, 3, OutputFormat.CSV), file("setosa,0.9\n"));
        store.writeIfAbsent(JobKeys.errorsPart(JOB, 3), file("1,x,empty value\n"));
        store.head(JobKeys.done(JOB, 3));

        assertThat(proxy.requests().size() - from).as("requests made").isEqualTo(3);
        assertThat(refusals(worker, from)).isEmpty();
    }

    @Test
    void aWorkerWriteOutsideItsPartsFailsTheAudit() throws Exception {
        RolePolicy worker = new RolePolicy(role("BatchWorkerRole"));
        byte[] json = "{}".getBytes(StandardCharsets.UTF_8);
        List<String> elsewhere = List.of(JobKeys.plan(JOB), JobKeys.done(JOB, 3), JobKeys.terminal(JOB),
                JobKeys.collateLock(JOB), JobKeys.dispatched(JOB), JobKeys.staged(JOB, 3),
                "jobs/" + JOB + "/groups/1/000000.json",
                // shaped to pass for a part under jobs/*/parts/*, and listed with the job's done markers
                "jobs/" + JOB + "/done/parts/000005.json",
                JobKeys.predictions("incoming/iris/x.csv"), "models/iris/current.json", "incoming/iris/y.csv");

        for (String key : elsewhere) {
            int from = proxy.requests().size();
            store.writeIfAbsent(key, json);
            assertThat(refusals(worker, from)).as(key).singleElement().asString()
                    .contains("the role does not allow s3:PutObject arn:aws:s3:::" + BUCKET + "/" + key);
        }
    }

    @Test
    void anUnconditionalWriteOfStateWrittenOnceFailsTheBucketPolicyWhoeverMakesIt() throws Exception {
        RolePolicy writer = new RolePolicy(role("ResultsWriterRole"));
        byte[] json = "{}".getBytes(StandardCharsets.UTF_8);

        int from = proxy.requests().size();
        store.writeIfAbsent(JobKeys.terminal(JOB), json);
        store.writeIfAbsent(JobKeys.collateLock(JOB), json);
        String etag = store.head(JobKeys.collateLock(JOB)).orElseThrow().etag();
        store.replaceIfMatch(JobKeys.collateLock(JOB), etag, json);
        assertThat(refusals(writer, from)).as("the writer's conditional writes").isEmpty();

        from = proxy.requests().size();
        store.write(JobKeys.terminal(JOB), json);
        store.write(JobKeys.collateLock(JOB), json);
        store.write(JobKeys.done(JOB, 4), json);
        assertThat(refusals(writer, from)).containsExactly(
                "PUT /" + BUCKET + "/" + JobKeys.terminal(JOB) + ": the bucket policy's WriteJobStateOnce denies it",
                "PUT /" + BUCKET + "/" + JobKeys.collateLock(JOB)
                        + ": the bucket policy's WriteCollationLocksConditionally denies it",
                "PUT /" + BUCKET + "/" + JobKeys.done(JOB, 4) + ": the bucket policy's WriteJobStateOnce denies it");
    }

    @Test
    void aWorkerRoleWidenedToAllOfJobsWouldPassAPlanAndIsNoLongerTheExactGrant() throws Exception {
        JsonNode narrow = role("BatchWorkerRole");
        ObjectNode wide = narrow.deepCopy();
        wide.path("Policies").forEach(p -> p.path("PolicyDocument").path("Statement").forEach(s -> {
            if (s.path("Sid").asText().equals("WriteParts")) {
                ((ObjectNode) s).put("Resource", "arn:aws:s3:::" + BUCKET + "/jobs/*");
            }
        }));
        int from = proxy.requests().size();
        store.writeIfAbsent(JobKeys.plan(JOB), "{}".getBytes(StandardCharsets.UTF_8));

        assertThat(refusals(new RolePolicy(narrow), from)).hasSize(1);
        assertThat(refusals(new RolePolicy(wide), from)).as("a role widened to jobs/* lets the worker write a plan")
                .isEmpty();
        assertThat(RoleGrants.of(narrow, BUCKET)).contains("s3:PutObject jobs/????????????????????/parts/*")
                .noneMatch(g -> g.startsWith("s3:PutObject jobs/*"));
        assertThat(RoleGrants.of(wide, BUCKET)).contains("s3:PutObject jobs/*");
    }
}
