package dev.batchinference.local.emulator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;

import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;

/** S3Proxy in process on 127.0.0.1, backed by memory or by a directory. */
public final class EmbeddedS3 implements AutoCloseable {

    // Fixed, well-known local credentials: the proxy still checks SigV4 signatures, so clients exercise
    // the same signing path as against AWS, but nothing secret is involved.
    public static final String ACCESS_KEY = "local-access-key";
    public static final String SECRET_KEY = "local-secret-key";

    private final NotifyingBlobStore store;
    private final S3Proxy proxy;
    private final URI endpoint;

    private EmbeddedS3(BlobStore backing, int port) {
        NotifyingBlobStore store = new NotifyingBlobStore(backing);
        this.store = store;
        this.proxy = S3Proxy.builder()
                .blobStore(new KeyCheckingBlobStore(store))
                // the endpoint's host is the address Jetty binds to: loopback only
                .endpoint(URI.create("http://127.0.0.1:" + port))
                .awsAuthentication(AuthenticationType.AWS_V4, ACCESS_KEY, SECRET_KEY)
                // close() should not linger for Jetty's default graceful-stop period
                .stopTimeout(0)
                .build();
        try {
            proxy.start();
        } catch (Exception e) {
            store.close();
            throw new IllegalStateException("S3Proxy did not start on port " + port, e);
        }
        this.endpoint = URI.create("http://127.0.0.1:" + proxy.getPort());
    }

    /** Starts a store that forgets everything on close; port 0 picks a free port. */
    public static EmbeddedS3 inMemory(int port) {
        return new EmbeddedS3(new TransientNio2BlobStore(), port);
    }

    /** Starts a store kept under {@code dataDir} (one sub-directory per bucket), surviving restarts. */
    public static EmbeddedS3 onDisk(Path dataDir, int port) {
        try {
            Files.createDirectories(dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new EmbeddedS3(new FilesystemNio2BlobStore(dataDir.toAbsolutePath().toString()), port);
    }

    /** Tells the listener of every object created from now on, by any client; replaces an earlier one. */
    public void onObjectCreated(ObjectCreatedListener listener) {
        store.listener(listener);
    }

    public URI endpoint() {
        return endpoint;
    }

    public String accessKey() {
        return ACCESS_KEY;
    }

    public String secretKey() {
        return SECRET_KEY;
    }

    @Override
    public void close() {
        try {
            proxy.stop();
        } catch (Exception e) {
            throw new IllegalStateException("S3Proxy did not stop", e);
        } finally {
            store.close();
        }
    }
}
