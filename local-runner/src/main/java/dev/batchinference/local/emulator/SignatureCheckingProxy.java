package dev.batchinference.local.emulator;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.signer.Aws4Signer;
import software.amazon.awssdk.auth.signer.params.Aws4SignerParams;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpFullRequest;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.regions.Region;

/**
 * An HTTP front for a local emulator that checks each request's AWS Signature Version 4 against one access
 * key, as AWS and S3Proxy do, and forwards only signed requests; unsigned, wrongly signed or differently keyed
 * requests get 403. ElasticMQ checks no credentials of its own, so without this the local SQS would answer
 * anyone on the machine while the local S3 refuses them.
 *
 * <p>The check signs the received request again with the AWS SDK's signer (the same headers, the client's
 * own date, region and service) and compares the two signatures. The SDK's {@code Aws4Signer} is used rather
 * than its successor {@code AwsV4HttpSigner}: the successor always adds and signs {@code x-amz-content-sha256},
 * which botocore (the aws CLI, boto3) does not send for SQS, so it cannot reproduce their signatures; the
 * older signer signs exactly the headers it is given.
 *
 * <p>Each request holds one thread of an unbounded pool while it is forwarded, a long poll for up to its
 * wait time: polls never queue behind each other or behind other requests. {@link #close()} stops at once,
 * failing the requests in flight.
 */
final class SignatureCheckingProxy implements AutoCloseable {
    private static final Pattern AUTHORIZATION = Pattern.compile(
            "AWS4-HMAC-SHA256 Credential=([^/]+)/\\d{8}/([^/]+)/([^/]+)/aws4_request,\\s*SignedHeaders=([^,]+),\\s*Signature=([0-9a-f]{64})");
    private static final DateTimeFormatter AMZ_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'", Locale.ROOT);
    /** Headers the JDK's HTTP client sets itself and refuses to be given. */
    private static final Set<String> NOT_FORWARDED = Set.of("host", "content-length", "connection", "expect", "upgrade",
            "transfer-encoding", "keep-alive");

