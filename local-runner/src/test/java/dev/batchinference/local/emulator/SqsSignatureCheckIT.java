package dev.batchinference.local.emulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageAttributeValue;
import software.amazon.awssdk.services.sqs.model.SqsException;

/**
 * The embedded SQS's signature check, through the real ElasticMQ behind it: what it refuses, and that what
 * real clients sign (the Java SDK, the aws CLI, boto3 and botocore's signer) gets through.
 */
class SqsSignatureCheckIT {
    private static final String REGION = "eu-west-3";
    private static final String ACCOUNT = "123456789012";

    private static EmbeddedSqs sqs;
    private static SqsClient client;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() {
        sqs = EmbeddedSqs.start(0, REGION, ACCOUNT);
        client = EmbeddedEmulatorsTest.sqsClientFor(sqs);
    }

    @AfterAll
    static void stop() {
        client.close();
        sqs.close();
    }

    @Test
    void unsignedRequestsAreRefusedInBothProtocols() throws Exception {
        String queueUrl = client.createQueue(b -> b.queueName("unsigned")).queueUrl();

        HttpResponse<String> json = HTTP.send(HttpRequest.newBuilder(sqs.endpoint().resolve("/"))
                        .header("Content-Type", "application/x-amz-json-1.0")
                        .header("X-Amz-Target", "AmazonSQS.ListQueues")
                        .POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> query = HTTP.send(HttpRequest.newBuilder(
                        URI.create(queueUrl + "?Action=SendMessage&MessageBody=hello")).GET().build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(json.statusCode()).isEqualTo(403);
        assertThat(json.body()).contains("InvalidClientTokenId").contains("not signed");
        assertThat(query.statusCode()).isEqualTo(403);
        assertThat(query.body()).contains("<Code>InvalidClientTokenId</Code>");
        assertThat(receiveAll(queueUrl)).as("nothing got through").isEmpty();
    }

    @Test
    void requestsSignedWithAnotherSecretOrKeyAreRefused() {
        String queueUrl = client.createQueue(b -> b.queueName("guarded")).queueUrl();
        Map<String, String[]> intruders = Map.of(
                "signature does not match", new String[] {sqs.accessKey(), "not-the-secret"},
                "is not the local SQS's", new String[] {"someone-else", sqs.secretKey()});

        intruders.forEach((why, keys) -> {
            try (SqsClient intruder = EmbeddedEmulatorsTest.sqsClientFor(sqs, keys[0], keys[1])) {
                assertThatThrownBy(intruder::listQueues).isInstanceOfSatisfying(SqsException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(403);
                    assertThat(e.getMessage()).contains(why);
                });
                assertThatThrownBy(() -> intruder.sendMessage(b -> b.queueUrl(queueUrl).messageBody("x")))
                        .isInstanceOfSatisfying(SqsException.class, e -> assertThat(e.statusCode()).isEqualTo(403));
            }
        });
        assertThat(receiveAll(queueUrl)).as("nothing got through").isEmpty();
    }

    @Test
    void aSignedRequestWhoseBodyWasChangedIsRefused() throws Exception {
        String queueUrl = client.createQueue(b -> b.queueName("tampered")).queueUrl();
        AtomicReference<Context.BeforeTransmission> sent = new AtomicReference<>();
        try (SqsClient recorded = SqsClient.builder()
                .httpClient(UrlConnectionHttpClient.create())
                .endpointOverride(sqs.endpoint())
                .region(Region.of(REGION))
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(sqs.accessKey(), sqs.secretKey())))
                .overrideConfiguration(o -> o.addExecutionInterceptor(new ExecutionInterceptor() {
                    @Override
                    public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
                        sent.set(context);
                    }
                })).build()) {
            recorded.sendMessage(b -> b.queueUrl(queueUrl).messageBody("original"));
        }
        String body = new String(sent.get().requestBody().orElseThrow().contentStreamProvider().newStream()
                .readAllBytes(), StandardCharsets.UTF_8);
        assertThat(body).contains("\"original\"");

        HttpResponse<String> replayed = replay(sent.get(), body);
        HttpResponse<String> tampered = replay(sent.get(), body.replace("original", "tampered"));

        assertThat(replayed.statusCode()).as("the same signed request again").isEqualTo(200);
        assertThat(tampered.statusCode()).isEqualTo(403);
        assertThat(tampered.body()).contains("signature does not match");
        assertThat(receiveAll(queueUrl)).extracting(Message::body).containsExactly("original", "original");
    }

    @Test
    void theJavaSdkSignsWhatTheCheckAccepts() {
        String queueUrl = client.createQueue(b -> b.queueName("java-sdk")).queueUrl();

        client.sendMessage(b -> b.queueUrl(queueUrl).messageBody("from the SDK é ✓ {\"json\": true}")
                .messageAttributes(Map.of("kind", MessageAttributeValue.builder().dataType("String")
                        .stringValue("a b&c=d").build())));

        List<Message> received = client.receiveMessage(b -> b.queueUrl(queueUrl).waitTimeSeconds(1)
                .messageAttributeNames("All")).messages();
        assertThat(received).extracting(Message::body).containsExactly("from the SDK é ✓ {\"json\": true}");
        assertThat(received.get(0).messageAttributes().get("kind").stringValue()).isEqualTo("a b&c=d");
    }

    @Test
    void theAwsCliSignsWhatTheCheckAccepts() throws Exception {
        assumeTrue(commandRuns("aws", "--version"), "the aws CLI is not installed: its signatures are not checked here");
        String queueUrl = client.createQueue(b -> b.queueName("aws-cli")).queueUrl();

        Run sent = run(Map.of(), "aws", "sqs", "send-message", "--endpoint-url", sqs.endpoint().toString(),
                "--queue-url", queueUrl, "--message-body", "from the aws CLI &=+ %");
        Run refused = run(Map.of("AWS_SECRET_ACCESS_KEY", "not-the-secret"), "aws", "sqs", "list-queues",
                "--endpoint-url", sqs.endpoint().toString());

        assertThat(sent.exitCode()).as(sent.output()).isZero();
        assertThat(refused.exitCode()).isNotZero();
        assertThat(refused.output()).contains("InvalidClientTokenId");
        assertThat(receiveAll(queueUrl)).extracting(Message::body).containsExactly("from the aws CLI &=+ %");
    }

    @Test
    void boto3AndBotocoresSignerSignWhatTheCheckAccepts() throws Exception {
        assumeTrue(commandRuns("python3", "-c", "import boto3"), "python3 with boto3 is not installed: its signatures are not checked here");
        String queueUrl = client.createQueue(b -> b.queueName("boto3")).queueUrl();
        String script = """
                import sys, urllib.parse, urllib.request, urllib.error
                import boto3, botocore.exceptions
                from botocore.auth import SigV4Auth
                from botocore.awsrequest import AWSRequest
                from botocore.credentials import Credentials
                endpoint, url, key, secret, region = sys.argv[1:6]
                def client(s):
                    return boto3.client('sqs', endpoint_url=endpoint, region_name=region,
                                        aws_access_key_id=key, aws_secret_access_key=s)
                client(secret).send_message(QueueUrl=url, MessageBody='from boto3 \\u00e9')
                print('json protocol: sent')
                try:
                    client('not-the-secret').list_queues()
                    print('wrong secret: accepted')
                except botocore.exceptions.ClientError as e:
                    print('wrong secret: ' + e.response['Error']['Code'])
                # the query protocol, signed by botocore's signer: a form body, then a query string
                form = urllib.parse.urlencode({'Action': 'SendMessage', 'MessageBody': 'form body \\u00e9 &=+', 'Version': '2012-11-05'})
                # botocore signs a query string as it is sent: encoded as SigV4 encodes (%20, not +)
                get = url + '?' + urllib.parse.urlencode({'Action': 'SendMessage', 'MessageBody': 'query string \\u00e9 &=+', 'Version': '2012-11-05'},
                                                         safe='-_.~', quote_via=urllib.parse.quote)
                for name, request in (('form', AWSRequest(method='POST', url=url, data=form,
                                        headers={'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8'})),
                                      ('query', AWSRequest(method='GET', url=get))):
                    SigV4Auth(Credentials(key, secret), 'sqs', region).add_auth(request)
                    prepared = request.prepare()
                    body = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body
                    try:
                        with urllib.request.urlopen(urllib.request.Request(prepared.url, data=body,
                                headers=dict(prepared.headers), method=prepared.method)) as response:
                            print(name + ': ' + str(response.status))
                    except urllib.error.HTTPError as e:
                        print(name + ': ' + str(e.code) + ' ' + e.read().decode())
                """;

        // the script stays ASCII (escapes in Python strings): a command line is not UTF-8 on every machine
        Run boto = run(Map.of(), "python3", "-c", script, sqs.endpoint().toString(), queueUrl, sqs.accessKey(),
                sqs.secretKey(), REGION);

        assertThat(boto.exitCode()).as(boto.output()).isZero();
        assertThat(boto.output().lines()).containsExactly("json protocol: sent", "wrong secret: InvalidClientTokenId",
                "form: 200", "query: 200");
        assertThat(receiveAll(queueUrl)).extracting(Message::body).containsExactlyInAnyOrder(
                "from boto3 é", "form body é &=+", "query string é &=+");
    }

    /**
     * Long polls hold a thread of the front each while they wait: other requests are still answered at once,
     * a message sent meanwhile ends one poll, and closing the SQS ends the others instead of leaving them to
     * wait out their twenty seconds.
     */
    @Test
    void longPollsHoldUpNothingAndCloseEndsThem() throws Exception {
        EmbeddedSqs own = EmbeddedSqs.start(0, REGION, ACCOUNT);
        boolean closed = false;
        ExecutorService pollers = Executors.newFixedThreadPool(8);
        try (SqsClient polling = EmbeddedEmulatorsTest.sqsClientFor(own)) {
            String waitedOn = polling.createQueue(b -> b.queueName("waited-on")).queueUrl();
            String busy = polling.createQueue(b -> b.queueName("busy")).queueUrl();
            List<CompletableFuture<List<Message>>> polls = IntStream.range(0, 8)
                    .mapToObj(i -> CompletableFuture.supplyAsync(() -> polling.receiveMessage(
                            b -> b.queueUrl(waitedOn).waitTimeSeconds(20)).messages(), pollers))
                    .toList();

            for (int i = 0; i < 20; i++) {
                int n = i;
                polling.sendMessage(b -> b.queueUrl(busy).messageBody("meanwhile " + n));
            }
            assertThat(drain(polling, busy)).hasSize(20);
            assertThat(polls).as("answered while every poll still waits").noneMatch(CompletableFuture::isDone);

            polling.sendMessage(b -> b.queueUrl(waitedOn).messageBody("ends a poll"));
            CompletableFuture.anyOf(polls.toArray(CompletableFuture[]::new)).join();
            own.close();
            closed = true;

            List<String> outcomes = new ArrayList<>();
            for (CompletableFuture<List<Message>> poll : polls) {
                try {
                    List<Message> messages = poll.join();
                    outcomes.add(messages.isEmpty() ? "waited out" : messages.get(0).body());
                } catch (CompletionException e) {
                    outcomes.add("ended by close");
                }
            }
            assertThat(outcomes).containsOnlyOnce("ends a poll").doesNotContain("waited out")
                    .hasSize(8).containsOnly("ends a poll", "ended by close");
        } finally {
            if (!closed) {
                own.close();
            }
            pollers.shutdownNow();
            assertThat(pollers.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        }
    }

    private static List<Message> drain(SqsClient sqsClient, String queueUrl) {
        List<Message> all = new ArrayList<>();
        List<Message> batch;
        do {
            batch = sqsClient.receiveMessage(b -> b.queueUrl(queueUrl).maxNumberOfMessages(10)).messages();
            all.addAll(batch);
        } while (!batch.isEmpty());
        return all;
    }

    private static List<Message> receiveAll(String queueUrl) {
        return drain(client, queueUrl);
    }

    /** The request the SDK signed, sent again as it was but for its body. */
    private static HttpResponse<String> replay(Context.BeforeTransmission signed, String body) throws Exception {
        Set<String> setByTheClient = Set.of("host", "content-length", "connection", "expect", "user-agent");
        HttpRequest.Builder request = HttpRequest.newBuilder(signed.httpRequest().getUri())
                .method(signed.httpRequest().method().name(), HttpRequest.BodyPublishers.ofString(body));
        signed.httpRequest().forEachHeader((name, values) -> {
            if (!setByTheClient.contains(name.toLowerCase(Locale.ROOT))) {
                values.forEach(v -> request.header(name, v));
            }
        });
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private record Run(int exitCode, String output) {
    }

    /** Runs a command with the local SQS's credentials and region, and no profile of the user's. */
    private static Run run(Map<String, String> env, String... command) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().keySet().removeIf(name -> name.startsWith("AWS_"));
        builder.environment().putAll(Map.of(
                "AWS_ACCESS_KEY_ID", sqs.accessKey(),
                "AWS_SECRET_ACCESS_KEY", sqs.secretKey(),
                "AWS_DEFAULT_REGION", REGION,
                "AWS_CONFIG_FILE", "/dev/null",
                "AWS_SHARED_CREDENTIALS_FILE", "/dev/null",
                "AWS_EC2_METADATA_DISABLED", "true"));
        builder.environment().putAll(env);
        Process process = builder.start();
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " did not finish");
        }
        return new Run(process.exitValue(), output);
    }

    private static boolean commandRuns(String... command) {
        try {
            return run(Map.of(), command).exitCode() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
