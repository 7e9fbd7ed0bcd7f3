package dev.batchinference.local.deploy;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.api.client.AWSLambda;
import com.amazonaws.services.lambda.runtime.serialization.PojoSerializer;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import software.amazon.awssdk.utilslite.SdkInternalThreadLocal;

/**
 * One function running as Lambda runs it, as far as one machine can: a separate JVM whose classpath
 * holds only the Lambda Java runtime's own runtime interface client, which loads the handler from the
 * task root ({@code lib/*.jar}, the deployment package as unpacked) and asks for invocations over the
 * Lambda Runtime API. This class serves that API on 127.0.0.1 and hands out the events.
 */
final class LambdaJavaRuntime implements AutoCloseable {
    private static final String API = "/2018-06-01/runtime";
    private static final String NATIVE_CLIENT_PROPERTY =
            "com.amazonaws.services.lambda.runtime.api.client.runtimeapi.NativeClient.JNI";

    private final String name;
    private final HttpServer server;
    private final ExecutorService serverThreads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "runtime-api");
        t.setDaemon(true);
        return t;
    });
    private final BlockingQueue<Invocation> pending = new LinkedBlockingQueue<>();
    private final Map<String, CompletableFuture<String>> inFlight = new ConcurrentHashMap<>();
    private final CompletableFuture<String> initError = new CompletableFuture<>();
    private final Path log;
    private final Process process;
    private volatile boolean closed;

    private record Invocation(String requestId, String event, CompletableFuture<String> response) {
    }

    /**
     * Starts the function: {@code taskRoot} is its unpacked deployment package, {@code environment} what
     * the function's configuration sets (Lambda's own variables are added here).
     */
    static LambdaJavaRuntime start(String name, Path taskRoot, String handler, Map<String, String> environment,
                                   Path logDir) {
        try {
            return new LambdaJavaRuntime(name, taskRoot, handler, environment, logDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private LambdaJavaRuntime(String name, Path taskRoot, String handler, Map<String, String> environment, Path logDir)
            throws IOException {
        this.name = name;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(serverThreads);
        server.createContext(API + "/invocation/next", this::next);
        server.createContext(API + "/invocation/", this::result);
        server.createContext(API + "/init/error", exchange -> {
            initError.complete(body(exchange));
            respond(exchange, 202, "");
        });
        server.createContext(API + "/restore/next", exchange -> respond(exchange, 200, ""));
        server.start();

        this.log = logDir.resolve(name + ".log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder builder = new ProcessBuilder(java, "-Xmx512m", "-XX:+UseSerialGC",
                "-D" + NATIVE_CLIENT_PROPERTY + "=" + nativeClientLibrary(logDir),
                "-cp", runtimeClasspath(), AWSLambda.class.getName(), handler)
                .directory(taskRoot.toFile()) // the runtime takes its working directory as the task root
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        Map<String, String> env = builder.environment();
        env.keySet().removeIf(k -> k.startsWith("AWS_") || k.startsWith("JAVA_TOOL_OPTIONS"));
        env.putAll(environment);
        env.put("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:" + server.getAddress().getPort());
        env.put("AWS_LAMBDA_FUNCTION_NAME", name);
        env.put("AWS_LAMBDA_FUNCTION_VERSION", "1");
        env.put("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024");
        env.put("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/" + name);
        env.put("AWS_LAMBDA_LOG_STREAM_NAME", "local");
        env.put("LAMBDA_TASK_ROOT", taskRoot.toString());
        env.put("_HANDLER", handler);
        this.process = builder.start();
        process.getOutputStream().close();
    }

    /**
     * The runtime interface client's native library, unpacked once: left to itself, every client unpacks
     * it to the same file under /tmp (each Lambda environment has a /tmp of its own), so functions
     * starting side by side here would overwrite one another's. Lambda's own runtime names it the same way.
     */
    private static synchronized String nativeClientLibrary(Path dir) throws IOException {
        Path library = dir.resolve("libaws-lambda-jni.so");
        if (!Files.exists(library)) {
            String arch = System.getProperty("os.arch").equals("aarch64") ? "aarch_64" : "x86_64";
            try (var in = AWSLambda.class.getResourceAsStream("/jni/libaws-lambda-jni.linux-" + arch + ".so")) {
                if (in == null) {
                    throw new IllegalStateException("the runtime interface client has no native library for linux-" + arch);
                }
                Files.copy(in, library);
            }
        }
        return library.toString();
    }

    /** The runtime interface client and what it needs, nothing of the function's. */
    private static String runtimeClasspath() {
        return Stream.of(AWSLambda.class, Context.class, PojoSerializer.class, SdkInternalThreadLocal.class)
                .map(LambdaJavaRuntime::jarOf).distinct().collect(Collectors.joining(java.io.File.pathSeparator));
    }

    private static String jarOf(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Invokes the function with an event (JSON) and returns its response (JSON); fails on a function error. */
    String invoke(String event, Duration timeout) throws Exception {
        Invocation invocation = new Invocation(UUID.randomUUID().toString(), event, new CompletableFuture<>());
        pending.add(invocation);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (initError.isDone()) {
                throw new AssertionError(name + " failed to start: " + initError.get() + "\n" + log());
            }
            if (!process.isAlive()) {
                throw new AssertionError(name + " exited with " + process.exitValue() + "\n" + log());
            }
            try {
                return invocation.response().get(100, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                // still running
            } catch (java.util.concurrent.ExecutionException e) {
                throw new AssertionError(name + " failed: " + e.getCause().getMessage() + "\n" + log());
            }
        }
        throw new AssertionError(name + " did not answer within " + timeout + "\n" + log());
    }

    String log() {
        try {
            return "--- " + name + " output ---\n" + (Files.exists(log) ? Files.readString(log) : "");
        } catch (IOException e) {
            return "(no output: " + e + ")";
        }
    }

    private void next(HttpExchange exchange) throws IOException {
        Invocation invocation = null;
        while (invocation == null && !closed) {
            try {
                invocation = pending.poll(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (invocation == null) {
            respond(exchange, 500, "shutting down");
            return;
        }
        inFlight.put(invocation.requestId(), invocation.response());
        exchange.getResponseHeaders().add("Lambda-Runtime-Aws-Request-Id", invocation.requestId());
        exchange.getResponseHeaders().add("Lambda-Runtime-Deadline-Ms",
                Long.toString(System.currentTimeMillis() + Duration.ofMinutes(15).toMillis()));
        exchange.getResponseHeaders().add("Lambda-Runtime-Invoked-Function-Arn",
                "arn:aws:lambda:us-east-1:123456789012:function:" + name + ":live");
        exchange.getResponseHeaders().add("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000");
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        respond(exchange, 200, invocation.event());
    }

    /** POST .../invocation/{id}/response or .../invocation/{id}/error. */
    private void result(HttpExchange exchange) throws IOException {
        List<String> path = List.of(exchange.getRequestURI().getPath().split("/"));
        String requestId = path.get(path.size() - 2);
        String outcome = path.get(path.size() - 1);
        String body = body(exchange);
        CompletableFuture<String> response = inFlight.remove(requestId);
        if (response != null) {
            if (outcome.equals("response")) {
                response.complete(body);
            } else {
                response.completeExceptionally(new AssertionError(body));
            }
        }
        respond(exchange, 202, "");
    }

    private static String body(HttpExchange exchange) throws IOException {
        return new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    }

    private static void respond(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        closed = true;
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        server.stop(0);
        serverThreads.shutdownNow();
    }
}