    private final AwsBasicCredentials credentials;
    private final URI target;
    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "sqs-signature-check");
        t.setDaemon(true);
        return t;
    });
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    /** Listens on 127.0.0.1:{@code port} (0: a free one) and forwards to {@code target} (scheme, host and port). */
    SignatureCheckingProxy(int port, URI target, String accessKey, String secretKey) throws IOException {
        this.credentials = AwsBasicCredentials.create(accessKey, secretKey);
        this.target = target;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        server.setExecutor(threads);
        server.createContext("/", this::handle);
        server.start();
    }

    int port() {
        return server.getAddress().getPort();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange; InputStream in = exchange.getRequestBody()) {
            byte[] body = in.readAllBytes();
            String refusal = refusal(exchange, body);
            if (refusal != null) {
                respond(exchange, 403, error(exchange, refusal));
            } else {
                forward(exchange, body);
            }
        }
    }

    /** Why the request is refused, or null when it is signed with our key. */
    private String refusal(HttpExchange exchange, byte[] body) {
        String authorization = exchange.getRequestHeaders().getFirst("Authorization");
        if (authorization == null) {
            return "the request is not signed: the local SQS takes requests signed with its access key, as AWS does";
        }
        Matcher received = AUTHORIZATION.matcher(authorization.trim());
        if (!received.matches()) {
            return "the request's Authorization header is not AWS Signature Version 4";
        }
        if (!received.group(1).equals(credentials.accessKeyId())) {
            return "the access key id " + received.group(1) + " is not the local SQS's";
        }
        Matcher expected;
        try {
            expected = AUTHORIZATION.matcher(signedAgain(exchange, body, received));
        } catch (IllegalArgumentException | DateTimeParseException e) {
            return "the request cannot be checked: its Host or X-Amz-Date header, or its credential scope, is malformed";
        }
        if (!expected.matches() || !expected.group(4).equals(received.group(4))) {
            return "the request signs headers the local SQS does not check (" + received.group(4) + ")";
        }
        return MessageDigest.isEqual(expected.group(5).getBytes(StandardCharsets.US_ASCII),
                received.group(5).getBytes(StandardCharsets.US_ASCII))
                ? null : "the request's signature does not match: check the secret access key";
    }

    /**
     * The Authorization header the SDK's signer gives the request as received: its method, path, query, the
     * headers it signed and its body, signed at its own X-Amz-Date for the region and service of its scope.
     */
    @SuppressWarnings("deprecation") // Aws4Signer: see the class comment
    private String signedAgain(HttpExchange exchange, byte[] body, Matcher received) {
        String host = exchange.getRequestHeaders().getFirst("Host");
        String amzDate = exchange.getRequestHeaders().getFirst("X-Amz-Date");
        if (host == null || amzDate == null) {
            throw new IllegalArgumentException("no Host or X-Amz-Date header");
        }
        SdkHttpFullRequest.Builder request = SdkHttpFullRequest.builder()
                .method(SdkHttpMethod.fromValue(exchange.getRequestMethod()))
                .uri(URI.create("http://" + host + exchange.getRequestURI()))
                .contentStreamProvider(ContentStreamProvider.fromByteArrayUnsafe(body));
        for (String name : received.group(4).split(";")) {
            List<String> values = exchange.getRequestHeaders().get(name);
            if (values != null) {
                request.putHeader(name, values);
            }
        }
        Clock requestTime = Clock.fixed(LocalDateTime.parse(amzDate, AMZ_DATE).toInstant(ZoneOffset.UTC), ZoneOffset.UTC);
        return Aws4Signer.create().sign(request.build(), Aws4SignerParams.builder()
                        .awsCredentials(credentials)
                        .signingRegion(Region.of(received.group(2)))
                        .signingName(received.group(3))
                        .signingClockOverride(requestTime)
                        .build())
                .firstMatchingHeader("Authorization").orElse("");
    }

    private void forward(HttpExchange exchange, byte[] body) throws IOException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(target + exchange.getRequestURI().toString()))
                .method(exchange.getRequestMethod(), HttpRequest.BodyPublishers.ofByteArray(body));
        exchange.getRequestHeaders().forEach((name, values) -> {
            if (!NOT_FORWARDED.contains(name.toLowerCase(Locale.ROOT))) {
                values.forEach(v -> request.header(name, v));
            }
        });
        HttpResponse<byte[]> response;
        try {
            response = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while forwarding to the local SQS", e);
        }
        response.headers().map().forEach((name, values) -> {
            if (!NOT_FORWARDED.contains(name.toLowerCase(Locale.ROOT)) && !name.startsWith(":")) {
                exchange.getResponseHeaders().put(name, values);
            }
        });
        respond(exchange, response.statusCode(), response.body());
    }

    private static void respond(HttpExchange exchange, int status, byte[] body) throws IOException {
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    /** SQS's error shape in the protocol the request used: JSON for the JSON protocol, XML for the query protocol. */
    private static byte[] error(HttpExchange exchange, String message) {
        String contentType = String.valueOf(exchange.getRequestHeaders().getFirst("Content-Type"));
        String escaped = message.replace("&", "&amp;").replace("<", "&lt;").replace("\"", "'");
        if (contentType.contains("json")) {
            exchange.getResponseHeaders().set("Content-Type", "application/x-amz-json-1.0");
            exchange.getResponseHeaders().set("x-amzn-query-error", "InvalidClientTokenId;Sender");
            return ("{\"__type\":\"com.amazonaws.sqs#InvalidClientTokenId\",\"message\":\"" + escaped + "\"}")
                    .getBytes(StandardCharsets.UTF_8);
        }
        exchange.getResponseHeaders().set("Content-Type", "text/xml");
        return ("<ErrorResponse><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code><Message>" + escaped
                + "</Message></Error><RequestId>local</RequestId></ErrorResponse>").getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
