package dev.batchinference.local.deploy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A TCP proxy in front of an HTTP endpoint that passes every byte through unchanged (so SigV4
 * signatures stay valid) and notes each HTTP/1.1 request it carries: method, target, headers, and the
 * body when it is small. Tests point one function at it to see exactly what that function asked of S3
 * or SQS.
 */
final class RecordingProxy implements AutoCloseable {
    private static final int RECORDED_BODY_LIMIT = 64 * 1024;

    /** One request as the client sent it; header names in lower case. */
    record Request(String method, String target, Map<String, String> headers, byte[] body) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    private final ServerSocket server;
    private final URI target;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "recording-proxy");
        t.setDaemon(true);
        return t;
    });

    RecordingProxy(URI target) throws IOException {
        this.target = target;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        threads.execute(this::accept);
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getLocalPort());
    }

    List<Request> requests() {
        return List.copyOf(requests);
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Socket upstream = new Socket(target.getHost(), target.getPort());
                threads.execute(() -> pump(upstream, client));
                threads.execute(() -> relayRequests(client, upstream));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private static void pump(Socket from, Socket to) {
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            in.transferTo(out);
        } catch (IOException e) {
            // the other side closed
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    /** Copies the client's bytes upstream, parsing them as a sequence of HTTP/1.1 requests on the way. */
    private void relayRequests(Socket client, Socket upstream) {
        try (InputStream in = client.getInputStream(); OutputStream out = upstream.getOutputStream()) {
            while (true) {
                String head = readHead(in, out);
                if (head == null) {
                    return;
                }
                String[] lines = head.split("\r\n");
                String[] requestLine = lines[0].split(" ");
                Map<String, String> headers = new TreeMap<>();
                for (int i = 1; i < lines.length; i++) {
                    int colon = lines[i].indexOf(':');
                    if (colon > 0) {
                        headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
                    }
                }
                ByteArrayOutputStream body = new ByteArrayOutputStream();
                if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
                    relayChunked(in, out, body);
                } else {
                    relay(in, out, Long.parseLong(headers.getOrDefault("content-length", "0")), body);
                }
                out.flush();
                requests.add(new Request(requestLine[0], requestLine[1], headers,
                        body.size() <= RECORDED_BODY_LIMIT ? body.toByteArray() : null));
            }
        } catch (IOException e) {
            // the connection ended
        } finally {
            closeQuietly(client);
            closeQuietly(upstream);
        }
    }

    /** The request line and headers, up to the blank line, copied upstream as they are read; null at the end of the stream. */
    private static String readHead(InputStream in, OutputStream out) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                return null;
            }
            out.write(b);
            head.write(b);
            matched = (b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3))
                    ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        out.flush(); // an Expect: 100-continue client waits for the answer to this before its body
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    private static void relay(InputStream in, OutputStream out, long length, ByteArrayOutputStream body) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        long left = length;
        while (left > 0) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (n < 0) {
                throw new IOException("the client closed inside a request body");
            }
            out.write(buffer, 0, n);
            if (body.size() <= RECORDED_BODY_LIMIT) {
                body.write(buffer, 0, n);
            }
            left -= n;
        }
    }

    private static void relayChunked(InputStream in, OutputStream out, ByteArrayOutputStream body) throws IOException {
        while (true) {
            String sizeLine = readLine(in, out);
            int size = Integer.parseInt(sizeLine.split(";")[0].trim(), 16);
            if (size == 0) {
                while (!readLine(in, out).isEmpty()) {
                    // trailers
                }
                return;
            }
            relay(in, out, size, body);
            readLine(in, out);
        }
    }

    private static String readLine(InputStream in, OutputStream out) throws IOException {
        List<Byte> line = new ArrayList<>();
        int previous = -1;
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("the client closed inside a chunked body");
            }
            out.write(b);
            if (previous == '\r' && b == '\n') {
                byte[] bytes = new byte[line.size() - 1];
                for (int i = 0; i < bytes.length; i++) {
                    bytes[i] = line.get(i);
                }
                return new String(bytes, StandardCharsets.ISO_8859_1);
            }
            line.add((byte) b);
            previous = b;
        }
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        threads.shutdownNow();
    }
}
