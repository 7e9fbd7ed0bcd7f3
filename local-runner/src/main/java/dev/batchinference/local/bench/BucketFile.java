package dev.batchinference.local.bench;

import dev.batchinference.storage.InMemoryObjectStore;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** An in-memory bucket saved to one file and loaded again, so a fresh JVM can start from a prepared bucket. */
final class BucketFile {
    private BucketFile() {
    }

    static void write(InMemoryObjectStore store, Path file) throws IOException {
        List<String> keys = store.list("");
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file)))) {
            out.writeInt(keys.size());
            for (String key : keys) {
                byte[] content;
                try (InputStream in = store.read(key)) {
                    content = in.readAllBytes();
                }
                out.writeUTF(key);
                out.writeInt(content.length);
                out.write(content);
            }
        }
    }

    static InMemoryObjectStore read(Path file) throws IOException {
        InMemoryObjectStore store = new InMemoryObjectStore();
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
            int count = in.readInt();
            for (int i = 0; i < count; i++) {
                String key = in.readUTF();
                byte[] content = new byte[in.readInt()];
                in.readFully(content);
                store.write(key, content);
            }
        }
        return store;
    }
}
