package dev.batchinference.local.emulator;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * An HTTP front for a local emulator that checks each request's AWS Signature Version 4 against one access
 * key, as AWS and S3Proxy do, and forwards only signed requests; unsigned, wrongly signed or differently keyed
 * requests get 403. ElasticMQ checks no credentials of its own, so without this the local SQS would answer
 * anyone on the machine while the local S3 refuses them.
 *
 * <p>Verification is written here because AWS's SDKs only sign, and S3Proxy's verifier is its own internal
 * class for S3's rules; what SQS clients sign is the plain SigV4 canonical request (path encoded twice, as
 * for every service but S3), which fits on a page.
 */
final class SignatureCheckingProxy implements AutoCloseable {
    private static final Pattern AUTHORIZATION = Pattern.compile(
            "AWS4-HMAC-SHA256 Credential=([^/]+)/(\\d{8})/([^/]+)/([^/]+)/aws4_request,\\s*SignedHeaders=([^,]+),\\s*Signature=([0-9a-f]{64})");
    /** Headers the JDK's HTTP client sets itself and refuses to be given. */
    private static final Set<String> NOT_FORWARDED = Set.of("host", "content-length", "connection", "expect", "upgrade",
            "transfer-encoding", "keep-alive");

    private final String accessKey;
    private final String secretKey;
    private final URI target;
    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "sqs-signature-check");
        t.setDaemon(true);
        return t;
    });
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    /** Listens on 127.0.0.1:{@code port} (0: a free one) and forwards to {@code target}. */
    SignatureCheckingProxy(int port, URI target, String accessKey, String secretKey) throws IOException {
        this.accessKey = accessKey;
        this.secretKey = secretKey;
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
        try (exchange) {
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readAllBytes();
            }
            String refusal = refusal(exchange, body);
            if (refusal != null) {
                respond(exchange, 403, error(exchange, refusal));
                return;
            }
            forward(exchange, body);
        }
    }

    /** Why the request is refused, or null when it is signed with our key. */
    String refusal(HttpExchange exchange, byte[] body) {
        String authorization = exchange.getRequestHeaders().getFirst("Authorization");
        if (authorization == null) {
            return "the request is not signed: the local SQS takes requests signed with its access key, as AWS does";
        }
        Matcher m = AUTHORIZATION.matcher(authorization.trim());
        if (!m.matches()) {
            return "the request's Authorization header is not AWS Signature Version 4";
        }
        if (!m.group(1).equals(accessKey)) {
            return "the access key id " + m.group(1) + " is not the local SQS's";
        }
        String amzDate = exchange.getRequestHeaders().getFirst("X-Amz-Date");
        if (amzDate == null || !amzDate.startsWith(m.group(2))) {
            return "the request's X-Amz-Date does not match its credential scope";
        }
        String scope = m.group(2) + "/" + m.group(3) + "/" + m.group(4) + "/aws4_request";
        String expected = signature(exchange, body, m.group(5), amzDate, scope, m.group(2), m.group(3), m.group(4));
        return MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII), m.group(6).getBytes(StandardCharsets.US_ASCII))
                ? null : "the request's signature does not match: check the secret access key";
    }

    private String signature(HttpExchange exchange, byte[] body, String signedHeaders, String amzDate, String scope,
                             String date, String region, String service) {
        StringBuilder canonical = new StringBuilder();
        canonical.append(exchange.getRequestMethod()).append('\n');
        canonical.append(canonicalPath(exchange.getRequestURI().getRawPath())).append('\n');
        canonical.append(canonicalQuery(exchange.getRequestURI().getRawQuery())).append('\n');
        for (String name : signedHeaders.split(";")) {
            List<String> values = exchange.getRequestHeaders().get(name);
            String value = values == null ? "" : String.join(",", values.stream()
                    .map(v -> v.trim().replaceAll("\\s+", " ")).toList());
            canonical.append(name).append(':').append(value).append('\n');
        }
        canonical.append('\n').append(signedHeaders).append('\n').append(hex(sha256(body)));
        String toSign = "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n"
                + hex(sha256(canonical.toString().getBytes(StandardCharsets.UTF_8)));
        byte[] key = hmac(("AWS4" + secretKey).getBytes(StandardCharsets.UTF_8), date);
        key = hmac(key, region);
        key = hmac(key, service);
        key = hmac(key, "aws4_request");
        return hex(hmac(key, toSign));
    }

    /** Every service but S3 signs the path URI-encoded once more than it was sent. */
    private static String canonicalPath(String rawPath) {
        if (rawPath == null || rawPath.isEmpty()) {
            return "/";
        }
        List<String> segments = new ArrayList<>();
        for (String segment : rawPath.split("/", -1)) {
            segments.add(encode(segment));
        }
        return String.join("/", segments);
    }

    private static String canonicalQuery(String rawQuery) {
        if (rawQuery == null || rawQuery.isEmpty()) {
            return "";
        }
        List<String> pairs = new ArrayList<>();
        for (String pair : rawQuery.split("&")) {
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            pairs.add(encode(name) + "=" + encode(value));
        }
        pairs.sort(null);
        return String.join("&", pairs);
    }

    /** RFC 3986 encoding as SigV4 defines it: unreserved characters as they are, every other byte as %XX. */
    private static String encode(String text) {
        StringBuilder out = new StringBuilder();
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (Character.isLetterOrDigit(c) && c < 128 || c == '-' || c == '_' || c == '.' || c == '~') {
                out.append((char) c);
            } else {
                out.append('%').append(String.format(Locale.ROOT, "%02X", c));
            }
        }
        return out.toString();
    }

    private void forward(HttpExchange exchange, byte[] body) throws IOException {
        URI uri = target.resolve(exchange.getRequestURI().getRawPath()
                + (exchange.getRequestURI().getRawQuery() == null ? "" : "?" + exchange.getRequestURI().getRawQuery()));
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).method(exchange.getRequestMethod(),
                HttpRequest.BodyPublishers.ofByteArray(body));
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

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] hmac(byte[] key, String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
